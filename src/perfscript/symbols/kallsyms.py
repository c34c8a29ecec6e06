"""Kernel symbols from a kallsyms file, split into the kernel proper and its modules as perf
6.1 does (dso__load_kallsyms + maps__split_kallsyms).

perf keeps types T/W/D/B in either case (text, weak, data, bss); binding is weak for ``W``,
global for upper case, local otherwise.  Every symbol starts empty; ends come from the next
symbol, except that the last symbol before a kernel/module switch ends on the following page
and the very last one a page past its rounded-up start.  Duplicates are thinned with perf's
preferences while module names are still part of the names.
"""

import errno
import os
import select
import stat

from .symbol import STB_GLOBAL, STB_LOCAL, STB_WEAK, Symbol
from .table import fixup_duplicate, fixup_end, sort_stable

KSYM_NAME_LEN = 512
_KEEP_TYPES = frozenset("TtWwDdBb")
ENTRY_TRAMPOLINE = "__entry_SYSCALL_64_trampoline"


def _binding(t):
    if t == "W":
        return STB_WEAK
    return STB_GLOBAL if t.isupper() else STB_LOCAL


# A kallsyms file is ~10-30 MB; what claims to be one and goes on past this is not one.
MAX_KALLSYMS_BYTES = 1 << 30
# How long a FIFO named by --kallsyms may keep us waiting for its first bytes.
FIFO_WAIT_SECONDS = 30


def read_kallsyms(path):
    """The bytes of a kallsyms file, read once: a regular file, or a pipe such as a
    shell's `<(xz -dc kallsyms.xz)`, bounded in size and, for a FIFO nobody writes, in
    time. A device or anything else that is not a file of text raises OSError instead of
    being read forever."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISFIFO(mode):
            ready, _, _ = select.select([fd], [], [], FIFO_WAIT_SECONDS)
            if not ready:
                raise OSError(errno.ETIMEDOUT, "nothing written to the FIFO in %d s"
                              % FIFO_WAIT_SECONDS, path)
        elif not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, "not a regular file or a pipe", path)
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(MAX_KALLSYMS_BYTES + 1)
        if len(data) > MAX_KALLSYMS_BYTES:
            raise OSError(errno.EFBIG, "more than %d bytes" % MAX_KALLSYMS_BYTES, path)
        return data
    finally:
        os.close(fd)


def _lines(text):
    for raw in text.split(b"\n"):
        yield raw.decode("utf-8", "surrogateescape")


def parse_kallsyms(text, history=None):
    """All kept symbols of a kallsyms file's bytes, sorted by address; a module symbol's
    name still carries its ``\\t[module]`` tail.  ``history`` (a TreeHistory) gets perf's
    inserts, in file order, and the duplicates' erases."""
    syms = []
    for line in _lines(text):
        sp = line.find(" ")
        if sp <= 0 or len(line) < sp + 3 or line[sp + 2] != " ":
            continue
        try:
            start = int(line[:sp], 16)
        except ValueError:
            continue
        stype = line[sp + 1]
        name = line[sp + 3:sp + 3 + KSYM_NAME_LEN + 1]
        if stype not in _KEEP_TYPES or name.startswith("$"):
            continue
        syms.append(Symbol(start, start, _binding(stype), name))
    if history is not None:
        history.inserted(list(syms))
    sort_stable(syms)
    fixup_end(syms, is_kallsyms=True, in_module=lambda s: "[" in s.name)
    dropped = fixup_duplicate(syms)
    if history is not None:
        history.erased(dropped)
    return syms


def function_start(text, name):
    """Address of the first text/weak symbol called ``name`` in a kallsyms file's bytes
    (kallsyms__get_function_start)."""
    tail = (" " + name).encode("utf-8", "surrogateescape")
    for raw in text.split(b"\n"):
        if not raw.endswith(tail):
            continue
        parts = raw.decode("utf-8", "surrogateescape").split(" ", 2)
        if len(parts) == 3 and parts[2] == name and parts[1].upper() in ("T", "W"):
            try:
                return int(parts[0], 16)
            except ValueError:
                return None
    return None


def split_kallsyms(symbols, delta=0, x86_64=True, history=None):
    """(kernel symbols, {"[module]": symbols at kallsyms addresses}).

    Kernel symbols are shifted by ``-delta`` in place (relocation between the recording and
    the kallsyms file); perf drops the x86 entry-trampoline alias.  Everything that leaves
    the kernel's tree is noted in ``history`` as erased, in perf's (address) order.
    """
    kernel = []
    modules = {}
    gone = []
    for sym in symbols:
        tab = sym.name.find("\t")
        if tab >= 0:
            module = sym.name[tab + 1:]
            modules.setdefault(module, []).append(
                Symbol(sym.start, sym.end, sym.binding, sym.name[:tab]))
            gone.append(sym)
            continue
        if x86_64 and sym.name == ENTRY_TRAMPOLINE:
            gone.append(sym)
            continue
        if delta:
            sym.start -= delta
            sym.end -= delta
        kernel.append(sym)
    if history is not None:
        history.erased(gone)
    return kernel, modules


def module_name(path):
    """perf's short name for a kernel module map: ``/lib/.../nf-tables.ko.xz`` -> ``[nf_tables]``."""
    base = path.rsplit("/", 1)[-1]
    if base.startswith("["):
        return base.replace("-", "_")
    for ext in (".gz", ".xz", ".zst", ".bz2"):
        if base.endswith(".ko" + ext):
            base = base[:-len(ext)]
            break
    if base.endswith(".ko"):
        base = base[:-3]
    return "[%s]" % base.replace("-", "_")
