"""perfscript.dask.read_events on a distributed LocalCluster of two worker processes:
each recording's rows are its `perfscript.open(file).table(event)`, row for row and
type for type (every column a pandas ArrowDtype of the table's own Arrow type, but
dictionary strings, which are plain strings)."""

import os

import pytest

from engine_cases import need

need("Dask", ["dask", "distributed", "pandas", "pyarrow"])

import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402

import perfscript.dask  # noqa: E402
from engine_cases import (CASES, REC, broken_copy, corpus_events, reference,  # noqa: E402
                          rows_of)
from perfscript.engines import parts  # noqa: E402
from perfscript.errors import PerfDataError  # noqa: E402

SOURCE = [parts.SOURCE_FILE, parts.SOURCE_HOST]


@pytest.fixture(scope="session")
def client():
    """Two worker processes of one thread each, for all the tests."""
    from distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster) as c:
        yield c


def arrow(df):
    """A computed dask DataFrame back as the Arrow table its columns hold."""
    return pa.Table.from_pandas(df.compute(), preserve_index=False)


def dask_type(t):
    return t.value_type if pa.types.is_dictionary(t) else t


def check(result, path, event):
    """`result` holds `path`'s table of `event`, in order, with the table's types."""
    ref = reference(path, event)
    got = rows_of(result, path)
    assert got.select(ref.column_names).schema == pa.schema(
        [f.with_type(dask_type(f.type)) for f in ref.schema]), path
    assert got.select(ref.column_names).to_pylist() == ref.to_pylist(), path
    for name in set(result.column_names) - set(ref.column_names) - set(SOURCE):
        assert got.column(name).null_count == got.num_rows, (path, name)
    return got.num_rows


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_recording_is_its_table(client, case):
    event, files, chunk_bytes = CASES[case]
    df = perfscript.dask.read_events(files, event, chunk_bytes=chunk_bytes)
    assert df.npartitions == len(parts.plan(files, chunk_bytes)) \
        >= len(files) + (4 if chunk_bytes else 0)
    assert list(df.columns[-2:]) == SOURCE
    result = arrow(df)
    assert list(dict.fromkeys(result.column(parts.SOURCE_FILE).to_pylist())) == files
    for path in files:
        assert check(result, path, event) > 0
    # the meta is what the partitions hold
    assert dict(df.dtypes) == dict(df.partitions[0].compute().dtypes)


def test_the_corpus(client):
    events = corpus_events()
    if not events:
        pytest.skip("the shared corpus is absent")
    for event, files in events.items():
        result = arrow(perfscript.dask.read_events(files, event))
        assert sum(check(result, path, event) for path in files) > 0


def test_an_unreadable_recording_is_named(client, tmp_path):
    good, broken = broken_copy(os.path.join(REC, "sched.data"), str(tmp_path), 30000)
    event = "sched:sched_switch"
    named = r"broken-sched.data: offset 30000 \(0x7530\): file truncated"
    with pytest.raises(PerfDataError, match=named):          # the schema, here
        perfscript.dask.read_events([good, broken], event)
    schema = pa.Schema.from_pandas(perfscript.dask.read_events([good], event)._meta,
                                   preserve_index=False).remove_metadata()
    with pytest.raises(PerfDataError, match=named):          # the task, on a worker
        perfscript.dask.read_events([good, broken], event, schema=schema).compute()
    result = arrow(perfscript.dask.read_events([good, broken], event, errors="record"))
    assert result.column_names[-3:] == SOURCE + [parts.SOURCE_ERROR]
    check(result, good, event)
    (row,) = rows_of(result, broken).to_pylist()
    assert row.pop(parts.SOURCE_ERROR).startswith(broken + ": offset 30000 (0x7530): ")
    assert row.pop(parts.SOURCE_FILE) == broken
    assert set(row.values()) == {None}


def test_writing_a_dataset(client, tmp_path):
    import pyarrow.dataset as ds
    event, files, chunk_bytes = CASES["sched_switch"]
    out = perfscript.dask.write_dataset(files, str(tmp_path / "ds"), events=[event],
                                        chunk_bytes=chunk_bytes)
    assert out == {event: str(tmp_path / "ds" / "event=sched__sched_switch")}
    written = ds.dataset(out[event], format="parquet").to_table()
    for path in files:
        check(written, path, event)
    # and back into dask, the same dtypes (pandas needs to be told to keep Arrow's)
    import dask.dataframe as dd
    back = dd.read_parquet(out[event], dtype_backend="pyarrow")
    assert set(back["event"].unique().compute()) == {"sched__sched_switch"}  # Hive's
    back = back.drop(columns="event")
    direct = perfscript.dask.read_events(files, event, chunk_bytes=chunk_bytes)
    # the same dtypes, strings as pandas' pyarrow-backed StringDtype
    assert list(back.dtypes.index) == list(direct.dtypes.index)
    for name, dtype in direct.dtypes.items():
        if dtype == pd.ArrowDtype(pa.string()):
            assert back.dtypes[name] == pd.StringDtype("pyarrow"), name
        else:
            assert back.dtypes[name] == dtype, name
    assert back.groupby("prev_comm").size().compute().sort_index().to_dict() == \
        direct.groupby("prev_comm").size().compute().sort_index().to_dict()
