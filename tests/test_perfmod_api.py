"""The perf module's API besides sample attributes (test_perfmod_attrs.py): perf.data and
perf.session arguments and errors, callbacks and their exceptions, find_thread, the
machine, syscall and errno helpers, config_get, constants, side-band callbacks, the live
parts' errors, and running standalone scripts (`perfscript SCRIPT.py`, the import path).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import perfscript.perfmod as perf
from perfscript.perfmod.runner import HANDLERS, STANDALONE, script_kind

HERE = Path(__file__).resolve().parent
REC = HERE / "data" / "recordings"
DATA = HERE / "data" / "perfmod"
SHARED = HERE.parent.parent / "shared"
SRC = str(HERE.parent / "src")


def _run(args, **kw):
    env = dict(os.environ, PYTHONPATH=SRC)
    env.update(kw.pop("env", {}))
    return subprocess.run([sys.executable, "-m", "perfscript"] + args, capture_output=True,
                          text=True, env=env, **kw)


# ------------------------------------------------------------------ perf.data

def test_data_str_and_open_errors(tmp_path, capsys):
    d = perf.data(str(REC / "sched.data"))
    assert str(d) == str(REC / "sched.data")
    assert str(perf.data("-")) == "-"
    with pytest.raises(OSError, match="Failed to open perf data: .*nope.data"):
        perf.data(str(tmp_path / "nope.data"))
    assert "No such file or directory" in capsys.readouterr().err
    with pytest.raises(TypeError):
        perf.data(None)


def test_data_fd_only_for_pipes():
    with open(REC / "sched.data", "rb") as f:
        with pytest.raises(ValueError, match="only supported for pipes"):
            perf.data("-", fd=f.fileno())
    r, w = os.pipe()
    try:
        with pytest.raises(ValueError, match="path must be '-'"):
            perf.data("x.data", fd=r)
        assert str(perf.data("-", fd=r)) == "-"
    finally:
        os.close(r)
        os.close(w)


def test_pipe_from_fd():
    """fd= reads pipe-mode data from a pipe, as path "-" reads stdin."""
    payload = (REC / "pipe.data").read_bytes()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        with os.fdopen(w, "wb") as f:
            f.write(payload)
        os._exit(0)
    os.close(w)
    try:
        names = []
        perf.session(perf.data("-", fd=r), sample=lambda ev: names.append(str(ev.evsel))
                     ).process_events()
    finally:
        os.close(r)
        os.waitpid(pid, 0)
    assert len(names) == 71 and "evsel(raw_syscalls:sys_enter)" in names


# ------------------------------------------------------------------ perf.session

def test_session_argument_checks():
    d = perf.data(str(REC / "sched.data"))
    with pytest.raises(TypeError, match="must be perf.data"):
        perf.session(str(REC / "sched.data"))
    with pytest.raises(TypeError, match="sample must be callable"):
        perf.session(d, sample=1)
    with pytest.raises(TypeError, match="stat must be callable"):
        perf.session(d, stat="x")
    with pytest.raises(TypeError, match="context_switch must be callable"):
        perf.session(d, context_switch=3)
    with pytest.raises(TypeError, match="call_return must be callable"):
        perf.session(d, call_return=3)


def test_session_itrace_checked(capsys):
    d = perf.data(str(REC / "sched.data"))
    perf.session(d, itrace="i100us")
    with pytest.raises(ValueError, match="Failed to parse itrace options"):
        perf.session(d, itrace="i100q")
    assert "Bad Instruction Tracing options 'i100q'" in capsys.readouterr().err


def test_session_of_a_file_that_is_not_perf_data(tmp_path):
    bad = tmp_path / "bad.data"
    bad.write_bytes(b"not a perf.data file at all" * 10)
    with pytest.raises(OSError, match="failed to create session"):
        perf.session(perf.data(str(bad)))


def test_callback_exception_propagates_and_stops():
    seen = []

    class Stop(Exception):
        pass

    def cb(ev):
        seen.append(ev.sample_time)
        if len(seen) == 5:
            raise Stop("enough")
    s = perf.session(perf.data(str(REC / "syscalls.data")), sample=cb)
    with pytest.raises(Stop, match="enough"):
        s.process_events()
    assert len(seen) == 5


def test_samples_time_ordered_and_objects_stay_valid():
    kept = []
    perf.session(perf.data(str(REC / "sched.data")), sample=kept.append).process_events()
    times = [ev.sample_time for ev in kept]
    assert times == sorted(times) and len(kept) == 137
    # objects kept past their callback keep their values; each is its own object
    assert kept[0] is not kept[1] and kept[0] != kept[1]
    assert {str(ev.evsel) for ev in kept} >= {"evsel(sched:sched_switch)",
                                              "evsel(sched:sched_process_exec)"}
    assert bool(kept[0]) and repr(kept[0]) == "{ type: sample }"
    assert kept[0].type == perf.RECORD_SAMPLE
    assert isinstance(kept[0], perf.sample_event)


def test_tracepoint_fields_and_missing_ones():
    got = []

    def cb(ev):
        if str(ev.evsel) == "evsel(sched:sched_switch)" and not got:
            got.append((ev.prev_comm, ev.next_pid, ev.common_pid, ev.common_type,
                        getattr(ev, "no_such_field", "absent"), hasattr(ev, "common_cpu")))
    perf.session(perf.data(str(REC / "sched.data")), sample=cb).process_events()
    prev_comm, next_pid, common_pid, common_type, absent, has_common_cpu = got[0]
    assert isinstance(prev_comm, str) and isinstance(next_pid, int)
    assert common_type > 0 and absent == "absent" and not has_common_cpu


def test_fields_of_another_event_are_absent():
    """sys_enter has `args`, sys_exit has `ret`: each only on its own event's samples."""
    seen = {}

    def cb(ev):
        name = str(ev.evsel)
        seen.setdefault(name, (hasattr(ev, "args"), hasattr(ev, "ret"), ev.id))
    perf.session(perf.data(str(REC / "syscalls.data")), sample=cb).process_events()
    assert seen["evsel(raw_syscalls:sys_enter)"][:2] == (True, False)
    assert seen["evsel(raw_syscalls:sys_exit)"][:2] == (False, True)


