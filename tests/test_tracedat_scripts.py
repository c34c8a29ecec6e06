"""perf script's handler scripts (-s) on trace-cmd trace.dat files: each record a
tracepoint sample, handed to the handlers as perf hands the same tracepoint of a
perf.data (session/tracedat.py, cli/script.py).

tests/data/recordings/tracedat/ holds one run of a workload recorded twice at once, as
tracepoints.data (perf record) and tracepoints.dat (tracefs + trace-cmd extract), and
what perf 6.1 printed for the perf.data (README.md there). Where a script's output does
not depend on time (the two files' clocks differ) perfscript prints on the trace.dat
what perf printed on the perf.data. On every trace.dat at hand, each legacy script
prints what its perf-module port (the bundled ones, src/perfscript/exec_path/scripts/
python/, checked against perf in test_perfmod_scripts.py) prints on the same file."""

import collections
import os

import pytest

from perfscript.bundled import EXEC_PATH
from conftest import CORPUS, RECORDINGS, TESTS, first_difference, read_maybe_xz

HERE = os.path.join(RECORDINGS, "tracedat")
TDAT = os.path.join(HERE, "tracepoints.dat")
PERF_SCRIPTS = "/usr/lib/perf-core/scripts/python"
PORTS = os.path.join(EXEC_PATH, "scripts", "python")     # the ports perfscript bundles

needs_perf_scripts = pytest.mark.skipif(not os.path.isdir(PERF_SCRIPTS),
                                        reason="perf's scripts are not installed")


def reference(name):
    """perf's stdout for tracepoints.data and its exit status (refs.sh's format)."""
    path = os.path.join(HERE, name + ".perf.txt")
    out = read_maybe_xz(path + ".xz" if os.path.exists(path + ".xz") else path)
    status = 0
    if out.endswith(b"\n") and out.splitlines()[-1].startswith(b"exit "):
        last = out.splitlines()[-1]
        out, status = out[:-len(last) - 1], int(last.split()[1])
    return out, status


def assert_same(proc, out, status):
    err = proc.stderr.decode("utf-8", "replace")[-2000:]
    assert proc.stdout == out, first_difference(proc.stdout, out) + "\n" + err
    assert proc.returncode == status, err


# ------------------------------------------------------------ against perf on the perf.data

@needs_perf_scripts
@pytest.mark.parametrize("ref, args", [
    ("syscall-counts", ["-s", "syscall-counts.py"]),
    ("syscall-counts-by-pid", ["-s", "syscall-counts-by-pid.py"]),
    ("failed-syscalls-by-pid", ["-s", "failed-syscalls-by-pid.py"]),
    # Linux 6.18's kfree_skb and kmalloc have fields these scripts' handlers do not
    # take: perf aborts on the first such record (134), after what was printed
    ("netdev-times", ["-s", "netdev-times.py"]),
    ("check-perf-trace", ["-s", "check-perf-trace.py"]),
    ("tid.syscall-counts-by-pid", ["--tid", "9796", "-s", "syscall-counts-by-pid.py"]),
    ("cpu1.syscall-counts", ["-C", "1", "-s", "syscall-counts.py"]),
    ("comm.failed-syscalls-by-pid", ["--comm", "workload", "-s",
                                     "failed-syscalls-by-pid.py"]),
])
def test_shipped_scripts_print_what_perf_printed(perfscript, ref, args):
    args = [os.path.join(PERF_SCRIPTS, a) if a.endswith(".py") else a for a in args]
    assert_same(perfscript(["-i", TDAT] + args), *reference(ref))


def test_handlers_get_perfs_arguments(perfscript):
    """Every handler argument but the time, record for record: perf's output for the
    perf.data, per CPU, is the start of perfscript's for the trace.dat (ftrace kept
    recording a few records after perf had stopped: RCU softirqs of the last task)."""
    want, status = reference("handler_args")
    assert status == 0
    got = perfscript(["-i", TDAT, "-s", os.path.join(HERE, "handler_args.py")])
    assert got.returncode == 0, got.stderr

    def by_cpu(text):
        cpus = collections.defaultdict(list)
        for line in text.decode().splitlines():
            cpus[line.split()[-3]].append(line)        # the sample's cpu
        return cpus

    want, got = by_cpu(want), by_cpu(got.stdout)
    assert sorted(want) == sorted(got) == ["0", "1"]
    for cpu in want:
        assert got[cpu][:len(want[cpu])] == want[cpu], cpu
        assert all("irq__softirq_" in line for line in got[cpu][len(want[cpu]):]), cpu
        assert len(got[cpu]) - len(want[cpu]) <= 3


# ------------------------------------------------------------ against the perf-module ports

