"""What binutils 2.40's ``addr2line -i -f -e FILE`` answers for an address, computed from
the file's DWARF and symbols the way bfd does (_bfd_dwarf2_find_nearest_line,
_bfd_dwarf2_find_inliner_info, _bfd_elf_find_function).

An answer is the list of records addr2line prints, innermost first: the function bfd
finds at the address with the line table's file and line there, then for an inlined
function each caller's name with the call site.  The rules that decide it:

* the DWARF is the file's own, else that of the separate debug file bfd finds by build
  id or .gnu_debuglink (dwarf_debugfile), whose symbols then name functions in the
  sections it has at the same place with the same name; addr2line's own symbols
  (.symtab, else .dynsym) name them when there is no DWARF at all, or nothing else did;
* in a section without code, an address where one of addr2line's symbols starts is
  looked up "by symbol": the file and line the variable of that name is declared at;
* the compilation unit is the first that answers (a function or a line row) among those
  bfd looks at: units it has read whose ranges hold the address (their own ranges, and
  once decoded their line sequences and functions), in the order those ranges came in;
  then units not read yet, in order, when their own ranges hold it or they have none; a
  unit without a line table, or whose DIEs bfd cannot read, never answers;
* the function is the one with the smallest range holding the address, a later DIE
  winning a tie; it starts an inline chain only if it is an inlined subroutine;
* a C-like unit's names are taken as they are; otherwise, or with no function at all,
  the symbol table names it (and gives the file when the line table could not), and the
  DWARF function learns the symbol's name when that symbol starts where it starts;
* no section holding the address, or nothing found, prints ``??`` and ``??:0``.

Some of this depends on earlier questions (which units bfd has read and decoded, the
functions it renamed, the last symbol it found), so one ``Addr2line`` per file answers in
the order it is asked, as the long-running addr2line process perf starts per dso does.
"""

import bisect

from .bfd_syms import SymbolTable
from .dwarf import DW_TAG_inlined_subroutine, DebugInfo
from .dwarf_debugfile import find_debug_file, has_debug_info, section_map
from .dwarf_forms import DWARF_ERRORS, DwarfError
from .elffile import SHF_ALLOC, SHT_DYNSYM, SHT_SYMTAB, open_elf

SHF_EXECINSTR = 0x4
_HASH_OFF, _HASH_ON, _HASH_DISABLED = 0, 1, 2
_HASH_TRIGGER = 100            # bfd's STASH_INFO_HASH_TRIGGER


class Record:
    """One function/location pair addr2line prints."""

    __slots__ = ("function", "file", "line", "discriminator")

    def __init__(self, function, file, line, discriminator=0):
        self.function = function      # None prints "??"
        self.file = file              # None prints "??"
        self.line = line              # 0 prints "?"
        self.discriminator = discriminator

    def lines(self):
        """The two lines addr2line -f prints for it (without newlines)."""
        where = "%s:" % (self.file if self.file is not None else "??")
        if self.line:
            if self.discriminator:
                where += "%u (discriminator %u)" % (self.line, self.discriminator)
            else:
                where += "%u" % self.line
        else:
            where += "?"
        return (self.function or "??", where)

    def __repr__(self):
        return "Record(%r, %r, %r)" % (self.function, self.file, self.line)


