"""db-export mode (perf_db_export_mode): the *_table callbacks, their ids, tuples and order.

The corpus references (perf 6.1 on the corpus machine) are the ground truth; where a case
has no reference, real perf on this machine is run on the same file and script.
"""

import glob
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import SHARED, read_maybe_xz, script_env
from perfscript.script.db_export import branch_type_rows, d64, s32

CORPUS = os.path.join(SHARED, "corpus")
DBEXPORT = os.path.join(CORPUS, "dbexport.py")
needs_corpus = pytest.mark.skipif(not os.path.isfile(DBEXPORT),
                                  reason="../shared/corpus is absent")
needs_perf = pytest.mark.skipif(shutil.which("perf", path=script_env()["PATH"]) is None,
                                reason="perf is not installed")


def test_branch_types_in_perf_order():
    rows = branch_type_rows()
    assert len(rows) == 42
    assert rows[:5] == [(0, "no branch"), (3, "call"), (5, "return"),
                        (9, "conditional jump"), (1, "unconditional jump")]
    assert rows[15] == (4099, "vm exit")
    assert rows[16:18] == [(256, "trace begin / no branch"), (512, "no branch / trace end")]
    assert rows[-1] == (4611, "vm exit / trace end")
    # the plain unconditional jump and the trace begin/end types get no variants
    names = [n for _, n in rows]
    assert "trace begin / unconditional jump" not in names
    assert "trace begin / trace begin" not in names


def test_signed_conversions():
    assert d64(0xffffffff81b27750) == -2119010480
    assert d64(5) == 5
    assert d64((1 << 64) - 1) == -1
    assert s32(0xFFFFFFFF) == -1
    assert s32(7) == 7


@pytest.fixture(scope="module")
def kallsyms(tmp_path_factory):
    import glob
    (xz,) = glob.glob(os.path.join(CORPUS, "env", "kallsyms-*.xz"))
    out = tmp_path_factory.mktemp("dbx-kallsyms") / os.path.basename(xz)[:-3]
    out.write_bytes(read_maybe_xz(xz))
    return str(out)


@needs_corpus
@pytest.mark.parametrize("case", ["compressed_export", "cpu_clock_callchain"])
def test_dbexport_matches_reference(case, perfscript, kallsyms):
    """Every table call, id and tuple as perf 6.1 made them (dbexport.py prints them all),
    tracepoint samples still reaching trace_unhandled."""
    d = os.path.join(CORPUS, "cases", case)
    p = perfscript(["--kallsyms", kallsyms, "-i", os.path.join(d, "perf.data"),
                    "-s", DBEXPORT])
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    want = read_maybe_xz(os.path.join(d, "ref", "dbexport.out"))
    got_lines, want_lines = p.stdout.splitlines(), want.splitlines()
    for i, (g, w) in enumerate(zip(got_lines, want_lines)):
        assert g == w, "line %d differs" % (i + 1)
    assert len(got_lines) == len(want_lines)


def _perf(args, cwd):
    return subprocess.run(["perf", "script"] + args, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=script_env(), cwd=str(cwd),
                          stdin=subprocess.DEVNULL, timeout=300)


# No kernel symbols in these rows' comparison: only ids, threads, comms and switches.
_NO_SYMBOL_TABLES = (b"evsel_table", b"machine_table", b"thread_table", b"comm_table",
                     b"comm_thread_table", b"context_switch_table", b"trace_unhandled")


def _rows(out, tables):
    return [line.split(b" ", 1)[1] for line in out.splitlines()
            if line.split(b" ", 1)[1].startswith(tables)]


@needs_corpus
@needs_perf
def test_context_switch_table_as_perf(perfscript, tmp_path):
    """Switch records become context_switch_table rows (flags bit 0 out, bit 1 preempt),
    threads and comms exported on first reference, as real perf does."""
    data = os.path.join(CORPUS, "cases", "task_clock_switch", "perf.data")
    ref = _perf(["-i", data, "-s", DBEXPORT], tmp_path)
    p = perfscript(["-i", data, "-s", DBEXPORT])
    assert p.returncode == ref.returncode == 0
    want = _rows(ref.stdout, _NO_SYMBOL_TABLES)
    assert any(r.startswith(b"context_switch_table") for r in want)
    assert _rows(p.stdout, _NO_SYMBOL_TABLES) == want


@needs_corpus
@needs_perf
@pytest.mark.parametrize("rel", [
    # page faults with addr: the addr side gets its own "unknown" symbol; forks, comms
    "cases/mixed_tp_sw/perf.data",
    # kernel-only callchains (the idle task), resolved in the kernel map
    "thirdparty/quipper_callgraph_3_8/perf.data",
    # context switches of a foreign recording
    "thirdparty/quipper_ctx_switch_namespaces_4_14/perf.data",
])
def test_dbexport_as_perf(rel, perfscript, tmp_path):
    data = os.path.join(CORPUS, rel)
    if not os.path.exists(data):
        pytest.skip("%s is absent" % rel)
    ref = _perf(["-i", data, "-s", DBEXPORT], tmp_path)
    if ref.returncode != 0:
        pytest.skip("perf cannot read %s here" % rel)
    p = perfscript(["-i", data, "-s", DBEXPORT])
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    got, want = p.stdout.splitlines(), ref.stdout.splitlines()
    for i, (g, w) in enumerate(zip(got, want)):
        assert g == w, "line %d differs" % (i + 1)
    assert len(got) == len(want)


