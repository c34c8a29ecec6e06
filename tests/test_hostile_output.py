"""Text output stays in proportion to the recording whatever its formats claim: an event
whose print fmt repeats a megabyte of literal text on every line is printed line by line,
not built up a batch at a time."""

import os
import re
import subprocess
import sys

from conftest import RECORDINGS, script_env

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "fuzz"))
from model import PerfData, TracingData  # noqa: E402


# `python -m perfscript ARGS` that writes its peak RSS (VmHWM: a forked-then-exec'd
# child's rusage would count the RSS of the test process it was forked from)
PEAK_WRAPPER = """
import atexit, runpy, sys
out = sys.argv.pop(1)
def peak():
    hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:")][0]
    open(out, "w").write(hwm.split()[1])
atexit.register(peak)
runpy.run_module("perfscript", run_name="__main__")
"""


def _peak_rss(args, tmp_path):
    peak = tmp_path / "peak"
    with open(os.devnull, "wb") as null:
        p = subprocess.run([sys.executable, "-c", PEAK_WRAPPER, str(peak)] + args,
                           stdout=null, stderr=subprocess.PIPE, env=script_env())
    return p.returncode, int(peak.read_text()) * 1024, p.stderr


def test_a_megabyte_print_fmt_on_every_line(tmp_path):
    pd = PerfData.parse(open(os.path.join(RECORDINGS, "sched.data"), "rb").read())
    where, blob = pd.tracing_blob()
    t = TracingData.parse(blob)
    for fmts in (fmts for _, fmts in t.systems):
        for j, text in enumerate(fmts):
            fmts[j] = re.sub(rb"print fmt: .*", b'print fmt: "' + b"a" * (1 << 20) + b'"',
                             text, flags=re.S)
    pd.set_tracing_blob(where, t.to_bytes())
    samples = [r for r in pd.records if r.type == 9]
    pd.records += [samples[0].copy() for _ in range(400)]      # 400 more lines of 1 MiB
    bad = tmp_path / "wide.data"
    bad.write_bytes(pd.to_bytes())
    status, rss, err = _peak_rss(["-i", str(bad)], tmp_path)
    assert status == 0, err.decode()[-2000:]
    assert rss < 250 << 20, rss          # the output is 400+ MiB


def test_a_field_past_every_record_in_a_numeric_format(perfscript, tmp_path):
    """A format whose plain numbers are all read column-wise, one of them at an offset no
    record reaches (a ValueError from NumPy's record view): printed one by one instead."""
    from hostile_build import format_text, with_format
    good = open(os.path.join(RECORDINGS, "syscalls.data"), "rb").read()
    text = format_text(good, "sys_exit").replace("offset:16;\tsize:8;", "offset:65535;\tsize:8;")
    bad = tmp_path / "far.data"
    bad.write_bytes(with_format(good, "sys_exit", text))
    want = perfscript(["-i", os.path.join(RECORDINGS, "syscalls.data")]).stdout
    p = perfscript(["-i", bad])
    assert p.returncode == 0 and b"Traceback" not in p.stderr, p.stderr.decode()[-2000:]
    assert p.stdout.count(b"raw_syscalls:sys_exit: NR ") == want.count(
        b"raw_syscalls:sys_exit: NR ") > 0
