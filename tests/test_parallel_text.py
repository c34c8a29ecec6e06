"""Text output on several cores (cli/parallel_text.py): workers print time slices of the
samples; their outputs one after the other are the one-process output, and anything that
could make them differ sends the file back to one process."""

import os
import random
import subprocess
import sys

import pytest

from conftest import RECORDINGS, script_env
from perfscript.cli import parallel_text
from perfscript.cli.options import parse_args
from perfscript.session.session import Session
from synthetic import build_perf_data

RECS = ["callchain.data", "sched.data", "syscalls.data", "kmem_softirq.data", "zstd.data"]
ALL = 1 << 64


def _run(args, env=None):
    return subprocess.run([sys.executable, "-m", "perfscript"] + args,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=dict(script_env(), **(env or {})), timeout=300)


def _times(path):
    """First and last sample time (ns), from what perfscript prints with -F time --ns."""
    out = _run(["-i", path, "-F", "time", "--ns"], {parallel_text.JOBS_ENV: "1"}).stdout
    times = [int(line.strip().rstrip(b":").replace(b".", b"")) for line in out.splitlines()
             if line.strip()]
    return min(times), max(times)


@pytest.mark.parametrize("name", RECS)
@pytest.mark.parametrize("fields", [[], ["-G"], ["-F", "comm,tid,time,event,ip,sym"]])
def test_slices_concatenate_to_the_whole(name, fields):
    path = os.path.join(RECORDINGS, name)
    args = ["-i", path] + fields
    whole = _run(args, {parallel_text.JOBS_ENV: "1"})
    assert whole.returncode == 0
    first, last = _times(path)
    rng = random.Random(name + str(fields))
    cuts = [rng.randint(first + 1, last) for _ in range(2)] + [first + 1]
    edges = [0] + sorted(set(cuts)) + [ALL]
    parts = []
    for lo, hi in zip(edges, edges[1:]):
        got = _run(args, {parallel_text.SLICE_ENV: "%d,%d" % (lo, hi)})
        assert got.returncode == 0 and got.stderr == whole.stderr
        parts.append(got.stdout)
    assert b"".join(parts) == whole.stdout
    assert sum(1 for p in parts if p) >= 2          # the cuts did split the samples


@pytest.mark.parametrize("name", ["callchain.data", "sched.data"])
def test_two_workers_print_what_one_prints(name):
    args = ["-i", os.path.join(RECORDINGS, name)]
    one = _run(args, {parallel_text.JOBS_ENV: "1"})
    two = _run(args, {parallel_text.JOBS_ENV: "2"})
    assert (two.stdout, two.stderr, two.returncode) == (one.stdout, one.stderr,
                                                        one.returncode)


def test_text_run_hands_a_large_file_to_workers(monkeypatch, capsysbinary):
    """With PERFSCRIPT_JOBS=2 the command line reaches the workers, sliced at the
    recording's middle sample time."""
    from perfscript.cli import text
    calls = []

    def fake_run(argv, slices, out, err):
        calls.append((list(argv), slices))
        return 0

    monkeypatch.setenv(parallel_text.JOBS_ENV, "2")
    monkeypatch.setattr(parallel_text, "run", fake_run)
    path = os.path.join(RECORDINGS, "sched.data")
    argv = ["-i", path, "-G"]
    assert text.run(parse_args(argv), argv) == 0
    st = Session(path).features.get(21)
    middle = (st.first + st.last) // 2
    assert calls == [(argv, [(0, middle), (middle, ALL)])]


@pytest.mark.parametrize("option", [["--deltatime"], ["--reltime"], ["-F", "+metric"],
                                    ["--show-mmap-events"], ["-D"], ["--header"],
                                    ["--per-event-dump"], ["--switch-on", "x"]])
def test_options_with_state_between_samples_keep_one_process(monkeypatch, option):
    monkeypatch.setenv(parallel_text.JOBS_ENV, "2")
    opts = parse_args(["-i", os.path.join(RECORDINGS, "sched.data")] + option)
    assert parallel_text.wanted_jobs(opts, opts["input"]) == 1


def test_default_jobs_follow_file_size(monkeypatch, tmp_path):
    monkeypatch.delenv(parallel_text.JOBS_ENV, raising=False)
    small = os.path.join(RECORDINGS, "sched.data")
    assert parallel_text.wanted_jobs(parse_args(["-i", small]), small) == 1
    assert parallel_text.wanted_jobs(parse_args(["-i", "-"]), "-") == 1
    monkeypatch.setattr(parallel_text, "MIN_BYTES", 1)
    monkeypatch.setattr(parallel_text, "_cpus", lambda: 2)
    assert parallel_text.wanted_jobs(parse_args(["-i", small]), small) == 2
    monkeypatch.setenv(parallel_text.SLICE_ENV, "0,5")     # a worker never splits again
    assert parallel_text.wanted_jobs(parse_args(["-i", small]), small) == 1


def test_no_sample_time_range_means_no_plan(tmp_path):
    path = tmp_path / "perf.data"
    path.write_bytes(build_perf_data([("s", 10), ("r",), ("s", 20), ("r",)]))
    assert parallel_text.plan(Session(str(path)), 2) is None
    # perf wrote a SAMPLE_TIME feature of zeros into this compressed recording
    assert parallel_text.plan(Session(os.path.join(RECORDINGS, "zstd.data")), 2) is None


def test_late_sample_makes_a_worker_give_up(tmp_path):
    """t=5 is delivered after t=10 (perf's out-of-order event): slices would print it in
    the wrong place, so the worker exits with CROSSED."""
    path = tmp_path / "perf.data"
    path.write_bytes(build_perf_data([("s", 10), ("r",), ("r",), ("s", 5), ("r",)]))
    got = _run(["-i", str(path), "-F", "tid,time"], {parallel_text.SLICE_ENV: "0,7"})
    assert got.returncode == parallel_text.CROSSED, got.stderr
    fine = tmp_path / "fine.data"
    fine.write_bytes(build_perf_data([("s", 5), ("r",), ("r",), ("s", 10), ("r",)]))
    assert _run(["-i", str(fine), "-F", "tid,time"],
                {parallel_text.SLICE_ENV: "0,7"}).returncode == 0


def test_failing_workers_leave_the_file_to_one_process():
    out = open(os.devnull, "w")
    assert parallel_text.run(["-i", "/nonexistent/perf.data"], [(0, 5), (5, ALL)],
                             out, out) is None


def test_truncated_file_prints_what_one_process_prints(tmp_path):
    data = open(os.path.join(RECORDINGS, "callchain.data"), "rb").read()
    cut = tmp_path / "cut.data"
    cut.write_bytes(data[:len(data) * 2 // 3])
    args = ["-i", str(cut)]
    one = _run(args, {parallel_text.JOBS_ENV: "1"})
    two = _run(args, {parallel_text.JOBS_ENV: "2"})
    assert (two.stdout, two.stderr, two.returncode) == (one.stdout, one.stderr,
                                                        one.returncode)
