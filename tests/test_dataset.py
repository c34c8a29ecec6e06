"""Many recordings as one Parquet dataset (`perfscript export --dataset`,
`perfscript.open_dataset`, `perfscript sql -i DIR`): each file's rows are its own
`perfscript.open(file).table(event)`, row for row and type for type; inputs converted
once; parts written whole; a bad input reported by name and offset while the others
convert."""

import contextlib
import glob
import hashlib
import io
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
duckdb = pytest.importorskip("duckdb")

pytest.importorskip("pyarrow.compute")

import perfscript  # noqa: E402
from conftest import CORPUS, RECORDINGS, script_env  # noqa: E402
from perfscript.errors import PerfDataError  # noqa: E402
from perfscript.frames.dataset import DatasetError, layout  # noqa: E402
from perfscript.frames.dataset.schema import SOURCE_COLUMNS  # noqa: E402
from perfscript.frames.tables import sql_table  # noqa: E402
from perfscript.frames.unify import WIDE_INTEGER, common_type, conform, unify  # noqa: E402

# what export finds in the directory by magic: perf.data files and trace.dat files
OWN = sorted(glob.glob(os.path.join(RECORDINGS, "**", "*.data"), recursive=True)
             + glob.glob(os.path.join(RECORDINGS, "**", "*.dat"), recursive=True))
SHARED = sorted(glob.glob(os.path.join(CORPUS, "cases", "*", "perf.data"))
                + glob.glob(os.path.join(CORPUS, "cases", "*", "trace.dat")))
SCHED = os.path.join(RECORDINGS, "sched.data")
SMALL = [os.path.join(RECORDINGS, n) for n in
         ("sched.data", "syscalls.data", "zstd.data", "pipe.data", "callchain.data",
          "kmem_softirq.data")]


def export_process(args, timeout=600):
    """`perfscript export ARGS` as a command."""
    return subprocess.run([sys.executable, "-m", "perfscript", "export"]
                          + [str(a) for a in args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=script_env(), timeout=timeout,
                          stdin=subprocess.DEVNULL)


class Ran:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def run_export(args):
    """`perfscript export ARGS` run in this process (the workers are processes still):
    its status, stdout and stderr."""
    from perfscript.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["export"] + [str(a) for a in args])
    return Ran(status, out.getvalue().encode(), err.getvalue().encode())


def blake(path):
    with open(path, "rb") as f:
        return hashlib.blake2b(f.read(), digest_size=16).hexdigest()


def manifest(root):
    with open(os.path.join(root, layout.MANIFEST)) as f:
        return json.load(f)


def visible_parts(root):
    """Every `.parquet` a glob reader would see, relative to the dataset."""
    return sorted(os.path.relpath(p, root)
                  for p in glob.glob(os.path.join(root, "event=*", "*.parquet")))


def temporaries(root):
    return sorted(glob.glob(os.path.join(root, "event=*", ".*")))


def check_consistent(root):
    """The manifest names only parts that are there and whole, and only what it names
    is read through it."""
    if not os.path.exists(os.path.join(root, layout.MANIFEST)):
        return set()
    named = set()
    for entry in manifest(root)["files"].values():
        for ev in entry["events"].values():
            for part in ev["parts"]:
                t = pq.read_table(os.path.join(root, part))
                assert t.num_rows == ev["rows"] or len(ev["parts"]) > 1
                named.add(part)
    for part in visible_parts(root):
        pq.read_table(os.path.join(root, part))      # a visible part is whole
    return named


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """Every recording of tests/data/recordings and of the corpus (when present), as
    one dataset made by two workers."""
    root = tmp_path_factory.mktemp("fleet") / "ds"
    p = export_process(["--dataset", root, "-j", "2", RECORDINGS] + SHARED)
    assert p.returncode == 0, p.stderr.decode()[-3000:]
    return str(root), p


def test_every_recording_converted(fleet):
    root, p = fleet
    files = manifest(root)["files"]
    assert sorted(files) == sorted(os.path.abspath(f) for f in OWN + SHARED)
    err = p.stderr.decode().splitlines()
    assert err[-1].startswith("dataset %s: %d inputs: %d converted, 0 unchanged, 0 failed"
                              % (root, len(files), len(files)))
    assert sum(" converted " in line for line in err) == len(files)
    out = p.stdout.decode().splitlines()
    views = manifest(root)["events"]
    assert out == ["%s\t%s" % (views[v]["event"], os.path.join(root, "event=" + v))
                   for v in sorted(views)]
    for entry in files.values():
        for ev in entry["events"].values():
            assert ev["parts"] == ["event=%s/%s.parquet" % (ev["view"], entry["id"])]


