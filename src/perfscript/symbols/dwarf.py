"""DWARF 2-5 debug information read the way binutils 2.40's bfd (dwarf2.c) reads it for
addr2line: compilation units, their functions (subprograms and inlined subroutines with
their pc ranges, names and call sites) and their line tables.

Only what addr2line needs is decoded, one unit at a time and only when an address asks
for it: unit headers and top DIEs are read up front, a unit's DIE tree and line program
on first use.  Where bfd does something particular it is done here too: a C-like unit's
DW_AT_name counts as the linkage name, abstract origins are followed but only
DW_AT_specification inside them, adjacent ranges merge into one, a damaged unit answers
nothing, and reading stops at the first unit whose header cannot be parsed.
"""

from .dwarf_forms import (ADDRX_FORMS, DW_FORM_addr, DW_FORM_block, DW_FORM_block1,
                          DW_FORM_block2, DW_FORM_block4, DW_FORM_exprloc, DW_FORM_GNU_ref_alt,
                          DW_FORM_implicit_const, DW_FORM_ref_addr, DW_FORM_sdata,
                          DWARF_ERRORS, INT_FORMS, STR_FORMS, STRX_FORMS, DwarfError, Sections,
                          fixed_form_size, sleb, uleb)
from .dwarf_lines import decode_line_table

DW_TAG_compile_unit = 0x11
DW_TAG_entry_point = 0x03
DW_TAG_inlined_subroutine = 0x1D
DW_TAG_subprogram = 0x2E
FUNCTION_TAGS = frozenset((DW_TAG_subprogram, DW_TAG_entry_point, DW_TAG_inlined_subroutine))
VARIABLE_TAGS = frozenset((0x34, 0x0D))       # DW_TAG_variable, DW_TAG_member

DW_AT_location = 0x02
DW_AT_name = 0x03
DW_AT_stmt_list = 0x10
DW_AT_low_pc = 0x11
DW_AT_high_pc = 0x12
DW_AT_language = 0x13
DW_AT_comp_dir = 0x1B
DW_AT_decl_file = 0x3A
DW_AT_decl_line = 0x3B
DW_AT_external = 0x3F
DW_AT_abstract_origin = 0x31
DW_AT_specification = 0x47
DW_AT_ranges = 0x55
DW_AT_call_file = 0x58
DW_AT_call_line = 0x59
DW_AT_linkage_name = 0x6E
DW_AT_str_offsets_base = 0x72
DW_AT_addr_base = 0x73
DW_AT_MIPS_linkage_name = 0x2007

# languages whose DW_AT_name is the symbol name itself (bfd's mangle_style() == 0)
_PLAIN_NAME_LANGS = frozenset((0x0001, 0x0002, 0x0005, 0x0006, 0x0007, 0x0009, 0x000C,
                               0x000F, 0x0012, 0x001D, 0x8001, 0x8765, 0x8101, 0x8102,
                               0x8103))

DW_OP_addr = 0x03
_BLOCK_FORMS = frozenset((DW_FORM_block, DW_FORM_block1, DW_FORM_block2, DW_FORM_block4,
                          DW_FORM_exprloc))

_DW_UT_type = 2
_DW_UT_skeleton = 4

DW_RLE_end_of_list = 0
DW_RLE_base_address = 5
DW_RLE_offset_pair = 4
DW_RLE_start_end = 6
DW_RLE_start_length = 7
_ALL_ONES = (1 << 64) - 1


class Abbrev:
    """One abbreviation: tag, children flag, (attribute, form, implicit constant) list."""

    __slots__ = ("tag", "children", "attrs", "skip")

    def __init__(self, tag, children, attrs):
        self.tag = tag
        self.children = children
        self.attrs = attrs
        self.skip = None        # (unit shape, fixed DIE size or None when variable)


