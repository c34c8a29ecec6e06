"""The `syscalls` derived table against what perf (and trace-cmd) printed for the same
recordings: `perf trace -s`'s per-thread summary, the shipped syscall-counts-by-pid and
failed-syscalls-by-pid scripts, perf script's and trace-cmd report's lines; and the
worked examples of docs/derived/syscalls.md. The recordings and perf's texts are in
tests/data/recordings/derived_syscalls/ (README.md there says how they were made)."""

import errno
import functools
import math
import os
import re

import pytest

pa = pytest.importorskip("pyarrow")

import perfscript  # noqa: E402
from conftest import RECORDINGS  # noqa: E402
from perfscript.frames.derived import NotRecorded  # noqa: E402
from perfscript.frames.derived.syscalls import (  # noqa: E402
    AVAILABLE, KERNEL_ERRNO, syscalls)

HERE = os.path.join(RECORDINGS, "derived_syscalls")
EXPECTED = os.path.join(RECORDINGS, "expected")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "derived", "syscalls.md")

COLUMNS = [
    ("tid", pa.int32()), ("pid", pa.int32()),
    ("comm", pa.dictionary(pa.int32(), pa.string())), ("cpu", pa.int32()),
    ("id", pa.int64()), ("name", pa.dictionary(pa.int32(), pa.string())),
    ("start_time", pa.int64()), ("end_time", pa.int64()), ("duration", pa.int64()),
    ("ret", pa.int64()), ("errno", pa.dictionary(pa.int32(), pa.string())),
    ("args", pa.list_(pa.uint64(), 6)),
]
# perf trace names calls from the kernel's table, libaudit (and so the table) otherwise
PERF_TRACE_NAMES = {"pread64": "pread", "pwrite64": "pwrite"}


def _path(name):
    return os.path.join(HERE, name)


def _text(name):
    with open(name if os.path.isabs(name) else _path(name)) as f:
        return f.read()


@functools.lru_cache(maxsize=None)
def _rows(path):
    """The table of a recording, as a list of row dicts (and the raw event counts)."""
    with perfscript.open(path) as trace:
        table = syscalls(trace)
        counts = trace.counts()
    return table, table.to_pylist(), counts


def _calls(name):
    return _rows(_path(name))[1]


def _errno_number(name):
    kernel = {text: number for number, text in KERNEL_ERRNO.items()}
    return kernel[name] if name in kernel else getattr(errno, name)


# ------------------------------------------------------------------ perf trace -s

def _parse_trace_s(text):
    """({tid: (events, percent)}, {(tid, name): (calls, errors, total, min, avg, max,
    stddev)}) of perf trace -s's summary, numbers as printed."""
    threads, stats, tid = {}, {}, None
    for line in text.splitlines():
        m = re.match(r"^ (.*) \((\d+)\), (\d+) events, ([\d.]+)%$", line)
        if m:
            tid = int(m.group(2))
            threads[tid] = (int(m.group(3)), m.group(4))
            continue
        m = re.match(r"^   (\S+) +(\d+) +(\d+) +([\d.]+) +([\d.]+) +([\d.]+) +([\d.]+) +"
                     r"([\d.]+)%$", line)
        if m:
            name = PERF_TRACE_NAMES.get(m.group(1), m.group(1))
            stats[(tid, name)] = (int(m.group(2)), int(m.group(3))) + m.groups()[3:]
    return threads, stats


def _perf_trace_stats(calls):
    """perf trace -s's numbers from the table's rows, computed as perf computes them
    (running mean and M2 in call order, msec with 3 decimals, stddev of the mean in %)."""
    groups = {}
    for c in calls:
        if c["end_time"] is not None and c["name"] is not None:
            groups.setdefault((c["tid"], c["name"]), []).append(c)
    out = {}
    for key, group in groups.items():
        n = mean = m2 = 0
        for c in group:
            v = c["duration"] or 0
            n += 1
            delta = v - mean
            mean += delta / n
            m2 += delta * (v - mean)
        durations = [c["duration"] or 0 for c in group]
        pct = 100.0 * math.sqrt(m2 / (n - 1) / n) / mean if n > 1 and mean else 0.0
        out[key] = (n, sum(c["ret"] < 0 for c in group), "%.3f" % (n * (mean / 1e6)),
                    "%.3f" % (min(durations) / 1e6), "%.3f" % (mean / 1e6),
                    "%.3f" % (max(durations) / 1e6), "%.2f" % pct)
    return out


