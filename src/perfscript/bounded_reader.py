"""One reader of binary input that never reads past the bytes it was given.

perf.data header features, the tracing-data blob and trace.dat files all read numbers,
sized blobs and C strings whose lengths and counts come from the input itself. They
share this reader so every such read is checked the same way: a length or count that
does not fit raises a PerfDataError (or the subclass the format passes in) naming the
file and the absolute offset of the bad field, before anything is allocated or looped
over. Each format keeps its own wording through the message prefix and the `short`
template; the per-record decoders (ring-buffer pages, samples) do not use it, they
check their bounds inline for speed.
"""

import struct

from .errors import PerfDataError

__all__ = ["BoundedReader"]

_SHORT = "%(what)s: %(need)d bytes needed, %(left)d left"


class BoundedReader:
    """Reads `buf[pos:end]` (bytes, memoryview or mmap) in one byte order.

    Errors are `error_type(prefix + what, path, base + offset)`: `base` is the file
    offset of buf[0] and `prefix` says which part of the file this is. `short` is the
    message of a read that does not fit, formatted with `what`, `need` and `left`.
    """

    __slots__ = ("buf", "pos", "end", "path", "base", "prefix", "error_type", "short",
                 "big_endian", "_u16", "_u32", "_i32", "_u64")

    def __init__(self, buf, path=None, *, big_endian=False, base=0, pos=0, end=None,
                 prefix="", error_type=PerfDataError, short=_SHORT):
        self.buf = buf
        self.pos = pos
        self.end = len(buf) if end is None else end
        self.path = path
        self.base = base
        self.prefix = prefix
        self.error_type = error_type
        self.short = short
        self.set_endian(big_endian)

    def set_endian(self, big_endian):
        """Read the numbers that follow in this byte order."""
        order = ">" if big_endian else "<"
        self.big_endian = bool(big_endian)
        self._u16 = struct.Struct(order + "H").unpack_from
        self._u32 = struct.Struct(order + "I").unpack_from
        self._i32 = struct.Struct(order + "i").unpack_from
        self._u64 = struct.Struct(order + "Q").unpack_from

    def at(self, pos):
        """A copy of this reader (same buffer, bounds and wording) positioned at `pos`."""
        return BoundedReader(self.buf, self.path, big_endian=self.big_endian, base=self.base,
                             pos=pos, end=self.end, prefix=self.prefix,
                             error_type=self.error_type, short=self.short)

    def over(self, buf, *, base=0, prefix="", pos=0):
        """A reader of another buffer with this one's path, byte order and wording."""
        return BoundedReader(buf, self.path, big_endian=self.big_endian, base=base, pos=pos,
                             prefix=prefix, error_type=self.error_type, short=self.short)

    # ------------------------------------------------------------ checks

    def error(self, what, at=None):
        """The exception to raise for `what`, located at `at` (default: the position)."""
        return self.error_type(self.prefix + what, self.path,
                               self.base + (self.pos if at is None else at))

    @property
    def left(self):
        """Bytes between the position and the end."""
        return self.end - self.pos

    def need(self, size, what):
        """Raise unless `size` more bytes are there."""
        if size < 0 or size > self.end - self.pos:
            raise self.error(self.short % {"what": what, "need": size,
                                           "left": max(0, self.end - self.pos)})

    def count(self, n, min_size, what, at=None):
        """Check that `n` entries of at least `min_size` bytes each can fit; return n.
        `at` is where the count was read (default: the 4 bytes just before)."""
        if n * min_size > self.end - self.pos:
            raise self.error("%s count %d cannot fit in the %d bytes left"
                             % (what, n, self.end - self.pos),
                             self.pos - 4 if at is None else at)
        return n

    # ------------------------------------------------------------ reads

    def take(self, size, what):
        """The next `size` bytes, as a slice of the buffer."""
        self.need(size, what)
        start = self.pos
        self.pos += size
        return self.buf[start:self.pos]

    def u8(self, what):
        self.need(1, what)
        self.pos += 1
        return self.buf[self.pos - 1]

    def u16(self, what):
        self.need(2, what)
        self.pos += 2
        return self._u16(self.buf, self.pos - 2)[0]

    def u32(self, what):
        self.need(4, what)
        self.pos += 4
        return self._u32(self.buf, self.pos - 4)[0]

    def i32(self, what):
        self.need(4, what)
        self.pos += 4
        return self._i32(self.buf, self.pos - 4)[0]

    def u64(self, what):
        self.need(8, what)
        self.pos += 8
        return self._u64(self.buf, self.pos - 8)[0]

    def u64s(self, n, what):
        """A tuple of `n` u64s."""
        self.need(8 * n, what)
        values = struct.unpack_from("%s%dQ" % (">" if self.big_endian else "<", n),
                                    self.buf, self.pos)
        self.pos += 8 * n
        return values

    def cstring(self, what, limit=None):
        """A NUL-terminated string (at most `limit` bytes before the NUL), decoded as
        UTF-8 with surrogateescape. Needs a buffer with find(): bytes, bytearray, mmap."""
        stop = self.end if limit is None else min(self.end, self.pos + limit + 1)
        nul = self.buf.find(b"\0", self.pos, stop)
        if nul < 0:
            raise self.error("%s: no terminating NUL" % what)
        text = bytes(self.buf[self.pos:nul]).decode("utf-8", "surrogateescape")
        self.pos = nul + 1
        return text