def test_find_thread_and_machine():
    s = perf.session(perf.data(str(REC / "sched.data")))
    s.process_events()
    assert s.find_thread(0).comm() == "swapper"
    assert s.find_thread(987654321) is None
    assert s.e_machine == 62 and s.is_64_bit is True
    with pytest.raises(TypeError):
        s.find_thread(pid=0)


def test_find_thread_inside_callback():
    comms = set()
    s = None

    def cb(ev):
        th = s.find_thread(ev.sample_pid, ev.sample_tid)
        if th is not None:
            comms.add((th.comm(), th.pid, th.tid))
    s = perf.session(perf.data(str(REC / "syscalls.data")), sample=cb)
    s.process_events()
    assert ("ls", 14590, 14590) in comms and ("sh", 14588, 14588) in comms


# ------------------------------------------------------------------ side-band callbacks

def test_context_switch_matches_perf_legacy_handler():
    got = _run([str(DATA / "module_sideband.py"), "-i", str(DATA / "switch.data")])
    assert got.returncode == 0, got.stderr
    assert got.stdout == (DATA / "switch.legacy.txt").read_text()


def test_context_switch_objects():
    evs = []
    perf.session(perf.data(str(DATA / "switch.data")), context_switch=evs.append
                 ).process_events()
    assert evs and all(type(ev).__name__ == "context_switch_event" for ev in evs)
    assert isinstance(evs[0], perf.switch_event)
    assert {ev.type for ev in evs} == {perf.RECORD_SWITCH}
    assert evs[0].next_prev_pid is None          # not CPU-wide
    assert str(evs[0].evsel).startswith("evsel(task-clock")
    outs = [bool(ev.misc & perf.RECORD_MISC_SWITCH_OUT) for ev in evs]
    assert True in outs and False in outs
    assert repr(evs[0]) in ("{ type: context_switch, switch_out: 0 }",
                            "{ type: context_switch, switch_out: 1 }")


def test_stat_callback_gets_records_and_rounds():
    """Values of stat.data's records as `perf script -D` dumps them: the second STAT is
    id 0x502 (context-switches), cpu -1, thread 0, val 324, ena = run = 13542174."""
    calls = []
    perf.session(perf.data(str(REC / "stat.data")),
                 stat=lambda ev, name: calls.append((ev, name))).process_events()
    ev, name = calls[1]
    assert name == "context-switches" and type(ev) is perf.stat_event
    assert (ev.id, ev.cpu, ev.thread, ev.val, ev.ena, ev.run) == (
        0x502, 0xFFFFFFFF, 0, 324, 13542174, 13542174)
    assert ev.evsel is None and ev.sample_time == 0 and ev.type == perf.RECORD_STAT
    rounds = [ev for ev, name in calls if name is None]
    assert rounds and all(type(ev) is perf.stat_round_event for ev in rounds)
    assert rounds[0].time == 53363920 and rounds[0].stat_round_type == 0
    assert repr(perf.stat_event()) == \
        "{ type: stat, id: 0, cpu: 0, thread: 0, val: 0, ena: 0, run: 0 }"


