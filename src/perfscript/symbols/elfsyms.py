"""Which ELF symbols perf 6.1 keeps for a user-space dso, at which addresses (dso__load_sym).

Addresses end up as file offsets, the space perf maps a sample into with
``ip - map.start + map.pgoff``: each symbol value loses ``p_vaddr - p_offset`` of the PT_LOAD
segment holding it (else ``sh_addr - sh_offset`` of its section).  ``.symtab`` is read first,
then ``.dynsym`` of the same file; after each pass empty symbols get the next start as end and
duplicates at one address are thinned.  PLT entries become ``name@plt`` symbols last.
"""

import struct

import numpy as np

from .columns import (NAME_ELF, NAME_PLT, SymbolColumns, concat, empty_columns,
                      fixup_duplicate, fixup_end, sort_stable)
from .demangle import demangle
from .elffile import (EM_AARCH64, EM_ARM, EM_SPARC, EM_SPARCV9, SHF_ALLOC, SHT_DYNSYM, SHT_NOBITS,
                      SHT_REL, SHT_RELA, SHT_SYMTAB)
from .rbtree import IndexHistory
from .symbol import STB_GLOBAL

STT_NOTYPE = 0
STT_OBJECT = 1
STT_FUNC = 2
STT_GNU_IFUNC = 10
SHN_UNDEF = 0
SHN_ABS = 0xFFF1
STV_INTERNAL = 1
STV_HIDDEN = 2


def keep_symbol(st_name, info, other, shndx):
    """(keep, is_label): functions, ifuncs, objects, and visible typeless labels."""
    stype = info & 0xF
    if st_name == 0 or shndx == SHN_UNDEF:
        return False, False
    if stype in (STT_FUNC, STT_GNU_IFUNC, STT_OBJECT):
        return True, False
    if stype == STT_NOTYPE and shndx != SHN_ABS and (other & 3) not in (STV_HIDDEN, STV_INTERNAL):
        return True, True
    return False, False


U64 = np.uint64
U64_MASK = 0xFFFFFFFFFFFFFFFF
_ARM_MAPPING = (b"$a", b"$d", b"$t", b"$x")


def _entries(img, sec):
    """(entries as a structured array, string table bytes) of a symbol table section, or
    None without a string table."""
    strsec = img.section(sec.link)
    if strsec is None:
        return None
    strtab = bytes(img.data(strsec))
    raw = img.data(sec)
    e = "<" if img.little else ">"
    if img.is64:
        dtype = np.dtype([("name", e + "u4"), ("info", "u1"), ("other", "u1"),
                          ("shndx", e + "u2"), ("value", e + "u8"), ("size", e + "u8")])
    else:
        dtype = np.dtype([("name", e + "u4"), ("value", e + "u4"), ("size", e + "u4"),
                          ("info", "u1"), ("other", "u1"), ("shndx", e + "u2")])
    count = len(raw) // dtype.itemsize if sec.entsize else 0
    return np.frombuffer(raw, dtype=dtype, count=count), strtab


def _name_lengths(strtab, offsets):
    """Length of the NUL-terminated string at each offset (0 past the table's end)."""
    nul = np.flatnonzero(np.frombuffer(strtab, dtype=np.uint8) == 0)
    nul = np.append(nul, len(strtab))        # an unterminated last string ends with the table
    ends = nul[np.searchsorted(nul, offsets)].astype(np.int64) if len(offsets) else offsets
    return np.where(offsets < len(strtab), ends - offsets, 0).astype(np.uint32)


def _section_rules(syms, runtime):
    """Per section index of ``syms``: (placeable, text-or-data name, addr - offset) of the
    section a symbol there is placed by (a NOBITS one's counterpart in ``runtime``)."""
    n = len(syms.sections)
    usable = np.zeros(n, dtype=bool)
    text_or_data = np.zeros(n, dtype=bool)
    bias = np.zeros(n, dtype=U64)
    for i, sec in enumerate(syms.sections):
        if not sec.flags & SHF_ALLOC:
            continue
        if sec.type == SHT_NOBITS:
            sec = runtime.section(i)
            if sec is None:
                continue
        usable[i] = True
        text_or_data[i] = "text" in sec.name or "data" in sec.name
        bias[i] = (sec.addr - sec.offset) & U64_MASK
    return usable, text_or_data, bias