def _leader_execve_gap(calls):
    """edge.data's leader: (its execve exit (no enter of its own) - its read's enter
    that the exec cut short), the duration perf trace gives that execve."""
    read = next(c for c in calls if c["errno"] == "ERESTARTSYS")
    execve = next(c for c in calls if c["name"] == "execve" and c["tid"] == read["tid"]
                  and c["start_time"] is None and c["end_time"] > read["start_time"])
    return read["tid"], execve["end_time"] - read["start_time"]


def _data(rec):
    """The recording `rec`: this directory's, or syscalls.data and zstd.data of the one
    above (perf record -e raw_syscalls..., perf's texts for them saved here)."""
    here = _path(rec + ".data")
    return here if os.path.exists(here) else os.path.join(RECORDINGS, rec + ".data")


TRACE_S = ["shell", "edge", "syscalls", "zstd"]


@pytest.mark.parametrize("rec", TRACE_S)
def test_perf_trace_summary(rec):
    _, want = _parse_trace_s(_text(rec + ".trace-s.txt"))
    calls = _rows(_data(rec))[1]
    got = _perf_trace_stats(calls)
    assert want, "perf trace -s printed no summary"
    if rec == "edge":
        # perf keeps the leader's read enter time and pairs the execve exit that the
        # exec from another thread brings to the leader with it; the table does not
        leader, gap = _leader_execve_gap(calls)
        key = (leader, "execve")
        perf = want.pop(key)        # calls, errors, total, min, avg, max, stddev
        assert (perf[:2], perf[3], perf[5]) == ((2, 0), "0.000", "%.3f" % (gap / 1e6))
        assert got.pop(key)[:2] == (2, 0)
    assert got == want


@pytest.mark.parametrize("rec", TRACE_S)
def test_perf_trace_events_per_thread(rec):
    """perf trace -s's "N events, P%": the enters and exits of known syscalls of the
    thread, out of every raw_syscalls sample."""
    threads, _ = _parse_trace_s(_text(rec + ".trace-s.txt"))
    _, calls, counts = _rows(_data(rec))
    total = counts["raw_syscalls:sys_enter"] + counts["raw_syscalls:sys_exit"]
    got = {}
    for c in calls:
        if c["name"] is not None:
            n = (c["start_time"] is not None) + (c["end_time"] is not None)
            got[c["tid"]] = got.get(c["tid"], 0) + n
    assert {tid: (n, "%.1f" % (100.0 * n / total)) for tid, n in got.items()} == threads


def test_perf_trace_ignores_per_syscall_tracepoints():
    threads, stats = _parse_trace_s(_text("tracepoints.trace-s.txt"))
    assert "Summary of events:" in _text("tracepoints.trace-s.txt")
    assert threads == {} and stats == {}
    assert len(_calls("tracepoints.data")) > 0


# ------------------------------------------------------------------ perf's scripts

def _parse_by_pid(text, failed):
    """{(comm, tid, syscall, ret or None): count} of syscall-counts-by-pid's or
    failed-syscalls-by-pid's output (ret: the errno name or `Unknown N errno` read back
    as -N)."""
    out, who, syscall = {}, None, None
    for line in text.splitlines():
        m = re.match(r"^(.*) \[(\d+)\]$", line)
        if m:
            who = (m.group(1), int(m.group(2)))
            continue
        if failed:
            m = re.match(r"^  syscall: (\S+) *$", line)
            if m:
                syscall = m.group(1)
                continue
            m = re.match(r"^    err = (.+?) +(\d+)$", line)
            if m:
                err = m.group(1)
                u = re.match(r"Unknown (-\d+) errno", err)
                ret = int(u.group(1)) if u else -_errno_number(err)
                out[who + (syscall, ret)] = int(m.group(2))
        else:
            m = re.match(r"^  (\S+) +(\d+)$", line)
            if m:
                out[who + (m.group(1), None)] = int(m.group(2))
    return out