def short(path):
    """A test id: the recording's path under tests/data/recordings or the corpus."""
    for top, label in ((RECORDINGS, "recordings"), (os.path.join(CORPUS, "cases"), "corpus")):
        if path.startswith(top + os.sep):
            return label + "/" + os.path.relpath(path, top)
    return path


@pytest.mark.parametrize("path", OWN + SHARED, ids=short)
def test_rows_are_the_files_own(fleet, path):
    root, _ = fleet
    ds = perfscript.open_dataset(root)
    path = os.path.abspath(path)
    entry = ds.files[path]
    assert entry["hash"] == blake(path)
    with perfscript.open(path) as t:
        host = t.header["hostname"]
        assert entry["host"] == host
        assert sorted(entry["events"]) == sorted(t.event_names)
        for view, name in t.view_names().items():
            want = t.table(name)
            got = ds.table(view, files=[path])
            assert entry["events"][name]["view"] == view
            # type for type: the file's own schema, then the source columns
            assert got.schema.names == want.schema.names + list(SOURCE_COLUMNS)
            for field in want.schema:
                assert got.schema.field(field.name).type == field.type, field.name
            assert got.select(want.schema.names).to_pylist() == want.to_pylist(), name
            one = 1 if got.num_rows else 0
            assert got.column("source_file").unique().to_pylist() == [path] * one
            assert got.column("source_host").unique().to_pylist() == [host] * one
            assert set(got.column("source_id").to_pylist()) <= {entry["hash"]}


@pytest.mark.parametrize("path", SMALL + SHARED[:6], ids=short)
def test_sql_views_are_the_files_views(fleet, path):
    """Through DuckDB, a file's rows of a dataset view are its own view's rows, with the
    same column types (the recording's views register its Arrow tables)."""
    root, _ = fleet
    ds = perfscript.open_dataset(root)
    path = os.path.abspath(path)
    con = duckdb.connect()
    with perfscript.open(path) as t:
        for view, name in t.view_names().items():
            con.register("single", sql_table(t.table(name)))
            want_types = con.sql("DESCRIBE single").fetchall()
            cols = ", ".join('"%s"' % c[0] for c in want_types)
            got_types = ds.sql('DESCRIBE "%s"' % view).fetchall()
            by_name = {c[0]: c[1] for c in got_types}
            for col, typ, *_ in want_types:
                assert by_name[col] == typ, (view, col)
            want = con.sql("SELECT %s FROM single ORDER BY sample_seq" % cols).fetchall()
            got = ds.sql("SELECT %s FROM \"%s\" WHERE source_file = '%s' ORDER BY sample_seq"
                         % (cols, view, path)).fetchall()
            assert got == want, view
            con.unregister("single")


def test_views_span_all_files(fleet):
    root, _ = fleet
    ds = perfscript.open_dataset(root)
    files = manifest(root)["files"]
    want = {}
    for entry in files.values():
        for name, ev in entry["events"].items():
            want[ev["view"]] = want.get(ev["view"], 0) + ev["rows"]
    assert ds.view_counts() == want
    for view, rows in want.items():
        assert ds.sql('SELECT count(*) FROM "%s"' % view).fetchall() == [(rows,)], view
        assert ds.table(view).num_rows == rows
    # a view whose files differ in columns: the union, null where a file lacks one
    clock = ds.table("cpu_clock")
    have_chain = {f for f, e in ds.files.items() if "cpu-clock" in e["events"]
                  and "sample_callchain" in e["events"]["cpu-clock"]["schema"].names}
    lack_chain = {f for f, e in ds.files.items() if "cpu-clock" in e["events"]} - have_chain
    assert have_chain and lack_chain
    assert clock.column_names[-3:] == list(SOURCE_COLUMNS)
    for f in lack_chain:
        rows = clock.filter(pa.compute.equal(clock.column("source_file").cast(pa.string()), f))
        assert rows.column("sample_callchain").null_count == rows.num_rows


