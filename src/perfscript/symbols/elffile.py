"""The parts of an ELF file symbol loading needs, read once; any damage means "no symbols".

Headers are unpacked with ``struct``, symbol tables in bulk with NumPy (a libc debug file holds
tens of thousands of entries).
"""

import mmap
import struct

from elftools.common.exceptions import ELFError

from .buildid import build_id_from_notes

SHT_NOBITS = 8
SHT_SYMTAB = 2
SHT_DYNSYM = 11
SHT_NOTE = 7
SHT_RELA = 4
SHT_REL = 9
SHF_ALLOC = 0x2
PT_LOAD = 1
ET_EXEC = 2
ET_REL = 1
ET_DYN = 3
EM_ARM = 40
EM_AARCH64 = 183
EM_SPARC = 2
EM_SPARCV9 = 43

# Everything pyelftools or struct may raise on a truncated or corrupt file.
ELF_ERRORS = (ELFError, struct.error, ValueError, KeyError, IndexError, TypeError,
              AttributeError, AssertionError, OSError, UnicodeDecodeError, OverflowError,
              RecursionError)


class Section:
    __slots__ = ("index", "name", "type", "flags", "addr", "offset", "size", "link",
                 "entsize", "addralign")

    def __init__(self, index, name, hdr):
        """``hdr``: the section header's fields after sh_name, in file order."""
        self.index = index
        self.name = name
        (self.type, self.flags, self.addr, self.offset, self.size, self.link, _,
         self.addralign, self.entsize) = hdr


SHN_XINDEX = 0xFFFF
PN_XNUM = 0xFFFF
# (ELF header after e_ident, section header, program header) layouts by class
_LAYOUT = {
    1: ("HHIIIIIHHHHHH", "IIIIIIIIII", "IIIIIIII"),
    2: ("HHIQQQIHHHHHH", "IIQQQQIIQQ", "IIQQQQQQ"),
}


def _table(data, fmt, offset, stride, count):
    """``count`` records of struct ``fmt`` every ``stride`` bytes from ``offset``, all
    inside ``data``."""
    st = struct.Struct(fmt)
    if count and (stride < st.size or offset < 0
                  or offset + (count - 1) * stride + st.size > len(data)):
        raise ValueError("table at %#x runs past the end of the file" % offset)
    return [st.unpack_from(data, offset + i * stride) for i in range(count)]