BY_PID = [
    (_path("shell.data"), _path("shell.syscall-counts-by-pid.txt"),
     _path("shell.failed-syscalls-by-pid.txt")),
    (_path("edge.data"), _path("edge.syscall-counts-by-pid.txt"),
     _path("edge.failed-syscalls-by-pid.txt")),
    (os.path.join(RECORDINGS, "syscalls.data"),
     os.path.join(EXPECTED, "syscalls.syscall-counts-by-pid.out"),
     os.path.join(EXPECTED, "syscalls.failed-syscalls-by-pid.out")),
    (os.path.join(RECORDINGS, "zstd.data"),
     os.path.join(EXPECTED, "zstd.syscall-counts-by-pid.out"),
     os.path.join(EXPECTED, "zstd.failed-syscalls-by-pid.out")),
]
BY_PID_IDS = ["shell", "edge", "syscalls", "zstd"]


@pytest.mark.parametrize("data,counts,_", BY_PID, ids=BY_PID_IDS)
def test_syscall_counts_by_pid(data, counts, _):
    """The script counts sys_enter events by (comm, pid, id): the rows with a start."""
    want = _parse_by_pid(_text(counts), failed=False)
    got = {}
    for c in _rows(data)[1]:
        if c["start_time"] is not None:
            key = (c["comm"], c["tid"], c["name"] or str(c["id"]), None)
            got[key] = got.get(key, 0) + 1
    assert want and got == want


@pytest.mark.parametrize("data,_,failed", BY_PID, ids=BY_PID_IDS)
def test_failed_syscalls_by_pid(data, _, failed):
    """The script counts sys_exit events with ret < 0 by (comm, pid, id, ret): the rows
    with an errno, but for rt_sigreturn's exit (id -1, syscall None), which the table
    leaves out (its rt_sigreturn row has no end)."""
    want = _parse_by_pid(_text(failed), failed=True)
    calls = _rows(data)[1]
    for key in [k for k in want if k[2] == "None"]:
        comm, tid, _, ret = key
        assert ret == -4 and want.pop(key) == sum(
            c["name"] == "rt_sigreturn" and c["tid"] == tid for c in calls)
    got = {}
    for c in calls:
        if c["errno"] is not None:
            key = (c["comm"], c["tid"], c["name"], c["ret"])
            got[key] = got.get(key, 0) + 1
    assert want and got == want


# ------------------------------------------------------------------ the calls themselves

def test_calls_that_do_not_simply_return():
    calls = _calls("edge.data")
    leader = calls[0]["tid"]
    # the workload's first event: the return of the execve perf record ran it with
    assert calls[0]["name"] == "execve" and calls[0]["start_time"] is None
    assert calls[0]["ret"] == 0 and calls[0]["duration"] is None
    by = {}
    for c in calls:
        by.setdefault(c["name"], []).append(c)
    # rt_sigreturn's exit (id -1) is left out: no end, no ret
    (sigreturn,) = by["rt_sigreturn"]
    assert sigreturn["end_time"] is None and sigreturn["ret"] is None
    # exit_group (twice: edge's child and true), and the worker's exit, never return
    assert len(by["exit_group"]) == 2 and len(by["exit"]) == 1
    assert all(c["end_time"] is None and c["duration"] is None and c["ret"] is None
               and c["errno"] is None for c in by["exit_group"] + by["exit"])
    # the child stopped and continued in its sleep: ERESTART_RESTARTBLOCK, then the
    # rest of the sleep as restart_syscall
    (restart,) = by["restart_syscall"]
    child = [c for c in calls if c["tid"] == restart["tid"]]
    i = child.index(restart)
    assert child[i - 1]["name"] == "clock_nanosleep"
    assert (child[i - 1]["ret"], child[i - 1]["errno"]) == (-516, "ERESTART_RESTARTBLOCK")
    assert restart["ret"] == 0 and restart["duration"] > 0
    # the child's and the threads' first events: their return from clone/clone3
    for tid in {c["tid"] for c in calls} - {leader}:
        first = next(c for c in calls if c["tid"] == tid)
        assert first["name"] in ("clone", "clone3") and first["start_time"] is None
        assert first["ret"] == 0
    # the alarm cut the leader's sleep short (a handler ran: the caller sees EINTR)
    assert [c["errno"] for c in by["clock_nanosleep"] if c["tid"] == leader][0] == \
        "ERESTART_RESTARTBLOCK"
    # execve from a thread that is not the leader: the enter on that thread, the exit
    # (with the new comm) on the leader, whose read the exec killed
    execs = [c for c in by["execve"] if c is not calls[0]]
    (enter,) = [c for c in execs if c["tid"] != leader]
    (exit_,) = [c for c in execs if c["tid"] == leader]
    assert enter["pid"] == leader and enter["end_time"] is None and enter["ret"] is None
    assert exit_["start_time"] is None and exit_["ret"] == 0 and exit_["comm"] == "true"
    (read,) = [c for c in by["read"] if c["errno"] is not None]
    assert (read["tid"], read["ret"], read["errno"]) == (leader, -512, "ERESTARTSYS")
    assert read["end_time"] < exit_["end_time"]
    # after the exec the leader's calls have the new comm
    assert {c["comm"] for c in calls if c["end_time"] and c["start_time"]
            and c["start_time"] > exit_["end_time"]} == {"true"}
    # threads have the leader's pid; the forked child its own
    assert {c["tid"]: c["pid"] for c in calls}[restart["tid"]] == restart["tid"]
    assert {c["pid"] for c in calls} == {leader, restart["tid"]}


