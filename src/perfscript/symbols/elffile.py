"""The parts of an ELF file symbol loading needs, read once; any damage means "no symbols".

pyelftools parses the headers; symbol tables are unpacked in bulk with ``struct`` because a
libc debug file holds tens of thousands of entries.
"""

import mmap
import struct

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

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
        self.index = index
        self.name = name
        self.type = hdr["sh_type"]
        self.flags = hdr["sh_flags"]
        self.addr = hdr["sh_addr"]
        self.offset = hdr["sh_offset"]
        self.size = hdr["sh_size"]
        self.link = hdr["sh_link"]
        self.entsize = hdr["sh_entsize"]
        self.addralign = hdr["sh_addralign"]


_SHT_NAMES = {"SHT_NOBITS": SHT_NOBITS, "SHT_SYMTAB": SHT_SYMTAB, "SHT_DYNSYM": SHT_DYNSYM,
              "SHT_NOTE": SHT_NOTE, "SHT_RELA": SHT_RELA, "SHT_REL": SHT_REL,
              "SHT_PROGBITS": 1, "SHT_STRTAB": 3, "SHT_NULL": 0}


def _num(value, table):
    """pyelftools gives enum names for known values; we want the numbers."""
    if isinstance(value, int):
        return value
    return table.get(value, -1)


class ElfImage:
    """Headers, sections and program headers of one ELF file, plus raw section bytes on demand."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self._data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        elf = ELFFile(self._data)
        self.is64 = elf.elfclass == 64
        self.little = elf.little_endian
        hdr = elf.header
        self.e_type = {"ET_EXEC": ET_EXEC, "ET_DYN": ET_DYN, "ET_REL": ET_REL}.get(
            hdr["e_type"], hdr["e_type"] if isinstance(hdr["e_type"], int) else 0)
        machine = hdr["e_machine"]
        self.e_machine = {"EM_ARM": EM_ARM, "EM_AARCH64": EM_AARCH64, "EM_X86_64": 62,
                          "EM_386": 3, "EM_SPARC": EM_SPARC, "EM_SPARCV9": EM_SPARCV9}.get(
            machine, machine if isinstance(machine, int) else 0)
        self.sections = []
        for i in range(elf.num_sections()):
            shdr = elf._get_section_header(i)
            try:
                name = elf._get_section_name(shdr) if i else ""
            except ELF_ERRORS:
                name = ""
            sec = Section(i, name, shdr)
            sec.type = _num(shdr["sh_type"], _SHT_NAMES)
            self.sections.append(sec)
        self.loads = []
        for i in range(elf.num_segments()):
            ph = elf._get_segment_header(i)
            if ph["p_type"] in ("PT_LOAD", PT_LOAD):
                self.loads.append((ph["p_vaddr"], ph["p_offset"], ph["p_filesz"], ph["p_memsz"]))

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
