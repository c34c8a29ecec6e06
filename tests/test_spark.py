"""perfscript's Spark data source on a real local Spark (local[2]): each recording's
rows are its `perfscript.open(file).table(event)`, row for row, typed as
engines/spark_types.py's table says (checked here against that table written out)."""

import os
import sys

import pytest

from engine_cases import need

need("Spark", ["pyspark", "pyarrow"], java=True)

import pyarrow as pa  # noqa: E402

from engine_cases import (CASES, REC, broken_copy, corpus_events, reference,  # noqa: E402
                          rows_of)
from perfscript.engines import parts  # noqa: E402

SOURCE = [parts.SOURCE_FILE, parts.SOURCE_HOST]


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One local Spark for all the tests (it takes tens of seconds to start)."""
    from pyspark.sql import SparkSession
    tmp = tmp_path_factory.mktemp("spark")
    os.environ["PYSPARK_PYTHON"] = sys.executable      # the executors' Python
    session = (SparkSession.builder.master("local[2]").appName("perfscript-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.local.dir", str(tmp))
               .config("spark.sql.warehouse.dir", str(tmp / "warehouse"))
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    from perfscript.spark import register
    register(session)
    yield session
    session.stop()


def spark_type(t, long):
    """The docstring table of engines/spark_types.py, as the Arrow types Spark hands
    back (written out here, apart from the code it checks)."""
    if t == pa.uint64():
        return pa.int64() if long else pa.decimal128(20, 0)
    if pa.types.is_dictionary(t):
        return spark_type(t.value_type, long)
    if pa.types.is_duration(t):
        return pa.duration("us")
    if pa.types.is_timestamp(t):
        return pa.timestamp("us", "UTC")
    if pa.types.is_list(t) or pa.types.is_fixed_size_list(t):
        return pa.list_(pa.field("element", spark_type(t.value_type, long)))
    if pa.types.is_struct(t):
        return pa.struct([(f.name, spark_type(f.type, long)) for f in t])
    return {pa.uint8(): pa.int16(), pa.uint16(): pa.int32(),
            pa.uint32(): pa.int64()}.get(t, t)


def spark_value(v, t, long):
    """A table's value as Spark gives it (Decimal compares equal to the int)."""
    if v is None:
        return None
    if t == pa.uint64() and long and v >= 1 << 63:
        return v - (1 << 64)
    if pa.types.is_list(t) or pa.types.is_fixed_size_list(t):
        return [spark_value(x, t.value_type, long) for x in v]
    if pa.types.is_struct(t):
        return {f.name: spark_value(v[f.name], f.type, long) for f in t}
    return v


def values(column):
    """A column's values; times as integers (ns or µs)."""
    if pa.types.is_duration(column.type) or pa.types.is_timestamp(column.type):
        return column.cast(pa.int64()).to_pylist()
    return column.to_pylist()