def test_columns_and_row_order():
    table = _rows(_path("shell.data"))[0]
    assert [(f.name, f.type) for f in table.schema] == COLUMNS
    calls = table.to_pylist()
    first = [c["start_time"] if c["start_time"] is not None else c["end_time"]
             for c in calls]
    assert first == sorted(first)
    for c in calls:
        if c["start_time"] is not None and c["end_time"] is not None:
            assert c["duration"] == c["end_time"] - c["start_time"] >= 0
        assert (c["args"] is None) == (c["start_time"] is None)
        assert c["errno"] is None or -4095 <= c["ret"] <= -1
    assert {c["errno"] for c in calls} == {None, "ENOENT", "ECHILD", "ENOTTY"}
    assert all(c["pid"] is not None and c["cpu"] is not None for c in calls)


def _hex_signed(text):
    v = int(text, 16)
    return v - (1 << 64) if v >= 1 << 63 else v


def _pair_lines(events):
    """Pair (tid, kind, syscall, time, ret, comm) events one thread at a time, as the
    table is documented to: an exit with the enter just before it of the same call.
    Gives sorted (tid, syscall, start, end, ret) tuples."""
    last, out = {}, []
    for tid, kind, nr, time, ret, _ in events:
        prev = last.get(tid)
        if kind == "enter":
            if prev is not None and prev[0] == "enter":
                out.append((tid, prev[1], prev[2], None, None))
            last[tid] = ("enter", nr, time)
        else:
            if prev is not None and prev[0] == "enter" and prev[1] == nr:
                out.append((tid, nr, prev[2], time, ret))
            else:
                out.append((tid, nr, None, time, ret))
            last[tid] = ("exit", nr, time)
    out += [(tid, p[1], p[2], None, None) for tid, p in last.items() if p[0] == "enter"]
    return sorted(out, key=repr)


def test_per_syscall_tracepoints_against_perf_script():
    """Made from syscalls:sys_enter_<name>/sys_exit_<name>: the calls perf script
    printed, paired; no args."""
    events = []
    for line in _text("tracepoints.script.txt").splitlines():
        m = re.match(r"^\s*(.*?)\s+(\d+)\s+\[\d+\]\s+(\d+)\.(\d{9}):\s+"
                     r"syscalls:sys_(enter|exit)_(\w+): ?(.*)$", line)
        assert m, line
        comm, tid, sec, nsec, kind, name, rest = m.groups()
        ret = _hex_signed(rest) if kind == "exit" else None
        events.append((int(tid), kind, name, int(sec) * 10**9 + int(nsec), ret, comm))
    want = _pair_lines(events)
    calls = _calls("tracepoints.data")
    got = sorted(((c["tid"], c["name"], c["start_time"], c["end_time"], c["ret"])
                  for c in calls), key=repr)
    assert got == want
    assert all(c["args"] is None for c in calls)
    names = {c["name"] for c in calls}
    assert names == {"openat", "read", "execve", "exit_group"}
    assert any(c["errno"] == "ENOENT" for c in calls)


