"""Kernel symbols from a vmlinux ELF (perf's -k/--vmlinux), as perf 6.1's dso__load_vmlinux
reads them.

The file is used only when its GNU build id is the recorded kernel's (or the recording
names none): perf then takes it and nothing else. Symbols are kept as for user dsos
(functions, objects, visible labels of text/data sections) at their file offsets
(st_value - sh_addr + sh_offset: a script sees those as a symbol's start and end). Those
of `.text` are the kernel's own and its map becomes that section, moved by the kernel's
relocation (the recorded address of the MMAP's reference symbol, `_text`, minus the
file's), with the section's file offset as pgoff; every other section gets a map and a
dso of its own, named `[kernel.kallsyms]<section>`. Only the kernel's symbols get perf's
end and duplicate fix-ups.
"""

from .elffile import SHF_ALLOC, SHT_DYNSYM, SHT_SYMTAB, open_elf
from .buildid import build_ids_equal
from .elfsyms import keep_symbol
from .symbol import Symbol
from .table import SymbolTable, fixup_duplicate, fixup_end, sort_stable

U64 = (1 << 64) - 1


class VmlinuxSymbols:
    """What a vmlinux gives the kernel dso: its symbols, the kernel map's (start, end,
    pgoff), and the other sections' (name, start, end, pgoff, symbols)."""

    def __init__(self, table, extent, sections):
        self.table = table
        self.extent = extent
        self.sections = sections


def load_vmlinux(path, build_id, ref_reloc, shown):
    """The symbols of vmlinux `path` for a kernel of `build_id` ('' when the recording
    names none), or None when perf would not use it. `ref_reloc`: (symbol name, recorded
    address) of the kernel's MMAP record, or None; `shown`: how names are shown."""
    img = open_elf(path)
    if img is None:
        return None
    if build_id and not build_ids_equal(build_id, img.build_id or ""):
        return None
    symtab = img.symtab(".symtab", SHT_SYMTAB)
    if symtab is None:
        return None                 # a stripped vmlinux is no use to perf
    tables = [symtab]
    dynsym = img.symtab(".dynsym", SHT_DYNSYM)
    if dynsym is not None:
        tables.append(dynsym)
    reloc = 0
    if ref_reloc and ref_reloc[0]:
        for _, raw, value, _, _, _, _ in img.iter_symbols(symtab):
            if raw.decode("utf-8", "surrogateescape") == ref_reloc[0]:
                reloc = (ref_reloc[1] - value) & U64
                break
    kernel = []
    extent = None
    others = {}                     # section name -> [start, end, symbols]
    for table in tables:
        for st_name, raw, value, size, info, other, shndx in img.iter_symbols(table):
            keep, is_label = keep_symbol(st_name, info, other, shndx)
            if not keep or shndx >= 0xFF00:
                continue
            sec = img.section(shndx)
            if sec is None or not sec.flags & SHF_ALLOC:
                continue
            if is_label and "text" not in sec.name and "data" not in sec.name:
                continue
            start = (value - sec.addr + sec.offset) & U64
            sym = Symbol(start, start + size, info >> 4,
                         shown(raw.decode("utf-8", "surrogateescape")))
            base = (sec.addr + reloc) & U64
            if sec.name == ".text":
                if extent is None:
                    extent = (base, base + sec.size, sec.offset)
                kernel.append(sym)
                continue
            part = others.get(sec.name)
            if part is None:
                part = others[sec.name] = [base, base + sec.size, sec.offset, []]
            part[3].append(sym)
    if kernel:
        sort_stable(kernel)
        fixup_end(kernel)
        fixup_duplicate(kernel)
    sections = []
    for name, (start, end, pgoff, syms) in others.items():
        sort_stable(syms)
        sections.append((name, start, end, pgoff, SymbolTable(syms)))
    return VmlinuxSymbols(SymbolTable(kernel), extent, sections)