def read_abbrevs(data, offset):
    """code -> Abbrev for the table at ``offset`` (bfd's read_abbrevs, which also stops at
    a code it has seen or at the end of the section).  Numbers below 0x80, nearly all of
    them, are read inline: a libc debug file has thousands of tables."""
    table = {}
    if data is None or offset >= len(data):
        raise DwarfError("abbrev offset past .debug_abbrev")
    end = len(data)
    pos = offset
    code, pos = uleb(data, pos)
    while code:
        tag = data[pos]
        if tag < 0x80:
            pos += 1
        else:
            tag, pos = uleb(data, pos)
        children = data[pos]
        pos += 1
        attrs = []
        while True:
            name = data[pos]
            if name < 0x80:
                pos += 1
            else:
                name, pos = uleb(data, pos)
            form = data[pos]
            if form < 0x80:
                pos += 1
            else:
                form, pos = uleb(data, pos)
            implicit = 0
            if form == DW_FORM_implicit_const:
                implicit, pos = sleb(data, pos)
            if not name:
                break
            attrs.append((name, form, implicit))
        table[code] = Abbrev(tag, children, tuple(attrs))
        if pos >= end:
            break
        code, pos = uleb(data, pos)
        if code in table:
            break
    return table


class Function:
    """bfd's funcinfo: a subprogram, entry point or inlined subroutine of a unit."""

    __slots__ = ("index", "tag", "name", "is_linkage", "ranges", "caller", "call_file",
                 "call_line", "decl", "line")

    def __init__(self, index, tag):
        self.index = index              # DIE order in its unit: bfd's tie-break
        self.tag = tag
        self.name = None
        self.is_linkage = False
        self.ranges = []                # [low, high) pairs, merged as bfd's arange_add
        self.caller = None              # enclosing Function of an inlined subroutine
        self.call_file = None
        self.call_line = 0
        self.decl = None                # (line table, DW_AT_decl_file number)
        self.line = 0                   # DW_AT_decl_line

    @property
    def file(self):
        return decl_file(self.decl)


class Variable:
    """bfd's varinfo: a variable or member DIE, for looking up a data symbol's
    declaration.  ``stack`` until it is external or has a fixed address."""

    __slots__ = ("name", "decl", "line", "addr", "stack", "is_linkage")

    def __init__(self):
        self.name = None
        self.decl = None
        self.line = 0
        self.addr = 0
        self.stack = True
        self.is_linkage = False


    @property
    def file(self):
        return decl_file(self.decl)


def decl_file(decl):
    """bfd's concat_filename of a DW_AT_decl_file, or None without one."""
    return decl[0].file_name(decl[1]) if decl is not None else None


def add_range(ranges, low, high):
    """bfd's arange_add: drop empty ranges, extend one that touches, else append after the
    first (the first keeps its place: its low is "the function's start")."""
    if low == high:
        return
    if not ranges:
        ranges.append([low, high])
        return
    for r in ranges:
        if low == r[1]:
            r[1] = high
            return
        if high == r[0]:
            r[0] = low
            return
    ranges.insert(1, [low, high])


class Unit:
    """One compilation unit: header, top DIE, and (on demand) functions and lines."""

    def __init__(self, offset, version, unit_type, addr_size, offset_size, abbrevs, end):
        self.offset = offset
        self.version = version
        self.unit_type = unit_type
        self.addr_size = addr_size
        self.offset_size = offset_size
        self.abbrevs = abbrevs
        self.first_die = end
        self.end = end
        self.tag = 0
        self.stmt_list = None
        self.comp_dir = None
        self.lang = 0
        self.base_address = 0
        self.addr_base = 0
        self.str_offsets_base = 0
        self.ranges = []           # the unit's own ranges (top DIE, then line sequences)
        self.error = False
        self.decoded = False
        self.functions = None      # [Function], DIE order
        self.variables = None      # [Variable], DIE order
        self.lines = None          # LineTable
        self.sequence_ranges = ()  # what decoding its line table added to its ranges

    @property
    def plain_names(self):
        return self.lang in _PLAIN_NAME_LANGS