def test_raw_syscalls_win_over_per_syscall_events():
    """mixed.data has both kinds: the table is the raw_syscalls calls alone (each call
    once, with its args)."""
    text = _text("mixed.script.txt")
    enters = len(re.findall(r"raw_syscalls:sys_enter:", text))
    openat = len(re.findall(r"syscalls:sys_enter_openat:", text))
    calls = _calls("mixed.data")
    started = [c for c in calls if c["start_time"] is not None]
    assert len(started) == enters
    assert all(c["args"] is not None for c in started)
    assert sum(c["name"] == "openat" for c in started) == openat > 0


def test_tracedat_against_trace_cmd_report():
    """raw.dat (trace-cmd): the calls trace-cmd report printed, paired; pid null."""
    events = []
    for line in _text("raw.report.txt").splitlines()[1:]:       # after "cpus=2"
        m = re.match(r"^\s*(.*)-(\d+)\s+\[\d+\]\s+(\d+)\.(\d{9}): (sys_enter|sys_exit):"
                     r"\s+NR (-?\d+) (.*)$", line)
        assert m, line
        comm, tid, sec, nsec, kind, nr, rest = m.groups()
        if kind == "sys_exit" and nr == "-1":
            continue        # no syscall's return (documented)
        ret = int(rest.split("= ")[1]) if kind == "sys_exit" else None
        events.append((int(tid), kind[4:], int(nr), int(sec) * 10**9 + int(nsec), ret,
                       comm))
    want = _pair_lines(events)
    calls = _calls("raw.dat")
    got = sorted(((c["tid"], c["id"], c["start_time"], c["end_time"], c["ret"])
                  for c in calls), key=repr)
    assert got == want
    assert all(c["pid"] is None for c in calls)
    assert {c["comm"] for c in calls} == {e[5] for e in events}
    assert {"ENOENT"} <= {c["errno"] for c in calls}
    assert all(c["name"] is not None for c in calls)


class _MadeUp:
    """raw_syscalls tables made up here, for what no recording of this directory shows:
    `enters` and `exits` are (sample_seq, tid, id) of the events, in order."""

    event_names = ["raw_syscalls:sys_enter", "raw_syscalls:sys_exit"]
    header = {"arch": "x86_64"}

    def __init__(self, enters, exits):
        self.events = {"raw_syscalls:sys_enter": enters, "raw_syscalls:sys_exit": exits}

    def table(self, name):
        events = self.events[name]
        n = len(events)
        cols = {"sample_seq": pa.array([e[0] for e in events], pa.int64()),
                "sample_time": pa.array([100 + 10 * e[0] for e in events], pa.int64()),
                "sample_cpu": pa.array([0] * n, pa.int32()),
                "sample_pid": pa.array([e[1] for e in events], pa.int32()),
                "sample_tid": pa.array([e[1] for e in events], pa.int32()),
                "sample_comm": pa.DictionaryArray.from_arrays(pa.array([0] * n, pa.int32()),
                                                              ["t"]),
                "id": pa.array([e[2] for e in events], pa.int64())}
        if name.endswith("enter"):
            cols["args"] = pa.array([[e[0]] * 6 for e in events], pa.list_(pa.uint64(), 6))
        else:
            cols["ret"] = pa.array([-e[0] for e in events], pa.int64())
        return pa.table(cols)


def test_exits_pair_only_with_an_enter_of_their_syscall():
    """Thread 7's read enter, then the exit of a write (the read's exit and the write's
    enter were lost, as perf's LOST records would say), then a whole close."""
    calls = syscalls(_MadeUp([(0, 7, 0), (2, 7, 3)], [(1, 7, 1), (3, 7, 3)])).to_pylist()
    assert [(c["name"], c["start_time"], c["end_time"], c["ret"]) for c in calls] == [
        ("read", 100, None, None), ("write", None, 110, -1), ("close", 120, 130, -3)]
    assert [c["args"] for c in calls] == [[0] * 6, None, [2] * 6]
    assert [c["errno"] for c in calls] == [None, "EPERM", "ESRCH"]


