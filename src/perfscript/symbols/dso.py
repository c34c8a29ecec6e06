"""Dsos as perf names and resolves them: user files, the kernel and its modules.

Symbols load lazily, on the first lookup, like perf's map__find_symbol -> dso__load.
"""

import os
import re

from .buildid import build_ids_equal
from .cache import file_stamp
from .columns import empty_columns, from_arrays, to_arrays
from .demangle import demangle
from .elffile import ELF_ERRORS, SHT_DYNSYM, SHT_SYMTAB, open_elf
from .elfsyms import load_elf_symbols
from .kallsyms import module_name
from .rbtree import TreeHistory
from .symbol import Symbol
from .table import SymbolTable

_EMPTY = SymbolTable([])
_JIT_MAP = re.compile(r"/tmp/perf-\s*([-+]?[0-9]+)")
ADDR_MASK = 0xFFFFFFFFFFFFFFFF


class Dso:
    """One file perf knows by path and build id.

    ``name`` is what perf puts in ``dso``; ``long_name`` what it shows with
    ``--show-kernel-path``; ``build_id`` the hex ``dso_bid`` ('' when perf has none).
    """

    kernel = False

    def __init__(self, name, build_id=None, long_name=None, loader=None):
        self.name = name
        self.long_name = long_name or name
        self.build_id = build_id or ""
        self._loader = loader
        self._table = None
        self.symsrc = None
        self.symtab_file = None  # the file whose .symtab gave the symbols (perf's symsrc_filename)
        self.runtime = None     # the file with .dynsym: code bytes, .text offset

    @property
    def table(self):
        if self._table is None:
            loader, self._loader = self._loader, None
            table = None
            if loader is not None:
                try:
                    table = loader(self)
                except ELF_ERRORS:
                    table = None
            self._table = table or _EMPTY
        return self._table

    @property
    def short_name(self):
        """perf's short name (dso__set_basename): the file's base name; a JIT map's is
        `[JIT] tid N`."""
        name = self.long_name
        jit = _JIT_MAP.match(name)
        if jit is not None:
            return "[JIT] tid %d" % int(jit.group(1))
        return os.path.basename(name)

    @property
    def loaded(self):
        return self._table is not None

    def map_ip(self, ip, map_start, map_pgoff):
        """A sample address in this dso's symbol space (perf's map__map_ip)."""
        return (ip - map_start + map_pgoff) & ADDR_MASK

    def unmap_ip(self, addr, map_start, map_pgoff):
        """An address of this dso's symbol space in the map (perf's map__unmap_ip)."""
        return (addr + map_start - map_pgoff) & 0xFFFFFFFFFFFFFFFF

    def find(self, ip, map_start=0, map_pgoff=0):
        """(Symbol, offset of the address into it) or None.

        The offset is perf's (get_offset, symbol__fprintf_symname_offs): at or past the
        symbol's end, which only an empty symbol's own address can be, perf also takes the
        map's start off, modulo 2**64.
        """
        addr = self.map_ip(ip, map_start, map_pgoff)
        sym = self.table.find(addr)
        if sym is None:
            return None
        if addr < sym.end:
            return sym, addr - sym.start
        return sym, (addr - map_start - sym.start) & ADDR_MASK

    def __repr__(self):
        return "<%s %s %s>" % (type(self).__name__, self.name, self.build_id or "-")


class KsymbolDso(Dso):
    """Kernel code a PERF_RECORD_KSYMBOL announced (a BPF program, a trampoline): its
    symbols come from those records, at offsets from its map's start."""

    kernel = True

    def __init__(self, name):
        super().__init__(name)
        if name.startswith(("bpf_trampoline_", "bpf_dispatcher_")):
            self.long_name = ""         # perf's BPF image dsos have no file name
        self._symbols = []
        self._table = _EMPTY

    def add_symbol(self, start, size, name):
        """perf's dso__insert_symbol of a ksymbol (one at a start is enough)."""
        syms = [s for s in self._symbols if s.start != start]
        syms.append(Symbol(start, start + size, 1, name))
        syms.sort(key=lambda s: s.start)
        self._symbols = syms
        self._table = SymbolTable(syms)


