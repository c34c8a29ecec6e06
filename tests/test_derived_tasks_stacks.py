"""The derived threads/processes and stacks/frames tables, against perf's own views of
the same recordings: `perf report --tasks` (saved in
tests/data/recordings/derived/perf_tasks) and perf's stackcollapse.py output
(tests/data/recordings/expected)."""

import collections
import glob
import os
import shutil
import subprocess

import pytest

pytest.importorskip("pyarrow")

import perfscript  # noqa: E402
from perfscript.frames.derived import NotRecorded  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RECORDINGS = os.path.join(HERE, "data", "recordings")
DERIVED = os.path.join(RECORDINGS, "derived")
PERF_TASKS = sorted(glob.glob(os.path.join(DERIVED, "perf_tasks", "*.txt")))


def perf_tasks(text):
    """{(pid, tid, ppid, comm)} of `perf report --tasks` lines (`|` and the tree's
    indentation before the comm)."""
    rows = set()
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        head, _, comm = line.partition("|")
        pid, tid, ppid = map(int, head.split())
        rows.add((pid, tid, ppid, comm.strip()))
    return rows


def our_tasks(path):
    with perfscript.open(path) as t:
        th = t.derived("threads").to_pylist()
    return {(r["pid"], r["tid"], r["ppid"], r["comm"]) for r in th if not r["replaced"]}


def recording_of(txt):
    name = os.path.basename(txt)[:-4]
    for cand in (name, name.replace("_", "/", 1)):
        for base in (RECORDINGS, os.path.dirname(DERIVED)):
            p = os.path.join(base, cand + ".data")
            if os.path.exists(p):
                return p
    if name == "derived_tasks":
        return os.path.join(DERIVED, "tasks.data")
    raise AssertionError("no recording for %s" % txt)


@pytest.mark.parametrize("txt", PERF_TASKS, ids=os.path.basename)
def test_threads_are_perf_report_tasks(txt):
    with open(txt) as f:
        expected = perf_tasks(f.read())
    assert len(expected) >= 1
    assert our_tasks(recording_of(txt)) == expected


def test_threads_columns_and_times():
    with perfscript.open(os.path.join(DERIVED, "tasks.data")) as t:
        th = {r["tid"]: r for r in t.derived("threads").to_pylist()}
        first, last = t.header["first_time"], t.header["last_time"]
    main = next(r for r in th.values() if r["comm"] == "tasks" and r["ppid"] == -1)
    assert main["is_main_thread"] and main["start_time"] is None   # began before
    workers = [r for r in th.values() if r["pid"] == main["pid"] and r["tid"] != r["pid"]]
    assert sorted(r["comm"] for r in workers) == ["renamed-worker", "tasks"]
    for r in workers:
        assert not r["is_main_thread"]
        assert r["parent_tid"] == main["tid"]
        assert first - 10**9 < r["start_time"] < r["end_time"] <= last + 10**9
    true = next(r for r in th.values() if r["comm"] == "true")
    assert true["ppid"] == main["pid"] and true["start_time"] < true["end_time"]
    assert th[0]["comm"] == "swapper" and th[0]["end_time"] is None


def test_processes_group_the_threads():
    with perfscript.open(os.path.join(DERIVED, "tasks.data")) as t:
        threads = t.derived("threads").to_pylist()
        procs = {r["pid"]: r for r in t.derived("processes").to_pylist()}
    per_pid = collections.Counter(r["pid"] for r in threads if r["pid"] != -1)
    assert {p: r["threads"] for p, r in procs.items()} == dict(per_pid)
    main = next(r for r in procs.values() if r["comm"] == "tasks" and r["ppid"] == -1)
    assert main["threads"] == 3
    ends = [r["end_time"] for r in threads if r["pid"] == main["pid"]]
    assert main["end_time"] == max(ends)
    assert procs[0]["end_time"] is None     # the idle task never exits


def test_threads_in_sql_and_reused_views():
    with perfscript.open(os.path.join(DERIVED, "tasks.data")) as t:
        got = t.sql("SELECT comm, count(*) FROM threads GROUP BY ALL ORDER BY 1").fetchall()
        assert ("renamed-worker", 1) in got and ("tasks", 3) in got
        assert "threads" in t.derived_names() and "stacks" in t.derived_names()


