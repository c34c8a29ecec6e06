"""perf's script-name conventions and command-line habits (issue 14, items 1 and 5).

`perfscript record NAME`, `report NAME`, `NAME` run perf's record/report shell scripts as
perf 6.1's cmd_script runs them (checked against perf's saved output of the script the
report runs, and with a made-up PERF_EXEC_PATH tree whose scripts say how they were
called); -l and missing scripts without perf's directory; a trace.dat given to any command;
perf's pager (the decision function, and through a pty); -q.
"""

import os
import pty
import shutil
import stat
import sys

import pytest

from conftest import first_difference

HERE = os.path.dirname(__file__)
RECORDINGS = os.path.join(HERE, "data", "recordings")
EXPECTED = os.path.join(RECORDINGS, "expected")
TRACEDAT = os.path.join(HERE, "data", "tracedat")
PERF_SCRIPTS = "/usr/lib/perf-core/scripts/python"


def _executable(path, text):
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture
def exec_tree(tmp_path):
    """A PERF_EXEC_PATH with one script pair, `probe`: its record script writes its
    arguments to rec-args and pipe.data to stdout (what `perf record -o -` would); its
    report script runs `perf script $@ -s probe.py` as perf's do; and a fake `perf` on
    PATH (recording needs one)."""
    base = tmp_path / "exec"
    bindir = base / "scripts" / "python" / "bin"
    bindir.mkdir(parents=True)
    _executable(bindir / "probe-record",
                "#!/bin/bash\necho \"$*\" > %s\ncat %s\n"
                % (tmp_path / "rec-args", os.path.join(RECORDINGS, "pipe.data")))
    _executable(bindir / "probe-report",
                "#!/bin/bash\n# description: counts samples\n# args: <word>\n"
                "word=$1\nshift\n"
                "perf script $@ -s \"$PERF_EXEC_PATH\"/scripts/python/probe.py $word\n")
    (base / "scripts" / "python" / "probe.py").write_text(
        "import sys\nn = 0\n"
        "def trace_begin():\n    print('args', sys.argv[1:])\n"
        "def trace_unhandled(*a):\n    global n\n    n += 1\n"
        "def trace_end():\n    print('events', n)\n")
    fakebin = tmp_path / "fakebin"
    fakebin.mkdir()
    _executable(fakebin / "perf", "#!/bin/sh\necho \"real perf: $*\"\n")
    env = {"PERF_EXEC_PATH": str(base),
           "PATH": "%s:%s" % (fakebin, os.environ.get("PATH", "/usr/bin:/bin"))}
    return tmp_path, env


# ------------------------------------------------------------ report NAME / record / NAME

@pytest.mark.skipif(not os.path.isfile(os.path.join(PERF_SCRIPTS, "bin",
                                                    "syscall-counts-report")),
                    reason="perf's scripts are not installed")
@pytest.mark.parametrize("args, expected", [
    ([], "syscalls.syscall-counts.out"),
    (["ls"], "syscalls.syscall-counts-ls.out")])
def test_report_name_runs_perfs_report_script(args, expected, perfscript):
    """`perf script report syscall-counts [comm] -i FILE` runs syscall-counts-report,
    which runs `perf script -i FILE -s .../syscall-counts.py [comm]`: perf's output of
    that script is the expected text."""
    p = perfscript(["report", "syscall-counts"] + args
                   + ["-i", os.path.join(RECORDINGS, "syscalls.data")])
    with open(os.path.join(EXPECTED, expected), "rb") as f:
        want = f.read()
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    assert p.stdout == want, first_difference(p.stdout, want)


def test_report_name_in_a_made_up_tree(exec_tree, perfscript):
    tmp, env = exec_tree
    p = perfscript(["repor", "probe", "w", "-i", os.path.join(RECORDINGS, "pipe.data")],
                   env=env)
    assert p.returncode == 0, p.stderr.decode()
    assert p.stdout == b"args ['w']\nevents 71\n"


