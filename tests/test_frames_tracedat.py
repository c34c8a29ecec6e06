"""ps_open() on trace-cmd's trace.dat: the tables hold what `trace-cmd report`
prints, record for record.

The references are trace-cmd 3.1.6's reports of tests/data/tracedat (see its README)
and of the shared corpus' three trace.dat files (skipped without the corpus): every
report line is one table row (in `seq` order) with the same comm, pid, cpu, event and
time, and the sched_switch / sched_wakeup / print / signal bodies show the fields'
values. The array walk under it (tracedat.arrays) must give exactly the records
tracedat.records() gives, on good and damaged files.
"""

import collections
import heapq
import json
import os
import random
import re

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pytest.importorskip("duckdb")

from perfscript import open as ps_open  # noqa: E402
from conftest import CORPUS  # noqa: E402
from perfscript.output.tracecmd_report import Report  # noqa: E402
from perfscript.tracedat import TraceDatError, open_tracedat, records  # noqa: E402
from perfscript.tracedat.arrays import merge_order, record_arrays  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), "data", "tracedat")
OWN = [(os.path.join(DATA, n + ".dat"), os.path.join(DATA, n + ".report.txt"))
       for n in ("v7-zstd", "v7-none", "v6", "plugins")]
CORPUS_FILES = [(os.path.join(CORPUS, c, "trace.dat"), os.path.join(CORPUS, c, "ref",
                                                                    "report.txt"))
                for c in ("cases/tracecmd_sched", "thirdparty/trappy_raw_trace",
                          "thirdparty/trappy_trace_32bit")]
FILES = OWN + [pytest.param(*c, marks=pytest.mark.skipif(
    not os.path.exists(c[0]), reason="no corpus")) for c in CORPUS_FILES]
# "%16s-%-5d [%03d] %5d.%06d: name: body"; other lines (dropped events, the rest of
# a body with newlines) do not match
PRINTS = ["hello from the workload", "bye"]
LINE = re.compile(r"^\s*(.*?)-(-?\d+)\s*\[(\d{3})\]\s+(\d+(?:\.\d{6})?): (\S+):\s*(.*)$")


