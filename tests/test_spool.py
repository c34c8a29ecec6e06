"""perf record -z files unpacked once and read batched (perfdata/spool.py).

The unpacked reading must deliver what the record-by-record reading delivers, name the
file's own offsets, and give up (to the record-by-record reader) on anything damaged.
"""

import glob
import os
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CORPUS, RECORDINGS
from perfscript.perfdata.container import PerfData
from perfscript.perfdata.spool import _RecordBounds, spool
from perfscript.session.session import Session
from perfscript.session.consumer import Consumer

DUMP = os.path.join(RECORDINGS, "dump_args.py")
ZSTD_FILES = [os.path.join(RECORDINGS, "zstd.data")] + sorted(
    p for p in glob.glob(os.path.join(CORPUS, "*", "*", "perf.data"))
    if "compressed" in p and "pipe" not in p)


ZSTD_MMAP_LEN = 20480       # zstd.data's FEAT_COMPRESSED mmap_len


def _label(p):
    return os.path.relpath(p, os.path.dirname(os.path.dirname(p)))


@pytest.mark.parametrize("path", ZSTD_FILES, ids=[_label(p) for p in ZSTD_FILES])
def test_unpacked_reading_equals_record_by_record(path, perfscript):
    """Every callback, argument and warning of dump_args.py, both ways."""
    batched = perfscript(["-i", path, "-s", DUMP])
    plain = perfscript(["-i", path, "-s", DUMP], env={"PERFSCRIPT_NO_BATCH": "1"})
    assert batched.returncode == plain.returncode == 0, batched.stderr[-500:]
    assert batched.stdout == plain.stdout
    assert batched.stderr == plain.stderr
    assert batched.stdout.count(b"\n") > 100


def test_zstd_file_is_read_unpacked():
    s = Session(os.path.join(RECORDINGS, "zstd.data"))
    rows = []

    class Count(Consumer):
        def deliver_batch(self, batch):
            rows.append(len(batch))

    s.process(Count(), batched=True)
    assert s._unpacked is not None and s._unpacked.compressed_records == 16
    assert sum(rows) > 300
    # perf counts the COMPRESSED records themselves among the events it processed
    assert s.nr_events == sum(rows) + 16 or s.nr_events > sum(rows)


@pytest.mark.parametrize("name", ["zstd.data", "syscalls.data"])
@pytest.mark.parametrize("handler", ["trace_unhandled", "raw_syscalls__sys_enter"])
def test_failing_handler_names_the_record(name, handler, perfscript, tmp_path):
    """A handler that raises: batched (unpacked or not) and record-by-record reading name
    the same record, at the file's own offset (for a -z file: the COMPRESSED record's)."""
    script = tmp_path / "boom.py"
    script.write_text("n = 0\ndef %s(*a):\n    global n\n    n += 1\n"
                      "    if n == 150:\n        raise ValueError('boom')\n" % handler)
    path = os.path.join(RECORDINGS, name)
    batched = perfscript(["-i", path, "-s", str(script)])
    plain = perfscript(["-i", path, "-s", str(script)], env={"PERFSCRIPT_NO_BATCH": "1"})
    assert batched.returncode == plain.returncode == 134
    last = lambda p: p.stderr.decode().strip().splitlines()[-1]     # noqa: E731
    assert "while handling raw_syscalls:sys_enter" in last(batched)
    assert "record at file offset" in last(batched)
    assert last(batched) == last(plain)


def test_damaged_stream_left_to_the_record_reader(tmp_path):
    raw = bytearray(open(os.path.join(RECORDINGS, "zstd.data"), "rb").read())
    pd = PerfData(os.path.join(RECORDINGS, "zstd.data"))
    # find the first COMPRESSED record and spoil its zstd payload
    off = pd.data_offset
    while struct.unpack_from("<I", raw, off)[0] != 81:
        off += struct.unpack_from("<H", raw, off + 6)[0]
    raw[off + 40:off + 60] = b"\xff" * 20
    bad = tmp_path / "bad.data"
    bad.write_bytes(bytes(raw))
    assert spool(PerfData(str(bad)), ZSTD_MMAP_LEN) is None


def _records(sizes):
    return b"".join(struct.pack("<IHH", 9, 0, s) + b"\x01" * (s - 8) for s in sizes)


@settings(max_examples=80, deadline=None)
@given(sizes=st.lists(st.sampled_from([8, 16, 24, 40, 88]), min_size=1, max_size=40),
       cuts=st.lists(st.integers(1, 200), max_size=12))
def test_record_bounds_across_any_cuts(sizes, cuts):
    """Fed a stream of records cut anywhere (headers too), it stands on a boundary
    exactly at the ends of records."""
    data = _records(sizes)
    ends = set()
    at = 0
    for s in sizes:
        at += s
        ends.add(at)
    b = _RecordBounds(struct.Struct("<IHH"))
    pos = 0
    for c in cuts + [len(data)]:
        piece = data[pos:pos + c]
        if not piece:
            break
        assert b.feed(piece)
        pos += len(piece)
        assert b.on_boundary == (pos in ends)
    if pos < len(data):
        assert b.feed(data[pos:])
    assert b.on_boundary


def test_record_bounds_refuse_a_zero_size():
    b = _RecordBounds(struct.Struct("<IHH"))
    assert not b.feed(struct.pack("<IHH", 9, 0, 0) + b"\0" * 8)