class ElfImage:
    """Headers, sections and program headers of one ELF file, plus raw section bytes on demand.

    The headers are read with ``struct`` (pyelftools' header objects cost milliseconds a
    file, and a profile opens dozens of files just to learn their build ids and tables)."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self._data = data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if data[:4] != b"\x7fELF" or data[4] not in _LAYOUT or data[5] not in (1, 2):
            raise ValueError("%s: not an ELF file" % path)
        self.is64 = data[4] == 2
        self.little = data[5] == 1
        e = "<" if self.little else ">"
        ehdr, shdr, phdr = _LAYOUT[data[4]]
        (self.e_type, self.e_machine, _, _, phoff, shoff, _, _, phentsize, phnum,
         shentsize, shnum, shstrndx) = struct.unpack_from(e + ehdr, data, 16)
        section_fmt = e + shdr
        first = _table(data, section_fmt, shoff, shentsize, 1) if shoff else []
        if shoff and shnum == 0:
            shnum = first[0][5]           # sh_size of section 0 holds the real count
        if shoff and shstrndx == SHN_XINDEX:
            shstrndx = first[0][6]        # and its sh_link the string table's index
        if phnum == PN_XNUM and first:
            phnum = first[0][7]           # sh_info: the real program header count
        headers = _table(data, section_fmt, shoff, shentsize, shnum) if shoff else []
        names = b""
        if shstrndx < len(headers):
            strtab = headers[shstrndx]
            if strtab[1] != SHT_NOBITS and strtab[4] + strtab[5] <= len(data):
                names = data[strtab[4]:strtab[4] + strtab[5]]
        self.sections = []
        for i, hdr in enumerate(headers):
            name = ""
            if i and hdr[0] < len(names):
                end = names.find(b"\0", hdr[0])
                name = names[hdr[0]:end if end >= 0 else len(names)].decode("utf-8", "replace")
            self.sections.append(Section(i, name, hdr[1:]))
        self.loads = []
        if phoff:
            if self.is64:
                for p_type, _, p_offset, p_vaddr, _, p_filesz, p_memsz, _ in _table(
                        data, e + phdr, phoff, phentsize, phnum):
                    if p_type == PT_LOAD:
                        self.loads.append((p_vaddr, p_offset, p_filesz, p_memsz))
            else:
                for p_type, p_offset, p_vaddr, _, p_filesz, p_memsz, _, _ in _table(
                        data, e + phdr, phoff, phentsize, phnum):
                    if p_type == PT_LOAD:
                        self.loads.append((p_vaddr, p_offset, p_filesz, p_memsz))

    @property
    def file_size(self):
        return len(self._data)

    def section_by_name(self, name):
        """The first section with that name (perf's elf_section_by_name)."""
        for sec in self.sections:
            if sec.name == name:
                return sec
        return None

    def section(self, index):
        if 0 <= index < len(self.sections):
            return self.sections[index]
        return None

    def data(self, sec):
        if sec.type == SHT_NOBITS:
            return b""
        if sec.offset + sec.size > len(self._data):
            raise ValueError("section %s past end of file" % sec.name)
        return memoryview(self._data)[sec.offset:sec.offset + sec.size]

    @property
    def build_id(self):
        """Hex NT_GNU_BUILD_ID from .note.gnu.build-id, .notes or .note, like perf."""
        for name in (".note.gnu.build-id", ".notes", ".note"):
            sec = self.section_by_name(name)
            if sec is not None:
                try:
                    return build_id_from_notes(self.data(sec), self.little)
                except ELF_ERRORS:
                    return None
        return None

    def symtab(self, name, sht):
        """(section, entries) of .symtab/.dynsym when present with the right type, else None."""
        sec = self.section_by_name(name)
        if sec is None or sec.type != sht:
            return None
        return sec

    def iter_symbols(self, sec):
        """Yield (name_bytes, value, size, info, other, shndx) for every entry of a symbol table."""
        strsec = self.section(sec.link)
        if strsec is None:
            return
        strtab = bytes(self.data(strsec))
        raw = self.data(sec)
        if self.is64:
            fmt = ("<" if self.little else ">") + "IBBHQQ"
            width = 24
        else:
            fmt = ("<" if self.little else ">") + "IIIBBH"
            width = 16
        count = len(raw) // width if sec.entsize else 0
        unpack = struct.Struct(fmt).iter_unpack
        for ent in unpack(bytes(raw[:count * width])):
            if self.is64:
                st_name, info, other, shndx, value, size = ent
            else:
                st_name, value, size, info, other, shndx = ent
            end = strtab.find(b"\0", st_name)
            name = strtab[st_name:end if end >= 0 else len(strtab)] if st_name < len(strtab) else b""
            yield st_name, name, value, size, info, other, shndx

    def load_for_vaddr(self, vaddr):
        """The PT_LOAD segment (vaddr, offset, ...) holding ``vaddr`` (perf's elf_read_program_header)."""
        for seg in self.loads:
            size = max(seg[2], seg[3])
            if size and seg[0] <= vaddr < seg[0] + size:
                return seg
        return None

    def debuglink(self):
        """The file name in .gnu_debuglink, or None."""
        sec = self.section_by_name(".gnu_debuglink")
        if sec is None:
            return None
        raw = bytes(self.data(sec))
        end = raw.find(b"\0")
        if end <= 0:
            return None
        return raw[:end].decode("utf-8", "surrogateescape")


def open_elf(path):
    """An ElfImage, or None if the file is missing, not ELF, or damaged."""
    try:
        return ElfImage(path)
    except ELF_ERRORS:
        return None
