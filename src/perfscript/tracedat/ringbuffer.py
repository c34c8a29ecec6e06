"""Ring-buffer pages as the kernel writes them (and libtraceevent's kbuffer reads
them): a page header (timestamp, commit word), then events, each with a 32-bit
header of type_len (5 bits) and time_delta (27 bits).

type_len 1..28: data of type_len*4 bytes; 0: the length follows in a 32-bit word
(it counts itself); 29: padding; 30: time extend (delta high bits follow);
31: absolute timestamp. Every length is checked against the page: a corrupt page
raises TraceDatError naming the page and the offset, it never loops."""

import struct

from .reader import TraceDatError

PADDING, TIME_EXTEND, TIME_STAMP = 29, 30, 31
TS_SHIFT = 27
_DELTA_MASK = (1 << 27) - 1
COMMIT_MASK = (1 << 27) - 1
MISSED_EVENTS = 1 << 31
MISSED_STORED = 1 << 30
# absolute timestamps lack the 5 top bits; they come from the running time
_TS_MSB = 0xF8 << 56


class PageReader:
    """Decodes pages of one file: byte order and the kernel's long size fixed."""

    def __init__(self, big_endian, long_size, path):
        order = ">" if big_endian else "<"
        self.big_endian = big_endian
        self.u32 = struct.Struct(order + "I").unpack_from
        self.u64 = struct.Struct(order + "Q").unpack_from
        self.long = self.u64 if long_size == 8 else self.u32
        self.start = 16 if long_size == 8 else 12
        self.long_size = long_size
        self.path = path

    def events(self, page, file_offset):
        """Yield (raw timestamp, data, missed events) for each data event of `page`
        (data: a slice of `page`, bytes when `page` is). Like kbuffer, missed events
        (-1 when the kernel did not count them) are reported only when the page starts
        with a data event. A damaged event raises after the ones before it."""
        out = []
        try:
            self.read(page, file_offset, out)
        except TraceDatError:
            for ts, _, data, missed in out:
                yield ts, data, missed
            raise
        for ts, _, data, missed in out:
            yield ts, data, missed

    def read(self, page, file_offset, out, cpu=None):
        """Append events() of `page` to the list `out` as (ts, cpu, data, missed)
        tuples (raising where events() raises)."""
        start = self.start
        if len(page) < start:
            raise TraceDatError("ring-buffer page of %d bytes is shorter than its header"
                                % len(page), self.path, file_offset)
        ts = self.u64(page, 0)[0]
        flags = self.long(page, 8)[0]
        size = flags & COMMIT_MASK
        end = start + size
        if end > len(page):
            raise TraceDatError("ring-buffer page commit %d exceeds the page (%d bytes)"
                                % (size, len(page) - start), self.path, file_offset + 8)
        missed = 0
        if flags & MISSED_EVENTS:
            missed = -1
            if flags & MISSED_STORED and end + self.long_size <= len(page):
                missed = self.long(page, end)[0]
        u32 = self.u32
        big = self.big_endian
        append = out.append
        pos = start
        while pos < end:
            if pos + 4 > end:
                raise self._error("event header", pos, end, file_offset)
            word = u32(page, pos)[0]
            if big:
                type_len, delta = word >> 27, word & _DELTA_MASK
            else:
                type_len, delta = word & 31, word >> 5
            pos += 4
            if type_len <= 28 and type_len:     # the usual event: data of type_len words
                length = type_len * 4
                if pos + length > end:
                    raise self._error("event of %d bytes" % length, pos, end, file_offset)
                ts += delta
                append((ts, cpu, page[pos:pos + length], missed))
                missed = 0
                pos += length
                continue
            if type_len == PADDING:
                missed = 0      # only a data event at the page's start reports it
                length = u32(page, pos)[0] if pos + 4 <= end else end - pos
                ts += delta
                pos += length
                continue
            if type_len == TIME_EXTEND or type_len == TIME_STAMP:
                if pos + 4 > end:
                    raise self._error("time extend", pos, end, file_offset)
                missed = 0
                extend = (u32(page, pos)[0] << TS_SHIFT) + delta
                pos += 4
                if type_len == TIME_STAMP:
                    ts = extend | (ts & _TS_MSB)
                else:
                    ts += extend
                continue
            if pos + 4 > end:                   # type_len 0: a length word follows
                raise self._error("event length", pos, end, file_offset)
            length = u32(page, pos)[0] - 4
            if length < 0:
                raise TraceDatError("event length word %d at page offset %d is below 4"
                                    % (length + 4, pos), self.path, file_offset + pos)
            length = (length + 3) & ~3
            pos += 4
            if pos + length > end:
                raise self._error("event of %d bytes" % length, pos, end, file_offset)
            ts += delta
            append((ts, cpu, page[pos:pos + length], missed))
            missed = 0
            pos += length

    def _error(self, what, pos, end, file_offset):
        return TraceDatError("%s at page offset %d runs past the page's data (%d bytes)"
                             % (what, pos, end - self.start), self.path, file_offset + pos)
