"""The trace.dat reader (perfscript.tracedat) on small real files and damaged copies.

tests/data/tracedat holds one recording in three layouts (version 7 zstd, version 7
uncompressed, version 6; see its README): the reader must see the same metadata and
the same records in all three, in trace-cmd's order. Damaged copies must raise
TraceDatError (a PerfDataError naming file and offset) or read cleanly, never another
exception.
"""

import heapq
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CORPUS
from perfscript.errors import PerfDataError
from perfscript.tracedat import TraceDatError, cpu_records, open_tracedat, records
from perfscript.tracedat import stream
from perfscript.tracedat.kallsyms import KernelSymbols
from perfscript.tracedat.metadata import parse_cmdlines

DATA = os.path.join(os.path.dirname(__file__), "data", "tracedat")
FILES = ["v7-zstd.dat", "v7-none.dat", "v6.dat"]


def _path(name):
    return os.path.join(DATA, name)


def _all(name):
    with open_tracedat(_path(name)) as tdat:
        return [(r.ts, r.cpu, bytes(r.data), r.missed) for r in records(tdat)]


@pytest.mark.parametrize("name", FILES)
def test_header_and_metadata(name):
    with open_tracedat(_path(name)) as tdat:
        assert tdat.version == (6 if name == "v6.dat" else 7)
        assert tdat.compression == (("zstd", "1.5.4") if name == "v7-zstd.dat" else None)
        assert (tdat.big_endian, tdat.long_size, tdat.page_size) == (False, 8, 4096)
        assert tdat.meta.commit_size == 8
        assert tdat.cpus == 2 and [c.cpu for c in tdat.cpu_data] == [0, 1]
        assert tdat.trace_clock == "local" and tdat.in_usecs
        systems = {e.system for e in tdat.meta.events.values()}
        assert systems == {"ftrace", "sched", "signal"}
        assert tdat.meta.find_event("sched", "sched_switch") is not None
        # "(u64)(REC)->x" in func_repeats' print_fmt is beyond perfscript.ftrace's grammar
        assert [e.name for e in tdat.meta.events.values() if e.failed] == ["func_repeats"]
        assert tdat.meta.kallsyms.count(b"\n") == 3
        assert (17881, "with space") in tdat.meta.cmdlines
        assert tdat.meta.printk and tdat.instances == []


def test_layouts_hold_the_same_records():
    first = _all(FILES[0])
    assert len(first) == 51
    assert [len(first) for _ in FILES] == [len(_all(name)) for name in FILES]
    assert _all("v6.dat") == first == _all("v7-none.dat")


def test_records_are_merged_in_time_order():
    recs = _all("v6.dat")
    stamps = [ts for ts, *_ in recs]
    assert stamps == sorted(stamps)
    assert (stamps[0] + 500) // 1000 == 4480879081   # report: 4480.879081
    assert {cpu for _, cpu, _, _ in recs} == {0, 1}
    # every payload starts with its event's id (common_type, 2 bytes)
    with open_tracedat(_path("v6.dat")) as tdat:
        ids = {int.from_bytes(data[:2], "little") for _, _, data, _ in recs}
        assert ids <= set(tdat.meta.events)


def test_cpu_streams_are_in_file_order():
    with open_tracedat(_path("v7-zstd.dat")) as tdat:
        from perfscript.tracedat import cpu_records
        per_cpu = [list(cpu_records(tdat, i)) for i in range(2)]
    assert sum(map(len, per_cpu)) == 51
    for recs in per_cpu:
        assert [r.ts for r in recs] == sorted(r.ts for r in recs)


def _until_error(recs):
    """The records an iterator gives, then the error that stops it (or None)."""
    out = []
    try:
        for r in recs:
            out.append((r.ts, r.cpu, bytes(r.data), r.missed))
    except TraceDatError as exc:
        return out, (str(exc), exc.offset)
    return out, None


def _heap_merge(tdat):
    """trace-cmd's order as a plain heap merge of the CPUs' streams."""
    streams = [((r.ts, i, r) for r in cpu_records(tdat, i)) for i in range(len(tdat.cpu_data))]
    return (rec for _, _, rec in heapq.merge(*streams))


