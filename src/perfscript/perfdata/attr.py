"""perf_event_attr of every size perf has written (64 bytes in 2.6.x up to 136+ today)."""

import struct

from perfscript.errors import PerfDataError

# The size of perf_event_attr in the perf 6.1 build whose memory image scripts see as
# perf_sample_dict['attr'].
PERF_61_ATTR_SIZE = 128
ATTR_SIZE_VER0 = 64

# (name, struct code, offset) of every field after `size`; a field exists in an attr only
# when the attr's size covers it.
_FIELDS = (
    ("config", "Q", 8),
    ("sample_period", "Q", 16),
    ("sample_type", "Q", 24),
    ("read_format", "Q", 32),
    ("flags", "Q", 40),
    ("wakeup_events", "I", 48),
    ("bp_type", "I", 52),
    ("config1", "Q", 56),
    ("config2", "Q", 64),
    ("branch_sample_type", "Q", 72),
    ("sample_regs_user", "Q", 80),
    ("sample_stack_user", "I", 88),
    ("clockid", "i", 92),
    ("sample_regs_intr", "Q", 96),
    ("aux_watermark", "I", 104),
    ("sample_max_stack", "H", 108),
    ("aux_sample_size", "I", 112),
    ("sig_data", "Q", 120),
    ("config3", "Q", 128),
)

# fields perf 6.1's byte swapping forgets
_NOT_SWAPPED_BY_PERF = ("clockid", "sample_regs_intr", "sig_data", "config3")

# bits of the flags word (bit 0 = `disabled`)
FLAG_INHERIT = 1 << 1
FLAG_FREQ = 1 << 10
FLAG_SAMPLE_ID_ALL = 1 << 18
FLAG_MMAP2 = 1 << 23
FLAG_COMM_EXEC = 1 << 24
FLAG_CONTEXT_SWITCH = 1 << 26


def _reverse_bits64(v):
    """Big-endian compilers allocate bitfields from the top bit down."""
    return int(format(v, "064b")[::-1], 2)


class Attr:
    """One event's perf_event_attr, decoded, plus its raw bytes as recorded."""

    __slots__ = tuple(name for name, _, _ in _FIELDS) + ("type", "size", "raw", "endian")

    def __init__(self, raw, endian="<"):
        self.raw = bytes(raw)
        self.endian = endian
        self.type, self.size = struct.unpack_from(endian + "II", self.raw, 0)
        for name, code, off in _FIELDS:
            if off + struct.calcsize(code) <= len(self.raw):
                value = struct.unpack_from(endian + code, self.raw, off)[0]
            else:
                value = 0
            setattr(self, name, value)
        if endian == ">":
            self.flags = _reverse_bits64(self.flags)

    @classmethod
    def parse(cls, buf, offset, avail, endian, path=None):
        """Read the attr at `offset`, honouring its own size field (0 means VER0)."""
        if avail < 8:
            raise PerfDataError("perf_event_attr truncated (%d bytes)" % avail, path, offset)
        size = struct.unpack_from(endian + "I", buf, offset + 4)[0] or ATTR_SIZE_VER0
        if size < ATTR_SIZE_VER0 or size > avail:
            raise PerfDataError("perf_event_attr size %d does not fit in %d bytes" % (size, avail),
                                path, offset)
        return cls(bytes(buf[offset:offset + size]), endian)

    @property
    def sample_id_all(self):
        return bool(self.flags & FLAG_SAMPLE_ID_ALL)

    @property
    def freq(self):
        return bool(self.flags & FLAG_FREQ)

    def memory_image(self):
        """The attr as perf 6.1 holds it in memory (perf_sample_dict['attr']): 128 bytes,
        zero-padded. For a file of the other byte order perf 6.1 swaps the fields it
        knows (perf_event__attr_swap) and leaves clockid, sample_regs_intr, sig_data and
        config3 as they were in the file; we hand scripts the same bytes."""
        if self.endian == "<":
            raw = self.raw
        else:
            raw = bytearray(self.raw)
            struct.pack_into("<II", raw, 0, self.type, self.size)
            for name, code, off in _FIELDS:
                if name in _NOT_SWAPPED_BY_PERF or off >= min(self.size, len(raw)):
                    continue
                if off + struct.calcsize(code) <= len(raw):
                    struct.pack_into("<" + code, raw, off, getattr(self, name))
            raw = bytes(raw)
        raw = raw[:PERF_61_ATTR_SIZE]
        return raw + bytes(PERF_61_ATTR_SIZE - len(raw))
