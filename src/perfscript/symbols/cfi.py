"""Call-frame information of one ELF file, found and read the way libunwind 1.6 does for perf.

The unwinding rules for a code address come from the `.eh_frame` entry (FDE) that
`.eh_frame_hdr`'s sorted table names for it, or else from `.debug_frame`.  An FDE is parsed
the first time it is asked for, and the rules at an address are computed once per
(FDE, address): a profile asks for the same few thousand return addresses again and again,
so a sample costs a few dictionary lookups, not a parse.  Addresses here are the file's
own (ELF virtual addresses); the unwinder relocates them.
"""

import bisect
import struct

from .dwarf_forms import sleb, uleb
from .elffile import ELF_ERRORS, ET_EXEC, SHT_NOBITS, open_elf

# where a register's caller value is (libunwind's dwarf_where_t)
UNDEF, SAME, CFAREL, VAL_CFAREL, REG, EXPR, VAL_EXPR = range(7)
# how the CFA is computed: register + offset, or an expression
CFA_REG, CFA_EXPR = 0, 1

NUM_REGS = 17        # the x86_64 registers libunwind tracks: DWARF 0..15 and the RA column

_U16 = struct.Struct("<H")
_S16 = struct.Struct("<h")
_U32 = struct.Struct("<I")
_S32 = struct.Struct("<i")
_U64 = struct.Struct("<Q")
_S64 = struct.Struct("<q")
_PAIR = struct.Struct("<ii")


class CfiError(Exception):
    """CFI libunwind refuses (a bad opcode, a register it does not track): the step fails."""


# the fixed-size DW_EH_PE value formats (the low nibble); 0x01/0x09 are (s)LEB128
_ENCODED = {0x00: _U64, 0x02: _U16, 0x03: _U32, 0x04: _U64,
            0x0A: _S16, 0x0B: _S32, 0x0C: _S64}


def read_encoded(buf, pos, enc, field_addr, datarel=0):
    """A DW_EH_PE-encoded pointer at buf[pos]: (value, next pos).  `field_addr` is the
    field's own address (for pcrel), `datarel` the base of datarel values."""
    if enc == 0xFF:
        return 0, pos
    fmt = enc & 0x0F
    if fmt == 0x01:
        val, pos = uleb(buf, pos)
    elif fmt == 0x09:
        val, pos = sleb(buf, pos)
    else:
        st = _ENCODED.get(fmt)
        if st is None:
            raise CfiError("pointer encoding %#x" % enc)
        val = st.unpack_from(buf, pos)[0]
        pos += st.size
    app = enc & 0x70
    if app == 0x10:
        val += field_addr
    elif app == 0x30:
        val += datarel
    elif app:
        raise CfiError("pointer application %#x" % enc)
    return val & 0xFFFFFFFFFFFFFFFF, pos


class Cie:
    __slots__ = ("code_align", "data_align", "ra_reg", "fde_enc", "has_z", "signal",
                 "initial")

    def __init__(self):
        self.code_align = 1
        self.data_align = 1
        self.ra_reg = 16
        self.fde_enc = 0
        self.has_z = False
        self.signal = False
        self.initial = None      # the state after the CIE's initial instructions


class Fde:
    """One function's CFI: [start, end) in file addresses, its CIE, its instructions."""

    __slots__ = ("start", "end", "cie", "section", "ins_start", "ins_end", "rows")

    def __init__(self, start, end, cie, section, ins_start, ins_end):
        self.start = start
        self.section = section
        self.end = end
        self.cie = cie
        self.ins_start = ins_start
        self.ins_end = ins_end
        self.rows = {}           # address -> Rules


class Rules:
    """The rules at one address: how to compute the CFA, and where each register is."""

    __slots__ = ("cfa", "regs", "ra_reg", "signal", "changed", "cfa_from_sp", "simple")

    def __init__(self, cfa, regs, ra_reg, signal):
        self.cfa = cfa           # (CFA_REG, reg, offset) or (CFA_EXPR, expression bytes)
        self.regs = regs         # tuple of NUM_REGS (where, value)
        self.ra_reg = ra_reg
        self.signal = signal
        # what an unwinder applies: the registers whose rule is not "same value"
        self.changed = tuple((i, w, v) for i, (w, v) in enumerate(regs) if w != SAME)
        # the CFA is the stack pointer plus an offset, the stack pointer not restored
        self.cfa_from_sp = cfa[0] == CFA_REG and cfa[1] == 7 and regs[7][0] == SAME
        # the usual row: CFA = SP + n, every saved register (the return address too) at
        # CFA + m: (n, ((reg, m), ...) without the return address, its m)
        self.simple = None
        if (self.cfa_from_sp and ra_reg < NUM_REGS and regs[ra_reg][0] == CFAREL
                and all(w == CFAREL for _, w, _ in self.changed)):
            self.simple = (cfa[2], tuple((i, v) for i, _, v in self.changed if i != ra_reg),
                           regs[ra_reg][1])


