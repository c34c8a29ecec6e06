"""Build ids: parsing ELF note blobs and comparing ids the way perf does."""

import struct

NT_GNU_BUILD_ID = 3


def _align4(n):
    return (n + 3) & ~3


def build_id_from_notes(data, little=True):
    """The hex GNU build id in a blob of ELF notes (a SHT_NOTE section, /sys/kernel/notes)."""
    fmt = "<III" if little else ">III"
    off = 0
    n = len(data)
    while off + 12 <= n:
        namesz, descsz, ntype = struct.unpack_from(fmt, data, off)
        off += 12
        name = bytes(data[off:off + namesz])
        off += _align4(namesz)
        desc = bytes(data[off:off + descsz])
        off += _align4(descsz)
        if off > n:
            break
        if ntype == NT_GNU_BUILD_ID and namesz == 4 and name == b"GNU\0":
            return desc.hex()
    return None


def kernel_build_id(notes_path="/sys/kernel/notes"):
    """The running kernel's build id (perf's sysfs__read_build_id), or None."""
    try:
        with open(notes_path, "rb") as f:
            return build_id_from_notes(f.read())
    except OSError:
        return None


def normalize(build_id):
    """Hex string for a build id given as hex or raw bytes; None for none."""
    if not build_id:
        return None
    if isinstance(build_id, (bytes, bytearray, memoryview)):
        return bytes(build_id).hex()
    return str(build_id).lower()


def build_ids_equal(recorded, found):
    """perf's dso__build_id_equal on hex strings: a 20-byte recorded id may carry trailing
    zero bytes beyond the found id's length."""
    if recorded is None or found is None:
        return False
    recorded = recorded.lower()
    found = found.lower()
    if recorded == found:
        return True
    if len(recorded) == 40 and len(recorded) > len(found):
        return recorded.startswith(found) and set(recorded[len(found):]) <= {"0"}
    return False
