"""Handlers called column-wise (script/call_stream.py) behave as perf's per-event calls.

The scripts of tests/data/recordings/streams/ rebind, delete, make uncallable and swap
handlers from inside handlers, keep and change the dicts and lists they get, and raise
StopIteration; perf 6.1's stdout and exit status for each are stored in streams/expected/
(mkrefs_streams.py). Each runs batched (the default) and record by record
(PERFSCRIPT_NO_BATCH=1): both must print what perf printed.
"""

import json
import os
import subprocess
import sys

import pytest

from conftest import RECORDINGS, assert_like_perf, read_maybe_xz, script_env

STREAMS = os.path.join(RECORDINGS, "streams")

with open(os.path.join(STREAMS, "expected", "checks.json")) as _f:
    CHECKS = json.load(_f)


@pytest.mark.parametrize("batched", [True, False], ids=["batched", "per-record"])
@pytest.mark.parametrize("check", CHECKS, ids=[c["name"] for c in CHECKS])
def test_like_perf(check, batched, perfscript, recordings_kallsyms):
    p = perfscript(["--kallsyms", recordings_kallsyms,
                    "-i", os.path.join(RECORDINGS, check["recording"]),
                    "-s", os.path.join(STREAMS, check["script"])],
                   env=None if batched else {"PERFSCRIPT_NO_BATCH": "1"})
    assert_like_perf(p, read_maybe_xz(os.path.join(STREAMS, "expected", check["expected"])),
                     check["rc"])
    if check["script"] == "stop_iteration.py":
        # perf's traceback of the handler, not the end of an iteration
        assert (b"in raw_syscalls__sys_enter\n    next(iter(()))\nStopIteration\n"
                in p.stderr), p.stderr.decode("utf-8", "replace")[-2000:]


def test_every_stream_script_is_checked():
    scripts = {c["script"] for c in CHECKS}
    assert scripts == {f for f in os.listdir(STREAMS) if f.endswith(".py")}


_FAILING_LOOKUP = """
import sys
from perfscript.cli import main
from perfscript.errors import PerfDataError
from perfscript.session.session import Session

real = Session.locate
calls = []


def failing(self, thread, cpumode, addr):
    calls.append(addr)
    if len(calls) == 40:
        raise PerfDataError("lookup failed", self.name, None)
    return real(self, thread, cpumode, addr)


Session.locate = failing
sys.exit(main(sys.argv[1:]))
"""


def test_a_lookup_failure_is_not_the_handlers(tmp_path, recordings_kallsyms):
    """An error while making a row's dict (here a symbol lookup) ends the run as the
    per-record path ends it (the file's error, status 1), not as a handler's exception
    (traceback, abort); batched and record by record alike."""
    driver = tmp_path / "driver.py"
    driver.write_text(_FAILING_LOOKUP)
    script = tmp_path / "count.py"
    script.write_text("n = [0]\ndef process_event(d):\n    n[0] += 1\n"
                      "def trace_end():\n    print('calls', n[0])\n")
    got = []
    for batched in (True, False):
        env = dict(script_env(), PERFSCRIPT_NO_BATCH="" if batched else "1")
        p = subprocess.run([sys.executable, str(driver), "--kallsyms", recordings_kallsyms,
                            "-i", os.path.join(RECORDINGS, "callchain.data"), "-s",
                            str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=env, cwd=str(tmp_path), timeout=300)
        err = p.stderr.decode("utf-8", "replace")
        assert p.returncode == 1 and "lookup failed" in err and "Traceback" not in err, (
            p.returncode, p.stdout, err)
        got.append((p.stdout, err))
    assert got[0] == got[1]
