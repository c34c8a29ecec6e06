"""An ELF file's symbols as binutils 2.40's bfd weighs them for addr2line: which symbol
names a code address (_bfd_elf_find_function, with the STT_FILE name it comes under) and
which symbol starts exactly at a data address (the symbol bfd looks a data address's
declaration up by).  Each question is answered from an index built per section on first
use, instead of bfd's pass over every symbol.
"""

import bisect

from .dwarf_forms import DWARF_ERRORS

STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_SECTION, STT_FILE = 0, 1, 2, 3, 4
STT_COMMON, STT_TLS, STT_RELC, STT_SRELC = 5, 6, 8, 9
_NOT_CODE = frozenset((STT_SECTION, STT_FILE, STT_OBJECT, STT_COMMON, STT_TLS, STT_RELC,
                       STT_SRELC))
STB_LOCAL = 0
STB_GLOBAL = 1
STV_HIDDEN = 2


class BfdSymbol:
    """A symbol as bfd's _bfd_elf_find_function weighs it."""

    __slots__ = ("name", "value", "size", "shndx", "kind", "local", "hidden", "is_file",
                 "is_global", "function")

    def __init__(self, name, value, size, info, other, shndx):
        self.name = name
        self.value = value
        self.size = size
        self.shndx = shndx
        self.kind = info & 0xF
        self.local = info >> 4 == STB_LOCAL
        self.hidden = other & 3 == STV_HIDDEN
        self.is_file = self.kind == STT_FILE
        self.is_global = info >> 4 == STB_GLOBAL
        self.function = self.kind == STT_FUNC        # bfd's BSF_FUNCTION

    def code_size(self, shndx):
        """bfd's _bfd_elf_maybe_function_sym: 0 when not a code symbol of that section,
        else its size (1 for an empty one)."""
        if self.kind in _NOT_CODE:
            return 0
        if self.shndx != shndx:
            return 0
        if not self.size and self.local and self.kind == STT_NOTYPE and self.hidden:
            return 0
        return self.size or 1


class SymbolTable:
    """One file's symbols as _bfd_elf_find_function scans them: the first of ``tables``
    that has any, in file order, read on first use."""

    def __init__(self, img, tables):
        self.img = img
        self._tables = tables
        self._symbols = None
        self._by_section = {}
        self._starts = {}
        self.vmas = {sec.index: sec.addr for sec in img.sections}

    def symbols(self):
        if self._symbols is None:
            syms = []
            try:
                for name, sht in self._tables:
                    sec = self.img.symtab(name, sht)
                    if sec is None:
                        continue
                    for i, (_, raw, value, size, info, other, shndx) in enumerate(
                            self.img.iter_symbols(sec)):
                        if i:
                            syms.append(BfdSymbol(raw.decode("utf-8", "surrogateescape"),
                                                   value, size, info, other, shndx))
                    if syms:
                        break
            except DWARF_ERRORS:
                syms = []
            self._symbols = syms
        return self._symbols

    def closest(self, shndx, offset):
        """What bfd's one pass over the symbols (binutils 2.40) finds for ``offset`` in a
        section: (symbol, file name, size, its offset), the symbol starting closest at or
        below the offset, the larger of those at one address (the first of equals); the
        file name of the last STT_FILE before it, for a local symbol, or for any while no
        STT_FILE has followed other symbols.  Indexed per section on first use."""
        index = self._by_section.get(shndx)
        if index is None:
            index = self._by_section[shndx] = self._index(shndx)
        offs, entries = index
        i = bisect.bisect_right(offs, offset) - 1
        if i < 0:
            return (None, None, 0, 0)
        return entries[i]

    def at(self, shndx, offset):
        """The symbol bfd looks a data address up by: one starting exactly at ``offset``
        in the section (not a section symbol), the first global one, else the last."""
        starts = self._starts.get(shndx)
        if starts is None:
            starts = self._starts[shndx] = {}
            vma = self.vmas.get(shndx, 0)
            mask = (1 << 64) - 1 if self.img.is64 else (1 << 32) - 1
            for sym in self.symbols():
                if sym.shndx != shndx or sym.kind == STT_SECTION:
                    continue
                off = (sym.value - vma) & mask
                have = starts.get(off)
                if have is None or not have.is_global:
                    starts[off] = sym
        return starts.get(offset)

    def _index(self, shndx):
        vma = self.vmas.get(shndx, 0)
        mask = (1 << 64) - 1 if self.img.is64 else (1 << 32) - 1
        best = {}
        file = None
        seen_symbol = file_after_symbol = False
        for sym in self.symbols():
            if sym.is_file:
                file = sym
                if seen_symbol:
                    file_after_symbol = True
                continue
            seen_symbol = True
            size = sym.code_size(shndx)
            if not size:
                continue
            off = (sym.value - vma) & mask
            have = best.get(off)
            if have is None or size > have[2]:
                filename = None
                if file is not None and (sym.local or not file_after_symbol):
                    filename = file.name
                best[off] = (sym, filename, size, off)
        offs = sorted(best)
        return offs, [best[o] for o in offs]