def folded(path, kallsyms):
    """stackcollapse.py's lines (`comm;outermost;...;innermost count`, sorted) from the
    stacks and frames tables and each sample's sample_stack_id."""
    with perfscript.open(path, kallsyms=kallsyms) as t:
        stacks = t.derived("stacks").to_pydict()
        frames = t.derived("frames").to_pydict()
        (name,) = t.event_names
        samples = t.table(name).select(["sample_comm", "sample_stack_id"]).to_pylist()
    assert stacks["stack_id"] == list(range(len(stacks["stack_id"])))
    assert frames["frame_id"] == list(range(len(frames["frame_id"])))
    parent, frame = stacks["parent_id"], stacks["frame_id"]
    sym = frames["sym"]

    def path_of(stack):
        out = []
        while stack is not None:
            s = sym[frame[stack]]
            out.append("[unknown]" if s is None else s.replace(";", ":"))
            stack = parent[stack]
        return out[::-1]
    lines = collections.Counter(
        ";".join([r["sample_comm"].replace(" ", "_")] + (
            path_of(r["sample_stack_id"]) if r["sample_stack_id"] is not None else []))
        for r in samples)
    return ["%s %d" % kv for kv in sorted(lines.items())]


def test_stacks_fold_as_perfs_stackcollapse(recordings_kallsyms):
    with open(os.path.join(RECORDINGS, "expected", "callchain.stackcollapse.out")) as f:
        expected = f.read().splitlines()
    assert folded(os.path.join(RECORDINGS, "callchain.data"), recordings_kallsyms) == expected


def test_stack_ids_name_the_callchains():
    """Following parent_id from a sample's stack id gives its sample_callchain."""
    with perfscript.open(os.path.join(DERIVED, "tasks.data")) as t:
        st = t.derived("stacks").to_pydict()
        fr = t.derived("frames").to_pylist()
        rows = t.table("cpu-clock").select(["sample_callchain", "sample_stack_id"])
        rows = rows.to_pylist()
    assert len({r["sample_stack_id"] for r in rows}) > 3
    for r in rows:
        chain, s = [], r["sample_stack_id"]
        while s is not None:
            f = dict(fr[st["frame_id"][s]])
            del f["frame_id"]
            chain.append(f)
            s = st["parent_id"][s]
        assert chain == r["sample_callchain"]
        assert st["depth"][r["sample_stack_id"]] == len(chain) - 1


def test_not_recorded_says_what_to_record():
    with perfscript.open(os.path.join(RECORDINGS, "sched.data")) as t:
        assert "stacks" not in t.derived_names() and "threads" in t.derived_names()
        with pytest.raises(NotRecorded, match="perf record -g"):
            t.derived("stacks")
        with pytest.raises(KeyError, match="no derived table 'nope'"):
            t.derived("nope")


@pytest.mark.skipif(shutil.which("perf") is None, reason="perf is not installed")
def test_threads_on_the_corpus():
    """Every corpus recording perf 6.1 reads: the threads table is perf report --tasks."""
    cases = sorted(glob.glob(os.path.join(HERE, "..", "..", "shared", "corpus", "cases",
                                          "*", "*.data")))
    if not cases:
        pytest.skip("../shared/corpus is absent")
    checked = 0
    for path in cases[:40]:
        with open(path, "rb") as f:
            pipe = f.read(8) != b"PERFILE2"
        cmd = ["perf", "report", "--tasks", "-i", "-" if pipe else path]
        with open(path, "rb") as f:
            p = subprocess.run(cmd, stdin=f if pipe else None, capture_output=True,
                               text=True, timeout=120)
        if p.returncode != 0 or not p.stdout.startswith("#"):
            continue
        try:
            ours = our_tasks(path)
        except NotRecorded:
            continue
        assert ours == perf_tasks(p.stdout), path
        checked += 1
    assert checked >= 5


def doc_sql(marker):
    """The ```sql block after `marker` in docs/derived/README.md."""
    with open(os.path.join(HERE, "..", "docs", "derived", "README.md")) as f:
        text = f.read()
    rest = text[text.index(marker):]
    start = rest.index("```sql\n") + len("```sql\n")
    return rest[start:rest.index("```", start)]


def test_docs_stackcollapse_query_is_perfs(recordings_kallsyms):
    pytest.importorskip("duckdb")
    query = doc_sql("Worked example: perf's `stackcollapse.py`")
    with perfscript.open(os.path.join(RECORDINGS, "callchain.data"),
                         kallsyms=recordings_kallsyms) as t:
        got = ["%s %d" % row for row in t.sql(query).fetchall()]
    with open(os.path.join(RECORDINGS, "expected", "callchain.stackcollapse.out")) as f:
        expected = f.read().splitlines()
    assert sorted(got) == expected


def test_docs_processes_query_runs():
    pytest.importorskip("duckdb")
    with open(os.path.join(HERE, "..", "docs", "derived", "README.md")) as f:
        text = f.read()
    start = text.index('t.sql("""SELECT pid, comm, threads')
    query = text[start + len('t.sql("""'):text.index('""")', start)]
    with perfscript.open(os.path.join(DERIVED, "tasks.data")) as t:
        rows = t.sql(query).fetchall()
    assert sorted(r[1] for r in rows) == ["tasks", "true"]
    assert all(r[3] > 0 for r in rows)
