"""perfscript -s on the shared conformance corpus (../shared/corpus beside the repository).

Every `-s SCRIPT` check of the corpus' ref/COMMANDS files whose KIND is `stdout` or `rc`
(the corpus' own runner, ../shared/corpus/conform, also covers plain `perf script` and
`-g python`): the command's leading `perf script` becomes `python -m perfscript`, and stdout
and exit status must equal what the real perf printed.  The `sqlite:` checks
(export-to-sqlite.py, which imports PySide2) run under the interpreter that has PySide2 and
compare the database they write.  Each check runs as on the machine that made its reference
(conftest.reference_machine: that machine's kernel symbols, given as perf found them).
Skipped when the corpus is absent.
"""

import os
import shlex
import sqlite3
import subprocess

import pytest

from conftest import (CORPUS, corpus_commands, first_difference, qt_python, read_maybe_xz,
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


SQLITE_CHECKS = [pytest.param(case, kind, expected, rc, command, id=cid)
                 for case, cid, name, kind, expected, rc, command in corpus_commands()
                 if kind.startswith("sqlite:")]


def _sqlite_dump(path):
    """The database as SQL text, as the corpus runner dumps it for comparison."""
    con = sqlite3.connect(path)
    try:
        return "\n".join(con.iterdump()) + "\n"
    finally:
        con.close()


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason="../shared/corpus is absent")
@pytest.mark.parametrize("case,kind,expected,rc,command", SQLITE_CHECKS)
def test_corpus_sqlite(case, kind, expected, rc, command, corpus_kallsyms, tmp_path):
    python = qt_python("QSQLITE")
    argv = shlex.split(command.replace("$CASE", case).replace("$CORPUS", CORPUS))
    assert argv[:2] == ["perf", "script"] and " && " not in command, command
    p = subprocess.run([python, "-m", "perfscript", "--kallsyms", corpus_kallsyms] + argv[2:],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(tmp_path),
                       env=script_env(), stdin=subprocess.DEVNULL, timeout=300)
    err = p.stderr.decode("utf-8", "replace")[-3000:]
    assert same_status(p.returncode, rc), "exit status %d, perf's %d\n%s" % (
        p.returncode, rc, err)
    db = tmp_path / kind.split(":", 1)[1]
    assert db.exists(), "no %s written\n%s" % (db.name, err)
    want = read_maybe_xz(os.path.join(case, expected))
    got = _sqlite_dump(str(db)).encode("utf-8")
    assert got == want, first_difference(got, want) + "\n--- stderr:\n" + err