def test_unknown_report_script(exec_tree, perfscript):
    tmp, env = exec_tree
    p = perfscript(["report", "nosuch"], env=env)
    err = p.stderr.decode()
    assert p.returncode == 255 and err.count("\n") == 1, err
    assert "no report script 'nosuch'" in err and str(tmp / "exec" / "scripts") in err


@pytest.mark.parametrize("args, want", [
    (["--", "ls", "-l"], "-- ls -l"),
    (["-e", "cycles", "ls"], "-e cycles ls"),
    (["-o", "x.data"], "-a -o x.data"),        # no command: perf records system-wide
    ([], "-a")])
def test_record_name_runs_the_record_script(args, want, exec_tree, perfscript):
    tmp, env = exec_tree
    p = perfscript(["record", "probe"] + args, env=env)
    assert p.returncode == 0, p.stderr.decode()
    assert (tmp / "rec-args").read_text() == want + "\n"


def test_record_without_perf(exec_tree, perfscript, tmp_path):
    tmp, env = exec_tree
    bare = tmp_path / "bare"                  # a PATH with a shell and no perf
    bare.mkdir()
    (bare / "sh").symlink_to(shutil.which("sh"))
    env = dict(env, PATH=str(bare))
    p = perfscript(["record", "probe", "--", "ls"], env=env)
    err = p.stderr.decode()
    assert p.returncode == 255 and err.count("\n") == 1 and "perf is not installed" in err, err
    assert not (tmp / "rec-args").exists()


def test_name_alone_pipes_record_into_report(exec_tree, perfscript):
    """`perf script NAME WORD cmd`: the report script's one <arg> first, the rest to the
    record script with -q -o -; the report reads the pipe (-i -)."""
    tmp, env = exec_tree
    p = perfscript(["probe", "word", "ls", "-l"], env=env)
    assert p.returncode == 0, p.stderr.decode()
    assert p.stdout == b"args ['word']\nevents 71\n"
    assert (tmp / "rec-args").read_text() == "-q -o - ls -l\n"
    p = perfscript(["probe"], env=env)         # its <word> is missing
    assert p.returncode == 129 and b"`probe' script requires options" in p.stderr


def test_unknown_name(exec_tree, perfscript):
    tmp, env = exec_tree
    p = perfscript(["nosuch", "x"], env=env)
    assert p.returncode == 129 and b"Couldn't find script `nosuch'" in p.stderr


# ------------------------------------------------------------ without perf's scripts

def test_list_without_perfs_directory(perfscript, tmp_path):
    """perfscript's ports (test_bundled_scripts.py), said to be theirs on stderr."""
    p = perfscript(["-l"], env={"PERF_EXEC_PATH": str(tmp_path / "none")})
    out, err = p.stdout.decode(), p.stderr.decode()
    assert p.returncode == 0
    assert out.startswith("List of available trace scripts:\n")
    assert "  syscall-counts [comm]                system-wide syscall counts\n" in out
    assert err.count("\n") == 1 and str(tmp_path / "none" / "scripts") in err, err
    assert "perfscript's ports" in err and "sched-migration" in err


def test_perf_script_name_without_perfs_directory(perfscript, tmp_path):
    """One of perf's scripts perfscript has no port of (its ports run: test_bundled_scripts)."""
    p = perfscript(["-i", os.path.join(RECORDINGS, "sched.data"), "-s", "sched-migration.py"],
                   env={"PERF_EXEC_PATH": str(tmp_path / "none")})
    err = p.stderr.decode()
    assert p.returncode == 255 and err.count("\n") == 1, err
    assert "one of perf's scripts" in err and "PERF_EXEC_PATH" in err


def test_perf_exec_path_alone_when_set(perfscript, tmp_path, exec_tree):
    """perf looks only under $PERF_EXEC_PATH when it is set, and so does -l."""
    tmp, env = exec_tree
    p = perfscript(["-l"], env=env)
    assert p.stdout == (b"List of available trace scripts:\n"
                        b"  probe <word>                         counts samples\n")


# ------------------------------------------------------------ trace.dat anywhere