@pytest.mark.parametrize("pages", [1, 3, 64])
def test_chunked_merge_is_the_heap_merge_on_damaged_pages(pages, tmp_path, monkeypatch):
    """records() reads a few pages of each CPU at a time: the same records as the heap
    merge, and on a damaged page the same records before the same error."""
    monkeypatch.setattr(stream._CpuStream, "PAGES", pages)
    with open(_path("v6.dat"), "rb") as f:
        data = bytearray(f.read())
    with open_tracedat(_path("v6.dat")) as tdat:
        spans = [(c.offset, c.offset + c.size) for c in tdat.cpu_data if c.size]
        assert _until_error(records(tdat)) == _until_error(_heap_merge(tdat))
    rng = random.Random(pages)
    path = str(tmp_path / "bad.dat")
    outcomes = set()
    for _ in range(40):
        bad = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            lo, hi = rng.choice(spans)
            bad[rng.randrange(lo, min(hi, lo + 400))] = rng.randrange(256)
        with open(path, "wb") as f:
            f.write(bad)
        with open_tracedat(path) as tdat:
            got = _until_error(records(tdat))
        with open_tracedat(path) as tdat:
            assert got == _until_error(_heap_merge(tdat))
        outcomes.add((got[1] is not None, len(got[0]) > 0))
    assert (True, True) in outcomes     # some records, then an error


class _FakeTrace:
    """What the record streams read of a TraceDat, with pages made up by the test."""

    def __init__(self, pages, ts_offset=0):
        from types import SimpleNamespace
        self.pages = pages
        self.cpu_data = [SimpleNamespace(cpu=10 + i) for i in range(len(pages))]
        self.options = SimpleNamespace(tsc_mult=0, tsc_shift=0, ts_offset=ts_offset)
        self.meta = SimpleNamespace(commit_size=8)
        self.big_endian, self.long_size, self.path = False, 8, "fake.dat"


def _page(ts, deltas, broken):
    """A ring-buffer page: events of 4 data bytes after `deltas`; a broken one claims
    more data than a page holds."""
    import struct
    body = b"".join(struct.pack("<I", 1 | d << 5) + struct.pack("<I", k)
                    for k, d in enumerate(deltas))
    commit = 5000 if broken else len(body)
    return (struct.pack("<QQ", ts, commit) + body).ljust(64, b"\0")


@pytest.mark.parametrize("pages", [1, 2])
def test_chunked_merge_is_the_heap_merge(pages, monkeypatch):
    """CPUs of several pages whose timestamps jump back and tie, some damaged: the
    chunked merge gives the heap merge's records, then its error."""
    monkeypatch.setattr(stream._CpuStream, "PAGES", pages)
    monkeypatch.setattr(stream, "cpu_pages",
                        lambda tdat, data: enumerate(tdat.pages[data.cpu - 10]))
    rng = random.Random(pages)
    seen = set()
    for _ in range(400):
        fake = _FakeTrace([[_page(rng.randrange(6), [rng.randrange(3) for _ in range(
            rng.randrange(4))], rng.random() < 0.08) for _ in range(rng.randrange(5))]
            for _ in range(rng.randint(1, 3))], ts_offset=rng.choice([0, 1 << 40]))
        got = _until_error(records(fake))
        assert got == _until_error(_heap_merge(fake))
        seen.add((got[1] is not None, len(got[0]) > 3))
    assert seen == {(False, False), (False, True), (True, False), (True, True)}


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason="shared corpus absent")
def test_32bit_version6_file():
    path = os.path.join(CORPUS, "thirdparty", "trappy_trace_32bit", "trace.dat")
    with open_tracedat(path) as tdat:
        assert (tdat.version, tdat.long_size, tdat.meta.commit_size) == (6, 4, 4)
        assert tdat.cpus == 8 and len(tdat.meta.events) == 650
        assert sum(1 for _ in records(tdat)) == 525


def test_saved_cmdlines_keep_the_rest_of_the_line():
    assert parse_cmdlines("12 a b\n  7 sh\nbad\n0 <idle>\n\n-1 x") == [
        (12, "a b"), (7, "sh"), (0, "<idle>"), (-1, "x")]


