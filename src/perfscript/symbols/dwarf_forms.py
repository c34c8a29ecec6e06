"""DWARF's encodings as binutils 2.40's bfd reads them: LEB128 numbers, strings (an empty
one reads as none), debug sections (SHF_COMPRESSED or .zdebug_ ones inflated) and
attribute values in every form bfd knows, with the string and address tables of DWARF 5.
"""

import struct
import zlib

from .elffile import ELF_ERRORS, SHT_NOBITS

SHF_COMPRESSED = 0x800
ELFCOMPRESS_ZLIB = 1
ELFCOMPRESS_ZSTD = 2

DW_FORM_addr = 0x01
DW_FORM_block2 = 0x03
DW_FORM_block4 = 0x04
DW_FORM_data2 = 0x05
DW_FORM_data4 = 0x06
DW_FORM_data8 = 0x07
DW_FORM_string = 0x08
DW_FORM_block = 0x09
DW_FORM_block1 = 0x0A
DW_FORM_data1 = 0x0B
DW_FORM_flag = 0x0C
DW_FORM_sdata = 0x0D
DW_FORM_strp = 0x0E
DW_FORM_udata = 0x0F
DW_FORM_ref_addr = 0x10
DW_FORM_ref1 = 0x11
DW_FORM_ref2 = 0x12
DW_FORM_ref4 = 0x13
DW_FORM_ref8 = 0x14
DW_FORM_ref_udata = 0x15
DW_FORM_indirect = 0x16
DW_FORM_sec_offset = 0x17
DW_FORM_exprloc = 0x18
DW_FORM_flag_present = 0x19
DW_FORM_strx = 0x1A
DW_FORM_addrx = 0x1B
DW_FORM_data16 = 0x1E
DW_FORM_line_strp = 0x1F
DW_FORM_ref_sig8 = 0x20
DW_FORM_implicit_const = 0x21
DW_FORM_loclistx = 0x22
DW_FORM_rnglistx = 0x23
DW_FORM_strx1 = 0x25
DW_FORM_strx2 = 0x26
DW_FORM_strx3 = 0x27
DW_FORM_strx4 = 0x28
DW_FORM_addrx1 = 0x29
DW_FORM_addrx2 = 0x2A
DW_FORM_addrx3 = 0x2B
DW_FORM_addrx4 = 0x2C
DW_FORM_GNU_ref_alt = 0x1F20
DW_FORM_GNU_strp_alt = 0x1F21

STR_FORMS = frozenset((DW_FORM_string, DW_FORM_strp, DW_FORM_strx, DW_FORM_strx1,
                       DW_FORM_strx2, DW_FORM_strx3, DW_FORM_strx4, DW_FORM_line_strp,
                       DW_FORM_GNU_strp_alt))
INT_FORMS = frozenset((DW_FORM_addr, DW_FORM_data2, DW_FORM_data4, DW_FORM_data8,
                       DW_FORM_data1, DW_FORM_flag, DW_FORM_sdata, DW_FORM_udata,
                       DW_FORM_ref_addr, DW_FORM_ref1, DW_FORM_ref2, DW_FORM_ref4,
                       DW_FORM_ref8, DW_FORM_ref_udata, DW_FORM_sec_offset,
                       DW_FORM_flag_present, DW_FORM_ref_sig8, DW_FORM_addrx,
                       DW_FORM_implicit_const, DW_FORM_addrx1, DW_FORM_addrx2,
                       DW_FORM_addrx3, DW_FORM_addrx4, DW_FORM_GNU_ref_alt))
STRX_FORMS = frozenset((DW_FORM_strx, DW_FORM_strx1, DW_FORM_strx2, DW_FORM_strx3,
                        DW_FORM_strx4))
ADDRX_FORMS = frozenset((DW_FORM_addrx, DW_FORM_addrx1, DW_FORM_addrx2, DW_FORM_addrx3,
                         DW_FORM_addrx4))


DWARF_ERRORS = ELF_ERRORS + (zlib.error, LookupError, MemoryError)


class DwarfError(Exception):
    """bfd gives up on this unit (or on everything after it)."""


def uleb(data, pos):
    """(value, next position) of an unsigned LEB128."""
    b = data[pos]
    if b < 0x80:
        return b, pos + 1
    result = b & 0x7F
    shift = 7
    pos += 1
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def sleb(data, pos):
    """(value, next position) of a signed LEB128."""
    result = 0
    shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            if b & 0x40:
                result -= 1 << shift
            return result, pos