def test_no_db_export_without_the_flag(perfscript, tmp_path):
    """perf_db_export_mode false: the script is an ordinary one (no *_table calls)."""
    script = tmp_path / "s.py"
    script.write_text(
        "perf_db_export_mode = False\n"
        "def sample_table(*x):\n    print('sample_table')\n"
        "def branch_type_table(*x):\n    print('branch_type_table')\n"
        "def trace_end():\n    print('end')\n")
    data = os.path.join(CORPUS, "cases", "cpu_clock_callchain", "perf.data")
    if not os.path.exists(data):
        pytest.skip("corpus absent")
    p = perfscript(["-i", data, "-s", str(script)])
    assert p.returncode == 0
    assert p.stdout == b"end\n"


def test_mode_read_after_trace_begin(perfscript, tmp_path):
    """perf reads perf_db_export_mode after trace_begin: a script may turn it on there."""
    script = tmp_path / "s.py"
    script.write_text(
        "def trace_begin():\n"
        "    global perf_db_export_mode\n    perf_db_export_mode = True\n"
        "n = [0]\n"
        "def sample_table(*x):\n    n[0] += 1\n"
        "def evsel_table(*x):\n    print('evsel', x)\n"
        "def trace_end():\n    print('samples', n[0])\n")
    data = os.path.join(CORPUS, "cases", "cpu_clock_callchain", "perf.data")
    if not os.path.exists(data):
        pytest.skip("corpus absent")
    p = perfscript(["-i", data, "-s", str(script)])
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    assert p.stdout == b"evsel (1, 'cpu-clock')\nsamples 321\n"


# ---------------------------------------------------------------- call_return rows

RECORDINGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "recordings")
CALLS = os.path.join(RECORDINGS, "calls")
CALLS_EXPECTED = os.path.join(RECORDINGS, "expected", "calls")
with open(os.path.join(CALLS_EXPECTED, "checks.json")) as _f:
    CALLS_CHECKS = json.load(_f)


@pytest.fixture(scope="module")
def calls_kallsyms(tmp_path_factory):
    (xz,) = glob.glob(os.path.join(CALLS, "kallsyms-*.xz"))
    out = tmp_path_factory.mktemp("calls-kallsyms") / os.path.basename(xz)[:-3]
    out.write_bytes(read_maybe_xz(xz))
    return str(out)


@pytest.mark.parametrize("check", CALLS_CHECKS, ids=[c["name"] for c in CALLS_CHECKS])
def test_call_return_rows_as_perf(check, perfscript, calls_kallsyms):
    """perf_db_export_calls: the thread stack's call_return rows (bottom entries, exec
    flushes, the final flush in thread-table order), their call paths shared with
    callchains, and every other row, as perf 6.1 printed them (mkrefs_calls.py)."""
    p = perfscript(["--kallsyms", calls_kallsyms, "-i", os.path.join(CALLS, check["recording"]),
                    "-s", os.path.join(RECORDINGS, check["script"])] + check["args"])
    assert p.returncode == check["rc"], p.stderr.decode()[-2000:]
    want = read_maybe_xz(os.path.join(CALLS_EXPECTED, check["expected"]))
    assert b"call_return_table(" in want
    got_lines = p.stdout.splitlines()
    want_lines = _as_on_this_machine(want.splitlines(),
                                     os.path.join(CALLS, check["recording"]))
    for i, (g, w) in enumerate(zip(got_lines, want_lines)):
        assert g == w, "line %d differs" % (i + 1)
    assert len(got_lines) == len(want_lines)


_DSO_ROW = re.compile(rb"^(\d+ dso_table\(.*, <str>'(/[^']*)', <str>')([0-9a-f]*)('\))$")


def _recorded_build_ids(data):
    """The paths whose build ids the recording carries (perf buildid-list)."""
    out = subprocess.run(["perf", "buildid-list", "-i", data], capture_output=True).stdout
    return {line.split(None, 1)[1].encode() for line in out.decode().splitlines()
            if len(line.split(None, 1)) == 2}


def _file_build_id(path):
    """The build id in an ELF file's notes (pyelftools), '' when there is none."""
    from elftools.elf.elffile import ELFFile
    try:
        with open(path, "rb") as f:
            for section in ELFFile(f).iter_sections():
                if section.header.sh_type != "SHT_NOTE":
                    continue
                for note in section.iter_notes():
                    if note["n_type"] == "NT_GNU_BUILD_ID":
                        return note["n_desc"]
    except (OSError, Exception):
        return None
    return ""


