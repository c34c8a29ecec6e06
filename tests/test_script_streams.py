"""Handlers called column-wise (script/call_stream.py) behave as perf's per-event calls.

The scripts of tests/data/recordings/streams/ rebind, delete, make uncallable and swap
handlers from inside handlers, keep and change the dicts and lists they get, and raise
StopIteration; perf 6.1's stdout and exit status for each are stored in streams/expected/
(mkrefs_streams.py). Each runs batched (the default) and record by record
(PERFSCRIPT_NO_BATCH=1): both must print what perf printed.
"""

import json
import os

import pytest

from conftest import RECORDINGS, assert_like_perf, read_maybe_xz

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
