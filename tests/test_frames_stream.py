"""Reading only some events (`events=`), streaming one event's rows as record batches
(`Trace.batches`) and as a polars LazyFrame (`scan_polars`): the same rows, types and
order as the whole table, on every kind of input."""

import os
import struct
import threading

import pytest

pa = pytest.importorskip("pyarrow")

import perfscript  # noqa: E402
from perfscript.errors import PerfDataError  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REC = os.path.join(HERE, "data", "recordings")
FILES = {
    "batched": os.path.join(REC, "syscalls.data"),          # mapped file: batches
    "pipe": os.path.join(REC, "pipe.data"),
    "compressed": os.path.join(REC, "zstd.data"),
    "callchain": os.path.join(REC, "callchain.data"),
    "kmem": os.path.join(REC, "kmem_softirq.data"),
}


def same(a, b):
    """Same schema and rows (a dictionary column's dictionary may differ: it holds the
    comms of the events read)."""
    return a.schema == b.schema and a.to_pylist() == b.to_pylist()


def all_tables(path):
    with perfscript.open(path) as t:
        return {n: t.table(n) for n in t.event_names}


@pytest.mark.parametrize("kind", sorted(FILES))
def test_events_reads_only_those_and_the_same_rows(kind):
    path = FILES[kind]
    full = all_tables(path)
    for name, table in full.items():
        with perfscript.open(path, events=[name]) as t:
            assert t.event_names == [name]
            assert list(t.counts()) == [name]
            got = t.table(name)
            assert same(got, table), name
            with pytest.raises(KeyError):
                other = [n for n in full if n != name]
                if not other:
                    raise KeyError("only one event")
                t.table(other[0])


def test_events_accepts_every_name_and_keeps_view_names():
    path = FILES["batched"]
    with perfscript.open(path, events=["raw_syscalls__sys_exit"]) as t:
        assert t.event_names == ["raw_syscalls:sys_exit"]
        assert t.view_names() == {"raw_syscalls__sys_exit": "raw_syscalls:sys_exit"}
        assert t.sql("SELECT count(*) FROM raw_syscalls__sys_exit").fetchall() == [(210,)]
    with pytest.raises(KeyError, match="no event 'nope'"):
        perfscript.open(path, events=["nope"])
    with pytest.raises(TypeError, match="list of event names"):
        perfscript.open(path, events="raw_syscalls:sys_exit")


@pytest.mark.parametrize("kind", sorted(FILES))
@pytest.mark.parametrize("rows", [1, 7, 65536])
def test_batches_are_the_table(kind, rows):
    path = FILES[kind]
    full = all_tables(path)
    with perfscript.open(path) as t:
        for name, table in full.items():
            batches = list(t.batches(name, rows=rows))
            assert all(b.num_rows <= rows for b in batches)
            if table.num_rows:
                got = pa.Table.from_batches(batches)
                assert got.num_rows == table.num_rows
                # a batch's comm dictionary: the comms known when it was made
                assert same(got, table), name
                assert batches[0].schema.names == table.schema.names
        assert not t._is_read() or kind == "pipe"   # a stream leaves the trace unread


def test_batches_columns_and_early_stop():
    path = FILES["batched"]
    with perfscript.open(path) as t:
        it = t.batches("raw_syscalls:sys_enter", rows=5, columns=["sample_tid", "id"])
        first = next(it)
        assert first.schema.names == ["sample_tid", "id"] and first.num_rows == 5
        it.close()          # the reader stops: the pass's thread ends
    assert not [th for th in threading.enumerate() if th.name == "perfscript-batches"]


def test_batches_raise_the_located_error(tmp_path):
    with open(FILES["batched"], "rb") as f:
        data = f.read()
    # a record in the middle of the data section says it is 0 bytes long
    start, size = struct.unpack_from("<QQ", data, 40)
    off = start
    while off < start + size // 2:
        off += struct.unpack_from("<H", data, off + 6)[0]
    bad = bytearray(data)
    bad[off + 6:off + 8] = b"\0\0"
    cut = tmp_path / "bad.data"
    cut.write_bytes(bytes(bad))
    with perfscript.open(str(cut)) as t:
        name = t.event_names[0]
        with pytest.raises(PerfDataError):
            for _ in t.batches(name):
                pass
    assert not [th for th in threading.enumerate() if th.name == "perfscript-batches"]


def test_scan_polars():
    pl = pytest.importorskip("polars")
    path = FILES["batched"]
    with perfscript.open(path) as t:
        full = t.to_polars("raw_syscalls:sys_exit")
        lf = t.scan_polars("raw_syscalls:sys_exit")
        assert lf.collect_schema() == full.schema
        got = lf.filter(pl.col("ret") < 0).select("sample_tid", "ret").collect()
        want = full.filter(pl.col("ret") < 0).select("sample_tid", "ret")
        assert got.equals(want) and len(want) > 0
        assert lf.head(3).collect().equals(full.head(3))
