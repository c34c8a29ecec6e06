"""A compilation unit's DWARF line table, decoded and searched as binutils 2.40's bfd does
(decode_line_info, add_line_info, sort_line_sequences, lookup_address_in_line_info_table).

What bfd does that matters for the answers: every row counts (is_stmt is ignored); of rows
at one address the last one kept wins; a DWARF 5 sequence starts out naming file 0, an
older one file 1; identical or nested sequences give way to the one sorted first and
overlapping ones are trimmed; file names join DW_AT_comp_dir, the include directory and
the name unless one of them is absolute, and a number outside the file table names
"<unknown>".
"""

import bisect

from .dwarf_forms import (DW_FORM_line_strp, DW_FORM_string, DW_FORM_strx, DW_FORM_strx1,
                          DW_FORM_strx2, DW_FORM_strx3, DW_FORM_strx4, DW_FORM_data1,
                          DW_FORM_data2, DW_FORM_data4, DW_FORM_data8, DW_FORM_udata,
                          DwarfError, cstring, sleb, uleb)

DW_LNCT_path = 1
DW_LNCT_directory_index = 2
DW_LNCT_timestamp = 3
DW_LNCT_size = 4
DW_LNCT_MD5 = 5

_PATH_FORMS = frozenset((DW_FORM_string, DW_FORM_line_strp, DW_FORM_strx, DW_FORM_strx1,
                         DW_FORM_strx2, DW_FORM_strx3, DW_FORM_strx4))
_NUMBER_FORMS = frozenset((DW_FORM_data1, DW_FORM_data2, DW_FORM_data4, DW_FORM_data8,
                           DW_FORM_udata))

UNKNOWN_FILE = "<unknown>"
_U32 = 0xFFFFFFFF


class Sequence:
    """Rows of one address sequence, sorted: parallel lists of keys and (file, line,
    discriminator) answers; the last row is the one ending it."""

    __slots__ = ("low", "keys", "rows", "ends", "order")

    def __init__(self, order):
        self.low = None
        self.keys = []         # (address, op_index)
        self.rows = []         # (file or None, line, discriminator)
        self.ends = []         # end_sequence flags
        self.order = order     # decoding order: bfd's tie-break between equal sequences

    @property
    def high(self):
        return self.keys[-1][0]

    def add(self, address, op_index, row, end):
        key = (address, op_index)
        keys = self.keys
        if not keys:
            self.low = address
        elif keys[-1] == key and self.ends[-1] == end:
            self.rows[-1] = row             # bfd keeps the last row of an address
            return
        if not keys or end or key > keys[-1]:
            keys.append(key)
            self.rows.append(row)
            self.ends.append(end)
            return
        at = bisect.bisect_left(keys, key)  # out of order: before rows that sort equal
        keys.insert(at, key)
        self.rows.insert(at, row)
        self.ends.insert(at, end)
        if address < self.low:
            self.low = address


class LineTable:
    """The line table of one unit: file names and searchable sequences."""

    def __init__(self, comp_dir, v5):
        self.comp_dir = comp_dir
        self.v5 = v5
        self.dirs = []
        self.files = []            # (name or None, directory index)
        self.sequences = []
        self.ranges = []           # (low, high) of each sequence: the unit's extent
        self._starts = []
        self._addrs = []

    def file_name(self, number):
        """bfd's concat_filename for a file number of this table."""
        if not self.v5:
            if number == 0:
                return UNKNOWN_FILE
            number -= 1
        if number >= len(self.files):
            return UNKNOWN_FILE
        name, d = self.files[number]
        if name is None:
            return UNKNOWN_FILE
        if name.startswith("/"):
            return name
        if not self.v5:
            d -= 1
        sub = self.dirs[d] if 0 <= d < len(self.dirs) else None
        base = self.comp_dir if sub is None or not sub.startswith("/") else None
        if base is None:
            base, sub = sub, None
        if base is None:
            return name
        if sub is not None:
            return "%s/%s/%s" % (base, sub, name)
        return "%s/%s" % (base, name)

    def finish(self):
        """bfd's sort_line_sequences: by start, longest first (later decoded first among
        equals), nested ones dropped and overlapping ones trimmed."""
        seqs = sorted(self.sequences, key=lambda s: (s.low, -s.high, -s.keys[-1][1], -s.order))
        kept = []
        last_high = None
        for s in seqs:
            low = s.low
            if last_high is not None and low < last_high:
                if s.high <= last_high:
                    continue
                low = last_high
            last_high = s.high
            kept.append((low, s))
        self.sequences = [s for _, s in kept]
        self._starts = [low for low, _ in kept]
        self._addrs = [[k[0] for k in s.keys] for s in self.sequences]

    def find(self, addr):
        """(file or None, line, discriminator) of the row covering ``addr``, or None."""
        i = bisect.bisect_right(self._starts, addr) - 1
        if i < 0:
            return None
        seq = self.sequences[i]
        if addr >= seq.high:
            return None
        addrs = self._addrs[i]
        j = bisect.bisect_right(addrs, addr) - 1
        if j < 0 or j + 1 >= len(addrs) or seq.ends[j]:
            return None
        return seq.rows[j]


