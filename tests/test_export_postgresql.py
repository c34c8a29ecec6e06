"""perf's export-to-postgresql.py, unchanged, into a real PostgreSQL server.

perf and perfscript export the same recording into two databases of a throwaway cluster
(initdb in a temporary directory, served on a unix socket only, trust authentication, stopped
at the end); every table's rows, ordered by id, and the schema with its views must be equal.
The script needs PySide2's QPSQL driver, which Debian ships for /usr/bin/python3 only, so
perfscript runs under that interpreter (.venv-sys, made by .ci/run).
"""

import difflib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile

import pytest

from conftest import CORPUS, RECORDINGS, qt_python, require_extra, script_env

SCRIPT = "/usr/lib/perf-core/scripts/python/export-to-postgresql.py"
PERF = shutil.which("perf", path=script_env()["PATH"])
PORT = "5432"  # no TCP: only names the socket file in the cluster's private directory

pytestmark = pytest.mark.skipif(PERF is None or not os.path.exists(SCRIPT),
                                reason="perf or its export-to-postgresql.py is not installed")


def _server_bin():
    """PostgreSQL's server programs: Debian's newest /usr/lib/postgresql/<ver>/bin."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


class Cluster:
    """A PostgreSQL server of our own: its socket directory, and clients that reach it."""

    def __init__(self, bindir, top, user):
        self.bindir, self.top, self.user = bindir, top, user

    def env(self):
        env = {k: v for k, v in script_env().items() if not k.startswith("PG")}
        env.update(PGHOST=self.top, PGPORT=PORT, PGUSER=self.user)
        return env

    def psql(self, db, sql):
        p = subprocess.run([os.path.join(self.bindir, "psql"), "-X", "-q", "-A", "-t",
                            "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env(),
                           stdin=subprocess.DEVNULL, timeout=120)
        assert p.returncode == 0, p.stderr.decode()
        return p.stdout.decode("utf-8")

    def schema(self, db):
        p = subprocess.run([os.path.join(self.bindir, "pg_dump"), "--schema-only",
                            "--no-owner", "-d", db],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env(),
                           stdin=subprocess.DEVNULL, timeout=120)
        assert p.returncode == 0, p.stderr.decode()
        # \restrict carries a random key per dump (pg_dump >= 15.14)
        return [line for line in p.stdout.decode("utf-8").splitlines()
                if not line.startswith(("\\restrict", "\\unrestrict"))]

    def tables(self, db):
        """{table: its rows in COPY text form, ordered by id} of every base table."""
        names = self.psql(db, "SELECT table_name FROM information_schema.tables WHERE "
                              "table_schema = 'public' AND table_type = 'BASE TABLE' "
                              "ORDER BY 1").split()
        return {t: self.psql(db, 'COPY (SELECT * FROM "%s" ORDER BY id) TO STDOUT' % t)
                .splitlines() for t in names}


@pytest.fixture(scope="module")
def cluster():
    bindir = _server_bin()
    if bindir is None:
        require_extra("PostgreSQL's server programs are not installed (Debian: postgresql)")
    qt_python("QPSQL")
    user = pwd.getpwuid(os.geteuid()).pw_name
    as_owner = []
    top = tempfile.mkdtemp(prefix="perfscript-pg-")
    if os.geteuid() == 0:
        # the server refuses to run as root: the postgres system user owns and runs it
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(top)
            require_extra("running as root and there is no postgres system user")
        os.chown(top, owner.pw_uid, owner.pw_gid)
        as_owner = ["runuser", "-u", "postgres", "--"]
    data, log = os.path.join(top, "data"), os.path.join(top, "server.log")
    pg_ctl = as_owner + [os.path.join(bindir, "pg_ctl"), "-D", data, "-s"]
    initialised = False
    try:
        subprocess.run(as_owner + [os.path.join(bindir, "initdb"), "-D", data, "-U", user,
                                   "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                       check=True, stdout=subprocess.DEVNULL, timeout=120)
        initialised = True
        p = subprocess.run(pg_ctl + ["-l", log, "-w", "-o",
                                     "-k %s -p %s -c listen_addresses= -c fsync=off"
                                     % (top, PORT), "start"], timeout=120)
        if p.returncode != 0:
            with open(log) as f:
                pytest.fail("the PostgreSQL server did not start:\n" + f.read()[-3000:])
        yield Cluster(bindir, top, user)
    finally:
        if initialised:
            subprocess.run(pg_ctl + ["-m", "immediate", "stop"], timeout=120)
        shutil.rmtree(top, ignore_errors=True)


def _export(argv, db, args, kallsyms, data, cluster, cwd):
    """Run export-to-postgresql.py into a new database `db` (the script creates it)."""
    os.makedirs(cwd)
    p = subprocess.run(argv + ["--kallsyms", kallsyms, "-i", data, "-s", SCRIPT, db] + args,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
                       env=cluster.env(), stdin=subprocess.DEVNULL, timeout=600)
    assert p.returncode == 0, "%s: exit status %d\n%s" % (
        argv[0], p.returncode, p.stderr.decode("utf-8", "replace")[-3000:])


def _first_row_difference(table, got, want):
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            return ("table %s, row %d by id:\n  perf      : %s\n  perfscript: %s"
                    % (table, i, w, g))
    return "table %s: perf has %d rows, perfscript %d" % (table, len(want), len(got))


ALL = ["all", "callchains", "calls"]
# (id, recording: in the corpus or tests/data/recordings, script arguments[, xfail reason])
EXPORTS = [
    # kernel, libc, ld.so, dd, dash and python3.11 frames; PERF_RECORD_SWITCH
    ("callchain", "recordings:callchain.data", ALL),
    # the narrower samples table of the `branches` columns
    ("callchain-branches", "recordings:callchain.data", ["branches", "calls", "callchains"]),
    # deep python3.11 user stacks under cpu-clock
    ("cpu_clock_callchain", "corpus:cases/cpu_clock_callchain/perf.data", ALL),
    # zstd-compressed, a tracepoint event beside cpu-clock
    ("compressed_export", "corpus:cases/compressed_export/perf.data", ALL),
    # context_switches rows, -T and --sample-cpu
    ("task_clock_switch", "corpus:cases/task_clock_switch/perf.data", ALL),
    # an event group with leader sampling and PERF_SAMPLE_READ
    ("group_read_regs", "corpus:cases/group_read_regs/perf.data", ALL),
    # page faults whose addr has a symbol: perf's thread-stack makes calls rows of them
    ("mixed_tp_sw", "corpus:cases/mixed_tp_sw/perf.data", ALL),
    # pipe mode: comm_exec is learned from the first exec COMM; a prctl rename after it
    # is a comm row only, samples keep the exec comm
    ("pipe_mode", "corpus:cases/pipe_mode/perf.data", ALL),
]


def _exports():
    for name, where, args, *reason in EXPORTS:
        marks = [pytest.mark.xfail(reason=reason[0], strict=True)] if reason else []
        yield pytest.param(name, where, args, id=name, marks=marks)


@pytest.mark.parametrize("name,where,args", list(_exports()))
def test_same_database_as_perf(name, where, args, cluster, recordings_kallsyms,
                               corpus_kallsyms_if_present, tmp_path):
    base, rel = where.split(":", 1)
    if base == "corpus":
        if corpus_kallsyms_if_present is None:
            pytest.skip("../shared/corpus is absent")
        data, kallsyms = os.path.join(CORPUS, rel), corpus_kallsyms_if_present
    else:
        data, kallsyms = os.path.join(RECORDINGS, rel), recordings_kallsyms
    db_perf, db_ours = ("perf_" + name).replace("-", "_"), ("ours_" + name).replace("-", "_")
    _export([PERF, "script"], db_perf, args, kallsyms, data, cluster,
            str(tmp_path / "perf"))
    _export([qt_python("QPSQL"), "-m", "perfscript"], db_ours, args, kallsyms, data,
            cluster, str(tmp_path / "ours"))

    want, got = cluster.tables(db_perf), cluster.tables(db_ours)
    assert want["samples"] and want["symbols"] and want["call_paths"], "nothing exported"
    assert sorted(got) == sorted(want)
    for table in sorted(want):
        assert got[table] == want[table], _first_row_difference(table, got[table],
                                                                want[table])
    schema_want, schema_got = cluster.schema(db_perf), cluster.schema(db_ours)
    assert any("CREATE VIEW public.samples_view" in line for line in schema_want)
    assert schema_got == schema_want, "\n".join(list(difflib.unified_diff(
        schema_want, schema_got, "perf", "perfscript", lineterm=""))[:40])


@pytest.fixture(scope="module")
def corpus_kallsyms_if_present(request):
    if not os.path.isdir(CORPUS):
        return None
    return request.getfixturevalue("corpus_kallsyms")
