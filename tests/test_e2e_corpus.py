"""perfscript -s on the shared conformance corpus (../shared/corpus beside the repository).

Every `-s SCRIPT` check of the corpus' ref/COMMANDS files whose KIND is `stdout` or `rc`
(the corpus' own runner, ../shared/corpus/conform, also covers plain `perf script`, `-g python`
and the sqlite export): the command's leading `perf script` becomes `python -m perfscript`,
and stdout and exit status must equal what the real perf printed.  Each check runs as on the
machine that made its reference (conftest.reference_machine: that machine's kernel symbols,
given as perf found them).
Skipped when the corpus is absent.
"""

import os
import shlex
import subprocess

import pytest

from conftest import (CORPUS, corpus_commands, first_difference, read_maybe_xz,
                      reference_machine, same_status, script_env)


# Checks expected to fail, each with its reason. strict: they must start passing when the
# reason goes away.
KNOWN_FAILURES = {}


def _checks():
    out = []
    for case, cid, name, kind, expected, rc, command in corpus_commands():
        if kind not in ("stdout", "rc") or " -s " not in command:
            continue
        marks = ()
        if cid in KNOWN_FAILURES:
            marks = pytest.mark.xfail(reason=KNOWN_FAILURES[cid], strict=True)
        out.append(pytest.param(case, kind, expected, rc, command, id=cid, marks=marks))
    return out


CHECKS = _checks() if os.path.isdir(CORPUS) else []


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason="../shared/corpus is absent")
@pytest.mark.parametrize("case,kind,expected,rc,command", CHECKS)
def test_corpus(case, kind, expected, rc, command, perfscript, corpus_kallsyms, tmp_path):
    command = command.replace("$CASE", case).replace("$CORPUS", CORPUS)
    *setup, check = command.split(" && ")
    for cmd in setup:
        subprocess.run(shlex.split(cmd), check=True, cwd=str(tmp_path), env=script_env())
    argv = shlex.split(check)
    assert argv[:2] == ["perf", "script"], check
    for a in argv:
        if a.startswith("/usr/lib/perf-core/") and not os.path.exists(a):
            pytest.skip("perf's shipped scripts are not installed")
    extra, env = reference_machine(case, corpus_kallsyms)
    p = perfscript(extra + argv[2:], env=env)
    err = p.stderr.decode("utf-8", "replace")[-3000:]
    if kind == "stdout":
        want = read_maybe_xz(os.path.join(case, expected))
        assert p.stdout == want, first_difference(p.stdout, want) + "\n--- stderr:\n" + err
    assert same_status(p.returncode, rc), "exit status %d, perf's %d\n%s" % (
        p.returncode, rc, err)