def _kept_symbols(syms, runtime, table, shown):
    """SymbolColumns of the symbols perf keeps from one symbol table, in file order, at
    file-offset addresses (dso__load_sym's filters and adjustments, on whole arrays)."""
    found = _entries(syms, table)
    if found is None or not len(found[0]):
        return empty_columns(shown)
    ent, strtab = found
    name = ent["name"].astype(np.int64)
    info = ent["info"]
    shndx = ent["shndx"].astype(np.int64)
    stype = info & 0xF
    label = ((stype == STT_NOTYPE) & (shndx != SHN_ABS)
             & ~np.isin(ent["other"] & 3, (STV_HIDDEN, STV_INTERNAL)))
    keep = ((name != 0) & (shndx != SHN_UNDEF) & (shndx < 0xFF00)
            & (np.isin(stype, (STT_FUNC, STT_GNU_IFUNC, STT_OBJECT)) | label))
    usable, text_or_data, bias = _section_rules(syms, runtime)
    in_range = shndx < len(usable)
    keep &= in_range
    sec_at = np.where(in_range, shndx, 0)
    keep &= usable[sec_at]
    keep &= ~label | text_or_data[sec_at]
    lengths = _name_lengths(strtab, name)
    if syms.e_machine in (EM_ARM, EM_AARCH64):
        for i in np.flatnonzero(keep & (lengths >= 2)).tolist():
            raw = strtab[name[i]:name[i] + lengths[i]]
            if raw[:2] in _ARM_MAPPING and raw[2:3] in (b"", b"."):
                keep[i] = False
    idx = np.flatnonzero(keep)
    value = ent["value"][idx].astype(U64)
    if syms.e_machine == EM_ARM:
        odd = (stype[idx] == STT_FUNC) & (value & U64(1) == U64(1))
        value = np.where(odd, value - U64(1), value)
    shift = bias[sec_at[idx]]
    placed = np.zeros(len(idx), dtype=bool)
    for vaddr, offset, filesz, memsz in runtime.loads:
        size = max(filesz, memsz)
        if not size:
            continue
        inside = ~placed & (value >= U64(vaddr & U64_MASK))
        if vaddr + size <= U64_MASK:
            inside &= value < U64(vaddr + size)
        shift = np.where(inside, U64((vaddr - offset) & U64_MASK), shift)
        placed |= inside
    value = value - shift
    size = ent["size"][idx].astype(U64)
    return SymbolColumns(value, value + size, (info[idx] >> 4).astype(np.uint8),
                         name[idx].astype(U64), lengths[idx],
                         np.full(len(idx), NAME_ELF, dtype=np.uint8), strtab, shown)


def _plt_sizes(elf, plt):
    m = elf.e_machine
    if m == EM_ARM:
        return 20, 12
    if m == EM_AARCH64:
        return 32, 16
    if m == EM_SPARC:
        return 48, 12
    if m == EM_SPARCV9:
        return 128, 32
    return plt.entsize, plt.entsize


