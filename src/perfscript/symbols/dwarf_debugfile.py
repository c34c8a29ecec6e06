"""The separate debug file binutils 2.40's bfd reads DWARF from when a file has none
(dwarf2.c _bfd_dwarf2_slurp_debug_info: bfd_follow_build_id_debuglink, then
bfd_follow_gnu_debuglink), and how its sections line up with the file's.

bfd tries, in order, ``.build-id/NN/REST.debug`` under the current directory, ``.debug/``,
/usr/lib/debug, /usr/lib/debug/usr and Debian's debug directory, accepting a file with the
same build id; then the .gnu_debuglink name beside the file, in its ``.debug/``, and under
the same roots followed by the file's real directory, accepting a file whose CRC-32 is the
link's.  The debug file must also hold .debug_info.
"""

import os
import struct
import zlib

from .elffile import SHT_NOBITS, open_elf

DEBUGDIR = "/usr/lib/x86_64-linux-gnu/debug"      # Debian's configured --with-separate-debug-dir
_ROOT1 = "/usr/lib/debug"
_ROOT2 = "/usr/lib/debug/usr"

SHT_SYMTAB = 2
SHT_STRTAB = 3
SHT_RELA = 4
SHT_REL = 9
SHT_SYMTAB_SHNDX = 18
SHF_ALLOC = 0x2


def build_id_bytes(img):
    """bfd's get_build_id: the first note of .note.gnu.build-id when it is GNU's build id."""
    sec = img.section_by_name(".note.gnu.build-id")
    if sec is None or sec.size < 0x24 or sec.type == SHT_NOBITS:
        return None
    try:
        data = bytes(img.data(sec))
        namesz, descsz, ntype = struct.unpack_from("<III" if img.little else ">III", data)
    except (ValueError, struct.error):
        return None
    desc = 12 + ((namesz + 3) & ~3)
    if (descsz == 0 or ntype != 3 or namesz != 4 or data[12:15] != b"GNU"
            or len(data) < desc + descsz):
        return None
    return data[desc:desc + descsz]


def _candidates(path, base, include_dirs):
    """find_separate_debug_file's places for ``base``, in its order."""
    if include_dirs:
        cut = path.rfind("/") + 1
        dirname = path[:cut]
        canon = os.path.realpath(path)
        canon = canon[:canon.rfind("/") + 1]
    else:
        dirname = ""
        canon = "/"
    yield dirname + base
    yield dirname + ".debug/" + base
    yield _ROOT1 + canon + base
    yield _ROOT2 + canon + base
    if include_dirs:
        yield DEBUGDIR + ("/" if not canon.startswith("/") else "") + canon + base
    else:
        yield DEBUGDIR + "/" + base


def _by_build_id(path, img):
    bid = build_id_bytes(img)
    if not bid:
        return None
    base = ".build-id/%02x/%s.debug" % (bid[0], bid[1:].hex())
    for cand in _candidates(path, base, False):
        if os.path.isfile(cand):
            other = open_elf(cand)
            if other is not None and build_id_bytes(other) == bid:
                return cand
    return None


def _debuglink(img):
    """(name, crc) of .gnu_debuglink (bfd_get_debug_link_info_1), or None."""
    sec = img.section_by_name(".gnu_debuglink")
    if sec is None or sec.size < 8 or sec.size >= img.file_size or sec.type == SHT_NOBITS:
        return None
    data = bytes(img.data(sec))
    end = data.find(b"\0")
    if end < 0:
        end = len(data)
    crc_at = (end + 1 + 3) & ~3
    if crc_at + 4 > len(data):
        return None
    crc = int.from_bytes(data[crc_at:crc_at + 4], "little" if img.little else "big")
    return data[:end].decode("utf-8", "surrogateescape"), crc


def _crc_of(path):
    crc = 0
    try:
        with open(path, "rb") as f:
            while True:
                block = f.read(1 << 20)
                if not block:
                    return crc
                crc = zlib.crc32(block, crc)
    except OSError:
        return None


def _by_debuglink(path, img):
    link = _debuglink(img)
    if link is None or not link[0]:
        return None
    base, crc = link
    for cand in _candidates(path, base, True):
        if os.path.isfile(cand) and _crc_of(cand) == crc:
            return cand
    return None


def find_debug_file(path, img):
    """The debug file bfd follows for ``path`` (which lacks .debug_info), or None.  Like
    bfd, a found file without .debug_info ends the search."""
    try:
        found = _by_build_id(path, img) or _by_debuglink(path, img)
    except (OSError, ValueError):
        return None
    return found


def has_debug_info(img):
    """bfd's find_debug_info: a .debug_info or .zdebug_info section with contents, or a
    .gnu.linkonce.wi. one."""
    for sec in img.sections:
        if sec.type == SHT_NOBITS:
            continue
        if sec.name in (".debug_info", ".zdebug_info") or \
                sec.name.startswith(".gnu.linkonce.wi."):
            return True
    return False


def bfd_sections(img):
    """The sections bfd makes of an ELF file's section headers, in order
    (bfd_section_from_shdr): all but the null entry, the symbol table with its string
    table and index section, the section name table, and relocations against the symbol
    table (in a relocatable file, or not allocated)."""
    symtab = next((s for s in img.sections if s.type == SHT_SYMTAB), None)
    skip = {0}
    if symtab is not None and not symtab.flags & SHF_ALLOC:
        skip.update((symtab.index, symtab.link))
    relocatable = img.e_type == 1
    out = []
    for sec in img.sections:
        if sec.index in skip or sec.type == SHT_SYMTAB_SHNDX:
            continue
        if sec.type == SHT_STRTAB and sec.name == ".shstrtab":
            continue
        if (sec.type in (SHT_REL, SHT_RELA) and symtab is not None
                and sec.link == symtab.index
                and (relocatable or not sec.flags & SHF_ALLOC)):
            continue
        out.append(sec)
    return out


def is_debugging(name):
    """bfd's SEC_DEBUGGING by name (for sections without SHF_ALLOC)."""
    return name.startswith((".debug", ".gnu.debuglto_.debug_", ".gnu.linkonce.wi.",
                            ".zdebug", ".line", ".stab")) or name == ".gdb_index"


def section_map(img, debug):
    """_bfd_dwarf2_stash_syms: for each section index of ``img``, the index of the debug
    file's section at the same place in bfd's section list with the same name; a section
    at or after the debug file's first debugging section has none."""
    out = {}
    for s, d in zip(bfd_sections(img), bfd_sections(debug)):
        if not d.flags & SHF_ALLOC and is_debugging(d.name):
            break
        if s.name == d.name:
            out[s.index] = d.index
    return out
