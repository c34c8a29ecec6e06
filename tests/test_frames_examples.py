"""The worked examples of docs/frames.md: each written as a perf-style script and as a
query; both run on real recordings and must give the same rows (and the scripts the
same output under the real perf, when it is installed)."""

import os
import shutil
import subprocess
import sys

import pytest

pytest.importorskip("duckdb")

import perfscript  # noqa: E402
from conftest import SHARED, script_env  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "docs", "examples")
GUIDE = os.path.join(ROOT, "docs", "frames.md")
CASES = os.path.join(SHARED, "corpus", "cases")

# (example, corpus case, how the query's row is printed like the script's line)
EXAMPLES_RUN = [
    ("syscalls_per_process", "syscall_counts", "%s\t%d\t%d\t%d"),
    ("syscalls_per_process", "raw_syscalls", "%s\t%d\t%d\t%d"),
    ("sched_latency", "sched_messaging", "%s\t%d\t%d\t%d\t%d"),
    ("kmalloc_callsites", "kmem_gfp", "%s\t%d\t%d"),
]


def _data(case):
    path = os.path.join(CASES, case, "perf.data")
    if not os.path.exists(path):
        pytest.skip("no corpus case %s" % case)
    return path


def _script_lines(cmd, tmp_path):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=script_env(),
                       cwd=str(tmp_path), timeout=300)
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    return p.stdout.decode().splitlines()


def _query(example):
    with open(os.path.join(EXAMPLES, example + ".sql")) as f:
        return f.read()


@pytest.mark.parametrize("example,case,line", EXAMPLES_RUN,
                         ids=["%s-%s" % (e, c) for e, c, _ in EXAMPLES_RUN])
def test_query_equals_script(example, case, line, tmp_path):
    data = _data(case)
    script = os.path.join(EXAMPLES, example + ".py")
    want = _script_lines([sys.executable, "-m", "perfscript", "-i", data, "-s", script],
                         tmp_path)
    assert want, "the script printed nothing"
    with perfscript.open(data) as t:
        rows = t.sql(_query(example)).fetchall()
    got = [line % tuple(r) for r in rows]
    assert got == want


@pytest.mark.skipif(not shutil.which("perf"), reason="perf is not installed")
@pytest.mark.parametrize("example,case", [(e, c) for e, c, _ in EXAMPLES_RUN],
                         ids=["%s-%s" % (e, c) for e, c, _ in EXAMPLES_RUN])
def test_script_equals_under_real_perf(example, case, tmp_path):
    data = _data(case)
    script = os.path.join(EXAMPLES, example + ".py")
    ours = _script_lines([sys.executable, "-m", "perfscript", "-i", data, "-s", script],
                         tmp_path)
    perfs = _script_lines(["perf", "script", "-i", data, "-s", script], tmp_path)
    assert ours == perfs


def test_guide_shows_the_tested_examples():
    with open(GUIDE) as f:
        guide = f.read()
    for name in sorted(os.listdir(EXAMPLES)):
        with open(os.path.join(EXAMPLES, name)) as f:
            body = f.read().strip()
        assert body in guide, "docs/frames.md does not show docs/examples/%s as tested" % name