def tracedat_files():
    files = [TDAT] + [os.path.join(TESTS, "data", "tracedat", f)
                      for f in ("v6.dat", "v7-none.dat", "v7-zstd.dat", "plugins.dat")]
    for rel in ("cases/tracecmd_sched/trace.dat", "thirdparty/trappy_raw_trace/trace.dat",
                "thirdparty/trappy_trace_32bit/trace.dat"):
        if os.path.exists(os.path.join(CORPUS, rel)):
            files.append(os.path.join(CORPUS, rel))
    return files


# the perf-module ports take the 6.18 formats' new fields; perf's scripts abort on them
ABORTS = {("tracepoints.dat", "netdev-times.py"), ("tracepoints.dat", "check-perf-trace.py"),
          ("plugins.dat", "check-perf-trace.py")}


@needs_perf_scripts
@pytest.mark.parametrize("path", tracedat_files(),
                         ids=lambda p: os.path.relpath(p, os.path.dirname(TESTS)))
@pytest.mark.parametrize("script", ["syscall-counts.py", "syscall-counts-by-pid.py",
                                    "failed-syscalls-by-pid.py", "futex-contention.py",
                                    "netdev-times.py", "check-perf-trace.py"])
def test_legacy_script_prints_what_its_port_prints(perfscript, path, script):
    legacy = perfscript(["-i", path, "-s", os.path.join(PERF_SCRIPTS, script)])
    if (os.path.basename(path), script) in ABORTS:
        assert legacy.returncode == 134
        assert b"positional arguments but" in legacy.stderr, legacy.stderr
        return
    port = perfscript([os.path.join(PORTS, script), "-i", path])
    assert port.returncode == 0, port.stderr
    assert_same(legacy, port.stdout, 0)


# ------------------------------------------------------------ what the options do

SCRIPT = """\
import perf_trace_context as ctx
n = {}
def trace_begin():
    print("begin")
def raw_syscalls__sys_enter(event_name, context, common_cpu, common_secs, common_nsecs,
                            common_pid, common_comm, common_callchain, id, args,
                            perf_sample_dict):
    n[common_cpu] = n.get(common_cpu, 0) + 1
    if len(n) == 1 and n[common_cpu] == 1:
        print(event_name, common_pid, common_comm, common_callchain, id,
              ctx.common_flags(context), ctx.common_pc(context),
              perf_sample_dict["ev_name"], perf_sample_dict["sample"]["period"],
              "dso" in perf_sample_dict, len(perf_sample_dict["attr"]))
def trace_end():
    print(sorted(n.items()))
"""


def test_handler_api_on_a_tracedat(perfscript, tmp_path):
    """perf's handler API: argument lists, perf_trace_context, param_dict (an attr
    image of perf's size; no dso: trace.dat records have no maps), trace_begin/end."""
    script = tmp_path / "s.py"
    script.write_text(SCRIPT)
    p = perfscript(["-i", TDAT, "-s", str(script)])
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().splitlines() == [
        "begin",
        "raw_syscalls__sys_enter 9737 workload [] 257 0 0 raw_syscalls:sys_enter 1 False 128",
        "[(0, 58), (1, 21)]"]          # perf's counts: `perf script -F cpu` on the perf.data


def test_time_percentages_are_of_the_records(perfscript, tmp_path):
    """--time percentages are of the first and last record's times (a trace.dat has no
    HEADER_SAMPLE_TIME): the two halves split the records."""
    script = tmp_path / "s.py"
    script.write_text(SCRIPT)
    halves = [perfscript(["-i", TDAT, "--time", t, "-s", str(script)]) for t in ("0%-50%",
                                                                              "50%-100%")]
    counts = [dict(eval(p.stdout.decode().splitlines()[-1])) for p in halves]
    assert all(p.returncode == 0 for p in halves)
    assert all(sum(c.values()) > 0 for c in counts)
    assert sum(c.get(0, 0) for c in counts) == 58 and sum(c.get(1, 0) for c in counts) == 21


@pytest.mark.parametrize("option, says", [
    (["--header"], "no perf.data header"),
    (["-D"], "no perf records to dump"),
    (["-S", "foo"], "no ip to match"),
    (["--kallsyms", "/proc/kallsyms"], "no ip, maps or callchains"),
    (["-F", "comm"], "-F"),                              # as on a perf.data with -s
])
def test_options_a_tracedat_cannot_serve_are_refused(perfscript, tmp_path, option, says):
    script = tmp_path / "s.py"
    script.write_text("def trace_begin():\n    print('begin')\n")
    p = perfscript(["-i", TDAT] + option + ["-s", str(script)])
    err = p.stderr.decode()
    assert p.returncode != 0 and p.stdout == b"" and err.count("\n") == 1, err
    assert says in err


def test_gen_script_on_a_tracedat_is_refused(perfscript):
    p = perfscript(["-i", TDAT, "-g", "python"])
    err = p.stderr.decode()
    assert p.returncode == 1 and err.count("\n") == 1 and "perfscript tables" in err, err