def test_call_return_rows(tmp_path):
    """Page faults with data addresses (the corpus' mixed_tp_sw) go through perf's
    thread stack: rows with ids, parents and call paths, the bottom entries flushed at
    the end as 'no call' + 'no return'."""
    data = SHARED / "corpus" / "cases" / "mixed_tp_sw" / "perf.data"
    if not data.exists():
        pytest.skip("the shared corpus is not beside the checkout")
    rows = []
    perf.session(perf.data(str(data)), call_return=rows.append).process_events()
    assert rows and all(type(r) is perf.call_return for r in rows)
    assert [r.db_id for r in rows] == sorted(r.db_id for r in rows)
    r = rows[0]
    assert r.flags & perf.CALL_RETURN_NO_CALL and r.flags & perf.CALL_RETURN_NO_RETURN
    assert r.call_time <= r.return_time and r.comm and r.pid > 0
    assert isinstance(r.call_path, perf.callchain) and r.call_path[-1].symbol
    with pytest.raises(TypeError):
        perf.call_return()


# ------------------------------------------------------------------ module functions

def test_syscall_helpers():
    assert perf.syscall_name(0) == "read"
    assert perf.syscall_name(1, elf_machine=62) == "write"
    assert perf.syscall_name(0, 183) == "io_setup"           # aarch64
    assert perf.syscall_name(99999) is None
    assert perf.syscall_id("openat") == 257
    with pytest.raises(ValueError, match="Failed to find syscall nope"):
        perf.syscall_id("nope")
    with pytest.raises(OverflowError):
        perf.syscall_name(1 << 40)


def test_arch_strerrno():
    assert perf.arch_strerrno(2) == "ENOENT"
    assert perf.arch_strerrno(-13) == "EACCES"
    assert perf.arch_strerrno(0) is None
    assert perf.arch_strerrno(11) == "EAGAIN"
    assert perf.arch_strerrno(58, elf_machine=21) == "EDEADLOCK"      # powerpc


def test_config_get(tmp_path, monkeypatch):
    cfg = tmp_path / ".perfconfig"
    cfg.write_text('[report]\n\tChildren = false  # comment\n[colors]\n  top = "red, '
                   'default"\n[buildid "x"]\n dir = /tmp\nflag\n')
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PERF_CONFIG_NOSYSTEM", "1")
    assert perf.config_get("report.children") == "false"
    assert perf.config_get("colors.top") == "red, default"
    assert perf.config_get("buildid.x.dir") == "/tmp"
    assert perf.config_get("report.Children") is None
    assert perf.config_get("nothing.here") is None
    monkeypatch.setenv("PERF_CONFIG_NOGLOBAL", "1")
    assert perf.config_get("report.children") is None


def test_constants():
    assert (perf.TYPE_TRACEPOINT, perf.SAMPLE_RAW, perf.RECORD_SAMPLE, perf.RECORD_STAT_ROUND,
            perf.RECORD_MISC_SWITCH_OUT, perf.COUNT_SW_DUMMY, perf.FORMAT_GROUP,
            perf.CALL_RETURN_NON_CALL) == (2, 1024, 9, 77, 8192, 9, 8, 4)


def test_live_parts_say_what_is_missing():
    for call in (lambda: perf.evlist(None, None), lambda: perf.cpu_map(),
                 lambda: perf.thread_map(), lambda: perf.parse_events("cycles"),
                 lambda: perf.pmus(), lambda: perf.metrics(),
                 lambda: perf.evsel(type=1, config=0)):
        with pytest.raises(perf.LiveCaptureUnsupported, match="live capture is not provided"):
            call()
    assert perf.tracepoint("no_such_system", "no_such_event") == -1


# ------------------------------------------------------------------ running scripts

STANDALONE_SRC = '''import argparse, perf
ap = argparse.ArgumentParser()
ap.add_argument("-i", "--input", default="perf.data")
ap.add_argument("word", nargs="?")
a = ap.parse_args()
n = []
perf.session(perf.data(a.input), sample=n.append).process_events()
print(len(n), a.word, __name__)
'''
LEGACY_SRC = '''def process_event(param_dict):
    pass

def trace_unhandled(event_name, context, fields):
    pass

def trace_end():
    print("legacy done")
'''