def test_exits_without_any_enter():
    calls = syscalls(_MadeUp([], [(1, 7, 1), (2, 8, 0)])).to_pylist()
    assert [(c["tid"], c["name"], c["start_time"], c["end_time"], c["args"])
            for c in calls] == [(7, "write", None, 110, None), (8, "read", None, 120, None)]


# ------------------------------------------------------------------ availability

@pytest.mark.parametrize("data", ["sched.data", "pipe.data"])
def test_not_recorded(data):
    """sched.data has no syscall events, pipe.data only raw_syscalls:sys_enter."""
    with perfscript.open(os.path.join(RECORDINGS, data)) as trace:
        assert not AVAILABLE["syscalls"](trace)
        with pytest.raises(NotRecorded, match="perf trace record"):
            syscalls(trace)


def test_events_without_samples_give_an_empty_table():
    with perfscript.open(_path("empty.data")) as trace:
        assert AVAILABLE["syscalls"](trace)
        assert sum(trace.counts().values()) == 0
        table = syscalls(trace)
    assert table.num_rows == 0
    assert [(f.name, f.type) for f in table.schema] == COLUMNS


class _UnknownArch:
    """A recording whose header does not say the architecture."""

    def __init__(self, trace):
        self.trace = trace
        self.event_names = trace.event_names
        self.table = trace.table
        self.header = dict(trace.header, arch=None)


def test_names_need_the_architecture():
    with perfscript.open(_path("edge.data")) as trace:
        table = syscalls(_UnknownArch(trace))
        known = syscalls(trace)
    assert table.column("name").null_count == table.num_rows
    assert table.drop_columns(["name"]).equals(known.drop_columns(["name"]))


# ------------------------------------------------------------------ the documentation

def _doc_blocks(lang):
    with open(DOC) as f:
        return [b for kind, b in re.findall(r"```(\w*)\n(.*?)```", f.read(), re.S)
                if kind == lang]


def _close(printed, value):
    """`value` rounds to `printed` (perf's %.3f / %.2f), up to float error."""
    places = len(printed.split(".")[1])
    return abs(value - float(printed)) <= 0.5 * 10 ** -places + 1e-9


def _assert_summary_matches(rows, rec):
    """rows: (tid, name, calls, errors, total, min, avg, max, stddev) from the doc's
    examples, against perf trace -s (edge's documented difference left out)."""
    _, want = _parse_trace_s(_text(rec + ".trace-s.txt"))
    if rec == "edge":
        key = (_leader_execve_gap(_calls("edge.data"))[0], "execve")
        want.pop(key)
        rows = [r for r in rows if (r[0], r[1]) != key]
    assert len(rows) == len(want)
    for tid, name, calls, errors, *msec in rows:
        perf = want[(tid, name)]
        assert (calls, errors) == perf[:2], (tid, name)
        assert all(_close(p, v) for p, v in zip(perf[2:], msec)), (tid, name, msec, perf)


def test_doc_pandas_example(monkeypatch):
    pytest.importorskip("pandas")
    (_, example) = _doc_blocks("python")
    monkeypatch.chdir(ROOT)
    scope = {}
    exec(compile(example, DOC, "exec"), scope)
    summary = scope["summary"]
    rows = [(tid, name) + tuple(r) for (tid, name), r in
            zip(summary.index, summary[["calls", "errors", "total", "min", "avg", "max",
                                        "stddev"]].itertuples(index=False))]
    _assert_summary_matches(rows, "shell")


@pytest.mark.parametrize("rec", ["shell", "edge"])
def test_doc_sql_examples(rec):
    duckdb = pytest.importorskip("duckdb")
    summary_sql, failed_sql = _doc_blocks("sql")
    con = duckdb.connect()
    con.register("syscalls", _rows(_path(rec + ".data"))[0])
    _assert_summary_matches(con.sql(summary_sql).fetchall(), rec)
    want = _parse_by_pid(_text(rec + ".failed-syscalls-by-pid.txt"), failed=True)
    want = {k: v for k, v in want.items() if k[2] != "None"}
    got = {}
    for comm, tid, name, err, count in con.sql(failed_sql).fetchall():
        got[(comm, tid, name, -_errno_number(err))] = count
    assert got == want