def report_lines(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return [m.groups() for m in map(LINE.match, f.read().splitlines()) if m]


def _usecs(ns):
    us = (ns + 500) // 1000
    return "%d.%06d" % divmod(us, 1000000)


def rows_in_order(t):
    """(seq, comm, tid, cpu, time, event, row dict) of every table row, by seq."""
    out = []
    for name in t.event_names:
        for row in t.table(name).to_pylist():
            out.append((row["sample_seq"], row["sample_comm"], row["sample_tid"],
                        row["sample_cpu"], row["sample_time"],
                        name.split(":", 1)[1], row))
    out.sort(key=lambda r: r[0])
    return out


@pytest.mark.parametrize("dat, report", FILES)
def test_rows_are_the_report_lines(dat, report):
    want = report_lines(report)
    with ps_open(dat) as t:
        rows = rows_in_order(t)
        counts = t.counts()
        assert [r[0] for r in rows] == list(range(len(rows)))
        got = [(c, str(tid), "%03d" % cpu, _usecs(tm), ev) for _, c, tid, cpu, tm, ev, _
               in rows]
        assert got == [w[:5] for w in want]
        per_event = collections.Counter(w[4] for w in want)
        assert {n.split(":", 1)[1]: k for n, k in counts.items()} == per_event
        assert sum(counts.values()) == len(want) and t.warnings == []
        for (*_, ev, row), w in zip(rows, want):
            assert row["sample_pid"] == -1
            assert row["sample_period"] == 1
            assert row["common_pid"] == int(w[1])
            _check_body(ev, row, w[5])


def _check_body(ev, row, body):
    """The fields' values as the report's body shows them."""
    if ev == "sched_switch":
        m = re.match(r"(.*):(-?\d+) \[(-?\d+)\] (\S+) ==> (.*):(-?\d+) \[(-?\d+)\]$", body)
        assert m, body
        assert (row["prev_comm"], row["prev_pid"], row["prev_prio"], row["next_comm"],
                row["next_pid"], row["next_prio"]) == (
            m[1], int(m[2]), int(m[3]), m[5], int(m[6]), int(m[7]))
    elif ev in ("sched_wakeup", "sched_wakeup_new"):
        m = re.match(r"(.*):(-?\d+) \[(-?\d+)\]( success=1)? CPU:(\d+)$", body)
        assert m, body
        assert (row["comm"], row["pid"], row["prio"], row["target_cpu"]) == (
            m[1], int(m[2]), int(m[3]), int(m[5]))
    elif ev == "print":
        assert body.endswith(": " + row["buf"].rstrip("\n"))
    elif ev == "signal_generate":
        assert ("sig=%d errno=%d code=%d comm=%s pid=%d" % (
            row["sig"], row["errno"], row["code"], row["comm"], row["pid"])) in body
    elif ev == "sched_process_exec":
        assert body == "filename=%s pid=%d old_pid=%d" % (
            row["filename"], row["pid"], row["old_pid"])


def test_layouts_give_equal_tables():
    tables = []
    for dat, _ in OWN[:3]:
        with ps_open(dat) as t:
            tables.append({n: t.table(n).to_pylist() for n in t.event_names})
    assert tables[0] == tables[1] == tables[2]
    assert len(tables[0]["sched:sched_switch"]) == 25


def test_types_text_columns_and_header():
    with ps_open(OWN[2][0]) as t:
        sw = t.table("sched:sched_switch")
        types = {f.name: str(f.type) for f in sw.schema}
        assert types["prev_pid"] == "int32" and types["prev_state"] == "int64"
        assert types["common_type"] == "uint16" and types["sample_time"] == "int64"
        assert types["prev_comm"].startswith("dictionary<values=string")
        # flags text from the print_fmt, as for perf.data
        assert set(sw["prev_state_str"].to_pylist()) >= {"S", "D", "R"}
        assert [c for c in sw.column_names[:8]] == [
            "sample_seq", "sample_time", "sample_timestamp", "sample_cpu", "sample_pid",
            "sample_tid", "sample_comm", "sample_period"]
        h = t.header
        assert (h["format"], h["file_version"], h["cpus"], h["page_size"], h["long_size"]) \
            == ("trace.dat", 6, 2, 4096, 8)
        assert (h["hostname"], h["arch"], h["clock"], h["time_unit"]) == (
            "vm", "x86_64", "local", "ns")
        assert h["events"] == t.event_names and h["events"][0] == "ftrace:print"
        assert h["first_time"] == 4480879080840
        assert h["last_time"] == max(max(t.table(n)["sample_time"].to_pylist())
                                     for n in t.event_names)
        assert t.view_names()["sched__sched_switch"] == "sched:sched_switch"


def test_sql_and_pandas():
    with ps_open(OWN[0][0]) as t:
        got = t.sql("SELECT next_comm, count(*) FROM sched__sched_switch GROUP BY 1 "
                    "ORDER BY 2 DESC, 1").fetchall()
        want = collections.Counter(t.table("sched:sched_switch")["next_comm"].to_pylist())
        assert got == sorted(want.items(), key=lambda kv: (-kv[1], kv[0]))
        df = t.to_pandas("ftrace:print")
        assert [b.rstrip("\n") for b in df["buf"]] == PRINTS


def test_cli_export_and_sql(perfscript, tmp_path):
    dat = OWN[0][0]
    p = perfscript(["export", "-i", dat, "-o", tmp_path / "out"])
    assert p.returncode == 0, p.stderr
    meta = json.loads((tmp_path / "out" / "header.json").read_text())
    assert meta["header"]["format"] == "trace.dat"
    import pyarrow.parquet as pq
    with ps_open(dat) as t:
        assert set(meta["events"]) == set(t.event_names)
        for name, info in meta["events"].items():
            tb = pq.read_table(tmp_path / "out" / info["file"])
            assert info["rows"] == t.counts()[name] == tb.num_rows
            assert tb.to_pylist() == t.table(name).to_pylist()
    p = perfscript(["sql", "-i", dat, "--csv", "SELECT count(*) AS n, min(sample_seq) AS s "
                    "FROM sched__sched_process_exec"])
    assert p.returncode == 0 and p.stdout == b"n,s\n3,0\n", p.stderr


def test_bad_file_is_one_line(perfscript, tmp_path):
    with open(OWN[2][0], "rb") as f:
        data = f.read()
    bad = tmp_path / "cut.dat"
    bad.write_bytes(data[:41000])
    p = perfscript(["sql", "-i", bad, "SELECT 1"])
    assert p.returncode == 1 and p.stdout == b""
    lines = p.stderr.decode().splitlines()
    assert len(lines) == 1 and "cut.dat" in lines[0], lines


def test_comms_learnt_from_sched_events():
    """Without a saved cmdline, a pid's comm is the first one sched_switch/sched_wakeup
    named before the record, as perfscript report (= trace-cmd report) prints it."""
    drop = {17879, 17880, 17881, 15}
    with ps_open(OWN[2][0]) as t:
        t.tdat.meta.cmdlines = [c for c in t.tdat.meta.cmdlines if c[0] not in drop]
        got = [(c, tid) for _, c, tid, *_ in rows_in_order(t)]
        text = b"".join(Report(t.tdat).lines()).decode()
    want = [(m[0], int(m[1])) for m in report_lines_text(text)]
    assert got == want
    assert ("<...>", 17879) in got and ("sh", 17879) in got and ("true", 17880) not in got


def report_lines_text(text):
    return [m.groups() for m in map(LINE.match, text.splitlines()) if m]


@pytest.mark.parametrize("dat, report", FILES)
def test_array_walk_equals_records(dat, report):
    with open_tracedat(dat) as tdat:
        want = [(r.ts, r.cpu, bytes(r.data), r.missed) for r in records(tdat)]
        a = record_arrays(tdat)
        got = [(int(t), int(c), a.blob[s:s + n].tobytes(), int(m))
               for t, c, s, n, m in zip(a.ts, a.cpu, a.start, a.size, a.missed)]
    assert got == want and len(got) > 0


def _outcome(path, walk):
    try:
        with open_tracedat(path) as tdat:
            return walk(tdat)
    except TraceDatError:
        return "error"


@pytest.mark.parametrize("src", [OWN[2][0], OWN[3][0]], ids=["v6", "plugins-zstd"])
def test_array_walk_on_damaged_pages(src, tmp_path):
    """Flipped bytes in the ring-buffer pages (or their compressed chunks): the same
    records, or an error, both ways."""
    with open(src, "rb") as f:
        data = bytearray(f.read())
    with open_tracedat(src) as tdat:
        spans = [(c.offset, c.offset + c.size) for c in tdat.cpu_data if c.size]
    rng = random.Random(7)
    path = tmp_path / "bad.dat"
    errors = 0
    for _ in range(60):
        bad = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            lo, hi = rng.choice(spans)
            bad[rng.randrange(lo, min(hi, lo + 600))] = rng.randrange(256)
        path.write_bytes(bad)
        want = _outcome(path, lambda t: [(r.ts, r.cpu, bytes(r.data), r.missed)
                                         for r in records(t)])
        got = _outcome(path, lambda t: (lambda a: [
            (int(x), int(c), a.blob[s:s + n].tobytes(), int(m))
            for x, c, s, n, m in zip(a.ts, a.cpu, a.start, a.size, a.missed)])(
                record_arrays(t)))
        assert got == want
        errors += got == "error"
    assert 0 < errors < 60


def test_merge_order_is_heap_merge():
    rng = random.Random(3)
    for _ in range(300):
        streams = [np.array([rng.randrange(6) for _ in range(rng.randrange(5))], np.uint64)
                   for _ in range(rng.randrange(1, 4))]
        tagged = [[(int(v), i, k) for k, v in enumerate(s)] for i, s in enumerate(streams)]
        want = [(i, k) for _, i, k in heapq.merge(*tagged)]
        flat = [(i, k) for i, s in enumerate(streams) for k in range(len(s))]
        if not flat:
            continue
        assert [flat[j] for j in merge_order(streams)] == want


def test_a_sched_format_whose_comm_is_not_text(tmp_path):
    """trace-cmd's sched plugins remember comms from sched_switch/wakeup: a damaged
    format whose comm field is numbers is left out of that, not a traceback."""
    import re
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "fuzz"))
    from model import TracingData
    t = TracingData.parse(open(os.path.join(os.path.dirname(__file__), "data", "tracedat",
                                            "v6.dat"), "rb").read())
    for _, fmts in t.systems:
        for j, text in enumerate(fmts):
            # the same length: the file's data offsets stay right
            fmts[j] = re.sub(rb"char (prev_comm|next_comm|comm)\[16\];", rb"int \1[4];  ",
                             text)
    bad = tmp_path / "numbers.dat"
    bad.write_bytes(t.to_bytes())
    with ps_open(str(bad)) as tables:
        counts = tables.counts()
        assert counts.get("sched:sched_switch", 0) > 0, counts
