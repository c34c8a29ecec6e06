"""perf script's sample filters and callchain options apply to -s scripts too.

Compared live with the real perf (skipped when it is not installed): the same script,
the same options, the same stdout and exit status.
"""

import lzma
import os
import shutil
import subprocess

import pytest

from conftest import script_env

HERE = os.path.dirname(__file__)
REC = os.path.join(HERE, "data", "recordings")
DUMP = os.path.join(REC, "dump_args.py")
PERF = shutil.which("perf", path="/usr/bin:/bin")

CASES = [
    ("sched.data", ["-C", "1"]),
    ("sched.data", ["--time", "30%"]),
    ("sched.data", ["--comms", "ls,sh"]),
    ("syscalls.data", ["--tid", "1"]),
    ("syscalls.data", ["--time", "10%/2"]),
    ("callchain.data", ["-G"]),
    ("callchain.data", ["--max-stack", "2"]),
    ("callchain.data", ["-C", "0"]),          # no cpu in the samples: perf refuses
    ("stat_percpu.data", []),                  # stat__* per cpu (no aggregation)
]


@pytest.mark.skipif(PERF is None, reason="perf is not installed")
@pytest.mark.parametrize("name,opts", CASES, ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_filters_like_perf(name, opts, perfscript, tmp_path):
    (ks,) = [f for f in os.listdir(REC) if f.startswith("kallsyms-")]
    kallsyms = tmp_path / "kallsyms"
    kallsyms.write_bytes(lzma.decompress(open(os.path.join(REC, ks), "rb").read()))
    args = ["-i", os.path.join(REC, name)] + opts + ["--kallsyms", str(kallsyms), "-s", DUMP]
    want = subprocess.run([PERF, "script"] + args, capture_output=True, env=script_env(),
                          cwd=str(tmp_path))
    got = perfscript(args)
    assert got.returncode == want.returncode, got.stderr.decode()
    assert got.stdout == want.stdout
