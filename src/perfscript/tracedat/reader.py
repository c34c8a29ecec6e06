"""How trace.dat reads fail: TraceDatError, and the bounded reader that raises it."""

from ..bounded_reader import BoundedReader
from ..errors import PerfDataError

# names (systems, instances, clocks) longer than this are taken for garbage
NAME_LIMIT = 1 << 16
_SHORT = "%(what)s: %(need)d bytes needed, %(left)d left (truncated file?)"


class TraceDatError(PerfDataError):
    """A trace.dat file could not be read: names the file, the offset and what was wrong."""


def trace_reader(buf, path, big_endian=False, *, base=0, where="", pos=0):
    """A BoundedReader of `buf` raising TraceDatError. `base` is the file offset of
    buf[0] and `where` prefixes messages (e.g. a compressed section: offsets are then
    within it)."""
    return BoundedReader(buf, path, big_endian=big_endian, base=base, pos=pos,
                         prefix=where, error_type=TraceDatError, short=_SHORT)
