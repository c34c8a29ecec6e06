"""perfscript's bundled ports of perf's shipped scripts (perfscript.bundled): perf's
script-name forms run them when perf's scripts do not have the name (PERF_EXEC_PATH at
an empty directory, or a made-up tree without it), with the arguments perf's
record/report shell scripts take, and each prints what perf printed for its own script
on the same recording (the references of tests/data/recordings/expected/)."""

import fnmatch
import os
import sqlite3
import stat

import pytest

from perfscript.bundled import EXEC_PATH
from conftest import RECORDINGS, first_difference, read_maybe_xz

EXPECTED = os.path.join(RECORDINGS, "expected")
PORTS = os.path.join(EXEC_PATH, "scripts", "python")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rec(name):
    return os.path.join(RECORDINGS, name)


@pytest.fixture
def no_perf_scripts(tmp_path):
    empty = tmp_path / "empty-exec-path"
    empty.mkdir()
    return {"PERF_EXEC_PATH": str(empty)}


def assert_prints(proc, expected):
    err = proc.stderr.decode("utf-8", "replace")[-2000:]
    assert proc.returncode == 0, err
    assert proc.stdout == expected, first_difference(proc.stdout, expected) + "\n" + err


@pytest.mark.parametrize("args, expected", [
    (["report", "syscall-counts", "-i", rec("syscalls.data")], "syscalls.syscall-counts.out"),
    # a first word that is no option is the command to count, as perf's report script
    (["report", "syscall-counts", "ls", "-i", rec("syscalls.data")],
     "syscalls.syscall-counts-ls.out"),
    (["rep", "syscall-counts-by-pid", "-i", rec("syscalls.data")],
     "syscalls.syscall-counts-by-pid.out"),
    (["report", "failed-syscalls-by-pid", "-i", rec("zstd.data")],
     "zstd.failed-syscalls-by-pid.out"),
    (["-i", rec("syscalls.data"), "-s", "syscall-counts.py", "ls"],
     "syscalls.syscall-counts-ls.out"),
    (["-i", rec("pipe.data"), "-s", "python:syscall-counts.py"], "pipe.syscall-counts.out"),
    (["-i", rec("syscalls.data"), "syscall-counts-by-pid.py"],
     "syscalls.syscall-counts-by-pid.out"),
])
def test_perfs_names_run_the_ports(perfscript, no_perf_scripts, args, expected):
    assert_prints(perfscript(args, env=no_perf_scripts),
                  read_maybe_xz(os.path.join(EXPECTED, expected)))


def test_report_passes_options_and_script_words(perfscript, no_perf_scripts,
                                                 recordings_kallsyms):
    """stackcollapse-report: perf script's options, then the script's words after --."""
    p = perfscript(["report", "stackcollapse", "-i", rec("callchain.data"), "--kallsyms",
                    recordings_kallsyms, "--", "--include-tid", "--kernel"],
                   env=no_perf_scripts)
    assert_prints(p, read_maybe_xz(os.path.join(EXPECTED, "callchain.stackcollapse-opts.out")))


def test_report_on_a_tracedat(perfscript, no_perf_scripts):
    """The ports read trace.dat files too: what perf printed for the perf.data recorded
    with it (tests/data/recordings/tracedat/README.md)."""
    p = perfscript(["report", "syscall-counts", "-i", rec("tracedat/tracepoints.dat")],
                   env=no_perf_scripts)
    assert_prints(p, read_maybe_xz(rec("tracedat/syscall-counts.perf.txt")))


def test_report_words_as_perfs_shell_scripts_take_them(perfscript, no_perf_scripts, tmp_path):
    # sctop-report: at most [comm] [interval], else its usage line (and status 0)
    p = perfscript(["report", "sctop", "a", "b", "c"], env=no_perf_scripts)
    assert (p.returncode, p.stdout) == (0, b"usage: sctop-report [comm] [interval]\n")
    # export-to-sqlite-report: [database name] [columns] [calls], then perf script's options
    db = tmp_path / "out.db"
    p = perfscript(["report", "export-to-sqlite", str(db), "-i", rec("callchain.data")],
                   env=no_perf_scripts)
    assert p.returncode == 0, p.stderr
    con = sqlite3.connect(str(db))
    try:
        # its 177 samples, ids from 1 (perf's exporter writes a row 0 first)
        assert con.execute("SELECT min(id), max(id) FROM samples").fetchone() == (0, 177)
    finally:
        con.close()
    # flamegraph-report: every word is the script's (its own -i)
    p = perfscript(["report", "flamegraph", "-i", rec("callchain.data"), "-f", "json",
                    "-o", "-"], env=no_perf_scripts)
    assert p.returncode == 0 and p.stdout.startswith(b'{"n": "all"'), p.stderr


