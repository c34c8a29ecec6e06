"""What Spark's and Dask's tasks run (perfscript.engines: inputs, parts, schema), without
an engine: each part's rows are its recording's table, the schema rule, the errors."""

import glob
import os

import pytest

pa = pytest.importorskip("pyarrow")

import perfscript  # noqa: E402
from perfscript.engines import inputs, parts, schema  # noqa: E402
from perfscript.errors import PerfDataError  # noqa: E402
from perfscript.frames.tables import UnknownEvent  # noqa: E402
from perfscript.frames.unify import conform  # noqa: E402

from engine_cases import (CASES, CORPUS_CASES, REC, TDAT, broken_copy,  # noqa: E402
                          reference)

SOURCE = [parts.SOURCE_FILE, parts.SOURCE_HOST]


def check_part(path, event, table):
    """`table` (read_part's) is `path`'s table of `event`, row for row and type for
    type, then the source columns."""
    ref = reference(path, event)
    assert table.column_names == ref.column_names + SOURCE
    assert table.select(ref.column_names).schema == ref.schema
    assert table.select(ref.column_names).to_pylist() == ref.to_pylist()
    assert set(table.column(parts.SOURCE_FILE).to_pylist()) <= {path}


def every_event(path):
    with perfscript.open(path) as t:
        return t.event_names


CORPUS = sorted(glob.glob(os.path.join(CORPUS_CASES, "*", "*.data"))
                + glob.glob(os.path.join(CORPUS_CASES, "*", "*.dat")))
# a group read with leader sampling ({a,b}:S: b's samples are in a's records), pipe
# mode (its hostname comes in the stream), event formats of trace-cmd's plugins
LOCAL = [os.path.join(REC, "fields", "group_read.data"), os.path.join(REC, "pipe.data"),
         os.path.join(REC, "kmem_softirq.data"), os.path.join(TDAT, "plugins.dat")]


@pytest.mark.parametrize("path", LOCAL + CORPUS,
                         ids=lambda p: os.path.relpath(p, os.path.dirname(CORPUS_CASES)))
def test_each_event_of_a_recording_is_its_table(path):
    events = every_event(path)
    assert events
    host = perfscript.open(path).header["hostname"]
    for event in events:
        table = parts.read_part(parts.Part(path), event)
        check_part(path, event, table)
        assert set(table.column(parts.SOURCE_HOST).to_pylist()) == \
            ({host} if table.num_rows else set())
        ref = reference(path, event)
        assert schema.file_schema(path, event) == ref.schema.remove_metadata()


def test_chunks_of_a_big_file_are_its_table():
    path = os.path.join(REC, "chunks", "chunks.data")
    planned = parts.plan([path], chunk_bytes=20000)
    assert len(planned) == 5 and all(p.chunk is not None for p in planned)
    assert [p.chunk for p in parts.plan([path], chunk_bytes=0)] == [None]
    for event in every_event(path):
        got = pa.concat_tables(parts.read_part(p, event) for p in planned)
        check_part(path, event, got)


def test_small_parts_are_grouped_as_spark_packs_files():
    files = inputs.expand([os.path.join(REC, "chunks", "chunks.data"),
                           os.path.join(REC, "sched.data"), os.path.join(REC, "pipe.data")])
    planned = parts.plan(files, chunk_bytes=20000)        # 5 chunks, 2 files
    assert [len(run) for run in parts.grouped(planned, 0)] == [1] * 7
    assert parts.grouped(planned, 1 << 30) == [planned]
    # a file counts 4 MiB more than its size (opening it), a chunk its bytes
    assert [len(run) for run in parts.grouped(planned, 5 << 20)] == [6, 1]
    assert [len(run) for run in parts.grouped(planned, 1)] == [1] * 7
    # smaller runs when that makes enough of them: half of the 8.4 MB each here (but
    # 4 MiB at least, so no more runs for more asked)
    assert [len(run) for run in parts.grouped(planned, 1 << 30, min_runs=2)] == [5, 1, 1]
    assert [len(run) for run in parts.grouped(planned, 1 << 30, min_runs=9)] == [5, 1, 1]


def test_paths_globs_and_directories():
    dats = sorted(glob.glob(os.path.join(TDAT, "*.dat")))
    assert inputs.expand(TDAT) == dats                   # README, .txt, .sh left out
    sched = os.path.join(REC, "sched.data")
    assert inputs.expand(["file://" + sched, os.path.join(TDAT, "v*.dat"), sched]) == \
        [sched] + [d for d in dats if os.path.basename(d).startswith("v")]
    assert inputs.expand(os.path.relpath(sched)) == [sched]
    with pytest.raises(FileNotFoundError, match="nothing.data"):
        inputs.expand([sched, os.path.join(REC, "nothing.data")])