def decode_line_table(sections, unit):
    """The LineTable at the unit's DW_AT_stmt_list; raises DwarfError where bfd fails."""
    data = sections.get(".debug_line")
    if data is None or len(data) < 16:
        raise DwarfError("no .debug_line")
    pos = unit.stmt_list
    if pos >= len(data):
        raise DwarfError("line table offset past .debug_line")
    u = sections.reader(data)
    length = u(4, pos)
    pos += 4
    offset_size = 4
    if length == 0xFFFFFFFF:
        length = u(8, pos)
        pos += 8
        offset_size = 8
    elif length == 0 and unit.addr_size == 8:
        length = u(4, pos)
        pos += 4
        offset_size = 8
    if length > len(data) - pos:
        raise DwarfError("line table longer than .debug_line")
    end = pos + length
    version = u(2, pos)
    pos += 2
    if version < 2 or version > 5:
        raise DwarfError("line table version %d" % version)
    if pos + offset_size + (8 if version >= 5 else 6 if version >= 4 else 5) >= end:
        raise DwarfError("line table header truncated")
    if version >= 5:
        if data[pos + 1] != 0:
            raise DwarfError("segment selectors")
        pos += 2
    pos += offset_size                               # header_length: bfd does not use it
    min_inst = data[pos]
    pos += 1
    max_ops = 1
    if version >= 4:
        max_ops = data[pos]
        pos += 1
    if max_ops == 0:
        raise DwarfError("maximum_operations_per_instruction 0")
    pos += 1                                         # default_is_stmt: every row counts
    line_base = data[pos] - 256 if data[pos] > 127 else data[pos]
    line_range = data[pos + 1]
    opcode_base = data[pos + 2]
    pos += 3
    if pos + opcode_base - 1 >= end:
        raise DwarfError("standard opcode lengths truncated")
    lengths = [1] + list(data[pos:pos + opcode_base - 1])
    pos += opcode_base - 1

    table = LineTable(unit.comp_dir, version >= 5)
    if version >= 5:
        pos = _formatted_entries(sections, unit, data, pos, end, table.dirs, dirs=True)
        pos = _formatted_entries(sections, unit, data, pos, end, table.files, dirs=False)
    else:
        while True:
            name, pos = _string(data, pos, end)
            if name is None:
                break
            table.dirs.append(name)
        while True:
            name, pos = _string(data, pos, end)
            if name is None:
                break
            d, pos = uleb(data, pos)
            _, pos = uleb(data, pos)
            _, pos = uleb(data, pos)
            table.files.append((name, d))

    addr_size = unit.addr_size
    seq = None
    while pos < end:
        address = 0
        op_index = 0
        line = 1
        discriminator = 0
        ended = False
        low, high = None, 0
        filename = None
        if table.files:
            filename = table.file_name(0 if table.v5 else 1)
        while not ended and pos < end:
            op = data[pos]
            pos += 1
            if op >= opcode_base:
                adj = op - opcode_base
                if line_range == 0:
                    raise DwarfError("line_range 0")
                if max_ops == 1:
                    address += adj // line_range * min_inst
                else:
                    step = op_index + adj // line_range
                    address += step // max_ops * min_inst
                    op_index = step % max_ops
                line = (line + line_base + adj % line_range) & _U32
                seq = _row(table, seq, address, op_index, filename, line, discriminator,
                           False)
                discriminator = 0
                low = address if low is None or address < low else low
                high = max(high, address)
            elif op == 0:
                n, pos = uleb(data, pos)
                ext = data[pos]
                pos += 1
                if ext == 1:                         # DW_LNE_end_sequence
                    ended = True
                    seq = _row(table, seq, address, op_index, filename, line,
                               discriminator, True)
                    discriminator = 0
                    low = address if low is None or address < low else low
                    high = max(high, address)
                    table.ranges.append((low, high))
                elif ext == 2:                       # DW_LNE_set_address
                    address = u(addr_size, pos)
                    pos += addr_size
                    op_index = 0
                elif ext == 3:                       # DW_LNE_define_file
                    name, pos = _string(data, pos, end)
                    d, pos = uleb(data, pos)
                    _, pos = uleb(data, pos)
                    _, pos = uleb(data, pos)
                    table.files.append((name, d))
                elif ext == 4:                       # DW_LNE_set_discriminator
                    discriminator, pos = uleb(data, pos)
                    discriminator &= _U32
                elif ext == 0x80:                    # DW_LNE_HP_source_file_correlation
                    pos += n - 1
                else:
                    raise DwarfError("extended line opcode %d" % ext)
            elif op == 1:                            # DW_LNS_copy
                seq = _row(table, seq, address, op_index, filename, line, discriminator,
                           False)
                discriminator = 0
                low = address if low is None or address < low else low
                high = max(high, address)
            elif op == 2:                            # DW_LNS_advance_pc
                n, pos = uleb(data, pos)
                if max_ops == 1:
                    address += min_inst * n
                else:
                    address = (op_index + n) // max_ops * min_inst
                    op_index = (op_index + n) % max_ops
            elif op == 3:                            # DW_LNS_advance_line
                n, pos = sleb(data, pos)
                line = (line + n) & _U32
            elif op == 4:                            # DW_LNS_set_file
                n, pos = uleb(data, pos)
                filename = table.file_name(n)
            elif op == 5:                            # DW_LNS_set_column
                _, pos = uleb(data, pos)
            elif op == 8:                            # DW_LNS_const_add_pc
                if line_range == 0:
                    raise DwarfError("line_range 0")
                adj = (255 - opcode_base) // line_range
                if max_ops == 1:
                    address += min_inst * adj
                else:
                    address += min_inst * ((op_index + adj) // max_ops)
                    op_index = (op_index + adj) % max_ops
            elif op == 9:                            # DW_LNS_fixed_advance_pc
                address += u(2, pos)
                pos += 2
                op_index = 0
            elif op in (6, 7):                       # negate_stmt, set_basic_block
                pass
            else:
                for _ in range(lengths[op]):
                    _, pos = uleb(data, pos)
            address &= (1 << 64) - 1
    table.finish()
    return table


def _row(table, seq, address, op_index, filename, line, discriminator, end):
    """bfd's add_line_info: a new sequence after one that ended, else the current one."""
    if seq is None or seq.ends[-1]:
        seq = Sequence(len(table.sequences))
        table.sequences.append(seq)
    seq.add(address, op_index, (filename or None, line, discriminator), end)
    return seq


def _string(data, pos, end):
    if pos >= end:
        return None, pos
    return cstring(data, pos)


def _formatted_entries(sections, unit, data, pos, end, out, dirs):
    """A DWARF 5 directory or file name table (bfd's read_formatted_entries): only paths
    in string, line_strp or strx forms are kept (a strp path reads as no name)."""
    count = data[pos]
    pos += 1
    formats = []
    for _ in range(count):
        kind, pos = uleb(data, pos)
        form, pos = uleb(data, pos)
        formats.append((kind, form))
    n, pos = uleb(data, pos)
    if count == 0 and n:
        raise DwarfError("zero format count")
    if n > end - pos:
        raise DwarfError("entry count larger than the table")
    for _ in range(n):
        name = None
        d = 0
        for kind, form in formats:
            if kind not in (DW_LNCT_path, DW_LNCT_directory_index, DW_LNCT_timestamp,
                            DW_LNCT_size, DW_LNCT_MD5):
                raise DwarfError("line table content type %d" % kind)
            value, pos = sections.read_form(unit, form, 0, pos, data)
            if kind == DW_LNCT_path and form in _PATH_FORMS:
                name = value if isinstance(value, str) else None
            elif kind == DW_LNCT_directory_index and form in _NUMBER_FORMS:
                d = value & _U32
        out.append(name if dirs else (name, d))
    return pos
