"""Shared fixtures of the end-to-end tests: run perfscript the way the references ran perf."""

import atexit
import glob
import lzma
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

TESTS = os.path.dirname(os.path.abspath(__file__))
RECORDINGS = os.path.join(TESTS, "data", "recordings")
SHARED = os.path.join(os.path.dirname(os.path.dirname(TESTS)), "shared")
# perf's embedded python takes sys.prefix from the first python3 in PATH: the references were
# made with this PATH (see /work/shared/corpus/NOTES.md); perfscript gets the same one.
ENV_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


# The on-disk symbol cache of every run the tests make goes to a directory of their own (the
# user's ~/.cache stays untouched); tests that need it empty or off set their own.
_CACHE = tempfile.mkdtemp(prefix="perfscript-test-symbols-")
atexit.register(shutil.rmtree, _CACHE, True)
os.environ["PERFSCRIPT_CACHE_DIR"] = _CACHE
os.environ.pop("PERFSCRIPT_NO_CACHE", None)


def script_env():
    env = {k: v for k, v in os.environ.items()
           if k not in ("PERF_EXEC_PATH", "PYTHONUNBUFFERED", "PYTHONHOME")}
    env.update(PATH=ENV_PATH, LC_ALL="C", TZ="UTC", PYTHONHASHSEED="0",
               PYTHONDONTWRITEBYTECODE="1")
    return env


def read_maybe_xz(path):
    opener = lzma.open if path.endswith(".xz") else open
    with opener(path, "rb") as f:
        return f.read()


@pytest.fixture(scope="session")
def recordings_kallsyms(tmp_path_factory):
    """The kernel symbols of the recordings in tests/data/recordings (decompressed)."""
    import glob
    (xz,) = glob.glob(os.path.join(RECORDINGS, "kallsyms-*.xz"))
    out = tmp_path_factory.mktemp("kallsyms") / os.path.basename(xz)[:-3]
    out.write_bytes(read_maybe_xz(xz))
    return str(out)


CORPUS = os.path.join(SHARED, "corpus")


def corpus_commands():
    """Every check of the shared corpus: (case dir, check id, name, kind, expected, rc,
    command) from each case's ref/COMMANDS; none when the corpus is absent."""
    out = []
    for commands in sorted(glob.glob(os.path.join(CORPUS, "*", "*", "ref", "COMMANDS"))):
        case = os.path.dirname(os.path.dirname(commands))
        with open(commands) as f:
            for line in f:
                if not line.strip() or line.startswith("#"):
                    continue
                name, kind, expected, rc, command = line.rstrip("\n").split("\t")
                cid = "%s/%s/%s" % (os.path.basename(os.path.dirname(case)),
                                    os.path.basename(case), name)
                out.append((case, cid, name, kind, expected, int(rc), command))
    return out


@pytest.fixture(scope="session")
def corpus_kallsyms(tmp_path_factory):
    """The corpus machine's kernel symbols (perf read them from its build-id cache)."""
    (xz,) = glob.glob(os.path.join(CORPUS, "env", "kallsyms-*.xz"))
    out = tmp_path_factory.mktemp("corpus-kallsyms") / os.path.basename(xz)[:-3]
    out.write_bytes(read_maybe_xz(xz))
    return str(out)


def reference_machine(case, corpus_kallsyms):
    """How to run a corpus check as on the machine that made its reference: (extra args,
    extra env). Its own recordings get that machine's kernel symbols with --kallsyms (perf
    read them from its build-id cache); for third-party files, perf read that machine's
    /proc/kallsyms only when a file names no kernel build id, which
    PERFSCRIPT_PROC_KALLSYMS reproduces."""
    if os.path.basename(os.path.dirname(case)) == "cases":
        return ["--kallsyms", corpus_kallsyms], {}
    return [], {"PERFSCRIPT_PROC_KALLSYMS": corpus_kallsyms}


@pytest.fixture
def perfscript(tmp_path):
    """run(args, stdin=None, cwd=tmp_path) -> CompletedProcess of `python -m perfscript args`.

    stdin: bytes, or a path whose file becomes the child's stdin.  stdout/stderr are bytes.
    env: extra environment variables.
    """
    def run(args, stdin=None, cwd=None, timeout=300, env=None):
        cmd = [sys.executable, "-m", "perfscript"] + [str(a) for a in args]
        kw = dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(cwd or tmp_path),
                  env=dict(script_env(), **(env or {})), timeout=timeout)
        if isinstance(stdin, (bytes, bytearray)):
            return subprocess.run(cmd, input=bytes(stdin), **kw)
        if stdin is not None:
            with open(stdin, "rb") as f:
                return subprocess.run(cmd, stdin=f, **kw)
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, **kw)
    return run