def test_text_of_a_tracedat_is_tracecmd_report(perfscript):
    with open(os.path.join(TRACEDAT, "v6.report.txt"), "rb") as f:
        want = f.read()
    for args in (["-i", os.path.join(TRACEDAT, "v6.dat")],
                 ["tracecmd-report", "-i", os.path.join(TRACEDAT, "v6.dat")]):
        p = perfscript(args)
        assert p.returncode == 0 and p.stdout == want, p.stderr


@pytest.mark.parametrize("extra, says", [
    (["--ns"], "option '--ns'"),
    (["-g", "python"], "perfscript tables -i")])       # -s runs: test_tracedat_scripts.py
def test_other_uses_of_a_tracedat_say_what_reads_it(extra, says, perfscript):
    path = os.path.join(TRACEDAT, "v6.dat")
    p = perfscript(["-i", path] + extra)
    err = p.stderr.decode()
    assert p.returncode == 1 and p.stdout == b"" and err.count("\n") == 1, err
    assert err.startswith("perfscript: %s: is a trace-cmd trace.dat" % path) and says in err


def test_tracecmd_report_of_a_perf_data(perfscript):
    path = os.path.join(RECORDINGS, "sched.data")
    p = perfscript(["tracecmd-report", "-i", path])
    assert p.returncode == 1
    assert p.stderr.decode() == ("perfscript: %s: is a perf.data recording, not a trace-cmd "
                                 "trace.dat: `perfscript -i %s` prints it\n" % (path, path))


# ------------------------------------------------------------ pager

def test_pager_decision():
    from perfscript.cli.pager import pager_command
    everything = lambda path: True          # noqa: E731
    nothing = lambda path: False            # noqa: E731
    assert pager_command({}, False, executable=everything) is None   # redirected: never
    assert pager_command({"PAGER": "most"}, True, wanted=False) is None     # --no-pager
    assert pager_command({}, True, executable=everything) == "/usr/bin/pager"
    assert pager_command({}, True, executable=lambda p: p == "/usr/bin/less") == "/usr/bin/less"
    assert pager_command({}, True, executable=nothing) is None       # perf: cat, i.e. none
    assert pager_command({"PAGER": "most"}, True) == "most"
    assert pager_command({"PAGER": "most", "PERF_PAGER": "more"}, True) == "more"
    assert pager_command({"PAGER": "most", "PERF_PAGER": ""}, True) is None
    assert pager_command({"PAGER": "cat"}, True) is None


def _in_a_pty(args, env):
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(env)
        os.execv(sys.executable, [sys.executable, "-m", "perfscript"] + args)
    out = b""
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        out += data
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.replace(b"\r\n", b"\n")


@pytest.mark.parametrize("args, paged", [
    (["-F", "comm,tid"], True),
    (["-F", "comm,tid", "--no-pager"], False),
    (["-s", "{script}"], False)])            # perf never pages a script's output
def test_pager_on_a_terminal(args, paged, tmp_path):
    from conftest import script_env
    script = tmp_path / "s.py"
    script.write_text("def trace_end():\n    print('end')\n")
    env = dict(script_env(), PAGER="sed s/^/paged:/", LESS="",
               PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(
                   sys.modules["perfscript"].__file__))))
    args = [a.replace("{script}", str(script)) for a in args]
    status, out = _in_a_pty(["-i", os.path.join(RECORDINGS, "sched.data")] + args, env)
    assert status == 0, out[-500:]
    lines = out.decode().splitlines()
    assert lines and all(line.startswith("paged:") == paged for line in lines), lines[:3]


# ------------------------------------------------------------ -q

@pytest.mark.parametrize("quiet", [False, True])
def test_quiet_silences_warnings(quiet, perfscript, tmp_path):
    from synthetic import build_perf_data
    path = tmp_path / "perf.data"
    path.write_bytes(build_perf_data([("s", 1000 + i) for i in range(19)]
                                     + [("l", 2000, 5), ("r",)]))
    p = perfscript(["-i", path, "-F", "time"] + (["-q"] if quiet else []))
    assert p.returncode == 0 and len(p.stdout.splitlines()) == 19, p.stderr
    assert (b"Warning:" in p.stderr) != quiet, p.stderr