class IdentityDso(Dso):
    """A dso whose symbols are absolute addresses (the kernel, JIT perf-PID.map files)."""

    def map_ip(self, ip, map_start, map_pgoff):
        return ip

    def unmap_ip(self, addr, map_start, map_pgoff):
        return addr


class KernelSectionDso(Dso):
    """A vmlinux section other than .text (`[kernel.kallsyms].init.text`...): perf gives
    it a map and a dso of its own; symbols at file offsets."""

    kernel = True

    def __init__(self, name, long_name, table):
        super().__init__(name, long_name=long_name)
        self._table = table


class KernelDso(IdentityDso):
    """``[kernel.kallsyms]``: symbols at run-time addresses; loading also fixes the map extent
    perf reports (first symbol start to last symbol end)."""

    kernel = True
    short_name = "[kernel.kallsyms]"

    def __init__(self, build_id=None, loader=None):
        super().__init__("[kernel.kallsyms]", build_id, loader=loader)
        self.modules = {}           # "[module]": its kallsyms SymbolColumns
        self.extent = None          # a vmlinux's .text (start, end, pgoff)
        self.section_maps = []      # (start, end, pgoff, dso) of its other sections

    def map_ip(self, ip, map_start, map_pgoff):
        if self.extent is not None:         # a vmlinux: symbols at file offsets
            return (ip - map_start + map_pgoff) & 0xFFFFFFFFFFFFFFFF
        return ip

    def unmap_ip(self, addr, map_start, map_pgoff):
        if self.extent is not None:
            return (addr + map_start - map_pgoff) & 0xFFFFFFFFFFFFFFFF
        return addr

    def map_extent(self, mmap_start, mmap_end):
        """The kernel map's (start, end) as perf has it once symbols are loaded:
        kallsyms' first to last symbol, or a vmlinux's .text."""
        table = self.table
        if self.extent is not None:
            return self.extent[:2]
        if len(table):
            return table.first.start, table.last.end
        return mmap_start, mmap_end

    def map_pgoff(self, mmap_pgoff):
        """The kernel map's pgoff once symbols are loaded (a vmlinux: its .text's file
        offset)."""
        return self.extent[2] if self.extent is not None else mmap_pgoff


class ModuleDso(Dso):
    """A kernel module map: symbols from the kernel's kallsyms, relative to the module map."""

    kernel = True

    def __init__(self, filename, build_id, kernel):
        super().__init__(module_name(filename), build_id, long_name=filename)
        self.module = self.name       # "[mod]": the key of its kallsyms symbols
        self._kernel = kernel
        self._rel_cache = {}

    @property
    def short_name(self):
        return self.module

    @property
    def table(self):
        if self._table is None:
            self._kernel.table  # the split happens when the kernel loads
            cols = self._kernel.modules.get(self.module)
            self._table = (SymbolTable.from_columns(cols, range(len(cols)))
                           if cols is not None else _EMPTY)
        return self._table

    def find(self, ip, map_start=0, map_pgoff=0):
        sym = self.table.find(ip)
        if sym is None:
            return None
        rel = self._rel_cache.get((sym.start, map_start, map_pgoff))
        if rel is None:
            shift = map_start - map_pgoff
            rel = Symbol(sym.start - shift, sym.end - shift, sym.binding, sym.name)
            self._rel_cache[(sym.start, map_start, map_pgoff)] = rel
        if ip < sym.end:
            return rel, ip - sym.start
        return rel, (ip - map_start - sym.start) & ADDR_MASK


def _existing(candidates, dso):
    """The candidate files that exist, in perf's order, each once."""
    out = []
    for path in candidates(dso):
        if path not in out and os.path.isfile(path):
            out.append(path)
    return out