def test_options_a_port_cannot_apply_are_refused(perfscript, no_perf_scripts):
    p = perfscript(["-C", "0", "-i", rec("syscalls.data"), "-s", "syscall-counts.py"],
                   env=no_perf_scripts)
    err = p.stderr.decode()
    assert p.returncode == 129 and p.stdout == b"" and err.count("\n") == 1, err
    assert "'--cpu' does not apply to a standalone perf-module script" in err


def _executable(path, text):
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture
def fake_perf(tmp_path, no_perf_scripts):
    """A `perf` on PATH whose `perf record` writes its arguments to rec-args and
    pipe.data to stdout (what `perf record -o -` would)."""
    fakebin = tmp_path / "fakebin"
    fakebin.mkdir()
    _executable(fakebin / "perf", "#!/bin/sh\necho \"$*\" > %s\ncat %s\n"
                % (tmp_path / "rec-args", rec("pipe.data")))
    return tmp_path / "rec-args", dict(no_perf_scripts, PATH="%s:%s" % (
        fakebin, os.environ.get("PATH", "/usr/bin:/bin")))


def test_record_name_runs_the_ports_record_script(perfscript, fake_perf):
    args_file, env = fake_perf
    p = perfscript(["record", "failed-syscalls-by-pid", "--", "ls"], env=env)
    assert p.returncode == 0, p.stderr
    assert args_file.read_text() == "record -e raw_syscalls:sys_exit -- ls\n"


def test_name_alone_pipes_the_ports(perfscript, fake_perf):
    """`perfscript NAME cmd`: the port's record script | its report script, as perf."""
    args_file, env = fake_perf
    p = perfscript(["syscall-counts", "ls"], env=env)
    assert_prints(p, read_maybe_xz(os.path.join(EXPECTED, "pipe.syscall-counts.out")))
    assert args_file.read_text() == "record -e raw_syscalls:sys_enter -q -o - ls\n"


def test_perfs_own_scripts_win(perfscript, tmp_path):
    """A tree with perf's syscall-counts runs it; one without runs the port."""
    base = tmp_path / "exec"
    bindir = base / "scripts" / "python" / "bin"
    bindir.mkdir(parents=True)
    _executable(bindir / "syscall-counts-report", "#!/bin/sh\necho perf\\'s own \"$@\"\n")
    env = {"PERF_EXEC_PATH": str(base)}
    p = perfscript(["report", "syscall-counts", "-i", "x"], env=env)
    assert (p.returncode, p.stdout) == (0, b"perf's own -i x\n")
    p = perfscript(["report", "syscall-counts-by-pid", "-i", rec("syscalls.data")], env=env)
    assert_prints(p, read_maybe_xz(os.path.join(EXPECTED, "syscalls.syscall-counts-by-pid.out")))
    p = perfscript(["-l"], env=env)             # perf's listing: perf's scripts only
    assert p.stdout == b"List of available trace scripts:\n  syscall-counts" \
        b"                       \n"


def test_each_report_script_has_its_port_and_record_script():
    bindir = os.path.join(PORTS, "bin")
    reports = [f[:-len("-report")] for f in os.listdir(bindir) if f.endswith("-report")]
    assert len(reports) == 10
    for name in reports:
        assert os.path.isfile(os.path.join(PORTS, name + ".py")), name
        assert os.path.isfile(os.path.join(bindir, name + "-record")), name
        for f in (name + "-report", name + "-record"):
            with open(os.path.join(bindir, f)) as script:
                assert script.readline() == "#!/bin/sh\n"


def test_the_package_data_takes_every_bundled_file():
    """pyproject's package-data globs match each file of the exec path, so a wheel has
    them"""
    tomllib = pytest.importorskip("tomllib")
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as f:
        globs = tomllib.load(f)["tool"]["setuptools"]["package-data"]["perfscript"]
    package = os.path.dirname(EXEC_PATH)
    for where, dirs, files in os.walk(EXEC_PATH):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for f in files:
            rel = os.path.relpath(os.path.join(where, f), package)
            assert any(fnmatch.fnmatch(rel, g.replace("**/", "*")) for g in globs), rel
