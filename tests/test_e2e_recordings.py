"""perfscript -s on the small recordings of tests/data/recordings prints what perf 6.1 printed.

tests/data/recordings/expected/checks.json lists every check (recording, script, arguments,
stdin or not); the expected stdout and exit status were stored by mkrefs.py from the real
`perf script --kallsyms <stored subset> -s ...` (see that directory's README.md).
"""

import json
import os

import pytest

from conftest import RECORDINGS, first_difference, read_maybe_xz, same_status

EXPECTED = os.path.join(RECORDINGS, "expected")
SHIPPED = "/usr/lib/perf-core/scripts/python"

with open(os.path.join(EXPECTED, "checks.json")) as _f:
    CHECKS = json.load(_f)


def _script(spec):
    if spec.startswith("perf:"):
        path = os.path.join(SHIPPED, spec[5:])
        if not os.path.exists(path):
            pytest.skip("perf's shipped scripts are not installed (%s)" % SHIPPED)
        return path
    return os.path.join(RECORDINGS, spec)


@pytest.mark.parametrize("check", CHECKS, ids=[c["name"] for c in CHECKS])
def test_recording(check, perfscript, recordings_kallsyms):
    data = os.path.join(RECORDINGS, check["recording"])
    args = ["--kallsyms", recordings_kallsyms, "-i", "-" if check["stdin"] else data,
            "-s", _script(check["script"])] + check["args"]
    p = perfscript(args, stdin=data if check["stdin"] else None)
    expected = read_maybe_xz(os.path.join(EXPECTED, check["expected"]))
    assert p.stdout == expected, (first_difference(p.stdout, expected)
                                  + "\n--- stderr:\n" + p.stderr.decode("utf-8", "replace")[-3000:])
    assert same_status(p.returncode, check["rc"]), (
        "exit status %d, perf's was %d\n--- stderr:\n%s"
        % (p.returncode, check["rc"], p.stderr.decode("utf-8", "replace")[-3000:]))


def test_every_recording_is_checked():
    names = {c["recording"] for c in CHECKS}
    on_disk = {f for f in os.listdir(RECORDINGS) if f.endswith(".data")}
    assert names == on_disk