def test_script_kind(tmp_path):
    new = tmp_path / "new.py"
    new.write_text(STANDALONE_SRC)
    old = tmp_path / "old.py"
    old.write_text(LEGACY_SRC)
    assert script_kind(str(new)) == STANDALONE
    assert script_kind(str(old)) == HANDLERS
    bound = tmp_path / "bound.py"       # handlers bound at module level, as flamegraph.py
    bound.write_text("class C:\n    def process_event(self, d):\n        pass\n"
                     "if __name__ == '__main__':\n    process_event = C().process_event\n")
    assert script_kind(str(bound)) == HANDLERS
    plain = tmp_path / "plain.py"       # neither: a plain program, run standalone
    plain.write_text("import sys\nprint(sys.argv[1:])\n")
    assert script_kind(str(plain)) == STANDALONE
    for name in ("syscall-counts.py", "stackcollapse.py", "export-to-sqlite.py",
                 "flamegraph.py", "sched-migration.py", "stat-cpi.py"):
        path = Path("/usr/lib/perf-core/scripts/python") / name
        if path.exists():
            assert script_kind(str(path)) == HANDLERS


def test_perfscript_runs_both_kinds(tmp_path):
    new = tmp_path / "new.py"
    new.write_text(STANDALONE_SRC)
    old = tmp_path / "old.py"
    old.write_text(LEGACY_SRC)
    got = _run([str(new), "-i", str(REC / "sched.data"), "hello"])
    assert got.returncode == 0, got.stderr
    assert got.stdout == "137 hello __main__\n"
    got = _run(["-i", str(REC / "sched.data"), str(new)])      # -i before the script
    assert got.stdout == "137 None __main__\n"
    got = _run(["-s", str(new), "-i", str(REC / "sched.data")])  # -s of a standalone one
    assert got.stdout == "137 None __main__\n"
    got = _run(["-i", str(REC / "sched.data"), str(old)])       # a handler script: as -s
    assert got.returncode == 0 and got.stdout == "legacy done\n"
    plain = tmp_path / "plain.py"
    plain.write_text("import sys\nprint(sys.argv[1:])\n")
    got = _run([str(plain), "a", "-b"])
    assert got.returncode == 0 and got.stdout == "['a', '-b']\n"
    got = _run(["-s", str(plain), "-i", str(REC / "sched.data")])  # -s: perf's way
    assert got.returncode == 0 and got.stdout == "[]\n"


def test_symbol_options_reach_the_script_through_the_environment(tmp_path):
    script = tmp_path / "env.py"
    script.write_text("import os, perf\nprint(os.environ.get('PERF_SYMBOL_KALLSYMS'), "
                      "os.environ.get('PERF_SYMBOL_SYMFS'), os.environ.get('PERF_ITRACE'))\n")
    ks = tmp_path / "kallsyms"
    ks.write_text("ffffffff81000000 T _stext\n")
    got = _run(["--kallsyms", str(ks), "--symfs", str(tmp_path), "--itrace=i1us",
                str(script)])
    assert got.returncode == 0, got.stderr
    assert got.stdout == "%s %s i1us\n" % (ks, tmp_path)
    got = _run(["--pid", "1", str(script)])
    assert got.returncode == 129 and "does not apply to a standalone" in got.stderr
    got = _run(["-i", str(REC / "sched.data"), "--itrace=i1us"])   # no script: refused
    assert got.returncode != 0 and "--itrace" in got.stderr


def test_import_path_for_a_plain_python(tmp_path):
    path = _run(["--perf-module-path"]).stdout.strip()
    assert os.path.isfile(os.path.join(path, "perf", "__init__.py"))
    new = tmp_path / "new.py"
    new.write_text(STANDALONE_SRC)
    got = subprocess.run([sys.executable, str(new), "-i", str(REC / "sched.data")],
                         capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join([path, SRC])))
    assert got.returncode == 0, got.stderr
    assert got.stdout == "137 None __main__\n"
    # without it, `import perf` is not answered by perfscript (nothing installed as perf)
    got = subprocess.run([sys.executable, "-c", "import perf"], capture_output=True,
                         text=True, env=dict(os.environ, PYTHONPATH=SRC), cwd=tmp_path)
    assert got.returncode != 0 or "perfscript" not in got.stdout