def test_kernel_symbols_follow_libtraceevent():
    syms = KernelSymbols(b"1000 T start\n1000 t alias\n2000 A absolute\n"
                         b"2000 t $a\n3000 T last\n")
    assert syms.lookup(0x1000) == ("start", 0)
    assert syms.lookup(0x2fff) == ("start", 0x1fff)
    assert syms.lookup(0x3000) == ("last", 0)
    assert syms.lookup(0x3001) is None and syms.lookup(0xfff) is None


def test_kernel_symbols_in_the_usual_layout():
    """/proc/kallsyms' own layout is indexed as text: the same rules."""
    text = (b"ffffffff81001000 T start\nffffffff81001000 t alias\n"
            b"ffffffff81002000 A absolute\nffffffff81002000 t $a\n"
            b"ffffffffc0003000 t modfn\t[mod]\nffffffff81000800 T earlier\n")
    syms = KernelSymbols(text)
    assert syms.lookup(0xffffffff81001000) == ("start", 0)
    assert syms.lookup(0xffffffff81002fff) == ("start", 0x1fff)
    assert syms.lookup(0xffffffff81000900) == ("earlier", 0x100)
    assert syms.lookup(0xffffffffc0003000) == ("modfn", 0)
    assert syms.lookup(0xffffffffc0003001) is None and syms.lookup(0x1000) is None
    assert len(syms) == 3


def test_kernel_symbols_any_layout_agree():
    """Random kallsyms texts, usual or not: the lookups of the general reading."""
    from perfscript.tracedat import kallsyms
    rng = random.Random(5)
    for _ in range(3000):
        lines = []
        for _ in range(rng.randrange(10)):
            addr = rng.choice([0x1000 + rng.randrange(6), rng.randrange(1 << 64)])
            digits = "%016x" % addr if rng.random() < 0.9 else "%x" % addr
            lines.append("%s%s%s %s" % (digits, rng.choice([" "] * 6 + ["\t"]),
                                        rng.choice("TtAaWd"),
                                        rng.choice(["f", "g", "$x", "h\t[m]", "\u00e9"])))
        text = ("\n".join(lines) + rng.choice(["\n", "", "\r\n"])).encode()
        usual = KernelSymbols(text)
        general = KernelSymbols(b"")
        general._keys, general._lines = kallsyms._any_layout(text)
        probes = [int(key, 16) + d for key in general._keys for d in (-1, 0, 1)]
        assert [usual.lookup(a) for a in probes] == [general.lookup(a) for a in probes]
        assert len(usual) == len(general)


def test_not_a_tracedat_file(tmp_path):
    for blob, what in [(b"", "empty"), (b"PERFILE2" + bytes(100), "bad magic"),
                       (b"\x17\x08\x44tracing9\0" + bytes(20), "version 9"),
                       (b"\x17\x08\x44tracing6\0\0\x03" + bytes(8), "long size 3")]:
        path = tmp_path / "x.dat"
        path.write_bytes(blob)
        with pytest.raises(TraceDatError) as info:
            open_tracedat(str(path))
        assert what in str(info.value) and str(path) in str(info.value)


def _read_everything(path):
    try:
        with open_tracedat(path) as tdat:
            for _ in records(tdat):
                pass
    except PerfDataError as exc:
        assert isinstance(exc, TraceDatError)
        assert exc.path == path and exc.offset is not None, str(exc)
        return str(exc)
    return None


@pytest.mark.parametrize("name", FILES)
def test_every_truncation_is_a_located_error(name, tmp_path):
    with open(_path(name), "rb") as f:
        data = f.read()
    path = str(tmp_path / "cut.dat")
    cuts = sorted(set(range(1, len(data), max(1, len(data) // 150))) | {len(data) - 1})
    errors = 0
    for cut in cuts:
        with open(path, "wb") as f:
            f.write(data[:cut])
        errors += _read_everything(path) is not None
    assert errors >= len(cuts) * 3 // 4


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(FILES), where=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=4),
       blob=st.binary(min_size=1, max_size=8))
def test_overwritten_bytes_never_escape(name, where, blob, tmp_path):
    with open(_path(name), "rb") as f:
        data = bytearray(f.read())
    for w in where:
        at = int(w * (len(data) - 1))
        data[at:at + len(blob)] = blob
    path = str(tmp_path / "bad.dat")
    with open(path, "wb") as f:
        f.write(data)
    _read_everything(path)
