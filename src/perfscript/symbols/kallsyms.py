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

import numpy as np

from .columns import NAME_LITERAL, SymbolColumns, fixup_duplicate, fixup_end, sort_stable
from .rbtree import IndexHistory
from .symbol import STB_GLOBAL, STB_LOCAL, STB_WEAK
from .table import SymbolTable

KSYM_NAME_LEN = 512
ENTRY_TRAMPOLINE = "__entry_SYSCALL_64_trampoline"


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


_HEX = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(b"0123456789abcdef"):
    _HEX[_c] = _i
for _i, _c in enumerate(b"ABCDEF"):
    _HEX[_c] = 10 + _i
_KEEP = np.zeros(256, dtype=bool)
_KEEP[list(b"TtWwDdBb")] = True
_BINDING = np.full(256, STB_LOCAL, dtype=np.uint8)
_BINDING[list(b"TDB")] = STB_GLOBAL
_BINDING[ord("W")] = STB_WEAK
U64_MASK = 0xFFFFFFFFFFFFFFFF


def _first_at_or_after(positions, starts, ends, missing):
    """For each [start, end) the first of ``positions`` (sorted) inside it, else
    ``missing``."""
    k = np.searchsorted(positions, starts)
    if not len(positions):
        return np.full(len(starts), missing, dtype=np.int64)
    found = positions[np.minimum(k, len(positions) - 1)]
    return np.where((k < len(positions)) & (found < ends), found, missing)