def cstring(data, pos):
    """(text or None when empty, next position): bfd reads an empty string as no string."""
    end = data.index(0, pos)
    if end == pos:
        return None, end + 1
    return data[pos:end].decode("utf-8", "surrogateescape"), end + 1


def section_bytes(img, name):
    """The contents of a debug section (SHF_COMPRESSED or .zdebug_ inflated), or None.
    Like bfd, a compressed section claiming more than ten times the file's size is
    unreadable."""
    sec = img.section_by_name(name)
    if sec is not None and sec.type != SHT_NOBITS:
        raw = bytes(img.data(sec))
        if not sec.flags & SHF_COMPRESSED:
            return raw
        order = "<" if img.little else ">"
        if img.is64:
            ch_type, _, size, _ = struct.unpack_from(order + "IIQQ", raw)
            body = raw[24:]
        else:
            ch_type, size, _ = struct.unpack_from(order + "III", raw)
            body = raw[12:]
        if size // 10 > img.file_size:
            raise DwarfError("section %s is too big" % name)
        return _inflate(ch_type, body, size)
    sec = img.section_by_name(".z" + name[1:])
    if sec is not None and sec.type != SHT_NOBITS:
        raw = bytes(img.data(sec))
        if raw[:4] == b"ZLIB":
            size = int.from_bytes(raw[4:12], "big")
            if size // 10 > img.file_size:
                raise DwarfError("section %s is too big" % name)
            return _inflate(ELFCOMPRESS_ZLIB, raw[12:], size)
        return raw
    return None


def _inflate(kind, body, size):
    if kind == ELFCOMPRESS_ZLIB:
        return zlib.decompress(body)
    if kind == ELFCOMPRESS_ZSTD:
        import zstandard
        return zstandard.ZstdDecompressor().decompress(body, max_output_size=size)
    raise DwarfError("unknown section compression %d" % kind)