def _as_on_this_machine(want_lines, data):
    """perf names a dso the recording carries no build id for by the build id of the
    file on disk now: where that file changed since the reference was made (a package
    update), the reference says what perf printed then, so take the file's id now."""
    if shutil.which("perf") is None:
        return want_lines
    recorded = None
    out = []
    for line in want_lines:
        m = _DSO_ROW.match(line)
        if m is not None:
            if recorded is None:
                recorded = _recorded_build_ids(data)
            path = m.group(2)
            if path not in recorded and os.path.exists(path):
                bid = _file_build_id(path)
                if bid is not None:
                    line = m.group(1) + bid.encode() + m.group(4)
        out.append(line)
    return out


def test_every_calls_recording_is_checked():
    on_disk = {f for f in os.listdir(CALLS) if f.endswith(".data")}
    assert {c["recording"] for c in CALLS_CHECKS} == on_disk


class _Thread:
    def __init__(self, pid, tid):
        self.pid, self.tid = pid, tid


class _Sample:
    def __init__(self, ip, addr, time, flags=0, cpu=0):
        self.ip, self.addr, self.time, self.flags, self.cpu = ip, addr, time, flags, cpu


def _stacks():
    from perfscript.script.call_path import CallPath
    from perfscript.script.thread_stack import ThreadStacks
    rows = []

    def emit(cr, parent):
        rows.append((cr.cp.sym, cr.call_time, cr.return_time, cr.branch_count, cr.call_ref,
                     cr.return_ref, cr.flags, parent))
    root = CallPath(None, None, 0)
    return ThreadStacks(root, 1 << 63, True, emit), rows, root


def test_thread_stack_call_and_return():
    """Branch samples move the stack: a call pushes its target, the return to the call's
    next instruction pops it (a complete pair, flags 0, its parent the bottom entry); what
    stays is flushed as "no call" + "no return" at the last sample's time."""
    from perfscript.script import thread_stack as T
    from perfscript.symbols.symbol import Symbol
    main, callee = Symbol(0x1000, 0x1100, 1, "main"), Symbol(0x2000, 0x2100, 1, "f")
    ts, rows, root = _stacks()
    th, comm = _Thread(5, 5), object()
    call = _Sample(0x1010, 0x2000, 10, T.F_BRANCH | T.F_CALL)
    call.insn_len = 5
    ts.process(th, comm, call, (main, 0x1010), (callee, 0x2000), 1)
    assert rows == []
    ts.process(th, comm, _Sample(0x2050, 0x1015, 20, T.F_BRANCH | T.F_RETURN),
               (callee, 0x2050), (main, 0x1015), 2)
    (row,) = rows
    assert row[:7] == (callee, 10, 20, 1, 1, 2, 0)
    assert row[7] is not None and row[7].cp.sym is main
    ts.flush_all()
    assert rows[1][:7] == (main, 10, 20, 2, 1, 0, T.NO_CALL | T.NO_RETURN)
    assert rows[1][7] is None
    assert root.children[(id(main), 0)].children[(id(callee), 0)].sym is callee


def test_thread_stack_exec_flush_and_order():
    """Samples without flags only count; a main thread's new exec comm flushes its stack;
    the end flushes thread by thread in tid-modulo-256 order."""
    from perfscript.script import thread_stack as T
    from perfscript.symbols.symbol import Symbol
    sym = Symbol(0x1000, 0x1100, 1, "f")
    ts, rows, _ = _stacks()
    a, b = _Thread(300, 300), _Thread(255, 255)
    old, new = object(), object()
    for t, ref in ((10, 1), (11, 2), (12, 3)):
        ts.process(a, old, _Sample(0x1010, 0x5000, t), (sym, 0x1010), (None, 0x5000), ref)
    ts.process(b, old, _Sample(0x1010, 0x5000, 13), (sym, 0x1010), (None, 0x5000), 4)
    ts.process(a, new, _Sample(0x1010, 0x5000, 14), (sym, 0x1010), (None, 0x5000), 5)
    assert [r[1:7] for r in rows] == [(10, 12, 3, 1, 0, T.NO_CALL | T.NO_RETURN)]
    ts.flush_all()
    # tid 300 is 44 modulo 256: before tid 255
    assert [r[1:5] for r in rows[1:]] == [(14, 14, 1, 5), (13, 13, 1, 4)]


@needs_corpus
@needs_perf
def test_pipe_mode_comm_exec_learned_from_records(perfscript, tmp_path, kallsyms):
    """A pipe-mode file has no attrs when the session starts: perf learns comm_exec from
    the first exec COMM, so a later prctl rename is a comm row only and the samples keep
    the exec comm (no comm_thread row for the renamed comm)."""
    data = os.path.join(CORPUS, "cases", "pipe_mode", "perf.data")
    args = ["--kallsyms", kallsyms, "-i", data, "-s", DBEXPORT]
    ref = _perf(args, tmp_path)
    p = perfscript(args)
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    assert p.stdout == ref.stdout
    renamed = [ln for ln in p.stdout.splitlines() if b"'renamed-task'" in ln
               and b"_table(" in ln]
    assert len(renamed) == 1 and b"comm_table" in renamed[0]