def _hex_values(padded, line_start, width, text):
    """(values, ok) of the address fields of lines all ``width`` characters wide: up to 16
    hex digits are read in bulk (8-byte words gathered at each line start, digits packed
    into big-endian bytes); anything else int(..., 16) would take goes through Python.
    ``padded`` is the text with at least 16 zero bytes after it."""
    m = len(line_start)
    values = np.zeros(m, dtype=np.uint64)
    ok = np.zeros(m, dtype=bool)
    if 0 < width <= 16:
        words = np.ndarray((len(padded) - 7,), dtype="<u8", buffer=padded, strides=(1,))
        chars = np.empty((m, 16), dtype=np.uint8)
        for j in range((width + 7) // 8):
            chars[:, 8 * j:8 * j + 8] = words[line_start + 8 * j].view(np.uint8).reshape(m, 8)
        digits = np.zeros((m, 16), dtype=np.uint8)
        digits[:, 16 - width:] = _HEX[chars[:, :width]]
        ok = (digits < 16).all(axis=1)
        packed = (digits[:, 0::2] << 4) | digits[:, 1::2]
        values = np.ascontiguousarray(packed).view(">u8").ravel().astype(np.uint64)
        if ok.all():
            return values, ok
    for j in np.flatnonzero(~ok).tolist():
        s = int(line_start[j])
        try:
            v = int(text[s:s + width].decode("utf-8", "surrogateescape"), 16)
        except ValueError:
            continue
        if 0 <= v <= U64_MASK:
            values[j] = v
            ok[j] = True
    return values, ok


class KallsymsColumns:
    """A kallsyms file's kept symbols as columns, in file order (``cols``), and perf's
    sorted, fixed-up, de-duplicated ``order`` of them with its tree ``history``;
    ``tab`` is where each name's ``\\t[module]`` tail starts (-1: kernel proper)."""

    __slots__ = ("cols", "order", "history", "tab")

    def __init__(self, cols, order, history, tab):
        self.cols = cols
        self.order = order
        self.history = history
        self.tab = tab


def parse_kallsyms(text):
    """The KallsymsColumns of a kallsyms file's bytes: lines ``ADDR TYPE NAME`` of the types
    perf keeps (T/W/D/B either case), names not starting with ``$``; sorted and fixed up
    as perf 6.1's dso__load_kallsyms does, module names still part of the names."""
    arr = np.frombuffer(text, dtype=np.uint8)
    n = len(arr)
    newlines = np.flatnonzero(arr == 10)
    line_start = np.concatenate(([0], newlines + 1)).astype(np.int64)
    line_end = np.concatenate((newlines, [n])).astype(np.int64)
    space = _first_at_or_after(np.flatnonzero(arr == 32), line_start, line_end, n)
    width = space - line_start
    ok = (space < line_end) & (width > 0) & (line_end - space >= 3)
    idx = np.flatnonzero(ok)
    padded = np.concatenate((arr, np.zeros(16, dtype=np.uint8)))
    ok[idx] = (padded[space[idx] + 2] == 32) & _KEEP[padded[space[idx] + 1]]
    name_start = space + 3
    nonempty = name_start < line_end
    ok &= ~(nonempty & (padded[np.minimum(name_start, n)] == ord("$")))
    idx = np.flatnonzero(ok)
    values = np.zeros(len(idx), dtype=np.uint64)
    good = np.zeros(len(idx), dtype=bool)
    w = width[idx]
    for one in np.unique(w).tolist():
        sel = np.flatnonzero(w == one)
        values[sel], good[sel] = _hex_values(padded, line_start[idx[sel]], one, text)
    idx = idx[good]
    values = values[good]
    starts = name_start[idx]
    ends = line_end[idx]
    tab = _first_at_or_after(np.flatnonzero(arr == 9), starts, ends, -1)
    brackets = np.flatnonzero(arr == ord("["))
    in_module = (np.searchsorted(brackets, ends) - np.searchsorted(brackets, starts)) > 0
    cols = SymbolColumns(values, values.copy(), _BINDING[padded[space[idx] + 1]],
                         starts.astype(np.uint64), (ends - starts).astype(np.uint32),
                         np.full(len(idx), NAME_LITERAL, dtype=np.uint8), text,
                         name_limit=KSYM_NAME_LEN + 1)
    history = IndexHistory()
    history.inserted(np.arange(len(idx)))
    order = sort_stable(cols, np.arange(len(idx)))
    fixup_end(cols, order, in_module=in_module)
    order, dropped = fixup_duplicate(cols, order, cols.name)
    history.erased(dropped)
    return KallsymsColumns(cols, order, history, tab - starts.astype(np.int64)
                           if len(idx) else tab)


def function_start(text, name):
    """Address of the first text/weak symbol called ``name`` in a kallsyms file's bytes
    (kallsyms__get_function_start): the first line ``ADDR T|t|W|w NAME`` decides, None
    when its address is not hex.  Lines ending in the name are found with bytes.find."""
    tail = b" " + name.encode("utf-8", "surrogateescape")
    at = text.find(tail)
    while at >= 0:
        end = at + len(tail)
        if end == len(text) or text[end] == 10:
            line = text[text.rfind(b"\n", 0, at) + 1:end].decode("utf-8", "surrogateescape")
            parts = line.split(" ", 2)
            if len(parts) == 3 and parts[2] == name and parts[1].upper() in ("T", "W"):
                try:
                    return int(parts[0], 16)
                except ValueError:
                    return None
        at = text.find(tail, at + 1)
    return None


class KernelSymbols:
    """The kernel proper's SymbolTable and each module's symbols (SymbolColumns, names
    without the ``\\t[module]`` tail, kallsyms addresses)."""

    __slots__ = ("table", "modules")

    def __init__(self, table, modules):
        self.table = table
        self.modules = modules


def split_kallsyms(parsed, delta=0, x86_64=True):
    """KernelSymbols of a KallsymsColumns: kernel symbols shifted by ``-delta`` (relocation
    between the recording and the kallsyms file), perf's x86 entry-trampoline alias
    dropped; everything that leaves the kernel's tree noted as erased, in address order."""
    cols, order, tab = parsed.cols, parsed.order, parsed.tab
    in_module = tab[order] >= 0
    gone = in_module.copy()
    if x86_64:
        want = ENTRY_TRAMPOLINE.encode()
        for k in np.flatnonzero(~in_module & (cols.name_len[order] == len(want))).tolist():
            i = int(order[k])
            off = int(cols.name_off[i])
            if cols.blob[off:off + len(want)] == want:
                gone[k] = True
    kernel = order[~gone]
    if delta and len(kernel):
        shift = np.uint64(delta & U64_MASK)
        cols.start[kernel] -= shift
        cols.end[kernel] -= shift
    parsed.history.erased(order[gone])
    modules = {}
    mod_entries = order[in_module]
    for i in mod_entries.tolist():
        off = int(cols.name_off[i])
        cut = int(tab[i])
        name = cols.blob[off + cut + 1:off + int(cols.name_len[i])].decode(
            "utf-8", "surrogateescape")
        modules.setdefault(name, []).append(i)
    short = np.maximum(tab, 0).astype(np.uint32)
    tables = {name: cols.subset(entries, name_len=short) for name, entries in modules.items()}
    return KernelSymbols(SymbolTable.from_columns(cols, kernel, parsed.history), tables)


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
