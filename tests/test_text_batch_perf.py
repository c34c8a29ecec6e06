"""perf script's text output for the field selections perfscript prints a batch at a time
(output/text_batch.py: comm, tid, pid, cpu, misc, time, event, period, trace, ip, sym,
symoff, dso, callchains or -G, --ns, -L, --max-stack, -C, --time, --comms), and the
options beside them that go record by record (--reltime, --deltatime, --show-*-events,
--stop-bt), against what perf 6.1 printed for data/recordings/textbatch (see
mkrefs_textbatch.py there: a `-g --sample-cpu` profile of python3, ls and sh, a recording
of a tracepoint and cpu-clock together, and two tracepoint recordings of the directory
above)."""

import io
import json
import lzma
import os
import sys
from contextlib import redirect_stdout

import pytest

from conftest import RECORDINGS, assert_like_perf, first_difference
from perfscript.cli import main
from perfscript.output.text import TextPrinter

HERE = os.path.join(RECORDINGS, "textbatch")
EXPECTED = os.path.join(HERE, "expected")
with open(os.path.join(EXPECTED, "checks.json")) as _f:
    CHECKS = json.load(_f)
# the selections every sample of which is printed column-wise
BATCHED = ("default", "hide-callchain", "ns-period", "comm", "pid-tid-cpu-time",
           "tid-misc-event", "time-ip-sym", "time-ip-sym-G", "ip-dso-symoff", "ip-only",
           "latency", "max-stack-3", "max-stack-0", "cpu-filter", "time-filter",
           "time-slices", "comm-filter",
           "trace-comm-time", "trace-event-ns", "trace-pid-ip")


@pytest.fixture(scope="module")
def kallsyms(tmp_path_factory):
    """The stored kallsyms subsets, decompressed: this directory's and the one above's."""
    out = {}
    for key, where in (("here", HERE), ("parent", RECORDINGS)):
        (name,) = [n for n in os.listdir(where) if n.startswith("kallsyms-")]
        path = tmp_path_factory.mktemp("kallsyms") / "kallsyms"
        with lzma.open(os.path.join(where, name)) as f:
            path.write_bytes(f.read())
        out[key] = str(path)
    return out


def _args(check, kallsyms):
    rec = check["recording"]
    ksyms = kallsyms["parent" if rec.startswith("..") else "here"]
    return ["--kallsyms", ksyms, "-i", os.path.join(HERE, rec)] + check["args"]


def _expected(check):
    with lzma.open(os.path.join(EXPECTED, check["out"])) as f:
        return f.read()


@pytest.mark.parametrize("check", CHECKS, ids=[c["name"] for c in CHECKS])
def test_like_perf(check, kallsyms, perfscript):
    got = perfscript(_args(check, kallsyms), cwd=HERE)
    assert_like_perf(got, _expected(check), check["rc"])


@pytest.mark.parametrize("name", BATCHED)
def test_batched_without_per_record_samples(name, kallsyms, monkeypatch):
    """These selections print every sample column-wise: the per-record `sample` is never
    called, and the bytes are still perf's."""
    check = next(c for c in CHECKS if c["name"] == name)
    calls = []
    monkeypatch.setattr(TextPrinter, "sample", lambda *a: calls.append(a))
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="surrogateescape")
    monkeypatch.setattr(sys, "stdout", out)
    with redirect_stdout(out):
        status = main(_args(check, kallsyms))
    out.flush()
    got = out.buffer.getvalue()
    assert status == check["rc"]
    assert not calls
    want = _expected(check)
    assert got == want, first_difference(got, want)


def test_checks_cover_the_batched_fields():
    """Every field and option the batch prints is in some check."""
    printed = " ".join(" ".join(c["args"]) for c in CHECKS if c["rc"] == 0)
    for word in ("comm", "tid", "pid", "cpu", "misc", "time", "event", "period", "trace",
                 "ip", "sym", "symoff", "dso", "-G", "--ns", "-L", "--max-stack", "-C",
                 "--comms", "--time"):
        assert word in printed, word