def check(result, path, event, long=False):
    """`result` (a DataFrame's Arrow table) holds `path`'s table of `event`, in order."""
    ref = reference(path, event)
    got = rows_of(result, path)
    assert got.num_rows == ref.num_rows, path
    for name in ref.column_names:
        column, want = got.column(name), ref.column(name)
        assert column.type == spark_type(want.type, long), (path, name)
        expected = values(want)
        if pa.types.is_duration(want.type) or pa.types.is_timestamp(want.type):
            expected = [None if v is None else v // 1000 for v in expected]   # µs
        else:
            expected = [spark_value(v, want.type, long) for v in expected]
        assert values(column) == expected, (path, name)
    for name in set(result.column_names) - set(ref.column_names) - set(SOURCE):
        assert got.column(name).null_count == got.num_rows, (path, name)
    assert set(got.column(parts.SOURCE_HOST).to_pylist()) <= {perfscript_host(path)}
    return got.num_rows


def perfscript_host(path):
    import perfscript
    with perfscript.open(path) as t:
        return t.header["hostname"]


def read(spark, event, paths, **options):
    reader = spark.read.format("perfscript").option("event", event)
    for k, v in options.items():
        reader = reader.option(k, v)
    return reader.load(paths)


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_recording_is_its_table(spark, case):
    event, files, chunk_bytes = CASES[case]
    long = case == "sys_enter"       # uint64="long": the same 64 bits, signed
    # the chunked case a partition per chunk; the others packed into one partition
    partition_bytes = 0 if chunk_bytes else 128 << 20
    df = read(spark, event, files, chunkBytes=chunk_bytes, partitionBytes=partition_bytes,
              minPartitions=1, uint64="long" if long else "decimal")
    assert df.rdd.getNumPartitions() == (len(files) + 4 if chunk_bytes else 1)
    result = df.toArrow()
    assert result.column_names[-2:] == SOURCE
    # partitions in file order, a file's rows in its order
    assert list(dict.fromkeys(result.column(parts.SOURCE_FILE).to_pylist())) == files
    for path in files:
        assert check(result, path, event, long) > 0


def test_the_corpus(spark):
    events = corpus_events()
    if not events:
        pytest.skip("the shared corpus is absent")
    for event, files in events.items():
        result = read(spark, event, files).toArrow()
        assert sum(check(result, path, event) for path in files) > 0


def test_an_unreadable_recording_is_named(spark, tmp_path):
    good, broken = broken_copy(os.path.join(REC, "sched.data"), str(tmp_path), 30000)
    event = "sched:sched_switch"
    named = r"broken-sched.data: offset 30000 \(0x7530\): file truncated"
    with pytest.raises(Exception, match=named):        # the schema, on the driver
        read(spark, event, [good, broken]).toArrow()
    ddl = read(spark, event, [good]).schema
    with pytest.raises(Exception, match=named):        # the task, on an executor
        spark.read.format("perfscript").option("event", event).schema(ddl) \
            .load([good, broken]).toArrow()
    with pytest.raises(Exception, match=r"unknown option 'chunk_bytes'"):
        read(spark, event, [good], chunk_bytes=1).toArrow()
    result = read(spark, event, [good, broken], mode="PERMISSIVE").toArrow()
    assert result.column_names[-3:] == SOURCE + [parts.SOURCE_ERROR]
    check(result, good, event)
    assert rows_of(result, good).column(parts.SOURCE_ERROR).null_count == \
        reference(good, event).num_rows
    (row,) = rows_of(result, broken).to_pylist()
    assert row.pop(parts.SOURCE_ERROR).startswith(broken + ": offset 30000 (0x7530): ")
    assert row.pop(parts.SOURCE_FILE) == broken
    assert set(row.values()) == {None}


def test_writing_a_dataset(spark, tmp_path):
    from perfscript.spark import write_dataset
    event, files, chunk_bytes = CASES["sched_switch"]
    out = write_dataset(spark, files, str(tmp_path / "ds"), events=[event],
                        chunkBytes=chunk_bytes)
    assert out == {event: str(tmp_path / "ds" / "event=sched__sched_switch")}
    key = [(parts.SOURCE_FILE, "ascending"), ("sample_seq", "ascending")]
    direct = read(spark, event, files).toArrow().sort_by(key)
    written = spark.read.parquet(out[event]).toArrow().sort_by(key)
    assert written.schema == direct.schema
    assert written.to_pylist() == direct.to_pylist()
    # Spark's own writer on what the source reads, partitioned by a column
    by_host = str(tmp_path / "by_host")
    read(spark, event, files).write.partitionBy(parts.SOURCE_HOST).parquet(by_host)
    back = spark.read.parquet(by_host)
    assert [d for d in os.listdir(by_host) if d.startswith("source_host=")] == \
        ["source_host=vm"]
    assert back.count() == direct.num_rows


def test_a_unified_uint64_column_is_a_decimal_or_its_bits():
    """frames.unify makes uint64 and int64 columns of two files a decimal128(20, 0):
    DecimalType(20, 0) for Spark, or LongType (the uint64s as their bits) in "long"
    mode, as a uint64 column is."""
    from pyspark.sql import types as T

    from perfscript.engines.spark_types import spark_type as of
    wide = pa.decimal128(20, 0)
    assert of(wide) == T.DecimalType(20, 0) == of(pa.uint64())
    assert of(wide, "long") == T.LongType() == of(pa.uint64(), "long")
    assert of(pa.decimal128(38, 4)) == T.DecimalType(38, 4)
