"""What a recording names its events cannot make a correct script fail: names that are not
UTF-8 reach handlers as str (surrogate escapes) and print as the bytes they were."""

import os
import sys

from conftest import RECORDINGS

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "fuzz"))
from model import PerfData, TracingData  # noqa: E402

# stdout as Python sets it up under a UTF-8 locale (here, where only C is installed, it
# falls back to surrogate escapes by itself)
STRICT_UTF8 = {"PYTHONIOENCODING": "utf-8:strict"}

SCRIPT = """
def trace_unhandled(name, context, fields):
    print(name, fields["common_pid"])
"""


def test_a_system_name_that_is_not_utf8_prints_as_its_bytes(perfscript, tmp_path):
    pd = PerfData.parse(open(os.path.join(RECORDINGS, "sched.data"), "rb").read())
    where, blob = pd.tracing_blob()
    t = TracingData.parse(blob)
    t.systems[0][0] = b"s\xff\xfe"
    pd.set_tracing_blob(where, t.to_bytes())
    bad = tmp_path / "names.data"
    bad.write_bytes(pd.to_bytes())
    (tmp_path / "s.py").write_text(SCRIPT)
    p = perfscript(["-i", bad, "-s", "s.py"], env=STRICT_UTF8)
    assert p.returncode == 0, p.stderr.decode()
    lines = p.stdout.splitlines()
    assert lines and all(ln.startswith(b"s\xff\xfe__sched_") for ln in lines), lines[:3]


def test_every_command_prints_such_names_as_their_bytes(perfscript, tmp_path):
    """The same for a task's name (COMM records carry any bytes the kernel had) and an
    event's: text output, -F, -g python and the header listing print them as they are."""
    pd = PerfData.parse(open(os.path.join(RECORDINGS, "sched.data"), "rb").read())
    where, blob = pd.tracing_blob()
    t = TracingData.parse(blob)
    t.systems[0][0] = b"s\xff\xfe"
    pd.set_tracing_blob(where, t.to_bytes())
    for r in pd.records:        # COMM records, and prev_comm/next_comm in sched_switch
        if r.type in (3, 9):
            r.body = r.body.replace(b"sleep\0", b"sl\xffep\0")
    bad = tmp_path / "names.data"
    bad.write_bytes(pd.to_bytes())
    for args in ([], ["-F", "comm,event,trace"], ["-g", "python"],
                 ["--header-only", "-I"]):
        p = perfscript(["-i", bad] + args, env=STRICT_UTF8)
        assert p.returncode == 0 and b"Traceback" not in p.stderr, (args, p.stderr[-1500:])
    p = perfscript(["-i", bad], env=STRICT_UTF8)
    assert b" prev_comm=sl\xffep " in p.stdout         # as perf prints it
    # (a task's comm that is not UTF-8 is printed with U+FFFD where perf prints the byte)
