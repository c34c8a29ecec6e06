# perfscript's stand-in for perf's Perf-Trace-Util Util.py.
#
# Scripts written for `perf script -s` do `from Util import *`; this module
# offers the same names with the same behaviour, including the leaked module
# names (os, errno, audit, ...) and Python-3 quirks (nsecs_secs() is a float,
# nsecs_str() returns a 1-tuple).  Syscall names come from tables shipped with
# perfscript (dumped from libaudit, so identical names) for the recording's
# architecture, so the python3-audit package is not needed and no
# "Install the audit-libs-python package" banner is printed.
# Written for perfscript (MIT); not derived from perf's GPL source text.
"""Time conversion, statistics, syscall-name and errno helpers."""
from __future__ import print_function

import errno, os  # noqa: E401  (both are part of what `import *` exports)

FUTEX_WAIT = 0
FUTEX_WAKE = 1
FUTEX_PRIVATE_FLAG = 128
FUTEX_CLOCK_REALTIME = 256
FUTEX_CMD_MASK = ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)

NSECS_PER_SEC = 1000000000


def avg(total, n):
    """Mean (true division)."""
    return total / n


def nsecs(secs, nsecs):
    """secs + nsecs as one nanosecond count."""
    return secs * NSECS_PER_SEC + nsecs


def nsecs_secs(nsecs):
    """Whole seconds of a ns count -- a float on Python 3, as with perf."""
    return nsecs / NSECS_PER_SEC


def nsecs_nsecs(nsecs):
    """Sub-second part of a ns count."""
    return nsecs % NSECS_PER_SEC


def nsecs_str(nsecs):
    """'sssss.nnnnnnnnn' wrapped in a 1-tuple (perf's helper returns a tuple)."""
    text = "%5u.%09u" % (nsecs_secs(nsecs), nsecs_nsecs(nsecs))
    return (text,)


def add_stats(dict, key, value):
    """Fold value into dict[key] = (min, max, avg, count).

    avg is perf's running (avg + value) / 2, not a true mean.
    """
    if key not in dict:
        dict[key] = (value, value, value, 1)
        return
    lo, hi, mean, count = dict[key]
    if value < lo:
        lo = value
    if value > hi:
        hi = value
    dict[key] = (lo, hi, (mean + value) / 2, count + 1)


def clear_term():
    """Home the cursor and clear the screen (ANSI)."""
    print("\x1b[H\x1b[2J")


def _load_syscalls():
    """perfscript's syscall tables; found by path when the package isn't importable."""
    try:
        from perfscript.names import syscalls
        return syscalls
    except ImportError:
        pass
    import importlib.util
    import sys
    here = os.path.dirname(os.path.abspath(__file__))
    pkg = os.path.normpath(os.path.join(here, *[os.pardir] * 7))
    path = os.path.join(pkg, "names", "syscalls.py")
    name = "_perfscript_syscalls"
    mod = sys.modules.get(name)
    if mod is None:
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return mod


_syscalls = _load_syscalls()


def _make_audit_module():
    """A stand-in for the python3-audit module perf's Util leaks as `audit`."""
    import types
    mod = types.ModuleType("audit", "perfscript stand-in for python3-audit's syscall lookups")
    for name in dir(_syscalls):
        if name.startswith("MACH_"):
            setattr(mod, name, getattr(_syscalls, name))
    mod.audit_syscall_to_name = _syscalls.audit_syscall_to_name
    mod.audit_name_to_syscall = _syscalls.audit_name_to_syscall
    mod.audit_name_to_machine = _syscalls.audit_name_to_machine
    mod.audit_machine_to_name = _syscalls.audit_machine_to_name
    return mod


audit = _make_audit_module()
audit_package_warned = False

# Same keys and values as perf's table (it has no aarch64/arm entries;
# perfscript's own lookup below does not depend on this dict).
machine_to_id = {
    'x86_64': audit.MACH_86_64,
    'alpha': audit.MACH_ALPHA,
    'ia64': audit.MACH_IA64,
    'ppc': audit.MACH_PPC,
    'ppc64': audit.MACH_PPC64,
    'ppc64le': audit.MACH_PPC64LE,
    's390': audit.MACH_S390,
    's390x': audit.MACH_S390X,
    'i386': audit.MACH_X86,
    'i586': audit.MACH_X86,
    'i686': audit.MACH_X86,
}

# The recording's machine as selected by the engine (perf: the running one).
machine_id = _syscalls.current_machine()


def syscall_name(id):
    """Name of syscall id on the recording's architecture.

    As with perf + python3-audit: None for an unknown number, str(id) when id
    is not a 32-bit int or no table exists for the architecture.
    """
    try:
        return audit.audit_syscall_to_name(id, _syscalls.current_machine())
    except Exception:
        return str(id)


def strerror(nr):
    """errno symbol ('ENOENT') for nr or -nr; 'Unknown N errno' otherwise."""
    try:
        return errno.errorcode[abs(nr)]
    except Exception:
        return "Unknown %d errno" % nr