def load_user_symbols(dso, candidates, symfs="", shown=demangle, cache=None):
    """perf's dso__load for a user dso: the first candidate with .symtab gives the symbols, the
    first with .dynsym is the runtime image; a candidate whose build id differs is skipped.

    With a SymbolCache, the result is kept under the dso's build id and path, valid while
    every candidate file is the one it was read from."""
    if not dso.build_id and os.path.isfile(dso.long_name):
        img = open_elf((symfs or "") + dso.long_name)
        if img is not None and img.build_id:
            dso.build_id = img.build_id
    paths = _existing(candidates, dso)
    if cache is not None:
        key = ["elf", dso.long_name, dso.build_id, symfs or "",
               "demangled" if shown is demangle else "as is"]
        stamp = file_stamp(paths)
        hit = cache.load(key, stamp)
        if hit is not None:
            table = _cached_table(dso, hit, shown, cache, key, stamp)
            if table is not None:
                return table if len(table) or hit[0].get("symsrc") else None
    syms = runtime = None
    for path in paths:
        img = open_elf(path)
        if img is None:
            continue
        if dso.build_id and not build_ids_equal(dso.build_id, img.build_id):
            continue
        has_symtab = img.symtab(".symtab", SHT_SYMTAB) is not None
        has_dynsym = img.symtab(".dynsym", SHT_DYNSYM) is not None
        used = False
        if syms is None and has_symtab:
            syms = img
            used = True
        if runtime is None and (has_dynsym or img.section_by_name(".opd") is not None):
            runtime = img
            used = True
        if used and syms is not None and runtime is not None:
            break
    if syms is None:
        syms = runtime
    if runtime is None:
        runtime = syms
    if syms is None:
        if cache is not None:
            cache.store(key, stamp, {"symsrc": None}, to_arrays(empty_columns(), [], None)[0])
        return None
    dso.symsrc = syms.path
    if syms.symtab(".symtab", SHT_SYMTAB) is not None:
        dso.symtab_file = syms.path
    dso.runtime = runtime.path
    cols, order, history = load_elf_symbols(syms, runtime, shown)
    table = SymbolTable.from_columns(cols, order, history)
    if cache is not None:
        arrays, meta = to_arrays(cols, order, history)
        meta.update(symsrc=dso.symsrc, symtab_file=dso.symtab_file, runtime=dso.runtime)
        cache.store(key, stamp, meta, arrays)
        table.on_settle = _keep_settled(cache, key, stamp, meta, arrays)
    return table


def _keep_settled(cache, key, stamp, meta, arrays):
    """Rewrite a cache entry with the table's settled intervals once its tree has been
    rebuilt (a large library with overlaps costs a tree build once, not every run)."""
    def keep(settled):
        arrays.update(zip(("settled_starts", "settled_ends", "settled_owners"), settled))
        cache.store(key, stamp, meta, arrays)
    return keep


def _cached_table(dso, hit, shown, cache, key, stamp):
    """The SymbolTable of a cache entry (its files noted on the dso), or None when the
    entry's arrays do not fit together."""
    meta, arrays = hit
    try:
        cols, order, history = from_arrays(arrays, meta, shown)
    except (ValueError, KeyError, TypeError):
        return None
    settled = None
    if "settled_owners" in arrays:
        settled = tuple(arrays[k] for k in ("settled_starts", "settled_ends", "settled_owners"))
        if not (len(settled[0]) == len(settled[1]) == len(settled[2])) or (
                len(settled[2]) and (int(settled[2].min()) < 0
                                     or int(settled[2].max()) >= len(cols))):
            return None
    if meta.get("symsrc"):
        dso.symsrc = meta["symsrc"]
        dso.symtab_file = meta.get("symtab_file")
        dso.runtime = meta.get("runtime")
    table = SymbolTable.from_columns(cols, order, history, settled)
    if settled is None and cache is not None:
        table.on_settle = _keep_settled(cache, key, stamp, meta, arrays)
    return table


def load_perf_map(dso):
    """A JIT's /tmp/perf-PID.map: ``start size name`` lines, hex numbers."""
    syms = []
    try:
        with open(dso.long_name, "rb") as f:
            for raw in f:
                parts = raw.decode("utf-8", "surrogateescape").rstrip("\n").split(" ", 2)
                if len(parts) < 3:
                    continue
                try:
                    start = int(parts[0], 16)
                    size = int(parts[1], 16)
                except ValueError:
                    continue
                syms.append(Symbol(start, start + size, 1, parts[2]))
    except OSError:
        return None
    history = TreeHistory()
    history.inserted(list(syms))    # perf inserts in file order and fixes nothing up
    syms.sort(key=lambda s: s.start)
    return SymbolTable(syms, history)
