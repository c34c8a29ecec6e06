"""A bounds-checked reader over part of a trace.dat file, with located errors."""

import struct

from ..errors import PerfDataError


class TraceDatError(PerfDataError):
    """A trace.dat file could not be read: names the file, the offset and what was wrong."""


_ORDERS = {False: "<", True: ">"}


class Cursor:
    """Reads numbers and strings from `buf` (bytes, memoryview or mmap) in the file's
    byte order, never past its end. `base` is the file offset of buf[0] and `where`
    prefixes messages (e.g. a compressed section: offsets are then within it)."""

    def __init__(self, buf, path, big_endian=False, base=0, where="", pos=0):
        self.buf = buf
        self.path = path
        self.base = base
        self.where = where
        self.pos = pos
        self.set_endian(big_endian)

    def set_endian(self, big_endian):
        order = _ORDERS[bool(big_endian)]
        self.big_endian = bool(big_endian)
        self._u16 = struct.Struct(order + "H").unpack_from
        self._u32 = struct.Struct(order + "I").unpack_from
        self._u64 = struct.Struct(order + "Q").unpack_from

    def error(self, what, at=None):
        pos = self.pos if at is None else at
        return TraceDatError(self.where + what, self.path, self.base + pos)

    def left(self):
        return len(self.buf) - self.pos

    def need(self, size, what):
        if size < 0 or size > len(self.buf) - self.pos:
            raise self.error("%s: %d bytes needed, %d left (truncated file?)"
                             % (what, size, max(0, len(self.buf) - self.pos)))

    def take(self, size, what):
        """The next `size` bytes as a memoryview-compatible slice."""
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

    def u64(self, what):
        self.need(8, what)
        self.pos += 8
        return self._u64(self.buf, self.pos - 8)[0]

    def cstring(self, what, limit=1 << 16):
        """A NUL-terminated string (at most `limit` bytes before the NUL)."""
        end = self.buf.find(b"\0", self.pos, min(len(self.buf), self.pos + limit + 1))
        if end < 0:
            raise self.error("%s: no terminating NUL" % what)
        text = bytes(self.buf[self.pos:end]).decode("utf-8", "surrogateescape")
        self.pos = end + 1
        return text

    def sized_text(self, size_bytes, what):
        """A string preceded by its 4- or 8-byte length."""
        size = self.u32(what + " size") if size_bytes == 4 else self.u64(what + " size")
        return bytes(self.take(size, what))
