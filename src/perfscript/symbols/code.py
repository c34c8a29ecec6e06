"""Code bytes of a dso, as perf reads them from the file it runs (dso__data_read_offset):
a sample's instruction (perf's arch_fetch_insn), or a basic block of a branch stack."""

from .elffile import open_elf
from .x86_insn import MAX_INSN, insn_length

_IS64 = {}


def code_bytes(dso, offset, size):
    """Up to `size` bytes at a map-relative offset of the dso's runtime file, or None."""
    path = dso.runtime
    if path is None or offset < 0:
        return None
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read(size)
    except (OSError, ValueError, OverflowError):
        return None


def is_64bit(dso):
    """Whether the dso's code is 64-bit (perf's dso->is_64_bit)."""
    path = dso.runtime
    is64 = _IS64.get(path)
    if is64 is None:
        img = open_elf(path) if path is not None else None
        is64 = _IS64[path] = img.is64 if img is not None else True
    return is64


def insn_at(dso, offset):
    """The bytes of the instruction at a map-relative offset, or None when perf's decoder
    finds none there (nothing read, or an incomplete or unknown instruction)."""
    code = code_bytes(dso, offset, MAX_INSN)
    n = insn_length(code, is_64bit(dso)) if code else None
    return code[:n] if n else None


_ADJUSTS = {}


def adjusts_symbols(dso):
    """perf's dso->adjust_symbols with its text_offset: a user dso whose symbols come from
    its ELF file (perf 6.1 adjusts them all) keeps link-time addresses, so a map-relative
    address moves by .text's address minus its offset; returns that shift, or None for a
    dso whose addresses stay map-relative (the kernel's, files perf could not read)."""
    if dso is None or dso.kernel:
        return None
    if dso in _ADJUSTS:
        return _ADJUSTS[dso]
    dso.table                               # loading finds its files
    img = open_elf(dso.runtime) if dso.runtime else None
    shift = None
    if img is not None:
        sec = img.section_by_name(".text")
        shift = sec.addr - sec.offset if sec is not None else 0
    _ADJUSTS[dso] = shift
    return shift
