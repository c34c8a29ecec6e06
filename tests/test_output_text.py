"""perf script's own text output (`perfscript -i FILE`, no -s) against perf's references:
the corpus `script` checks, and real perf on the repository's recordings with options."""

import os
import shlex
import shutil
import struct
import subprocess

import pytest

from conftest import (CORPUS, RECORDINGS, corpus_commands, first_difference, read_maybe_xz,
                      reference_machine, same_status, script_env)


KNOWN_FAILURES = {
    "thirdparty/quipper_piped_target_3_8/script":
        "[vdso] without a build id: perf symbolizes it with its own process's vdso, so the "
        "reference holds the corpus machine's (__vdso_gettimeofday+0x54); that image is not "
        "in the corpus. perfscript does as perf: the same output as perf on the same "
        "machine (test_vdso_like_perf_here); equal to the reference only where the vdso is",
}
# the reference depends on the machine's own vdso: it may pass on a machine like the corpus'
MACHINE_DEPENDENT = {"thirdparty/quipper_piped_target_3_8/script"}


def _checks():
    out = []
    for case, cid, name, kind, expected, rc, command in corpus_commands():
        if name != "script" or kind not in ("stdout", "rc"):
            continue
        marks = ()
        if cid in KNOWN_FAILURES:
            marks = pytest.mark.xfail(reason=KNOWN_FAILURES[cid],
                                      strict=cid not in MACHINE_DEPENDENT)
        out.append(pytest.param(case, kind, expected, rc, command, id=cid, marks=marks))
    return out


CHECKS = _checks() if os.path.isdir(CORPUS) else []


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason="../shared/corpus is absent")
@pytest.mark.parametrize("case,kind,expected,rc,command", CHECKS)
def test_corpus_script(case, kind, expected, rc, command, perfscript, corpus_kallsyms):
    argv = shlex.split(command.replace("$CASE", case).replace("$CORPUS", CORPUS))
    assert argv[:2] == ["perf", "script"]
    extra, env = reference_machine(case, corpus_kallsyms)
    p = perfscript(extra + argv[2:], env=env)
    err = p.stderr.decode("utf-8", "replace")[-2000:]
    if kind == "stdout":
        want = read_maybe_xz(os.path.join(case, expected))
        assert p.stdout == want, first_difference(p.stdout, want) + "\n--- stderr:\n" + err
    assert same_status(p.returncode, rc), err


# ------------------------------------------------------------ options, against real perf

PERF = shutil.which("perf")

# (recording, options): each compared byte for byte with `perf script` on this machine
OPTION_CASES = [
    ("stat.data", []),
    ("callchain.data", []),
    ("callchain.data", ["--ns"]),
    ("callchain.data", ["-G"]),
    ("callchain.data", ["--max-stack=2"]),
    ("callchain.data", ["--show-switch-events"]),
    ("callchain.data", ["--show-task-events", "--show-mmap-events"]),
    ("callchain.data", ["-F", "comm,tid,time"]),
    ("callchain.data", ["-F", "+pid"]),
    ("callchain.data", ["-F", "-period"]),
    ("callchain.data", ["-F", "sw:comm,ip,sym,dso"]),
    ("callchain.data", ["-F", "-sym"]),                 # perf refuses: symoff without sym
    ("callchain.data", ["-F", "comm,+pid"]),            # perf refuses the mix
    ("callchain.data", ["--time", "10%/2"]),
    ("callchain.data", ["--time", "0%-10%,50%-60%"]),
    ("callchain.data", ["--time", "25%"]),
    ("sched.data", ["--show-task-events"]),
    ("sched.data", ["-C", "1"]),
    ("sched.data", ["--comms", "ls,dd"]),
    ("sched.data", ["-F", "comm,tid,time,event,trace"]),
    ("sched.data", ["-F", "trace:cpu,time,event"]),
    ("syscalls.data", ["--tid", "1"]),
    ("pipe.data", []),
    ("zstd.data", ["--show-task-events", "--show-mmap-events"]),
    ("sched.data", ["-F", "sw:comm,flags"]),            # flags: a column for every type
    ("sched.data", ["-F", "+misc,+flags"]),
    ("callchain.data", ["-F", "comm,tid,misc,flags,callindent,ip,sym,dso", "-G"]),
    ("callchain.data", ["-F", "+misc", "--show-switch-events", "--show-task-events"]),
    ("callchain.data", ["-F", "comm,tod"]),             # no clock data: refused
    ("callchain.data", ["-F", "+weight"]),              # not sampled: refused
    ("callchain.data", ["-F", "+ipc,+machine_pid,+vcpu"]),
    ("sched.data", ["--reltime"]),
    ("sched.data", ["--deltatime", "--ns"]),
    ("callchain.data", ["--reltime", "--show-task-events"]),
    ("callchain.data", ["--deltatime", "--show-switch-events"]),
    ("sched.data", ["--reltime", "--deltatime"]),       # perf refuses the pair
]

