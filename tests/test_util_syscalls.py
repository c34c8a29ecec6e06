"""Syscall names for the recording's architecture (names/syscalls.py, Util).

The shipped tables were dumped from libaudit (python3-audit), which is what
perf's Util.syscall_name() asks; where the bindings are installed for the
system python3 the tables and the Util semantics are compared with them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import shutil
import subprocess

import pytest

from perfscript.names import syscalls

ROOT = pathlib.Path(__file__).resolve().parents[1]
UTIL = ROOT / "src/perfscript/exec_path/scripts/python/Perf-Trace-Util/lib/Perf/Trace/Util.py"
PERF_UTIL_DIR = "/usr/lib/perf-core/scripts/python/Perf-Trace-Util/lib/Perf/Trace"


@pytest.fixture(autouse=True)
def _restore_arch():
    before = syscalls.current_machine()
    yield
    syscalls._machine = before


@pytest.fixture(scope="module")
def util():
    spec = importlib.util.spec_from_file_location("_test_Util", UTIL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _audit_python() -> str | None:
    py = shutil.which("python3", path="/usr/bin")
    if py and subprocess.run([py, "-c", "import audit"], capture_output=True).returncode == 0:
        return py
    return None


@pytest.mark.parametrize("uname,mach,names", [
    ("x86_64", 1, {0: "read", 1: "write", 59: "execve", 202: "futex", 231: "exit_group",
                   435: "clone3"}),
    ("i686", 0, {0: "restart_syscall", 3: "read", 11: "execve", 240: "futex"}),
    ("i386", 0, {4: "write"}),
    ("aarch64", 9, {63: "read", 64: "write", 98: "futex", 221: "execve"}),
    ("armv7l", 8, {3: "read", 4: "write", 11: "execve", 240: "futex"}),
    ("ppc64le", 10, {3: "read", 221: "futex"}),
    ("s390x", 5, {3: "read", 238: "futex"}),
])
def test_tables(uname, mach, names):
    assert syscalls.set_arch(uname) == mach
    for nr, name in names.items():
        assert syscalls.syscall_name(nr) == name
    assert syscalls.syscall_name(100000) is None
    assert syscalls.syscall_name(-1) is None


@pytest.mark.parametrize("uname,mach", [
    ("x86_64", 1), ("amd64", 1), ("i386", 0), ("i486", 0), ("i586", 0), ("i686", 0),
    ("aarch64", 9), ("aarch64_be", 9), ("arm64", 9), ("arm", 8), ("armv5tel", 8),
    ("armv6l", 8), ("armv7l", 8), ("armv7b", 8), ("armv8l", 8), ("armeb", 8),
    ("ppc", 4), ("ppc64", 3), ("ppc64le", 10), ("s390", 6), ("s390x", 5),
])
def test_machine_from_uname(uname, mach):
    assert syscalls.machine_from_uname(uname) == mach


@pytest.mark.parametrize("uname", [None, "", "riscv64", "mips", "bogus", "loongarch64"])
def test_unknown_arch_falls_back_to_running_machine(uname):
    assert syscalls.set_arch(uname) == syscalls.machine_from_uname(os.uname().machine)


def test_util_follows_set_arch(util):
    syscalls.set_arch("aarch64")
    assert util.syscall_name(63) == "read"
    syscalls.set_arch("x86_64")
    assert util.syscall_name(63) == "uname"


def test_util_syscall_name_edge_cases(util):
    """None for unknown numbers (as perf with python3-audit), str(id) for non-C-ints."""
    syscalls.set_arch("x86_64")
    cases = [(0, "read"), (True, "write"), (99999, None), (-1, None), (2**31 - 1, None),
             (-2**31, None), (2**31, "2147483648"), (-2**31 - 1, "-2147483649"),
             (2**64, "18446744073709551616"), (1.0, "1.0"), ("1", "1"), (None, "None")]
    for arg, want in cases:
        assert util.syscall_name(arg) == want, arg


def test_util_without_table_returns_str(util, monkeypatch):
    monkeypatch.setattr(syscalls, "_machine", None)
    assert util.syscall_name(0) == "0"


def test_audit_standin(util):
    a = util.audit
    assert a.audit_syscall_to_name(0, a.MACH_86_64) == "read"
    assert a.audit_name_to_syscall("execve", a.MACH_86_64) == 59
    assert a.audit_name_to_syscall("nope", a.MACH_86_64) == -1
    assert a.audit_name_to_machine("armv7l") == a.MACH_ARM
    assert a.audit_name_to_machine("alpha") == -1
    assert a.audit_machine_to_name(a.MACH_ARM) == "armeb"
    with pytest.raises(TypeError):
        a.audit_syscall_to_name("0", 1)
    with pytest.raises(OverflowError):
        a.audit_syscall_to_name(2**40, 1)


_AUDIT_DUMP = r"""
import audit, json, sys
out = {}
for m in ("x86_64", "i386", "aarch64", "arm", "ppc", "ppc64", "ppc64le", "s390", "s390x"):
    mach = audit.audit_name_to_machine(m)
    out[m] = [[n, audit.audit_syscall_to_name(n, mach)] for n in range(-64, 2048)]