def test_pipe_mode_host(fleet):
    """A pipe-mode recording's header comes with its data: its host is known before
    the tables are read (perfscript.open's header) and in the dataset."""
    root, _ = fleet
    pipe = os.path.join(RECORDINGS, "pipe.data")
    with perfscript.open(pipe) as t:
        host = t.header["hostname"]
    assert host
    assert perfscript.open_dataset(root).files[pipe]["host"] == host


def test_sql_command_over_a_dataset(fleet, perfscript):
    root, _ = fleet
    ds = perfscript_open_dataset(root)
    p = perfscript(["sql", "-i", root, "--csv", "SELECT source_file, count(*) AS n FROM "
                    "sched__sched_switch GROUP BY 1 ORDER BY 1"])
    assert p.returncode == 0, p.stderr
    want = {}
    for f, e in ds.files.items():
        rows = e["events"].get("sched:sched_switch", {}).get("rows")
        if rows:                # GROUP BY has no group for a file without rows
            want[f] = rows
    assert p.stdout.decode().splitlines() == ["source_file,n"] + [
        "%s,%d" % (f, n) for f, n in sorted(want.items())]
    p = perfscript(["sql", "-i", root, "--views"])
    assert p.returncode == 0
    assert "sched__sched_switch\tsched:sched_switch\t%d rows" % sum(want.values()) \
        in p.stdout.decode().splitlines()
    p = perfscript(["sql", "-i", root, "--kallsyms", "/proc/kallsyms", "SELECT 1"])
    assert p.returncode == 129 and b"--kallsyms" in p.stderr


def perfscript_open_dataset(root):
    return perfscript.open_dataset(root)


def copies(tmp_path, names=SMALL[:4]):
    d = tmp_path / "in"
    d.mkdir()
    out = []
    for n in names:
        dst = d / os.path.basename(n)
        shutil.copy(n, dst)
        out.append(str(dst))
    return out


def test_unchanged_inputs_are_not_converted_again(tmp_path):
    inputs = copies(tmp_path)
    root = tmp_path / "ds"
    assert run_export(["--dataset", root, "-j", "2"] + inputs).returncode == 0
    before = {p: os.stat(os.path.join(root, p)).st_ino for p in visible_parts(root)}
    first = manifest(root)
    p = run_export(["--dataset", root, "-j", "2"] + inputs)
    assert p.returncode == 0
    assert p.stderr.decode().count(" unchanged ") == len(inputs)
    assert " 0 converted, %d unchanged" % len(inputs) in p.stderr.decode()
    assert {p: os.stat(os.path.join(root, p)).st_ino for p in visible_parts(root)} == before
    assert manifest(root) == first
    # touched, same bytes: hashed, found unchanged, not converted
    os.utime(inputs[0], ns=(1, 1))
    p = run_export(["--dataset", root, "-j", "1", inputs[0]])
    assert p.returncode == 0 and " unchanged " in p.stderr.decode()
    assert visible_parts(root) == sorted(before)
    assert manifest(root)["files"][inputs[0]]["mtime_ns"] == 1
    # other bytes: converted again, the old parts gone with the manifest that named them
    old_id = manifest(root)["files"][inputs[1]]["id"]
    shutil.copy(SMALL[4], inputs[1])
    p = run_export(["--dataset", root, "-j", "2"] + inputs)
    assert p.returncode == 0
    assert " 1 converted, %d unchanged" % (len(inputs) - 1) in p.stderr.decode()
    entry = manifest(root)["files"][inputs[1]]
    assert entry["hash"] == blake(SMALL[4]) and entry["id"] != old_id
    assert not [p for p in visible_parts(root) if old_id in p]
    with perfscript.open(SMALL[4]) as t:
        assert sorted(entry["events"]) == sorted(t.event_names)
    check_consistent(root)
    # other settings (-e) convert again
    p = run_export(["--dataset", root, "-e", "sched:sched_switch", inputs[0]])
    assert p.returncode == 0 and " converted " in p.stderr.decode()
    assert list(manifest(root)["files"][inputs[0]]["events"]) == ["sched:sched_switch"]