# the same against corpus recordings that sample registers, data_src and page faults
CORPUS_OPTION_CASES = [
    ("group_read_regs", ["-F", "+iregs,+uregs"]),
    ("group_read_regs", ["-F", "iregs"]),
    ("group_read_regs", ["-F", "+ins_lat"]),
    ("group_read_regs", ["-F", "+data_page_size,+code_page_size"]),
    ("mixed_tp_sw", ["-F", "+misc,+flags,+callindent,+data_src"]),
    ("mixed_tp_sw", ["-F", "+misc", "--show-task-events", "--show-mmap-events"]),
    ("mixed_tp_sw", ["-F", "+data_src,+weight,+phys_addr"]),
    ("kmem_gfp", ["-F", "trace:misc,cpu,event,trace"]),
]


def _perf(args, cwd):
    return subprocess.run([PERF, "script"] + args, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=script_env(), cwd=str(cwd), timeout=300)


@pytest.mark.skipif(PERF is None, reason="perf is not installed")
@pytest.mark.parametrize("name,opts", OPTION_CASES,
                         ids=["%s %s" % (n, " ".join(o)) for n, o in OPTION_CASES])
def test_options_like_perf(name, opts, perfscript, tmp_path):
    args = ["-i", os.path.join(RECORDINGS, name)] + opts
    want = _perf(args, tmp_path)
    got = perfscript(args)
    assert got.stdout == want.stdout, first_difference(got.stdout, want.stdout)
    assert (got.returncode == 0) == (want.returncode == 0), (got.returncode, want.returncode,
                                                              got.stderr[-500:])
    if want.returncode:
        assert got.returncode == want.returncode


@pytest.mark.skipif(PERF is None or not os.path.isdir(CORPUS),
                    reason="perf or ../shared/corpus is absent")
@pytest.mark.parametrize("case,opts", CORPUS_OPTION_CASES,
                         ids=["%s %s" % (n, " ".join(o)) for n, o in CORPUS_OPTION_CASES])
def test_corpus_options_like_perf(case, opts, perfscript, tmp_path, corpus_kallsyms):
    args = ["--kallsyms", corpus_kallsyms,
            "-i", os.path.join(CORPUS, "cases", case, "perf.data")] + opts
    want = _perf(args, tmp_path)
    got = perfscript(args)
    assert got.stdout == want.stdout, first_difference(got.stdout, want.stdout)
    assert got.returncode == want.returncode, got.stderr[-500:]
    assert got.stderr.splitlines()[-1:] == want.stderr.splitlines()[-1:]


def test_list_scripts(perfscript, tmp_path):
    if PERF is None:
        pytest.skip("perf is not installed")
    want = subprocess.run([PERF, "script", "-l"], stdout=subprocess.PIPE, env=script_env())
    got = perfscript(["-l"])
    assert got.stdout == want.stdout


def test_output_only_options_refused_with_script(perfscript, tmp_path):
    """Options that only shape text output are refused with -s, never ignored (the
    sample filters do apply to scripts: tests/test_script_filters.py)."""
    script = tmp_path / "s.py"
    script.write_text("")
    p = perfscript(["-i", os.path.join(RECORDINGS, "sched.data"), "--show-task-events",
                    "-s", str(script)])
    assert p.returncode == 129
    assert b"not supported with -s yet" in p.stderr


@pytest.mark.skipif(PERF is None or not os.path.isdir(CORPUS),
                    reason="perf or ../shared/corpus is absent")
def test_vdso_like_perf_here(perfscript, tmp_path):
    """A [vdso] recorded without build id is symbolized, as by perf, with this machine's own
    vdso: perfscript and perf on the same machine agree line for line."""
    path = os.path.join(CORPUS, "thirdparty", "quipper_piped_target_3_8", "perf.data")
    want = _perf(["-i", path], tmp_path)
    got = perfscript(["-i", path])
    assert got.stdout == want.stdout, first_difference(got.stdout, want.stdout)
    assert b"__vdso_" in got.stdout


@pytest.mark.skipif(PERF is None, reason="perf is not installed")
def test_guest_context_markers_like_perf(perfscript, tmp_path):
    """perf 6.1 knows only the hypervisor, kernel and user context markers: a chain with
    a guest one (PERF_CONTEXT_GUEST, PERF_CONTEXT_GUEST_USER) is discarded whole."""
    data = bytearray(open(os.path.join(RECORDINGS, "callchain.data"), "rb").read())
    user = struct.pack("<Q", (1 << 64) - 512)
    first = data.find(user, struct.unpack_from("<Q", data, 40)[0])
    second = data.find(user, first + 8)
    assert 0 < first < second
    data[first:first + 8] = struct.pack("<Q", (1 << 64) - 2048)
    data[second:second + 8] = struct.pack("<Q", (1 << 64) - 2560)
    path = tmp_path / "guest.data"
    path.write_bytes(bytes(data))
    want = _perf(["-i", str(path)], tmp_path)
    got = perfscript(["-i", str(path)])
    assert want.returncode == 0
    assert got.stdout == want.stdout, first_difference(got.stdout, want.stdout)