class Addr2line:
    """addr2line's answers for one ELF file (the one perf gives it with -e)."""

    def __init__(self, path):
        self.path = path
        self.exists = False
        self.debug_path = None         # the separate debug file bfd reads, if any
        self._dwarf = None
        self._sections = []            # (vma, end, index, code) of SHF_ALLOC sections, in order
        self._own = None               # addr2line's symbols (slurp_symtab)
        self._stash_syms = None        # the symbols bfd's DWARF reader names functions with
        self._stash_sections = None    # own section index -> debug file's, when separate
        self._cache = None             # bfd's elf_find_function_cache
        self._funcs = {}               # unit -> function range index
        self._trie = _UnitRanges()     # bfd's trie: address ranges -> units
        self._read = 0                 # units bfd has read so far, in order
        self._hash_state = _HASH_OFF   # bfd's info hash tables for lookups by symbol
        self._hash_asked = 0
        self._hashed = 0               # units read into them
        self._mask = (1 << 64) - 1
        img = open_elf(path)
        if img is None:
            return
        self.exists = True
        self._img = img
        self._mask = (1 << 64) - 1 if img.is64 else (1 << 32) - 1
        for sec in img.sections:
            if sec.flags & SHF_ALLOC:
                self._sections.append((sec.addr, sec.addr + sec.size, sec.index,
                                       bool(sec.flags & SHF_EXECINSTR)))
        self._own = self._stash_syms = SymbolTable(
            img, ((".symtab", SHT_SYMTAB), (".dynsym", SHT_DYNSYM)))
        dwarf_img = img
        if not has_debug_info(img):
            self.debug_path = find_debug_file(path, img)
            dwarf_img = open_elf(self.debug_path) if self.debug_path else None
            if dwarf_img is None or not has_debug_info(dwarf_img):
                self.debug_path = None
                return
            self._stash_syms = SymbolTable(dwarf_img, ((".symtab", SHT_SYMTAB),))
            self._stash_sections = section_map(img, dwarf_img)
        try:
            self._dwarf = DebugInfo(dwarf_img)
        except DWARF_ERRORS + (DwarfError,):
            self._dwarf = None
        if self._dwarf is not None and self._dwarf.info is None:
            self._dwarf = None

    # --- the answer ---------------------------------------------------------------------

    def lookup(self, pc):
        """The records addr2line -i -f prints for ``pc``, or None for its ``??``/``??:0``."""
        if not self.exists:
            return None
        pc &= self._mask
        for vma, end, index, code in self._sections:
            if vma <= pc < end:
                found = self._nearest_line(index, vma, pc, code)
                if found is not None:
                    return found
        return None

    def _nearest_line(self, shndx, vma, pc, code):
        """bfd_find_nearest_line then bfd_find_inliner_info for one section: the DWARF
        reader (_bfd_dwarf2_find_nearest_line), then the symbols alone."""
        found = None
        if self._dwarf is not None:
            found = self._dwarf_nearest_line(shndx, vma, pc, code)
        if found is not None:
            return found
        fun = self._find_function(self._own, shndx, pc - vma)
        if fun is None:
            return None
        return [Record(fun[0], fun[1], 0)]

    def _dwarf_nearest_line(self, shndx, vma, pc, code):
        found = False
        function = None
        row = None
        symbol = None if code else self._own.at(shndx, pc - vma)
        if symbol is not None:
            place = self._declaration(symbol, pc)
            if place is not None:
                found = True
                row = (place[0], place[1], 0)
        else:
            for unit in self._units_for(pc):
                func = self._best_function(unit, pc)
                row = unit.lines.find(pc)
                if func is not None or row is not None:
                    found = True
                    function = func
                    break
        filename, line, disc = row if row is not None else (None, 0, 0)
        name = None
        if function is not None and function.is_linkage:
            name = function.name
        else:
            syms, sec = self._own, shndx
            if self._stash_sections is not None and shndx in self._stash_sections:
                syms, sec = self._stash_syms, self._stash_sections[shndx]
            fun = self._find_function(syms, sec, pc - vma)
            if fun is not None:
                name = fun[0]
                if filename is None:
                    filename = fun[1]
                found = True
            if function is not None:
                if fun is None:
                    name = function.name
                elif fun[2] + vma == function.ranges[0][0]:
                    function.name = name
                function.is_linkage = True
        if not found:
            return None
        records = [Record(name, filename, line, disc)]
        if function is not None and function.tag == DW_TAG_inlined_subroutine:
            func = function
            while func.caller is not None:
                records.append(Record(func.caller.name, func.call_file, func.call_line, disc))
                func = func.caller
        return records

    # --- a data symbol's declaration ---------------------------------------------------

    def _declaration(self, symbol, pc):
        """(file, line) of the variable (or function) a symbol starting at ``pc`` in a
        section without code is declared as, the way bfd looks it up "by symbol": after
        100 such questions by exact name through all units read so far (bfd's info hash
        tables, which decode them all), then in the units read, newest first, then in
        each unit not read yet; a variable matches when its name is part of the symbol's.
        Function symbols only ask units whose ranges hold the address."""
        if self._hash_state == _HASH_OFF:
            self._hash_asked += 1
            if self._hash_asked > _HASH_TRIGGER:
                self._hash_state = _HASH_ON
        if self._hash_state == _HASH_ON:
            while self._hashed < self._read:
                if not self._decode(self._hashed):
                    self._hash_state = _HASH_DISABLED
                    break
                self._hashed += 1
        units = self._dwarf.units
        if self._hash_state == _HASH_ON:
            for i in range(self._read - 1, -1, -1):
                place = _declared_in(units[i], symbol, pc, exact=True)
                if place is not None:
                    return place
        for i in range(self._read - 1, -1, -1):
            place = self._declared_in_unit(i, symbol, pc)
            if place is not None:
                return place
        while self._read < len(units):
            place = self._declared_in_unit(self._read_next(), symbol, pc)
            if place is not None:
                return place
        return None

    def _declared_in_unit(self, i, symbol, pc):
        """comp_unit_find_line for one unit, when bfd asks it."""
        unit = self._dwarf.units[i]
        if symbol.function and unit.ranges and not any(
                low <= pc < high for low, high in unit.ranges):
            return None
        if not self._decode(i):
            return None
        return _declared_in(unit, symbol, pc, exact=False)

    # --- units --------------------------------------------------------------------------

    def _units_for(self, pc):
        """The units bfd asks about ``pc``, in its order, decoded and answering: first those
        whose known ranges hold it (own ranges as read, line sequences and functions once
        decoded), then units not read yet, in order, each when its own ranges hold it or it
        has none.  Which units are read or decoded depends on earlier questions, as in bfd."""
        dwarf = self._dwarf
        units = dwarf.units
        for i in self._trie.units(pc):
            unit = units[i]
            if self._decode(i):
                yield unit
        while self._read < len(units):
            i = self._read_next()
            unit = units[i]
            if unit.error:
                continue
            if unit.ranges and not any(low <= pc < high for low, high in unit.ranges):
                continue
            if self._decode(i):
                yield unit

    def _read_next(self):
        """bfd's stash_comp_unit: the next unit is read, its own ranges searchable."""
        i = self._read
        self._read += 1
        for low, high in self._dwarf.units[i].ranges:
            self._trie.add(low, high, i)
        return i

    def _decode(self, i):
        """Decode a unit once; its line sequences and functions join the searchable ranges."""
        unit = self._dwarf.units[i]
        if unit.decoded:
            return not unit.error
        ok = self._dwarf.decode(unit)
        for low, high in unit.sequence_ranges:
            self._trie.add(low, high, i)
        if ok:
            for f in unit.functions:
                for low, high in f.ranges:
                    self._trie.add(low, high, i)
        return ok

    def _best_function(self, unit, pc):
        """bfd's lookup_address_in_function_table: the smallest range holding ``pc``; of
        equal ones the later DIE (bfd compares the allocation addresses)."""
        index = self._funcs.get(unit)
        if index is None:
            spans = [(low, high, f) for f in unit.functions for low, high in f.ranges]
            index = self._funcs[unit] = _Stabber(spans)
        best = None
        best_len = None
        for low, high, func in index.stab_spans(pc):
            size = high - low
            if best is None or size < best_len or (size == best_len
                                                   and func.index > best.index):
                best, best_len = func, size
        return best

    # --- symbols ------------------------------------------------------------------------

    def _find_function(self, syms, shndx, offset):
        """bfd's _bfd_elf_find_function: (name, STT_FILE name or None, offset of its start
        in the section) of the symbol of ``syms`` naming ``offset`` in that section, or
        None; the last answer is reused while the offset stays inside it in that section.
        bfd works in offsets into the section: a symbol below the section's start lies
        far above every offset in it."""
        if not syms.symbols():
            return None
        cache = self._cache
        if (cache is None or cache[0] is not syms or cache[1] != shndx or cache[2] is None
                or offset < cache[5] or offset >= cache[5] + cache[4]):
            cache = self._cache = (syms, shndx) + syms.closest(shndx, offset)
        if cache[2] is None:
            return None
        return cache[2].name, cache[3], cache[5]