def plt_symbols(runtime, shown=demangle):
    """SymbolColumns of ``name@plt`` symbols for the .plt entries of ``.rela.plt``/``.rel.plt`` (perf 6.1 reads
    neither .plt.sec nor .plt.got)."""
    dynsym = runtime.symtab(".dynsym", SHT_DYNSYM)
    if dynsym is None:
        return empty_columns(shown)
    rel = runtime.section_by_name(".rela.plt") or runtime.section_by_name(".rel.plt")
    if rel is None or rel.link != dynsym.index or not rel.entsize:
        return empty_columns(shown)
    plt = runtime.section_by_name(".plt")
    if plt is None:
        return empty_columns(shown)
    header, entry = _plt_sizes(runtime, plt)
    strsec = runtime.section(dynsym.link)
    if strsec is None:
        return empty_columns(shown)
    strtab = bytes(runtime.data(strsec))
    if not strtab:
        return empty_columns(shown)
    symraw = bytes(runtime.data(dynsym))
    relraw = bytes(runtime.data(rel))
    e = "<" if runtime.little else ">"
    if runtime.is64:
        sym_width, rel_width = 24, (24 if rel.type == SHT_RELA else 16)
        sym_of = lambda info: info >> 32  # noqa: E731
        relfmt = e + "QQ"
    else:
        sym_width, rel_width = 16, (12 if rel.type == SHT_RELA else 8)
        sym_of = lambda info: info >> 8  # noqa: E731
        relfmt = e + "II"
    if rel.type not in (SHT_RELA, SHT_REL):
        return empty_columns(shown)
    names, starts = [], []
    offset = plt.offset + header
    count = rel.size // rel.entsize
    for i in range(count):
        pos = i * rel.entsize
        if pos + rel_width > len(relraw):
            break
        _, info = struct.unpack_from(relfmt, relraw, pos)
        symidx = sym_of(info)
        spos = symidx * sym_width
        if spos + 4 > len(symraw):
            st_name = 0
        else:
            st_name = struct.unpack_from(e + "I", symraw, spos)[0]
        end = strtab.find(b"\0", st_name)
        names.append(strtab[st_name:end if end >= 0 else len(strtab)]
                     if st_name < len(strtab) else b"")
        starts.append(offset & U64_MASK)
        offset += entry
    if not names:
        return empty_columns(shown)
    lengths = np.fromiter(map(len, names), dtype=np.uint32, count=len(names))
    start = np.array(starts, dtype=U64)
    return SymbolColumns(start, start + U64(entry), np.full(len(names), STB_GLOBAL, np.uint8),
                         (np.cumsum(lengths, dtype=U64) - lengths), lengths,
                         np.full(len(names), NAME_PLT, dtype=np.uint8), b"".join(names), shown)


def load_elf_symbols(syms, runtime, shown=demangle):
    """(SymbolColumns, perf's sorted order of them, IndexHistory) of a user dso from its
    symbol file ``syms`` and runtime image ``runtime`` (the same ElfImage when one file has
    it all); ``shown`` turns an ELF name into the one perf shows (demangled, or as is with
    --no-demangle) when a symbol is made, and for the few compared as duplicates.

    ``.symtab`` then ``.dynsym``: after each, the ends and duplicates of everything so far
    are fixed up.  The PLT entries go into perf's tree after the fix-ups, so they can overlap
    a symbol stretched over them (``_init`` before ``.plt``); the history lets the table
    answer as perf's tree does there.
    """
    cols = empty_columns(shown)
    order = np.zeros(0, dtype=np.int64)
    history = IndexHistory()
    nr = 0
    for name, sht in ((".symtab", SHT_SYMTAB), (".dynsym", SHT_DYNSYM)):
        table = syms.symtab(name, sht)
        if table is None:
            continue
        part = _kept_symbols(syms, runtime, table, shown)
        if not len(part):
            continue
        first = len(cols)
        cols = concat((cols, part), shown)
        added = np.arange(first, len(cols))
        history.inserted(added)
        order = sort_stable(cols, np.concatenate((order, added)))
        fixup_end(cols, order)
        order, dropped = fixup_duplicate(cols, order, cols.name)
        history.erased(dropped)
        nr += len(part)
    if nr > 0:
        plt = plt_symbols(runtime, shown)
        if len(plt):
            first = len(cols)
            cols = concat((cols, plt), shown)
            added = np.arange(first, len(cols))
            history.inserted(added)
            order = sort_stable(cols, np.concatenate((order, added)))
    return cols, order, history