class DebugInfo:
    """The DWARF of one ELF file: the units bfd would read, in .debug_info order."""

    def __init__(self, img):
        self.sections = Sections(img)
        self.info = self.sections.get(".debug_info")
        self._abbrev_data = self.sections.get(".debug_abbrev")
        self._abbrev_cache = {}
        self._line_table_0 = None
        self.units = []
        if self.info:
            self._read_units()

    # --- units --------------------------------------------------------------------------

    def _read_units(self):
        """bfd's stash_comp_unit over the whole section: a bad length or header ends it."""
        info = self.info
        num = self.sections.number
        end = len(info)
        pos = 0
        while pos + 4 <= end:
            start = pos
            length = num(info, 4, pos)
            pos += 4
            offset_size = 4
            try:
                if length == 0xFFFFFFFF:
                    length = num(info, 8, pos)
                    pos += 8
                    offset_size = 8
                elif length == 0:
                    length = num(info, 4, pos)
                    pos += 4
                    offset_size = 8
                if length == 0 or length > end - pos:
                    return
                unit = self._parse_unit(start, pos, pos + length, offset_size)
            except DWARF_ERRORS + (DwarfError,):
                unit = None
            if unit is None:
                return
            self.units.append(unit)
            pos += length

    def _parse_unit(self, start, pos, end, offset_size):
        """bfd's parse_comp_unit: the header and the top DIE's attributes."""
        info = self.info
        num = self.sections.number
        version = num(info, 2, pos)
        pos += 2
        if version < 2 or version > 5:
            return None
        unit_type = 1
        addr_size = 0
        if version >= 5:
            unit_type = info[pos]
            addr_size = info[pos + 1]
            pos += 2
        abbrev_offset = num(info, offset_size, pos)
        pos += offset_size
        if version < 5:
            addr_size = info[pos]
            pos += 1
        if unit_type == _DW_UT_type:
            pos += 8 + offset_size
        elif unit_type == _DW_UT_skeleton:
            pos += 8
        if addr_size not in (2, 4, 8):
            return None
        abbrevs = self._abbrevs(abbrev_offset)
        code, pos = uleb(info, pos)
        if not code:
            return None
        abbrev = abbrevs.get(code)
        if abbrev is None:
            return None
        unit = Unit(start, version, unit_type, addr_size, offset_size, abbrevs, end)
        unit.tag = abbrev.tag
        state = [0, 0, False]               # low_pc, high_pc, high_pc is an offset
        deferred = []
        read = self.sections.read_form
        for name, form, implicit in abbrev.attrs:
            value, pos = read(unit, form, implicit, pos, info, raw_index=True)
            form = _FORM_AFTER.get(form, form)
            if ((unit.str_offsets_base == 0 and form in STRX_FORMS)
                    or (unit.addr_base == 0 and form in ADDRX_FORMS)):
                deferred.append((name, form, value))
                continue
            self._unit_attr(unit, name, form, value, state)
        for name, form, value in deferred:
            if form in STRX_FORMS:
                value = self.sections.indexed_string(unit, value)
            else:
                value = self.sections.indexed_address(unit, value)
            self._unit_attr(unit, name, form, value, state)
        low, high, relative = state
        if relative:
            high += low
        if high:
            add_range(unit.ranges, low, high & _ALL_ONES)
        unit.first_die = pos
        return unit

    def _unit_attr(self, unit, name, form, value, state):
        if name == DW_AT_stmt_list:
            if form in INT_FORMS:
                unit.stmt_list = value
        elif name == DW_AT_low_pc:
            if form in INT_FORMS:
                state[0] = value
                if unit.tag == DW_TAG_compile_unit:
                    unit.base_address = value
        elif name == DW_AT_high_pc:
            if form in INT_FORMS:
                state[1] = value
                state[2] = form != DW_FORM_addr
        elif name == DW_AT_ranges:
            if form in INT_FORMS:
                self.read_rangelist(unit, unit.ranges, value)
        elif name == DW_AT_comp_dir:
            comp_dir = value if form in STR_FORMS else None
            if comp_dir:
                cut = comp_dir.find(":")
                if cut > 0 and comp_dir[cut - 1] == "." and comp_dir[cut + 1:cut + 2] == "/":
                    comp_dir = comp_dir[cut + 1:]        # Irix "host.:/dir"
            unit.comp_dir = comp_dir
        elif name == DW_AT_language:
            if form in INT_FORMS:
                unit.lang = value
        elif name == DW_AT_addr_base:
            unit.addr_base = value
        elif name == DW_AT_str_offsets_base:
            unit.str_offsets_base = value

    def _abbrevs(self, offset):
        table = self._abbrev_cache.get(offset)
        if table is None:
            table = self._abbrev_cache[offset] = read_abbrevs(self._abbrev_data, offset)
        return table

    def unit_at(self, offset):
        """The unit whose bytes hold a .debug_info offset, or None."""
        lo, hi = 0, len(self.units)
        while lo < hi:
            mid = (lo + hi) // 2
            u = self.units[mid]
            if offset < u.offset:
                hi = mid
            elif offset >= u.end:
                lo = mid + 1
            else:
                return u
        return None

    # --- ranges -------------------------------------------------------------------------

    def read_rangelist(self, unit, ranges, offset):
        """Add a DW_AT_ranges list (.debug_ranges before DWARF 5, .debug_rnglists from it)
        to ``ranges``; raises DwarfError where bfd gives up on it."""
        if unit.version <= 4:
            self._read_ranges(unit, ranges, offset)
        else:
            self._read_rnglists(unit, ranges, offset)

    def _read_ranges(self, unit, ranges, offset):
        data = self.sections.get(".debug_ranges")
        if data is None or offset > len(data):
            raise DwarfError("bad .debug_ranges offset")
        num = self.sections.number
        size = unit.addr_size
        base = unit.base_address
        pos = offset
        while True:
            if 2 * size > len(data) - pos:
                raise DwarfError("truncated .debug_ranges")
            low = num(data, size, pos)
            high = num(data, size, pos + size)
            pos += 2 * size
            if low == 0 and high == 0:
                return
            if low == _ALL_ONES and high != _ALL_ONES:
                base = high
            else:
                add_range(ranges, (base + low) & _ALL_ONES, (base + high) & _ALL_ONES)

    def _read_rnglists(self, unit, ranges, offset):
        data = self.sections.get(".debug_rnglists")
        if data is None or offset >= len(data):
            raise DwarfError("bad .debug_rnglists offset")
        num = self.sections.number
        size = unit.addr_size
        base = unit.base_address
        pos = offset
        end = len(data)
        while True:
            if pos >= end:
                raise DwarfError("truncated .debug_rnglists")
            kind = data[pos]
            pos += 1
            if kind == DW_RLE_end_of_list:
                return
            if kind == DW_RLE_base_address:
                base = num(data, size, pos)
                pos += size
                continue
            if kind == DW_RLE_start_length:
                low = num(data, size, pos)
                n, pos = uleb(data, pos + size)
                high = low + n
            elif kind == DW_RLE_offset_pair:
                a, pos = uleb(data, pos)
                b, pos = uleb(data, pos)
                low, high = base + a, base + b
            elif kind == DW_RLE_start_end:
                low = num(data, size, pos)
                high = num(data, size, pos + size)
                pos += 2 * size
            else:                                # the x forms need .debug_addr: bfd stops
                raise DwarfError("rnglists entry kind %d" % kind)
            add_range(ranges, low & _ALL_ONES, high & _ALL_ONES)

    # --- a unit's lines and functions ---------------------------------------------------

    def decode(self, unit):
        """bfd's comp_unit_maybe_decode_line_info: the line table, then the functions.  A
        unit without lines, or whose DIEs bfd cannot read, answers nothing (False)."""
        if unit.error:
            return False
        if unit.decoded:
            return True
        unit.decoded = True
        try:
            if unit.stmt_list is None:
                raise DwarfError("no line table")
            if unit.stmt_list == 0 and self._line_table_0 is not None:
                unit.lines = self._line_table_0
            else:
                unit.lines = decode_line_table(self.sections, unit)
                if unit.stmt_list == 0:
                    self._line_table_0 = unit.lines
                unit.sequence_ranges = unit.lines.ranges
                for low, high in unit.lines.ranges:
                    add_range(unit.ranges, low, high)
            unit.functions = []
            unit.variables = []
            if unit.first_die < unit.end:
                self._scan_functions(unit)
        except DWARF_ERRORS + (DwarfError,):
            unit.error = True
            return False
        return True

    def _scan_functions(self, unit):
        """bfd's scan_unit_for_symbols: every function DIE with its ranges, name and call
        site; an inlined subroutine's caller is the nearest enclosing function DIE."""
        info = self.info
        abbrevs = unit.abbrevs
        functions = unit.functions
        pos = unit.first_die
        end = unit.end
        shape = (unit.addr_size, unit.offset_size, unit.version >= 3)
        stack = [None]              # innermost function DIE per nesting level
        while stack:
            if pos >= end:
                raise DwarfError("DIE tree runs past its unit")
            code = info[pos]
            if code < 0x80:
                pos += 1
            else:
                code, pos = uleb(info, pos)
            if not code:
                stack.pop()
                continue
            abbrev = abbrevs.get(code)
            if abbrev is None:
                raise DwarfError("unknown abbrev %d" % code)
            if abbrev.tag in FUNCTION_TAGS:
                func = Function(len(functions), abbrev.tag)
                functions.append(func)
                if abbrev.tag == DW_TAG_inlined_subroutine:
                    for i in range(len(stack) - 2, -1, -1):
                        if stack[i] is not None:
                            func.caller = stack[i]
                            break
                stack[-1] = func
                pos = self._function_attrs(unit, abbrev, func, pos)
            elif abbrev.tag in VARIABLE_TAGS:
                stack[-1] = None
                var = Variable()
                unit.variables.append(var)
                pos = self._variable_attrs(unit, abbrev, var, pos)
            else:
                stack[-1] = None
                skip = abbrev.skip
                if skip is None or skip[0] != shape:
                    skip = abbrev.skip = (shape, _fixed_size(abbrev, unit))
                if skip[1] is not None:
                    pos += skip[1]
                else:
                    for _, form, implicit in abbrev.attrs:
                        size = fixed_form_size(form, unit)
                        if size is not None:
                            pos += size
                        else:
                            pos = self.sections.read_form(unit, form, implicit, pos, info)[1]
            if abbrev.children:
                stack.append(None)

    def _function_attrs(self, unit, abbrev, func, pos):
        low = high = 0
        high_relative = False
        plain = unit.plain_names
        info = self.info
        read = self.sections.read_form
        for name, form, implicit in abbrev.attrs:
            value, pos = read(unit, form, implicit, pos, info)
            form = _FORM_AFTER.get(form, form)
            if name == DW_AT_name:
                if func.name is None and form in STR_FORMS:
                    func.name = value
                    if plain:
                        func.is_linkage = True
            elif name == DW_AT_linkage_name or name == DW_AT_MIPS_linkage_name:
                if form in STR_FORMS:
                    func.name = value
                    func.is_linkage = True
            elif name == DW_AT_abstract_origin or name == DW_AT_specification:
                if form in INT_FORMS:
                    self._abstract_name(unit, form, value, func, 0)
            elif name == DW_AT_low_pc:
                if form in INT_FORMS:
                    low = value
            elif name == DW_AT_high_pc:
                if form in INT_FORMS:
                    high = value
                    high_relative = form != DW_FORM_addr
            elif name == DW_AT_ranges:
                if form in INT_FORMS:
                    self.read_rangelist(unit, func.ranges, value)
            elif name == DW_AT_call_file:
                if form in INT_FORMS:
                    func.call_file = unit.lines.file_name(value & 0xFFFFFFFF)
            elif name == DW_AT_call_line:
                if form in INT_FORMS:
                    func.call_line = value & 0xFFFFFFFF
            elif name == DW_AT_decl_file:
                if form in INT_FORMS:
                    func.decl = (unit.lines, value & 0xFFFFFFFF)
            elif name == DW_AT_decl_line:
                if form in INT_FORMS:
                    func.line = value & 0xFFFFFFFF
        if high_relative:
            high += low
        if high:
            add_range(func.ranges, low, high & _ALL_ONES)
        return pos

    def _variable_attrs(self, unit, abbrev, var, pos):
        """scan_unit_for_symbols' second pass over a variable: its name, declaration,
        whether it is external, and the address of a lone DW_OP_addr location.  A
        specification bfd cannot follow only stops what it gives."""
        info = self.info
        read = self.sections.read_form
        for name, form, implicit in abbrev.attrs:
            value, pos = read(unit, form, implicit, pos, info)
            form = _FORM_AFTER.get(form, form)
            if name == DW_AT_specification:
                if form in INT_FORMS and value:
                    try:
                        self._abstract_name(unit, form, value, var, 0)
                    except DWARF_ERRORS + (DwarfError,):
                        pass
            elif name == DW_AT_name:
                if form in STR_FORMS:
                    var.name = value
            elif name == DW_AT_decl_file:
                if form in INT_FORMS:
                    var.decl = (unit.lines, value & 0xFFFFFFFF)
            elif name == DW_AT_decl_line:
                if form in INT_FORMS:
                    var.line = value & 0xFFFFFFFF
            elif name == DW_AT_external:
                if form in INT_FORMS and value:
                    var.stack = False
            elif name == DW_AT_location:
                if form in _BLOCK_FORMS and len(value) and value[0] == DW_OP_addr:
                    var.stack = False
                    if len(value) == unit.addr_size + 1:
                        var.addr = self.sections.number(value, unit.addr_size, 1)
        return pos

    def _abstract_name(self, unit, form, ref, func, depth):
        """bfd's find_abstract_instance: the name (and linkage flag) of the DIE an
        abstract origin or specification points at, following specifications only, and
        its declaration's file and line."""
        if depth == 100:
            raise DwarfError("abstract instance recursion")
        if form == DW_FORM_ref_addr:
            if not ref:
                return
            target = self.unit_at(ref)
            if target is None:
                raise DwarfError("abstract instance outside every unit")
            pos = ref
        elif form == DW_FORM_GNU_ref_alt:
            raise DwarfError("abstract instance in the .gnu_debugaltlink file")
        else:
            target = unit
            if not ref or ref >= unit.end - unit.offset:
                raise DwarfError("invalid abstract instance reference")
            pos = unit.offset + ref
        info = self.info
        code, pos = uleb(info, pos)
        if not code:
            return
        abbrev = target.abbrevs.get(code)
        if abbrev is None:
            raise DwarfError("unknown abbrev %d" % code)
        plain = target.plain_names
        read = self.sections.read_form
        for name, aform, implicit in abbrev.attrs:
            value, pos = read(target, aform, implicit, pos, info)
            aform = _FORM_AFTER.get(aform, aform)
            if name == DW_AT_name:
                if func.name is None and aform in STR_FORMS:
                    func.name = value
                    if plain:
                        func.is_linkage = True
            elif name == DW_AT_specification:
                if aform in INT_FORMS:
                    self._abstract_name(target, aform, value, func, depth + 1)
            elif name == DW_AT_linkage_name or name == DW_AT_MIPS_linkage_name:
                if aform in STR_FORMS:
                    func.name = value
                    func.is_linkage = True
            elif name == DW_AT_decl_file:
                if target is not unit and not self.decode(target):
                    raise DwarfError("abstract instance unit has no lines")
                if aform in INT_FORMS:
                    func.decl = (target.lines, value & 0xFFFFFFFF)
            elif name == DW_AT_decl_line:
                if aform in INT_FORMS:
                    func.line = value & 0xFFFFFFFF


# bfd rewrites implicit_const as sdata
_FORM_AFTER = {DW_FORM_implicit_const: DW_FORM_sdata}


def _fixed_size(abbrev, unit):
    """A DIE's size when all its forms have fixed sizes, else None."""
    total = 0
    for _, form, _ in abbrev.attrs:
        size = fixed_form_size(form, unit)
        if size is None:
            return None
        total += size
    return total
