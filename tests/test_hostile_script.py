"""What a recording names its events cannot make a correct script fail: names that are not
UTF-8 reach handlers as str (surrogate escapes) and print as the bytes they were."""

import os
import sys

from conftest import RECORDINGS

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "fuzz"))
from model import PerfData, TracingData  # noqa: E402

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
    # (under LC_ALL=C Python itself escapes stdout; a UTF-8 locale is where it failed)
    p = perfscript(["-i", bad, "-s", "s.py"], env={"LC_ALL": "C.UTF-8"})
    assert p.returncode == 0, p.stderr.decode()
    lines = p.stdout.splitlines()
    assert lines and all(ln.startswith(b"s\xff\xfe__sched_") for ln in lines), lines[:3]
