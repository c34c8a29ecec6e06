"""The recording's machine as an ELF e_machine number, and what depends on it: syscall
names and numbers, errno names (upstream's syscall_name/syscall_id/arch_strerrno)."""

import errno
import os

from perfscript.perfdata import constants as C

EM_386 = 3
EM_MIPS = 8
EM_PARISC = 15
EM_PPC = 20
EM_PPC64 = 21
EM_S390 = 22
EM_ARM = 40
EM_SPARCV9 = 43
EM_X86_64 = 62
EM_AARCH64 = 183
EM_RISCV = 243
EM_LOONGARCH = 258
EM_ALPHA = 0x9026

# uname -m (perf.data's ARCH feature) -> (e_machine, 64-bit)
_UNAME = (
    (("x86_64", "amd64"), EM_X86_64, True),
    (("i386", "i486", "i586", "i686", "x86"), EM_386, False),
    (("aarch64", "arm64", "armv8l"), EM_AARCH64, True),
    (("ppc64", "ppc64le", "powerpc64"), EM_PPC64, True),
    (("ppc", "powerpc"), EM_PPC, False),
    (("s390x",), EM_S390, True),
    (("s390",), EM_S390, False),
    (("riscv64",), EM_RISCV, True),
    (("riscv32",), EM_RISCV, False),
    (("mips64",), EM_MIPS, True),
    (("mips",), EM_MIPS, False),
    (("loongarch64",), EM_LOONGARCH, True),
    (("sparc64",), EM_SPARCV9, True),
    (("parisc", "parisc64"), EM_PARISC, False),
    (("alpha",), EM_ALPHA, True),
)

# e_machine -> the shipped syscall table (names/syscall_tables, libaudit's tables)
_TABLES = {EM_X86_64: "MACH_86_64", EM_386: "MACH_X86", EM_AARCH64: "MACH_AARCH64",
           EM_ARM: "MACH_ARM", EM_PPC64: "MACH_PPC64", EM_PPC: "MACH_PPC",
           EM_S390: "MACH_S390X"}


def machine_of_uname(machine):
    """(e_machine, is 64-bit) of a `uname -m` string, or None."""
    if not machine:
        return None
    m = machine.lower()
    for names, em, wide in _UNAME:
        if m in names:
            return em, wide
    if m.startswith("arm"):
        return EM_ARM, False
    return None


HOST = machine_of_uname(os.uname().machine) or (EM_X86_64, True)


def elf_machine_of(session):
    """The recording's e_machine (the machine it was made on; this one when unknown)."""
    got = machine_of_uname(session.features.get(C.FEAT_ARCH))
    return (got or HOST)[0]


def is_64_bit_arch(session):
    got = machine_of_uname(session.features.get(C.FEAT_ARCH))
    return (got or HOST)[1]


def _machine(elf_machine):
    """The e_machine a call names: this machine's for None, 0 or a value out of range."""
    if elf_machine is None:
        return HOST[0]
    em = elf_machine.__index__() if not isinstance(elf_machine, int) else elf_machine
    return HOST[0] if em <= 0 or em > 0xFFFF else em


def _c_int(v):
    if not isinstance(v, int):
        v = v.__index__()
    if not -(1 << 31) <= v < (1 << 31):
        raise OverflowError("signed integer is greater than maximum" if v > 0
                            else "signed integer is less than minimum")
    return v


def _table(elf_machine):
    mach = _TABLES.get(_machine(elf_machine))
    if mach is None:
        return {}
    from perfscript.names import syscalls       # the tables load on first use
    return syscalls.load_table(getattr(syscalls, mach))


def syscall_name(id, elf_machine=None):  # noqa: A002 - upstream's keyword
    """The name of syscall `id` on a machine (by ELF e_machine; this one by default), or
    None when it has none."""
    return _table(elf_machine).get(_c_int(id))


def syscall_id(name, elf_machine=None):
    """The number of syscall `name` on a machine (this one by default); ValueError when
    it has none."""
    if not isinstance(name, str):
        raise TypeError("argument 1 must be str, not %s" % type(name).__name__)
    for nr, known in _table(elf_machine).items():
        if known == name:
            return nr
    raise ValueError("Failed to find syscall %s" % name)


# errno values whose names differ from the generic ones (Python's errno module has the
# generic set on Linux); the other architectures with tables of their own (alpha, mips,
# parisc, sparc) are not shipped: their numbers read as the generic ones
_POWERPC_ERRNO = {58: "EDEADLOCK"}
_GENERIC_PREFERRED = {35: "EDEADLK", 11: "EAGAIN", 95: "EOPNOTSUPP"}


def arch_strerrno(err, elf_machine=None):
    """The errno name of `err` (its sign ignored) on a machine, or None."""
    err = _c_int(err)
    if err == -(1 << 31):
        return None
    err = abs(err)
    em = _machine(elf_machine)
    if em in (EM_PPC, EM_PPC64) and err in _POWERPC_ERRNO:
        return _POWERPC_ERRNO[err]
    return _GENERIC_PREFERRED.get(err) or errno.errorcode.get(err)
