"""The record walkers on damaged data sections: same records, same located errors.

The batched walker (`stretches`) skips per-record checks and judges the end once; it must
agree with the plain record iterator on every cut and every bad header.
"""

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfscript.errors import PerfDataError
from perfscript.perfdata.container import PerfData
from perfscript.perfdata.records import RecordWalker

from synthetic import build_perf_data

EVENTS = [("s", 5), ("c", 6), ("r",), ("s", 7), ("s", 8), ("r",), ("s", 9)]
DATA_OFF = 184


def _walk(path, batched):
    pd = PerfData(str(path))
    w = RecordWalker(pd)
    offs = []
    try:
        if batched:
            for item in w.stretches():
                offs.extend([item[3]] if type(item) is tuple else item.tolist())
        else:
            for rec in w:
                offs.append(rec[4])
    except PerfDataError as e:
        return offs, (e.offset, e.what), w.trailing_garbage, w.count
    return offs, None, w.trailing_garbage, w.count


def _with_data(tmp_path, data_tail):
    """A file whose data section is the synthetic records followed by `data_tail`, with
    the header's data size covering all of it."""
    raw = bytearray(build_perf_data(EVENTS) + data_tail)
    struct.pack_into("<Q", raw, 48, len(raw) - DATA_OFF)
    path = tmp_path / "perf.data"
    path.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize("tail,what", [
    (b"", None),
    (b"\x09\x00\x00\x00", "truncated record header"),
    (struct.pack("<IHH", 9, 2, 24) + b"x" * 8, "truncated record"),
    (struct.pack("<IHH", 9, 2, 4), "bad record header size"),
    (struct.pack("<IHH", 9, 2, 0), "bad record header size"),
    (struct.pack("<IHH", 68, 0, 16), "truncated record"),
    (b"[ perf record: Woken up 1 times ]\n", None),   # text after the records: junk
])
def test_damaged_tail(tmp_path, tail, what):
    path = _with_data(tmp_path, tail)
    plain = _walk(path, False)
    assert _walk(path, True) == plain
    offs, err, garbage, _ = plain
    assert len(offs) == len(EVENTS)
    if what is None:
        assert err is None
    else:
        assert err is not None and err[1].startswith(what), err
        assert err[0] == len(build_perf_data(EVENTS))      # where the tail starts
    if tail.startswith(b"[ perf"):
        assert garbage is not None


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=400), st.binary(max_size=24))
def test_any_cut_or_junk_agrees(tmp_path_factory, cut, junk):
    raw = bytearray(build_perf_data(EVENTS))
    cut = DATA_OFF + cut % (len(raw) - DATA_OFF + 1)
    raw = raw[:cut] + junk
    struct.pack_into("<Q", raw, 48, len(raw) - DATA_OFF)
    path = tmp_path_factory.mktemp("walk") / "perf.data"
    path.write_bytes(bytes(raw))
    assert _walk(path, True) == _walk(path, False)


def _raw_record(typ, size):
    return struct.pack("<IHH", typ, 0, size) + b"\0" * (size - 8)


@settings(max_examples=60, deadline=None)
@given(pattern=st.lists(st.sampled_from([16, 24, 88, 128]), min_size=1, max_size=4),
       repeats=st.integers(40, 400),
       breaks=st.lists(st.tuples(st.integers(0, 2000), st.sampled_from([8, 32, 96])),
                       max_size=6),
       cut=st.integers(0, 64))
def test_stride_guess_follows_the_chain(tmp_path_factory, pattern, repeats, breaks, cut):
    """Long runs of repeating record sizes (the batched walker guesses them ahead and reads
    their headers at once) broken by odd sizes, finished rounds and a cut end: the
    batched walk finds exactly the records and errors of the plain one."""
    recs = [_raw_record(9, s) for s in pattern] * repeats
    for at, size in sorted(breaks, reverse=True):
        at = min(at, len(recs))
        recs.insert(at, _raw_record(68, 8) if size == 8 else _raw_record(9, size))
    data = b"".join(recs)
    raw = bytearray(build_perf_data([]) + data)
    struct.pack_into("<Q", raw, 48, len(raw) - DATA_OFF)
    if cut:
        raw = raw[:len(raw) - cut]
    path = tmp_path_factory.mktemp("stride") / "perf.data"
    path.write_bytes(bytes(raw))
    assert _walk(path, True) == _walk(path, False)