names = ["i386", "i486", "i586", "i686", "x86_64", "ppc", "ppc64", "ppc64le", "s390",
         "s390x", "arm", "armeb", "armv5tel", "armv6l", "armv7l", "armv8l", "aarch64",
         "alpha", "x86", "riscv64"]
out["machines"] = [[n, audit.audit_name_to_machine(n)] for n in names]
out["machine_names"] = [[i, audit.audit_machine_to_name(i)] for i in range(-1, 12)]
out["consts"] = {k: getattr(audit, k) for k in dir(audit) if k.startswith("MACH_")}
print(json.dumps(out))
"""


def test_tables_match_libaudit(util):
    py = _audit_python()
    if py is None:
        pytest.skip("python3-audit not installed for /usr/bin/python3")
    ref = json.loads(subprocess.run([py, "-c", _AUDIT_DUMP], capture_output=True, text=True,
                                    check=True).stdout)
    a = util.audit
    for m in ("x86_64", "i386", "aarch64", "arm", "ppc", "ppc64", "ppc64le", "s390", "s390x"):
        mach = a.audit_name_to_machine(m)
        assert [[n, a.audit_syscall_to_name(n, mach)] for n in range(-64, 2048)] == ref[m], m
    for name, mach in ref["machines"]:
        assert a.audit_name_to_machine(name) == mach, name
    for mach, name in ref["machine_names"]:
        assert a.audit_machine_to_name(mach) == name, mach
    assert {k: getattr(a, k) for k in dir(a) if k.startswith("MACH_")} == ref["consts"]


def test_generator_check_passes():
    py = _audit_python()
    if py is None:
        pytest.skip("python3-audit not installed for /usr/bin/python3")
    proc = subprocess.run([py, str(ROOT / "tools/gen_syscall_tables.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


_PERF_UTIL = r"""
import sys, json
sys.path.insert(0, sys.argv[1])
import Util
args = [0, 1, True, 99999, -1, 2**31 - 1, -2**31, 2**31, -2**31 - 1, 2**64, 1.0, "1", None,
        334, 335, 435, 512]
print(json.dumps([Util.syscall_name(a) for a in args]))
"""


def test_util_syscall_name_matches_perf_on_this_machine(util):
    """Same answers as perf's Util (with python3-audit) for the running machine."""
    py = _audit_python()
    if py is None or not os.path.exists(PERF_UTIL_DIR + "/Util.py"):
        pytest.skip("needs perf's Util.py and python3-audit for /usr/bin/python3")
    if os.uname().machine not in ("x86_64", "i686", "ppc64le", "s390x"):
        pytest.skip("perf's Util has no audit machine for this architecture")
    ref = json.loads(subprocess.run([py, "-c", _PERF_UTIL, PERF_UTIL_DIR], capture_output=True,
                                    text=True, check=True).stdout)
    syscalls.set_arch(None)
    args = [0, 1, True, 99999, -1, 2**31 - 1, -2**31, 2**31, -2**31 - 1, 2**64, 1.0, "1", None,
            334, 335, 435, 512]
    assert [util.syscall_name(a) for a in args] == ref