def test_script_exception_exit_status(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import perf\nraise RuntimeError('boom')\n")
    got = _run([str(bad)])
    assert got.returncode != 0 and "RuntimeError: boom" in got.stderr
    ok = tmp_path / "exit3.py"
    ok.write_text("import perf, sys\nsys.exit(3)\n")
    assert _run([str(ok)]).returncode == 3


# ------------------------------------------------------------------ trace.dat input

def test_tracedat_records_as_samples():
    """trace-cmd's v6.dat: each record a tracepoint sample, in trace-cmd's order, with the
    times, CPUs and payloads its reader gives (tracedat.records), pid = common_pid."""
    from perfscript.tracedat import open_tracedat, records
    path = str(HERE / "data" / "tracedat" / "v6.dat")
    with open_tracedat(path) as tdat:
        recs = list(records(tdat))
        events = tdat.meta.events
        want = [("evsel(%s:%s)" % (events[int.from_bytes(r.data[:2], "little")].system,
                                   events[int.from_bytes(r.data[:2], "little")].name),
                 r.ts, r.cpu, bytes(r.data)) for r in recs]
    got = []
    s = perf.session(perf.data(path), sample=got.append)
    s.process_events()
    assert [(str(ev.evsel), ev.sample_time, ev.sample_cpu, ev.raw_buf) for ev in got] == want
    first = got[0]
    assert first.sample_pid == first.sample_tid == first.common_pid
    assert first.filename and first.sample_period == 1
    assert first.dso is None and first.callchain is None and first.symbol is None
    assert s.e_machine == 62


def test_bad_recording_under_perfscript_is_one_located_line(tmp_path):
    """A truncated recording: the samples read before the cut reach the script; an
    uncaught error ends in one line naming the file and the offset, exit 1; a script may
    catch it as the OSError upstream raises."""
    import struct
    cut = tmp_path / "cut.data"
    data = bytearray((REC / "syscalls.data").read_bytes())
    off = struct.unpack_from("<Q", data, 40)[0]        # the data section's offset
    for _ in range(250):                               # the 250th record gets size 4
        off += struct.unpack_from("<H", data, off + 6)[0]
    struct.pack_into("<H", data, off + 6, 4)
    cut.write_bytes(bytes(data))
    script = tmp_path / "count.py"
    script.write_text("import sys, perf\nn = []\ntry:\n"
                      "    perf.session(perf.data(sys.argv[1]), sample=n.append).process_events()\n"
                      "finally:\n    print(len(n))\n")
    got = _run([str(script), str(cut)])
    assert got.returncode == 1
    assert 100 < int(got.stdout) < 420
    lines = got.stderr.strip().splitlines()
    assert len(lines) == 1 and str(cut) in lines[0] and "offset" in lines[0]
    caught = tmp_path / "caught.py"
    caught.write_text("import sys, perf\ntry:\n"
                      "    perf.session(perf.data(sys.argv[1]), sample=print).process_events()\n"
                      "except OSError as e:\n    print('caught', type(e).__mro__[1].__name__)\n")
    got = _run([str(caught), str(cut)])
    assert got.returncode == 0 and got.stdout.strip().endswith("caught OSError")


LEGACY_CODE = r"""from perf_trace_context import perf_sample_insn, perf_sample_srccode
def process_event(param_dict):
    ctx = perf_script_context
    print(param_dict["sample"]["ip"], repr(perf_sample_insn(ctx)),
          repr(perf_sample_srccode(ctx)))
"""
MODULE_CODE = r"""import sys, perf
def sample(ev):
    code = ev.srccode()
    print(ev.sample_ip, repr(ev.insn()), repr((None, 0, None) if code is None else code))
perf.session(perf.data(sys.argv[1]), sample=sample, kallsyms=sys.argv[2]).process_events()
"""


def test_insn_and_srccode_as_perf_legacy_context_functions(tmp_path, recordings_kallsyms):
    """callchain.data's samples of dd, dash, libc, ld.so (debug files installed) and the
    kernel: insn() and srccode() give what perf 6.1's perf_sample_insn/srccode give (an
    unresolved ip: None from the module, (None, 0, None) from perf's)."""
    import shutil
    from conftest import script_env
    if shutil.which("perf", path=script_env()["PATH"]) is None:
        pytest.skip("perf is not installed")
    (tmp_path / "legacy.py").write_text(LEGACY_CODE)
    (tmp_path / "module.py").write_text(MODULE_CODE)
    data = str(REC / "callchain.data")
    ref = subprocess.run(["perf", "script", "--kallsyms", recordings_kallsyms, "-i", data,
                          "-s", "legacy.py"], cwd=tmp_path, env=script_env(),
                         capture_output=True, text=True)
    got = _run([str(tmp_path / "module.py"), data, recordings_kallsyms], cwd=tmp_path)
    assert got.returncode == ref.returncode == 0, got.stderr[-2000:]
    assert "/usr/include" in ref.stdout or ".c', " in ref.stdout    # some lines have source
    assert got.stdout.splitlines() == ref.stdout.splitlines()