def test_schema_is_the_union_of_the_files():
    event, files, _ = CASES["sched_wakeup"]
    unified = schema.event_schema(files, event)
    first = reference(files[0], event)
    walled = reference(files[1], event)
    assert "sample_wall_time" not in first.column_names
    assert walled.schema.field("sample_wall_time").type == pa.timestamp("ns", "UTC")
    # the first file's columns in its order, then those later files add, then the source
    assert unified.names[:len(first.column_names)] == first.column_names
    assert set(unified.names) == set(first.column_names) | set(walled.column_names) \
        | set(reference(files[2], event).column_names) | set(SOURCE)
    assert unified.names[-2:] == SOURCE
    table = conform(parts.read_part(parts.Part(files[0]), event), unified)
    assert table.schema == unified
    assert table.column("sample_wall_time").null_count == table.num_rows == first.num_rows
    assert table.select(first.column_names).to_pylist() == first.to_pylist()


def test_types_that_differ_take_the_datasets_rule():
    """The engines unify a dataset's way (frames.unify): the narrowest type that holds
    every value of both, text where nothing else does; no value is lost."""
    a = pa.schema([("x", pa.int32()), ("v", pa.list_(pa.uint8(), 4))])
    b = pa.schema([("y", pa.string()), ("x", pa.int64()), ("v", pa.list_(pa.uint8(), 16))])
    c = pa.schema([("y", pa.int32()), ("u", pa.uint64())])
    d = pa.schema([("u", pa.int64())])
    unified = schema.event_schema(["a", "b", "c", "d"], "e",
                                  mapper=lambda _, files: [a, b, c, d])
    assert unified == pa.schema([("x", pa.int64()), ("v", pa.list_(pa.uint8())),
                                 ("y", pa.string()), ("u", pa.decimal128(20, 0)),
                                 (parts.SOURCE_FILE, parts.SOURCE_TYPE),
                                 (parts.SOURCE_HOST, parts.SOURCE_TYPE)])
    table = pa.table({"u": pa.array([2 ** 64 - 1], pa.uint64()),
                      "y": pa.array([-7], pa.int32())})
    assert conform(table, unified).to_pylist() == \
        [{"x": None, "v": None, "y": "-7", "u": 2 ** 64 - 1, parts.SOURCE_FILE: None,
          parts.SOURCE_HOST: None}]


def test_a_file_without_the_event_has_no_rows():
    sched = os.path.join(REC, "sched.data")
    syscalls = os.path.join(REC, "syscalls.data")
    assert parts.read_part(parts.Part(syscalls), "sched:sched_switch") is None
    assert schema.file_schema(syscalls, "sched__sched_switch") is None
    assert schema.event_schema([syscalls, sched], "sched__sched_switch") == \
        schema.event_schema([sched], "sched:sched_switch")
    with pytest.raises(UnknownEvent, match="no event 'nope' in any of 2 recordings"):
        schema.event_schema([syscalls, sched], "nope")


def test_an_unreadable_file_is_named_with_its_offset(tmp_path):
    good, broken = broken_copy(os.path.join(REC, "sched.data"), str(tmp_path), 30000)
    event = "sched:sched_switch"
    with pytest.raises(PerfDataError, match=r"broken-sched.data: offset 30000"):
        schema.event_schema([good, broken], event)
    with pytest.raises(PerfDataError, match=r"broken-sched.data: offset 30000"):
        parts.read_part(parts.Part(broken), event)
    recorded = schema.event_schema([good, broken], event, errors="record")
    assert recorded.names[-3:] == SOURCE + [parts.SOURCE_ERROR]
    row = parts.read_part(parts.Part(broken), event, errors="record")
    assert row.num_rows == 1
    (error,) = row.column(parts.SOURCE_ERROR).to_pylist()
    assert error.startswith(broken + ": offset 30000 (0x7530): file truncated")
    row = conform(row, recorded).to_pylist()[0]
    assert row[parts.SOURCE_FILE] == broken
    assert all(v is None for k, v in row.items() if k not in (parts.SOURCE_FILE,
                                                              parts.SOURCE_ERROR))
    table = parts.read_part(parts.Part(good), event, errors="record")
    assert table.column(parts.SOURCE_ERROR).null_count == table.num_rows > 0


def test_engine_parts_are_written_whole_or_not_at_all(tmp_path, monkeypatch):
    """A part file appears under its name complete; a write that fails leaves nothing
    a reader of the directory would take (Spark and pyarrow skip hidden files)."""
    import pyarrow.parquet as pq

    from perfscript.engines import layout
    sched = os.path.join(REC, "sched.data")
    event = "sched:sched_switch"
    planned = layout.plan([(sched, layout.survey(sched))], str(tmp_path), [event])
    where, unified, _ = planned[event]
    os.makedirs(where)
    targets = {event: (where, unified)}
    assert layout.write_parts(parts.Part(sched), targets, 3) == \
        {event: reference(sched, event).num_rows}
    assert os.listdir(where) == ["part-00003.parquet"]
    assert pq.read_table(os.path.join(where, "part-00003.parquet")).schema == unified

    real = pq.write_table

    def half_then_fail(table, path, **kw):
        real(table.slice(0, 1), path, **kw)
        raise OSError("disk full")
    monkeypatch.setattr(pq, "write_table", half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        layout.write_parts(parts.Part(sched), targets, 4)
    assert os.listdir(where) == ["part-00003.parquet"]