def same_status(actual, expected):
    """perf aborts (SIGABRT, -6) when a handler raises; exiting with 134 counts as the same."""
    if expected in (-6, 134):
        return actual in (-6, 134)
    return actual == expected


def assert_like_perf(proc, expected, status):
    """A perfscript run printed perf's stdout and exited as perf did (stderr's tail in the
    message)."""
    err = proc.stderr.decode("utf-8", "replace")[-3000:]
    assert proc.stdout == expected, (first_difference(proc.stdout, expected)
                                     + "\n--- stderr:\n" + err)
    assert same_status(proc.returncode, status), (
        "exit status %d, perf's was %d\n--- stderr:\n%s" % (proc.returncode, status, err))


def first_difference(actual, expected, context=6):
    """A short excerpt around the first differing line, for assertion messages."""
    a = actual.decode("utf-8", "replace").splitlines()
    e = expected.decode("utf-8", "replace").splitlines()
    i = 0
    while i < min(len(a), len(e)) and a[i] == e[i]:
        i += 1
    lo = max(0, i - context)
    lines = ["first difference at line %d (perfscript %d lines, perf %d lines)"
             % (i + 1, len(a), len(e))]
    lines += ["  perf      : " + x for x in e[lo:i + context]]
    lines += ["  perfscript: " + x for x in a[lo:i + context]]
    return "\n".join(lines)


REPO = os.path.dirname(TESTS)
# Debian ships PySide2 (QtSql and its database drivers) for /usr/bin/python3 only; .ci/run
# installs perfscript into a venv of that interpreter, .venv-sys, for the Qt-based exporters.
SYS_VENV_PYTHON = os.path.join(REPO, ".venv-sys", "bin", "python")


def require_extra(reason):
    """Skip for want of an optional system package; in CI (PERFSCRIPT_REQUIRE_QT=1, set by
    .ci/run, which installs them all) fail instead, so the check cannot silently vanish."""
    if os.environ.get("PERFSCRIPT_REQUIRE_QT") == "1":
        pytest.fail(reason + " (PERFSCRIPT_REQUIRE_QT=1)", pytrace=False)
    pytest.skip(reason)


_qt_pythons = {}


def qt_python(driver):
    """An interpreter that has perfscript and PySide2's QtSql with `driver` (QSQLITE,
    QPSQL): this one or .venv-sys; skips (or fails, see require_extra) when neither has."""
    if driver not in _qt_pythons:
        probe = ("import perfscript\nfrom PySide2.QtSql import QSqlDatabase\n"
                 "raise SystemExit(%r not in QSqlDatabase.drivers())" % driver)
        _qt_pythons[driver] = next(
            (py for py in (sys.executable, SYS_VENV_PYTHON) if os.path.exists(py)
             and subprocess.run([py, "-c", probe], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL).returncode == 0), None)
    if _qt_pythons[driver] is None:
        require_extra("no interpreter with perfscript and PySide2's %s driver (Debian: "
                      "python3-pyside2.qtsql, libqt5sql5-%s; then .venv-sys as .ci/run "
                      "makes it)" % (driver, "psql" if driver == "QPSQL" else "sqlite"))
    return _qt_pythons[driver]


# the engines' test modules skip themselves when Spark or Dask cannot run here
# (engine_cases.need); `pytest -q` would show only a count of skipped tests
_ENGINE_TESTS = ("test_spark.py", "test_dask.py")


def pytest_terminal_summary(terminalreporter):
    """One line per reason the Spark or Dask tests were skipped, at the end of the run."""
    reasons = []
    for rep in terminalreporter.stats.get("skipped", []):
        where = rep.nodeid.split("::")[0]
        if os.path.basename(where) in _ENGINE_TESTS and isinstance(rep.longrepr, tuple):
            reason = rep.longrepr[2].removeprefix("Skipped: ")
            if reason not in reasons:
                reasons.append(reason)
    for reason in reasons:
        terminalreporter.write_line("NOTE: " + reason, yellow=True, bold=True)