class Sections:
    """The debug sections of one ELF file, read on first use, and attribute decoding."""

    def __init__(self, img):
        self.little = img.little
        self._img = img
        self._data = {}

    def get(self, name):
        """A section's bytes, or None when absent or unreadable."""
        if name not in self._data:
            try:
                self._data[name] = section_bytes(self._img, name)
            except DWARF_ERRORS + (DwarfError,):
                self._data[name] = None
        return self._data[name]

    def reader(self, data):
        """u(size, pos): an unsigned number of ``size`` bytes in ``data``."""
        order = "little" if self.little else "big"

        def u(size, pos):
            if pos + size > len(data):
                raise DwarfError("read past the end of a section")
            return int.from_bytes(data[pos:pos + size], order)
        return u

    def read_form(self, unit, form, implicit, pos, data, raw_index=False):
        """(value, next position) of one attribute as bfd's read_attribute_value gives it:
        a number, a string (None when empty or unreadable) or bytes.  An strx string or
        addrx address read before the unit's base is known gives its index with
        ``raw_index`` (bfd rereads those), else no string and the index as address."""
        if form == DW_FORM_strp or form == DW_FORM_line_strp:
            off = self.number(data, unit.offset_size, pos)
            name = ".debug_str" if form == DW_FORM_strp else ".debug_line_str"
            return self.string_at(name, off), pos + unit.offset_size
        if form == DW_FORM_data1 or form == DW_FORM_ref1 or form == DW_FORM_flag:
            return data[pos], pos + 1
        if form == DW_FORM_data2 or form == DW_FORM_ref2:
            return self.number(data, 2, pos), pos + 2
        if form == DW_FORM_data4 or form == DW_FORM_ref4:
            return self.number(data, 4, pos), pos + 4
        if form == DW_FORM_data8 or form == DW_FORM_ref8 or form == DW_FORM_ref_sig8:
            return self.number(data, 8, pos), pos + 8
        if form == DW_FORM_addr:
            return self.number(data, unit.addr_size, pos), pos + unit.addr_size
        if form == DW_FORM_sec_offset or form == DW_FORM_GNU_ref_alt:
            return self.number(data, unit.offset_size, pos), pos + unit.offset_size
        if form == DW_FORM_flag_present:
            return 1, pos
        if form in (DW_FORM_udata, DW_FORM_ref_udata, DW_FORM_rnglistx, DW_FORM_loclistx):
            return uleb(data, pos)
        if form == DW_FORM_sdata:
            return sleb(data, pos)
        if form == DW_FORM_implicit_const:
            return implicit, pos
        if form == DW_FORM_string:
            return cstring(data, pos)
        if form == DW_FORM_exprloc or form == DW_FORM_block:
            n, pos = uleb(data, pos)
            return data[pos:pos + n], pos + n
        if form == DW_FORM_block1:
            n = data[pos]
            return data[pos + 1:pos + 1 + n], pos + 1 + n
        if form == DW_FORM_block2:
            n = self.number(data, 2, pos)
            return data[pos + 2:pos + 2 + n], pos + 2 + n
        if form == DW_FORM_block4:
            n = self.number(data, 4, pos)
            return data[pos + 4:pos + 4 + n], pos + 4 + n
        if form == DW_FORM_ref_addr:
            size = unit.offset_size if unit.version >= 3 else unit.addr_size
            return self.number(data, size, pos), pos + size
        if form == DW_FORM_data16:
            return data[pos:pos + 16], pos + 16
        if form in STRX_FORMS:
            if form == DW_FORM_strx:
                idx, pos = uleb(data, pos)
            else:
                size = form - DW_FORM_strx1 + 1
                idx = self.number(data, size, pos)
                pos += size
            if unit.str_offsets_base:
                return self.indexed_string(unit, idx), pos
            return (idx if raw_index else None), pos
        if form in ADDRX_FORMS:
            if form == DW_FORM_addrx:
                idx, pos = uleb(data, pos)
            else:
                size = form - DW_FORM_addrx1 + 1
                idx = self.number(data, size, pos)
                pos += size
            if unit.addr_base:
                return self.indexed_address(unit, idx), pos
            return idx, pos
        if form == DW_FORM_GNU_strp_alt:
            return None, pos + unit.offset_size     # in the .gnu_debugaltlink file: not read
        if form == DW_FORM_indirect:
            form, pos = uleb(data, pos)
            if form == DW_FORM_implicit_const:
                implicit, pos = sleb(data, pos)
            return self.read_form(unit, form, implicit, pos, data, raw_index)
        raise DwarfError("unhandled form %#x" % form)

    def number(self, data, size, pos):
        if pos + size > len(data):
            raise DwarfError("read past the end of a section")
        return int.from_bytes(data[pos:pos + size], "little" if self.little else "big")

    def string_at(self, name, offset):
        data = self.get(name)
        if data is None or offset >= len(data):
            return None
        return cstring(data, offset)[0]

    def indexed_string(self, unit, idx):
        offsets = self.get(".debug_str_offsets")
        if offsets is None or self.get(".debug_str") is None:
            return None
        at = unit.str_offsets_base + idx * unit.offset_size
        if at + unit.offset_size > len(offsets):
            return None
        return self.string_at(".debug_str", self.number(offsets, unit.offset_size, at))

    def indexed_address(self, unit, idx):
        addrs = self.get(".debug_addr")
        if addrs is None:
            return 0
        at = unit.addr_base + idx * unit.addr_size
        if at + unit.addr_size > len(addrs):
            return 0
        return self.number(addrs, unit.addr_size, at)


def fixed_form_size(form, unit):
    """Bytes a form takes in this unit, or None when its size is in the data."""
    if form in (DW_FORM_data1, DW_FORM_ref1, DW_FORM_flag, DW_FORM_strx1, DW_FORM_addrx1):
        return 1
    if form in (DW_FORM_data2, DW_FORM_ref2, DW_FORM_strx2, DW_FORM_addrx2):
        return 2
    if form in (DW_FORM_strx3, DW_FORM_addrx3):
        return 3
    if form in (DW_FORM_data4, DW_FORM_ref4, DW_FORM_strx4, DW_FORM_addrx4):
        return 4
    if form in (DW_FORM_data8, DW_FORM_ref8, DW_FORM_ref_sig8):
        return 8
    if form == DW_FORM_data16:
        return 16
    if form in (DW_FORM_strp, DW_FORM_line_strp, DW_FORM_sec_offset, DW_FORM_GNU_ref_alt,
                DW_FORM_GNU_strp_alt):
        return unit.offset_size
    if form == DW_FORM_addr:
        return unit.addr_size
    if form == DW_FORM_ref_addr:
        return unit.offset_size if unit.version >= 3 else unit.addr_size
    if form in (DW_FORM_flag_present, DW_FORM_implicit_const):
        return 0
    return None