def test_checksum_reads_what_size_and_mtime_call_unchanged(tmp_path):
    """Size and mtime as the manifest's: unchanged without reading (as git and rsync
    judge); --checksum hashes anyway and finds the new bytes."""
    (path,) = copies(tmp_path, [SCHED])
    root = tmp_path / "ds"
    assert run_export(["--dataset", root, path]).returncode == 0
    host = manifest(root)["files"][path]["host"].encode()
    st = os.stat(path)
    data = open(path, "rb").read()
    assert data.count(host + b"\0") == 1     # the HOSTNAME feature's string
    other = bytes([host[0] ^ 0x20]) + host[1:]
    with open(path, "wb") as f:          # same size, other bytes, same mtime
        f.write(data.replace(host + b"\0", other + b"\0"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    p = run_export(["--dataset", root, path])
    assert p.returncode == 0 and " 0 converted, 1 unchanged" in p.stderr.decode()
    p = run_export(["--dataset", root, "--checksum", path])
    assert p.returncode == 0 and " 1 converted, 0 unchanged" in p.stderr.decode()
    assert manifest(root)["files"][path]["hash"] == blake(path)
    assert manifest(root)["files"][path]["host"] == other.decode()


def test_removed_inputs_stay_unless_pruned(tmp_path):
    inputs = copies(tmp_path)
    root = tmp_path / "ds"
    assert run_export(["--dataset", root] + inputs).returncode == 0
    gone_id = manifest(root)["files"][inputs[0]]["id"]
    os.unlink(inputs[0])
    # named but missing: a failure, and its rows stay (its content could not be read)
    p = run_export(["--dataset", root] + inputs)
    assert p.returncode == 1
    assert "perfscript: %s: No such file or directory" % inputs[0] in p.stderr.decode()
    assert inputs[0] in manifest(root)["files"]
    # not named: kept (a dataset grows run by run) ...
    p = run_export(["--dataset", root] + inputs[1:])
    assert p.returncode == 0 and inputs[0] in manifest(root)["files"]
    # ... until --prune
    p = run_export(["--dataset", root, "--prune", str(tmp_path / "in")])
    assert p.returncode == 0, p.stderr
    assert "removed %s" % inputs[0] in p.stderr.decode()
    assert sorted(manifest(root)["files"]) == sorted(inputs[1:])
    assert not [p for p in visible_parts(root) if gone_id in p]
    check_consistent(root)
    # a mistyped input never prunes
    p = run_export(["--dataset", root, "--prune", str(tmp_path / "nowhere" / "*.data")])
    assert p.returncode == 1 and sorted(manifest(root)["files"]) == sorted(inputs[1:])


def corrupt_copy(path, dest):
    """`path` with 64 zero bytes in the middle of its data section: a record header
    of size 0 there (perfscript's located error names the offset)."""
    data = bytearray(open(path, "rb").read())
    off, size = struct.unpack_from("<QQ", data, 40)
    at = off + size // 2
    data[at:at + 64] = bytes(64)
    with open(dest, "wb") as f:
        f.write(data)


def test_a_corrupt_input_among_good_ones(tmp_path):
    inputs = copies(tmp_path)
    bad = str(tmp_path / "in" / "bad.data")
    corrupt_copy(SCHED, bad)
    with pytest.raises(PerfDataError) as info:
        with perfscript.open(bad) as t:
            t.tables()
    root = tmp_path / "ds"
    p = run_export(["--dataset", root, "-j", "2", str(tmp_path / "in")])
    err = p.stderr.decode().splitlines()
    assert p.returncode == 1
    located = "perfscript: %s: offset %d (0x%x): " % (bad, info.value.offset,
                                                      info.value.offset)
    assert [line for line in err if line.startswith(located)] == \
        ["perfscript: %s" % info.value]
    assert err[-1] == "perfscript export: 1 of %d inputs failed: %s" % (len(inputs) + 1, bad)
    assert sorted(manifest(root)["files"]) == sorted(inputs)
    assert not temporaries(root)
    assert set(visible_parts(root)) == check_consistent(root)
    # the failure is not remembered as done: the next run tries it again
    p = run_export(["--dataset", root, str(tmp_path / "in")])
    assert p.returncode == 1 and " 0 converted, %d unchanged, 1 failed" % len(inputs) \
        in p.stderr.decode()


def test_a_failed_write_leaves_no_part(tmp_path, monkeypatch):
    """A part that fails half written: no `.parquet` of it visible, no temporary left,
    the input reported, its other parts taken back, the others converted."""
    from perfscript.frames.dataset import build, convert
    inputs = copies(tmp_path)
    real = convert._write_parquet
    written = []

    def half_then_fail(table, path):
        real(table, path)
        written.append(path)
        if len(written) == 3:
            with open(path, "r+b") as f:
                f.truncate(os.path.getsize(path) // 2)
            raise OSError(28, "No space left on device", path)

    monkeypatch.setattr(convert, "_write_parquet", half_then_fail)
    root = tmp_path / "ds"
    summary = build.write_dataset(root, inputs, jobs=1)
    assert [o.status for o in summary.outcomes].count("failed") == 1
    (failed,) = summary.failed
    assert "No space left on device" in failed.error
    assert failed.source not in manifest(root)["files"]
    assert not temporaries(root)
    named = check_consistent(root)
    assert set(visible_parts(root)) == named
    assert sorted(manifest(root)["files"]) == sorted(set(inputs) - {failed.source})


CRASH = """
import os, sys
from perfscript.frames.dataset import build, convert
real = convert._write_parquet
n = [0]
def crash(table, path):
    n[0] += 1
    if n[0] == int(sys.argv[2]):
        real(table, path)
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) // 2)
        os.kill(os.getpid(), 9)          # dies with a half-written temporary
    real(table, path)
convert._write_parquet = crash
build.CHECKPOINT_SECONDS = 0
build.write_dataset(sys.argv[1], sys.argv[3:], jobs=1)
"""


@pytest.mark.parametrize("crash_at", [1, 4, 9])
def test_a_crash_mid_write(tmp_path, crash_at):
    inputs = copies(tmp_path)
    root = tmp_path / "ds"
    p = subprocess.run([sys.executable, "-c", CRASH, str(root), str(crash_at)] + inputs,
                       env=script_env(), stderr=subprocess.PIPE)
    assert p.returncode == -9, p.stderr
    assert temporaries(root)                      # the half-written part ...
    check_consistent(root)                        # ... is not visible, the rest whole
    # the next run finds what is missing and converts it; the temporaries go
    p = run_export(["--dataset", root] + inputs)
    assert p.returncode == 0, p.stderr
    assert not temporaries(root)
    clean = tmp_path / "clean"
    assert run_export(["--dataset", clean] + inputs).returncode == 0
    assert manifest(root) == manifest(clean)
    assert visible_parts(root) == visible_parts(clean)


# sitecustomize.py for the export's processes: a worker (not the command's own process)
# writing a part of sched.data kills itself with the part half written
WORKER_DIES = """
import os
from perfscript.frames.dataset import convert
real = convert._write_parquet
def dies(table, path):
    real(table, path)
    if os.getpid() != int(os.environ["DATASET_TEST_MAIN"]) and table.num_rows \\
            and table.column("source_file")[0].as_py().endswith("/sched.data"):
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) // 2)
        os.kill(os.getpid(), 9)
convert._write_parquet = dies
"""


def test_a_worker_killed_mid_write(tmp_path):
    """A worker killed writing a part, whenever it converts one recording: that input
    fails saying so, those converting beside it are run again and convert, the manifest
    names only whole parts, the command exits 1; the next run completes the dataset."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(WORKER_DIES)
    inputs = copies(tmp_path)
    root = tmp_path / "ds"
    env = script_env()
    env["PYTHONPATH"] = os.pathsep.join([str(hook), env.get("PYTHONPATH", "")])
    code = ("import os, sys; os.environ['DATASET_TEST_MAIN'] = str(os.getpid()); "
            "from perfscript.cli import main; sys.exit(main(sys.argv[1:]))")
    p = subprocess.run([sys.executable, "-c", code, "export", "--dataset", str(root),
                        "-j", "2"] + inputs, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=600)
    err = p.stderr.decode()
    assert p.returncode == 1, err
    sched = [f for f in inputs if f.endswith("/sched.data")][0]
    assert "perfscript: %s: a worker process died converting it (killed, or out of " \
        "memory)" % sched in err.splitlines()
    assert err.splitlines()[-1] == "perfscript export: 1 of %d inputs failed: %s" \
        % (len(inputs), sched)
    assert sorted(manifest(root)["files"]) == sorted(set(inputs) - {sched})
    # the half-written parts are swept once the pool is down: what is left is whole
    assert not temporaries(root)
    assert set(visible_parts(root)) == check_consistent(root)
    p = run_export(["--dataset", root, "-j", "2"] + inputs)
    assert p.returncode == 0, p.stderr
    assert not temporaries(root)
    assert sorted(manifest(root)["files"]) == sorted(inputs)


def test_killed_while_workers_write(tmp_path):
    """SIGKILL to the whole export (two workers) at some moment: the manifest names only
    whole parts; the next run completes the dataset."""
    inputs = OWN[:30]
    root = tmp_path / "ds"
    p = subprocess.Popen([sys.executable, "-m", "perfscript", "export", "--dataset",
                          str(root), "-j", "2", "-q"] + inputs, env=script_env(),
                         start_new_session=True, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    for _ in range(2400):           # until the first part is in place (2 minutes)
        if glob.glob(os.path.join(root, "event=*", "*.parquet")) or p.poll() is not None:
            break
        time.sleep(0.05)
    assert p.poll() is None, "the export ended before it could be killed"
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    time.sleep(0.5)          # a worker of the dead export may finish its rename
    check_consistent(root)
    p = run_export(["--dataset", root, "-j", "2"] + inputs)
    assert p.returncode == 0, p.stderr
    assert not temporaries(root)
    assert set(visible_parts(root)) == check_consistent(root)
    assert sorted(manifest(root)["files"]) == sorted(inputs)


def test_parallel_is_serial(tmp_path):
    inputs = SMALL + [os.path.join(RECORDINGS, "chunks", "chunks.data")]
    one, two = tmp_path / "one", tmp_path / "two"
    assert run_export(["--dataset", one, "-j", "1"] + inputs).returncode == 0
    assert run_export(["--dataset", two, "-j", "2"] + inputs).returncode == 0
    assert open(one / layout.MANIFEST, "rb").read() == open(two / layout.MANIFEST, "rb").read()
    assert visible_parts(one) == visible_parts(two)
    for part in visible_parts(one):
        assert open(one / part, "rb").read() == open(two / part, "rb").read(), part


def test_big_files_in_chunks(tmp_path):
    """A perf.data over --chunk-size is converted chunk by chunk (in both workers):
    the parts, in chunk order, are the file's rows; sample_stack_id numbers the
    callsites of each chunk."""
    path = os.path.join(RECORDINGS, "chunks", "chunks.data")
    root = tmp_path / "ds"
    p = run_export(["--dataset", root, "-j", "2", "--chunk-size", "20000", path])
    assert p.returncode == 0, p.stderr
    entry = manifest(root)["files"][path]
    assert entry["chunks"] >= 4
    ds = perfscript.open_dataset(root)
    with perfscript.open(path) as t:
        assert entry["header"]["first_time"] == t.header["first_time"]
        assert entry["header"]["last_time"] == t.header["last_time"]
        for name in t.event_names:
            parts = ds.files[path]["events"][name]["parts"]
            assert parts == sorted(parts) and len(parts) == entry["chunks"]
            want = t.table(name)
            got = ds.table(name, files=[path])
            assert got.num_rows == want.num_rows
            cols = [c for c in want.column_names if c != "sample_stack_id"]
            assert got.select(cols).to_pylist() == want.select(cols).to_pylist()


def test_inputs_found_by_magic(tmp_path):
    d = tmp_path / "tree"
    (d / "a" / "b").mkdir(parents=True)
    (d / ".hidden").mkdir()
    shutil.copy(SCHED, d / "a" / "b" / "recording-without-suffix")
    shutil.copy(SMALL[1], d / "a" / "x.data")
    shutil.copy(SMALL[2], d / ".hidden" / "y.data")
    (d / "a" / "notes.txt").write_text("not a recording\n")
    if SHARED:
        shutil.copy([s for s in SHARED if s.endswith("trace.dat")][0], d / "t.dat")
    root = tmp_path / "ds"
    p = run_export(["--dataset", root, d, str(tmp_path / "nothing" / "*.data"),
                    tmp_path / "missing.data"])
    assert p.returncode == 1
    err = p.stderr.decode()
    assert "perfscript: %s: no recording matches" % (tmp_path / "nothing" / "*.data") in err
    assert "perfscript: %s: No such file or directory" % (tmp_path / "missing.data") in err
    want = [str(d / "a" / "b" / "recording-without-suffix"), str(d / "a" / "x.data")]
    if SHARED:
        want.append(str(d / "t.dat"))
    assert sorted(manifest(root)["files"]) == sorted(want)
    # a quoted glob is expanded as the shell would, each match taken as given
    root2 = tmp_path / "ds2"
    p = run_export(["--dataset", root2, str(d / "a" / "*")])
    assert p.returncode == 1            # notes.txt is no recording: it fails, named
    assert "perfscript: %s:" % (d / "a" / "notes.txt") in p.stderr.decode()
    assert sorted(manifest(root2)["files"]) == sorted(want[:2])


def test_event_selection(tmp_path):
    inputs = copies(tmp_path)
    root = tmp_path / "ds"
    p = run_export(["--dataset", root, "-e", "sched__sched_switch", "-e",
                    "raw_syscalls:sys_enter"] + inputs)
    assert p.returncode == 0, p.stderr
    assert sorted(manifest(root)["events"]) == ["raw_syscalls__sys_enter",
                                                "sched__sched_switch"]
    p = run_export(["--dataset", tmp_path / "ds2", "-e", "nosuch"] + inputs)
    assert p.returncode == 1
    assert "perfscript export: no input has event 'nosuch'" in p.stderr.decode()


@pytest.mark.parametrize("args,words", [
    (["--format", "csv"], "option '--format csv'"),
    (["-o", "x"], "option '-o'"),
    (["--derived"], "option '--derived'"),
    (["-j", "0"], "option '-j 0'"),
    (["--chunk-size", "big"], "option '--chunk-size big'"),
])
def test_refused_options(tmp_path, args, words):
    p = run_export(["--dataset", tmp_path / "ds", SCHED] + args)
    assert p.returncode == 129
    assert p.stderr.decode().startswith("perfscript export: " + words)
    assert len(p.stderr.decode().splitlines()) == 1


def test_dataset_options_need_a_dataset(tmp_path):
    for args in (["-j", "2"], ["--prune"], [SMALL[1]]):
        p = run_export(["-i", SCHED, "-o", tmp_path / "o"] + args)
        assert p.returncode == 129 and len(p.stderr.decode().splitlines()) == 1
    p = run_export(["--dataset", tmp_path / "ds"])
    assert p.returncode == 129 and b"give the recordings" in p.stderr


def test_not_a_dataset_directory(tmp_path):
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "notes.txt").write_text("mine\n")
    p = run_export(["--dataset", tmp_path / "home", SCHED])
    assert p.returncode == 1 and b"not empty and not a perfscript dataset" in p.stderr
    assert os.listdir(tmp_path / "home") == ["notes.txt"]
    with pytest.raises(DatasetError):
        perfscript.open_dataset(tmp_path / "home")
    from perfscript.cli import main
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["sql", "-i", str(tmp_path / "home"), "SELECT 1"]) == 1
    assert err.getvalue() == ("perfscript sql: %s: a directory, and no dataset (it has no "
                              "manifest: perfscript export --dataset makes one)\n"
                              % (tmp_path / "home"))


def test_one_export_at_a_time(tmp_path):
    import fcntl
    root = tmp_path / "ds"
    root.mkdir()
    with open(root / layout.LOCK, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        p = run_export(["--dataset", root, SCHED])
    assert p.returncode == 1 and b"another export is writing this dataset" in p.stderr


def test_common_types():
    assert common_type(pa.int32(), pa.int64()) == pa.int64()
    assert common_type(pa.uint32(), pa.int32()) == pa.int64()
    assert common_type(pa.uint8(), pa.int8()) == pa.int16()
    assert common_type(pa.uint64(), pa.int64()) == WIDE_INTEGER
    assert common_type(pa.int32(), pa.float32()) == pa.float64()
    assert common_type(pa.list_(pa.uint8(), 4), pa.list_(pa.uint8(), 16)) == \
        pa.list_(pa.uint8())
    dict_str = pa.dictionary(pa.int32(), pa.string())
    assert common_type(dict_str, pa.string()) == dict_str
    assert common_type(pa.string(), pa.int64()) == pa.string()
    a = pa.schema([("x", pa.uint64()), ("y", dict_str)])
    b = pa.schema([("z", pa.int8()), ("x", pa.int64())])
    u = unify([a, b])
    assert u.names == ["x", "y", "z"] and u.field("x").type == WIDE_INTEGER
    t = conform(pa.table({"x": pa.array([2 ** 64 - 1], pa.uint64()),
                          "y": pa.array(["a"]).dictionary_encode()}), u)
    assert t.to_pylist() == [{"x": 2 ** 64 - 1, "y": "a", "z": None}]
    t = conform(pa.table({"z": pa.array([-1], pa.int8()), "x": pa.array([-5])}), u)
    assert t.to_pylist() == [{"x": -5, "y": None, "z": -1}]
