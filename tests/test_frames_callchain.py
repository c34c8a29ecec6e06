"""Callchain frames (ip, sym, sym_off, dso) against what perf's script API hands
handlers (ref/dump.txt: perf script -s dump.py) on the corpus recordings with chains."""

import os
import re

import pytest

pa = pytest.importorskip("pyarrow")

import perfscript  # noqa: E402
from conftest import SHARED  # noqa: E402

CASES = ["cpu_clock_callchain", "mixed_tp_sw", "compressed_export"]
_MAX_STACK = 127


def dump_chains(path):
    """[(event name, [frame dict])] of every sample that has a callchain key."""
    out = []
    name = chain = frame = None
    in_sym = False
    for line in open(path, errors="surrogateescape"):
        if line.startswith("== #"):
            name, chain = None, None
            m = re.search(r"ev_name=<str>'([^']*)'", line)
            if m:
                name = m.group(1)
            continue
        s = line.rstrip("\n")
        if name is None:
            m = re.match(r"    ev_name=<str>'([^']*)'", s)
            if m:
                name = m.group(1)
                if out and out[-1][0] is None:
                    out[-1] = (name, out[-1][1])
        if s == "    callchain=<list>[":
            chain = []
            out.append((name, chain))
            continue
        if chain is None:
            continue
        if s == "    ]" or s == "    callchain=<list>[]":
            chain = None
            continue
        if re.match(r"      \[\d+\]=<dict>\{", s):
            frame = {"sym": None, "sym_off": None, "dso": None}
            chain.append(frame)
        elif s.startswith("          name=<str>"):
            frame["sym"] = eval_str(s.split("=<str>", 1)[1])
        elif s.startswith("        ip=<int>"):
            frame["ip"] = int(s.split(">", 1)[1])
        elif s.startswith("        sym_off=<int>"):
            frame["sym_off"] = int(s.split(">", 1)[1])
        elif s.startswith("        dso=<str>"):
            frame["dso"] = eval_str(s.split("=<str>", 1)[1])
    return out


def eval_str(text):
    assert text[0] == text[-1] and text[0] in "'\""
    return text[1:-1].replace("\\'", "'")


@pytest.mark.parametrize("case", CASES)
def test_frames_are_what_perf_gives(case):
    data = os.path.join(SHARED, "corpus", "cases", case, "perf.data")
    dump = os.path.join(SHARED, "corpus", "cases", case, "ref", "dump.txt")
    if not os.path.exists(dump):
        pytest.skip("no corpus")
    want = dump_chains(dump)
    by_event = {}
    for name, chain in want:
        by_event.setdefault(name, []).append(chain)
    checked = 0
    with perfscript.open(data) as t:
        for name in t.event_names:
            tb = t.table(name)
            if "sample_callchain" not in tb.column_names:
                continue
            got = tb.sort_by("sample_seq").column("sample_callchain").to_pylist()
            exp = by_event.get(name, [])
            assert len(got) == len(exp), name
            for g, w in zip(got, exp):
                assert g[:_MAX_STACK] == w
                checked += len(w)
    assert checked


def test_frames_without_symbols():
    data = os.path.join(SHARED, "corpus", "cases", "cpu_clock_callchain", "perf.data")
    if not os.path.exists(data):
        pytest.skip("no corpus")
    from perfscript.frames.trace import Trace
    with Trace(data, symbols=False) as t:
        tb = t.table("cpu-clock")
        chains = tb.column("sample_callchain").to_pylist()
        assert any(chains)
        assert all(f["sym"] is None for c in chains for f in c)
    with perfscript.open(data) as t:
        rows = t.sql("SELECT f.dso, count(*) FROM (SELECT unnest(sample_callchain) AS f "
                     "FROM cpu_clock) GROUP BY 1 ORDER BY 2 DESC").fetchall()
        assert rows and rows[0][1] > 0
