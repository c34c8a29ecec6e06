"""output/split_text.py: text printed by two processes (alternate batches, turns at
stdout) is byte for byte what one process prints, exit status and stderr included, also
with side-band lines inside the batches, a recording that ends in damage, and a reader
that goes away early."""

import io
import os
import subprocess
import sys
import types

import pytest

from conftest import script_env
from perfscript.output import split_text
from synthetic import build_perf_data


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """70k samples (each its own thread), COMMs, FINISHED_ROUND every 1000 records:
    several windows, so several batches."""
    events = []
    for i in range(70000):
        events.append(("s", 1000000 + 10 * i))
        if i % 50 == 0:
            events.append(("c", 1000000 + 10 * i + 5))
        if i % 1000 == 999:
            events.append(("r",))
    path = tmp_path_factory.mktemp("split") / "many.data"
    data = build_perf_data(events)
    path.write_bytes(data)
    cut = tmp_path_factory.mktemp("split") / "cut.data"
    cut.write_bytes(data[:len(data) * 2 // 3 + 5])
    return str(path), str(cut)


def _run(args, workers, stdout=subprocess.PIPE):
    env = dict(script_env(), PERFSCRIPT_WORKERS=workers)
    return subprocess.run([sys.executable, "-m", "perfscript"] + args, stdout=stdout,
                          stderr=subprocess.PIPE, env=env, timeout=300)


FIELDS = ["-F", "comm,tid,time,event"]


@pytest.mark.parametrize("args", [FIELDS, FIELDS + ["--show-task-events"],
                                  ["-F", "tid,time", "--reltime"],
                                  ["-F", "comm,time", "--deltatime"]])
def test_two_processes_print_as_one(recording, args):
    one = _run(["-i", recording[0]] + args, "1")
    two = _run(["-i", recording[0]] + args, "2")
    assert one.returncode == 0
    assert len(one.stdout.splitlines()) >= 70000
    assert two.stdout == one.stdout
    assert (two.returncode, two.stderr) == (one.returncode, one.stderr)


def test_damaged_recording(recording):
    one = _run(["-i", recording[1], "--show-task-events"] + FIELDS, "1")
    two = _run(["-i", recording[1], "--show-task-events"] + FIELDS, "2")
    assert one.stdout and one.stderr
    assert (two.stdout, two.returncode, two.stderr) == (one.stdout, one.returncode,
                                                        one.stderr)


def test_reader_gone():
    """`perfscript ... | head`: both processes stop, with the one-process exit status."""
    events = [("s", 1000 + i) for i in range(60000)] + [("r",)]
    data = build_perf_data(events)
    import tempfile
    with tempfile.NamedTemporaryFile(suffix=".data") as f:
        f.write(data)
        f.flush()
        statuses = []
        for workers in ("1", "2"):
            env = dict(script_env(), PERFSCRIPT_WORKERS=workers)
            p = subprocess.Popen([sys.executable, "-m", "perfscript", "-i", f.name] + FIELDS,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            p.stdout.read(100)
            p.stdout.close()
            p.wait(timeout=120)
            statuses.append((p.returncode, p.stderr.read()))
            p.stderr.close()
        assert statuses[1] == statuses[0]


def _printer(out, size=64 << 20, ip=0):
    session = types.SimpleNamespace(pd=types.SimpleNamespace(
        source=types.SimpleNamespace(buf=_Sized(size))), evsels=["ev"])
    sfilter = types.SimpleNamespace(order_check=None, on_resolve=None)
    return types.SimpleNamespace(out=out, session=session, has_stat=False, filter=sfilter,
                                 line_plan=lambda ev: types.SimpleNamespace(ip=ip))


class _Sized:
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n


def test_when_two_processes(monkeypatch):
    """Only for the command's own stdout, a big enough file without addresses to print
    and two CPUs; the environment turns it off or on."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    out = sys.__stdout__
    monkeypatch.setattr(sys, "stdout", out)
    assert split_text.wanted(_printer(out), {})
    assert not split_text.wanted(_printer(out), {"PERFSCRIPT_WORKERS": "1"})
    assert not split_text.wanted(_printer(out, 1 << 20), {})
    assert not split_text.wanted(_printer(out, ip=1), {})
    assert split_text.wanted(_printer(out, ip=1), {"PERFSCRIPT_WORKERS": "2"})
    assert split_text.wanted(_printer(out, 1 << 20), {"PERFSCRIPT_WORKERS": "2"})
    assert not split_text.wanted(_printer(io.StringIO()), {"PERFSCRIPT_WORKERS": "2"})
    stat = _printer(out)
    stat.has_stat = True
    assert not split_text.wanted(stat, {})
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert not split_text.wanted(_printer(out), {})