class _Section:
    """The bytes of one CFI section and its address in the file."""

    __slots__ = ("data", "addr", "debug")

    def __init__(self, data, addr, debug):
        self.data = data
        self.addr = addr
        self.debug = debug


class CfiFile:
    """The call-frame information and the code bytes of one ELF file."""

    def __init__(self, path):
        self.path = path
        img = open_elf(path)
        if img is None:
            raise OSError("not an ELF file: %s" % path)
        self.img = img
        self.is_exec = img.e_type == ET_EXEC
        self.is64 = img.is64
        self.x86_64 = img.is64 and img.e_machine == 62
        # perf's elf_base_address: the first PT_LOAD's page
        self.first_load = img.loads[0][0] if img.loads else 0
        self.base_vaddr = self.first_load & ~0xFFF
        self._cies = {}
        self._fdes = {}          # (section kind, address) -> Fde
        self._eh = None          # (hdr addr, table starts, fde addrs, eh_frame section)
        self._eh_read = False
        self._debug = None
        self._debug_read = False

    # ------------------------------------------------------------ raw bytes

    def read_offset(self, offset, size):
        """`size` bytes at a file offset, or None past the end of the file."""
        data = self.img._data
        if offset < 0 or offset + size > len(data):
            return None
        return data[offset:offset + size]

    # ------------------------------------------------------------ .eh_frame

    def _eh_table(self):
        """.eh_frame_hdr's sorted table, read once: (its address, start offsets, FDE
        offsets, .eh_frame); None without one (perf then tries .debug_frame)."""
        if self._eh_read:
            return self._eh
        self._eh_read = True
        sec = self.img.section_by_name(".eh_frame_hdr")
        if sec is None or sec.offset == 0:
            return None
        addr, offset = sec.addr, sec.offset
        data = self.img._data
        try:
            ptr_enc, count_enc = data[offset + 1:offset + 3]
            pos = offset + 4
            _, pos = read_encoded(data, pos, ptr_enc, addr + pos - offset)
            count, pos = read_encoded(data, pos, count_enc, addr + pos - offset)
            table_off = pos
            count = min(count, (len(data) - table_off) // 8)
            raw = bytes(data[table_off:table_off + 8 * count])
        except (ELF_ERRORS + (CfiError,)):
            return None
        starts = []
        fdes = []
        for s, f in _PAIR.iter_unpack(raw):
            starts.append(s)
            fdes.append(f)
        eh = self.img.section_by_name(".eh_frame")
        if eh is None or eh.type == SHT_NOBITS:
            return None
        section = _Section(self.img.data(eh), eh.addr, False)
        self._eh = (addr, starts, fdes, section)
        return self._eh

    def has_eh_table(self):
        """Whether .eh_frame_hdr's table (and .eh_frame) can be read."""
        return self._eh_table() is not None

    def find_eh(self, vaddr):
        """The .eh_frame FDE covering a file address; None when the table has none
        (libunwind's -UNW_ENOINFO)."""
        table = self._eh_table()
        if table is None:
            return None
        hdr_addr, starts, fdes, section = table
        rel = vaddr - hdr_addr
        i = bisect.bisect_right(starts, rel) - 1
        if i < 0:
            return None
        fde = self._fde_at(section, hdr_addr + fdes[i])
        if fde is None or not fde.start <= vaddr < fde.end:
            return None
        return fde

    # ------------------------------------------------------------ .debug_frame

    def has_debug_frame(self):
        sec = self.img.section_by_name(".debug_frame")
        return sec is not None and sec.offset > 0

    def find_debug(self, vaddr):
        """The .debug_frame FDE covering a file address, or None."""
        if not self._debug_read:
            self._debug_read = True
            self._debug = self._index_debug_frame()
        if self._debug is None:
            return None
        starts, entries = self._debug
        # libunwind's table search: the last FDE starting at or below, if it covers it
        i = bisect.bisect_right(starts, vaddr) - 1
        if i >= 0 and entries[i].start <= vaddr < entries[i].end:
            return entries[i]
        return None

    def _index_debug_frame(self):
        sec = self.img.section_by_name(".debug_frame")
        if sec is None or sec.type == SHT_NOBITS:
            return None
        try:
            section = _Section(self.img.data(sec), 0, True)
            data = section.data
            pos = 0
            fdes = []
            while pos + 4 <= len(data):
                length = _U32.unpack_from(data, pos)[0]
                if length == 0:
                    pos += 4
                    continue
                ptr_size = 4
                if length == 0xFFFFFFFF:
                    length = _U64.unpack_from(data, pos + 4)[0]
                    body = pos + 12
                    ptr_size = 8
                else:
                    body = pos + 4
                cie_id = (_U64 if ptr_size == 8 else _U32).unpack_from(data, body)[0]
                if cie_id not in (0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF):
                    fde = self._fde_at(section, pos)
                    if fde is not None:
                        fdes.append(fde)
                pos = body + length
        except (ELF_ERRORS + (CfiError,)):
            return None
        fdes.sort(key=lambda f: f.start)
        return [f.start for f in fdes], fdes

    # ------------------------------------------------------------ entries

    def _fde_at(self, section, addr):
        """The FDE at `addr` (a file address in .eh_frame, a section offset in
        .debug_frame), parsed once."""
        key = (section.debug, addr)
        fde = self._fdes.get(key, False)
        if fde is False:
            fde = self._fdes[key] = self._parse_fde(section, addr)
        return fde

    def _parse_fde(self, section, addr):
        data = section.data
        pos = addr - section.addr
        try:
            if pos < 0 or pos + 4 > len(data):
                return None
            length = _U32.unpack_from(data, pos)[0]
            if length == 0xFFFFFFFF:
                length = _U64.unpack_from(data, pos + 4)[0]
                body = pos + 12
                wide = True
            else:
                body = pos + 4
                wide = False
            end = body + length
            if end > len(data):
                return None
            if wide:
                cie_ptr = _U64.unpack_from(data, body)[0]
                p = body + 8
            else:
                cie_ptr = _U32.unpack_from(data, body)[0]
                p = body + 4
            if section.debug:
                cie_pos = cie_ptr
            else:
                if cie_ptr == 0:
                    return None        # a CIE, not an FDE
                cie_pos = body - cie_ptr
            cie = self._cie_at(section, cie_pos)
            if section.debug:
                enc = cie.fde_enc if cie.has_z else (0x04 if self.is64 else 0x03)
            else:
                enc = cie.fde_enc
            start, p = read_encoded(data, p, enc, section.addr + p)
            span, p = read_encoded(data, p, enc & 0x0F, 0)
            if cie.has_z:
                aug_len, p = uleb(data, p)
                p += aug_len
            return Fde(start, (start + span) & 0xFFFFFFFFFFFFFFFF, cie, section, p, end)
        except (ELF_ERRORS + (CfiError,)):
            return None

    def _cie_at(self, section, pos):
        key = (section.debug, pos)
        cie = self._cies.get(key)
        if cie is not None:
            return cie
        data = section.data
        length = _U32.unpack_from(data, pos)[0]
        if length == 0xFFFFFFFF:
            length = _U64.unpack_from(data, pos + 4)[0]
            p = pos + 12 + 8
            end = pos + 12 + length
        else:
            p = pos + 4 + 4
            end = pos + 4 + length
        cie = Cie()
        version = data[p]
        p += 1
        aug_end = bytes(data[p:end]).index(b"\0")
        aug = bytes(data[p:p + aug_end]).decode("latin-1")
        p += aug_end + 1
        if version == 4:
            p += 2                    # address size, segment selector size
        cie.code_align, p = uleb(data, p)
        cie.data_align, p = sleb(data, p)
        if version == 1:
            cie.ra_reg = data[p]
            p += 1
        else:
            cie.ra_reg, p = uleb(data, p)
        if aug.startswith("z"):
            cie.has_z = True
            aug_len, p = uleb(data, p)
            aug_data_end = p + aug_len
            for ch in aug[1:]:
                if ch == "R":
                    cie.fde_enc = data[p]
                    p += 1
                elif ch == "L":
                    p += 1
                elif ch == "P":
                    penc = data[p]
                    _, p = read_encoded(data, p + 1, penc & 0x7F, section.addr + p + 1)
                elif ch == "S":
                    cie.signal = True
            p = aug_data_end
        cie.initial = _run(section, p, end, None, cie, 0, 1 << 64)
        self._cies[key] = cie
        return cie

    def eh_rules(self, lookup, pc):
        """The .eh_frame rules at `pc` of the FDE covering `lookup` (pc, or pc - 1 for a
        return address); None without one."""
        fde = self.find_eh(lookup)
        return self.rules(fde, pc) if fde is not None else None

    def rules(self, fde, pc):
        """The rules in force at `pc`: the CIE's and FDE's instructions for every location
        up to and including `pc` (libunwind runs them while the location is <= pc)."""
        rows = fde.rows
        r = rows.get(pc)
        if r is None:
            cie = fde.cie
            cfa, regs = _run(fde.section, fde.ins_start, fde.ins_end, cie.initial, cie,
                             fde.start, pc)
            r = Rules(cfa, tuple(regs), cie.ra_reg, cie.signal)
            if len(rows) < 4096:
                rows[pc] = r
        return r


def _run(section, pos, end, initial, cie, loc, pc):
    """Run CFA instructions from `pos` while the location is <= pc: (cfa, regs)."""
    data = section.data
    if initial is None:
        cfa = (CFA_REG, 0, 0)
        regs = [(SAME, 0)] * NUM_REGS
        base_regs = regs
    else:
        cfa, base_regs = initial
        regs = list(base_regs)
    stack = []
    code_align = cie.code_align
    data_align = cie.data_align

    def regnum(n):
        if n >= NUM_REGS:
            raise CfiError("register %d" % n)
        return n

    while loc <= pc and pos < end:
        op = data[pos]
        pos += 1
        high = op & 0xC0
        if high == 0x40:
            loc += (op & 0x3F) * code_align
            continue
        if high == 0x80:
            off, pos = uleb(data, pos)
            regs[regnum(op & 0x3F)] = (CFAREL, off * data_align)
            continue
        if high == 0xC0:
            r = regnum(op & 0x3F)
            regs[r] = base_regs[r]
            continue
        if op == 0x00:                               # nop
            pass
        elif op == 0x01:                             # set_loc
            loc, pos = read_encoded(data, pos, cie.fde_enc, section.addr + pos)
        elif op == 0x02:
            loc += data[pos] * code_align
            pos += 1
        elif op == 0x03:
            loc += _U16.unpack_from(data, pos)[0] * code_align
            pos += 2
        elif op == 0x04:
            loc += _U32.unpack_from(data, pos)[0] * code_align
            pos += 4
        elif op in (0x05, 0x11, 0x14, 0x15, 0x2F):   # offset forms
            r, pos = uleb(data, pos)
            if op in (0x11, 0x15):
                off, pos = sleb(data, pos)
            else:
                off, pos = uleb(data, pos)
            if op == 0x2F:
                off = -off
            kind = VAL_CFAREL if op in (0x14, 0x15) else CFAREL
            regs[regnum(r)] = (kind, off * data_align)
        elif op == 0x06:                             # restore_extended
            r, pos = uleb(data, pos)
            r = regnum(r)
            regs[r] = base_regs[r]
        elif op == 0x07:                             # undefined
            r, pos = uleb(data, pos)
            regs[regnum(r)] = (UNDEF, 0)
        elif op == 0x08:                             # same_value
            r, pos = uleb(data, pos)
            regs[regnum(r)] = (SAME, 0)
        elif op == 0x09:                             # register
            r, pos = uleb(data, pos)
            r2, pos = uleb(data, pos)
            regs[regnum(r)] = (REG, r2)
        elif op == 0x0A:                             # remember_state
            stack.append((cfa, list(regs)))
        elif op == 0x0B:                             # restore_state
            if not stack:
                raise CfiError("restore_state without remember_state")
            cfa, regs = stack.pop()
        elif op == 0x0C:                             # def_cfa
            r, pos = uleb(data, pos)
            off, pos = uleb(data, pos)
            cfa = (CFA_REG, r, off)
        elif op == 0x12:                             # def_cfa_sf
            r, pos = uleb(data, pos)
            off, pos = sleb(data, pos)
            cfa = (CFA_REG, r, off * data_align)
        elif op == 0x0D:                             # def_cfa_register
            r, pos = uleb(data, pos)
            cfa = (CFA_REG, r, cfa[2] if cfa[0] == CFA_REG else 0)
        elif op == 0x0E:                             # def_cfa_offset
            off, pos = uleb(data, pos)
            cfa = (CFA_REG, cfa[1] if cfa[0] == CFA_REG else 0, off)
        elif op == 0x13:                             # def_cfa_offset_sf
            off, pos = sleb(data, pos)
            cfa = (CFA_REG, cfa[1] if cfa[0] == CFA_REG else 0, off * data_align)
        elif op == 0x0F:                             # def_cfa_expression
            n, p2 = uleb(data, pos)
            cfa = (CFA_EXPR, bytes(data[p2:p2 + n]))
            pos = p2 + n
        elif op in (0x10, 0x16):                     # expression, val_expression
            r, pos = uleb(data, pos)
            n, p2 = uleb(data, pos)
            regs[regnum(r)] = (EXPR if op == 0x10 else VAL_EXPR, bytes(data[p2:p2 + n]))
            pos = p2 + n
        elif op == 0x2E:                             # GNU_args_size
            _, pos = uleb(data, pos)
        else:
            raise CfiError("CFA opcode %#x" % op)
    return cfa, regs
