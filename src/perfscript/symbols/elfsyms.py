"""Which ELF symbols perf 6.1 keeps for a user-space dso, at which addresses (dso__load_sym).

Addresses end up as file offsets, the space perf maps a sample into with
``ip - map.start + map.pgoff``: each symbol value loses ``p_vaddr - p_offset`` of the PT_LOAD
segment holding it (else ``sh_addr - sh_offset`` of its section).  ``.symtab`` is read first,
then ``.dynsym`` of the same file; after each pass empty symbols get the next start as end and
duplicates at one address are thinned.  PLT entries become ``name@plt`` symbols last.
"""

import struct

from .demangle import demangle
from .elffile import (EM_AARCH64, EM_ARM, EM_SPARC, EM_SPARCV9, SHF_ALLOC, SHT_DYNSYM, SHT_NOBITS,
                      SHT_REL, SHT_RELA, SHT_SYMTAB)
from .rbtree import TreeHistory
from .symbol import STB_GLOBAL, Symbol
from .table import fixup_duplicate, fixup_end, sort_stable

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


def _load_pass(out, syms, runtime, table, history, shown=demangle):
    """Append the kept symbols of one symbol table to ``out``, fixed up as perf does after
    each table; returns how many.  ``history`` notes perf's tree inserts and erases;
    ``shown`` turns an ELF name into the one perf shows."""
    first = len(out)
    arm = syms.e_machine in (EM_ARM, EM_AARCH64)
    n = 0
    for st_name, raw, value, size, info, other, shndx in syms.iter_symbols(table):
        keep, is_label = keep_symbol(st_name, info, other, shndx)
        if not keep:
            continue
        if arm and raw[:1] == b"$" and raw[1:2] in (b"a", b"d", b"t", b"x") and raw[2:3] in (b"", b"."):
            continue
        if shndx >= 0xFF00:  # SHN_ABS, SHN_COMMON, ...: no section to place it in
            continue
        sec = syms.section(shndx)
        if sec is None:
            continue
        if not sec.flags & SHF_ALLOC:
            continue
        if sec.type == SHT_NOBITS:
            rsec = runtime.section(shndx)
            if rsec is None:
                continue
            sec = rsec
        if is_label and "text" not in sec.name and "data" not in sec.name:
            continue
        if syms.e_machine == EM_ARM and (info & 0xF) == STT_FUNC and value & 1:
            value -= 1
        seg = runtime.load_for_vaddr(value)
        if seg is not None:
            value -= seg[0] - seg[1]
        else:
            value -= sec.addr - sec.offset
        value &= 0xFFFFFFFFFFFFFFFF
        name = shown(raw.decode("utf-8", "surrogateescape"))
        out.append(Symbol(value, value + size if size else value, info >> 4, name))
        n += 1
    if n:
        history.inserted(out[first:])
        sort_stable(out)
        fixup_end(out)
        history.erased(fixup_duplicate(out))
    return n


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


PLT_NAME_BYTES = 1023     # perf formats "%s@plt" into a 1024-byte buffer


def _plt_name(name):
    """``name@plt``, cut to the bytes perf's buffer holds (long C++ names lose the suffix)."""
    raw = (name + "@plt").encode("utf-8", "surrogateescape")
    if len(raw) <= PLT_NAME_BYTES:
        return name + "@plt"
    return raw[:PLT_NAME_BYTES].decode("utf-8", "surrogateescape")


def plt_symbols(runtime, shown=demangle):
    """``name@plt`` symbols for the .plt entries of ``.rela.plt``/``.rel.plt`` (perf 6.1 reads
    neither .plt.sec nor .plt.got)."""
    dynsym = runtime.symtab(".dynsym", SHT_DYNSYM)
    if dynsym is None:
        return []
    rel = runtime.section_by_name(".rela.plt") or runtime.section_by_name(".rel.plt")
    if rel is None or rel.link != dynsym.index or not rel.entsize:
        return []
    plt = runtime.section_by_name(".plt")
    if plt is None:
        return []
    header, entry = _plt_sizes(runtime, plt)
    strsec = runtime.section(dynsym.link)
    if strsec is None:
        return []
    strtab = bytes(runtime.data(strsec))
    if not strtab:
        return []
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
        return []
    out = []
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
        raw = strtab[st_name:end if end >= 0 else len(strtab)] if st_name < len(strtab) else b""
        name = _plt_name(shown(raw.decode("utf-8", "surrogateescape")))
        out.append(Symbol(offset, offset + entry if entry else offset, STB_GLOBAL, name))
        offset += entry
    return out


def load_elf_symbols(syms, runtime, shown=demangle):
    """(symbols sorted by address, TreeHistory) of a user dso from its symbol file ``syms``
    and runtime image ``runtime`` (the same ElfImage when one file has it all); ``shown``
    turns an ELF name into the one perf shows (demangled, or as is with --no-demangle).

    The PLT entries go into perf's tree after the fix-ups, so they can overlap a symbol
    stretched over them (``_init`` before ``.plt``); the history lets the table answer as
    perf's tree does there.
    """
    out = []
    history = TreeHistory()
    nr = 0
    symtab = syms.symtab(".symtab", SHT_SYMTAB)
    if symtab is not None:
        nr += _load_pass(out, syms, runtime, symtab, history, shown)
    dynsym = syms.symtab(".dynsym", SHT_DYNSYM)
    if dynsym is not None:
        nr += _load_pass(out, syms, runtime, dynsym, history, shown)
    if nr > 0:
        plt = plt_symbols(runtime, shown)
        if plt:
            history.inserted(plt)
            out.extend(plt)
            sort_stable(out)
    return out, history