def _declared_in(unit, symbol, pc, exact):
    """bfd's lookup_symbol_in_{variable,function}_table in a decoded unit (later DIEs
    first), or with ``exact`` its info hash lookup: (file, line) or None."""
    name = symbol.name
    if symbol.function:
        best = None
        best_len = None
        for func in reversed(unit.functions):
            if exact:
                if func.name != name:
                    continue
            elif func.decl is None or not func.name or func.name not in name:
                continue
            for low, high in func.ranges:
                if low <= pc < high and (best is None or high - low < best_len):
                    best, best_len = func, high - low
        return (best.file, best.line) if best is not None else None
    for var in reversed(unit.variables):
        if (var.addr == pc and not var.stack and var.decl is not None and var.name
                and (var.name == name if exact else var.name in name)):
            return var.file, var.line
    return None


class _UnitRanges:
    """bfd's trie from address ranges to units, as a list per 4 KiB page: the units whose
    ranges hold an address, in the order their ranges came in."""

    _PAGE = 12
    _MAX_PAGES = 1 << 12

    def __init__(self):
        self._pages = {}
        self._wide = []        # ranges over too many pages, checked always
        self._count = 0

    def add(self, low, high, unit):
        if low >= high:
            return
        entry = (self._count, low, high, unit)
        self._count += 1
        first, last = low >> self._PAGE, (high - 1) >> self._PAGE
        if last - first >= self._MAX_PAGES:
            self._wide.append(entry)
            return
        pages = self._pages
        for p in range(first, last + 1):
            pages.setdefault(p, []).append(entry)

    def units(self, pc):
        hits = [e for e in self._pages.get(pc >> self._PAGE, ()) if e[1] <= pc < e[2]]
        hits.extend(e for e in self._wide if e[1] <= pc < e[2])
        if len(hits) > 1:
            hits.sort()
        seen = []
        for e in hits:
            if e[3] not in seen:
                seen.append(e[3])
        return seen


class _Stabber:
    """Ranges searchable by the addresses they hold: sorted by start with a running
    maximum of ends, as bfd's function lookup table."""

    def __init__(self, spans):
        spans = sorted(spans, key=lambda s: (s[0], s[1]))
        self._spans = spans
        self._lows = [s[0] for s in spans]
        highs = []
        top = 0
        for s in spans:
            top = max(top, s[1])
            highs.append(top)
        self._highs = highs

    def stab_spans(self, pc):
        """Every (low, high, value) with low <= pc < high."""
        i = bisect.bisect_right(self._highs, pc)
        spans = self._spans
        n = len(spans)
        while i < n and spans[i][0] <= pc:
            s = spans[i]
            if pc < s[1]:
                yield s
            i += 1
