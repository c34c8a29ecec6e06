"""The tracing-data blob perf stores with tracepoint recordings.

It carries the kernel's event format files, printk formats and saved cmdlines
(HEADER_TRACING_DATA feature in file mode, PERF_RECORD_HEADER_TRACING_DATA in
pipe mode). Every length is checked against the bytes present: a corrupt blob
raises PerfDataError naming the offset, never allocates beyond the input and
never loops longer than the input allows. One bad format file only marks or
drops that event, as perf does.
"""

import re
import struct
from dataclasses import dataclass, field as dc_field

from ..errors import PerfDataError
from .cnum import atof, strtoull
from .format import parse_format
from .printfmt import _FlagState

MAGIC = b"\x17\x08\x44tracing"

_COMMIT_SIZE = re.compile(r"field:[^;\n]*\bcommit;\s*offset:\s*\d+;\s*size:\s*(\d+);")
_CMDLINE = re.compile(r"\s*([+-]?\d+)\s+(\S{1,16})")


@dataclass(slots=True, eq=False)
class TracingData:
    """Decoded blob. `events` maps event id to EventFormat in file order (a
    repeated ID keeps its first format; perf's lookup is ambiguous there);
    `unparsed` lists (system, file offset, reason) for formats without a
    readable name/ID, which perf cannot use either. `long_size` is the size of
    header_page's `commit` field when present, as perf uses. In pipe mode the
    record's size is `size` rounded up to 8."""

    version: str
    big_endian: bool
    long_size: int
    page_size: int
    header_page: str = ""
    header_event: bytes = b""
    events: dict = dc_field(default_factory=dict)
    printk: dict = dc_field(default_factory=dict)
    saved_cmdlines: dict = dc_field(default_factory=dict)
    kallsyms: bytes = b""
    unparsed: list = dc_field(default_factory=list)
    size: int = 0

    def find_event(self, system, name):
        """EventFormat by system and name, or None."""
        for event in self.events.values():
            if event.name == name and event.system == system:
                return event
        return None


class _Reader:
    """Bounds-checked cursor over the blob."""

    def __init__(self, buf, path, base_offset):
        self.buf = buf
        self.pos = 0
        self.path = path
        self.base = base_offset
        self.u32 = struct.Struct("<I")
        self.u64 = struct.Struct("<Q")

    def error(self, what, at=None):
        return PerfDataError("tracing data: " + what, self.path,
                             self.base + (self.pos if at is None else at))

    def take(self, size, what):
        if size < 0 or size > len(self.buf) - self.pos:
            raise self.error("%s: %d bytes needed, %d left"
                             % (what, size, len(self.buf) - self.pos))
        start = self.pos
        self.pos += size
        return self.buf[start:self.pos]

    def read_u32(self, what):
        return self.u32.unpack(self.take(4, what))[0]

    def read_u64(self, what):
        return self.u64.unpack(self.take(8, what))[0]

    def read_cstring(self, what):
        end = self.buf.find(b"\0", self.pos)
        if end < 0:
            raise self.error("%s: no terminating NUL" % what)
        text = self.buf[self.pos:end]
        self.pos = end + 1
        return bytes(text).decode("utf-8", "surrogateescape")

    def set_endian(self, big):
        order = ">" if big else "<"
        self.u32 = struct.Struct(order + "I")
        self.u64 = struct.Struct(order + "Q")


def _long_size_from_header_page(text, file_long_size):
    """perf uses the size of header_page's `commit` field (the kernel's long)."""
    match = _COMMIT_SIZE.search(text)
    if match:
        size = int(match.group(1))
        if size in (4, 8):
            return size
    return file_long_size


def parse_printk_formats(text):
    """`0xaddr : "fmt"` lines -> {addr: fmt}, trimmed as libtraceevent does."""
    result = {}
    for line in text.split("\n"):
        stripped = line.lstrip(":")
        if not stripped:
            continue
        addr_text, sep, fmt = stripped.partition(":")
        if not sep:
            continue
        fmt = fmt[1:]
        if fmt.startswith('"'):
            fmt = fmt[1:]
        if fmt.endswith('"'):
            fmt = fmt[:-1]
            if fmt.endswith("\\n"):
                fmt = fmt[:-2]
        result.setdefault(strtoull(addr_text, 16), fmt)
    return result


def parse_saved_cmdlines(text):
    """`pid comm` lines -> {pid: comm} (comm cut at 16 chars, first one wins)."""
    result = {}
    for line in text.split("\n"):
        match = _CMDLINE.match(line)
        if match:
            pid = int(match.group(1))
            if -(1 << 31) <= pid < (1 << 31):
                result.setdefault(pid, match.group(2))
    return result


def _decode(data):
    return bytes(data).decode("utf-8", "surrogateescape")


def parse_tracing_data(buf, *, path=None, base_offset=0, extended=False):
    """Parse a tracing-data blob (bytes or memoryview) into TracingData.

    base_offset is the blob's position in the file, for error locations.
    `extended` is passed to parse_format (helpers newer than perf 6.1).
    """
    buf = memoryview(buf).cast("B") if not isinstance(buf, (bytes, bytearray)) else buf
    reader = _Reader(buf, path, base_offset)
    if bytes(reader.take(len(MAGIC), "magic")) != MAGIC:
        raise reader.error("bad magic (not a tracing data blob)", at=0)
    version = reader.read_cstring("version")
    big_endian = bool(reader.take(1, "endianness")[0])
    file_long_size = reader.take(1, "long size")[0]
    reader.set_endian(big_endian)
    page_size = reader.read_u32("page size")
    if page_size == 0:
        raise reader.error("page size is 0", at=reader.pos - 4)
    data = TracingData(version=version, big_endian=big_endian,
                       long_size=file_long_size, page_size=page_size)

    if bytes(reader.take(12, "header_page tag")) != b"header_page\0":
        raise reader.error("missing header_page", at=reader.pos - 12)
    size = reader.read_u64("header_page size")
    data.header_page = _decode(reader.take(size, "header_page"))
    if size:
        data.long_size = _long_size_from_header_page(data.header_page, file_long_size)
    if bytes(reader.take(13, "header_event tag")) != b"header_event\0":
        raise reader.error("missing header_event", at=reader.pos - 13)
    size = reader.read_u64("header_event size")
    data.header_event = bytes(reader.take(size, "header_event"))

    flag_state = _FlagState()

    def read_formats(system, count):
        for _ in range(count):
            size = reader.read_u64("%s format size" % system)
            start = reader.pos
            text = reader.take(size, "%s format" % system)
            event = parse_format(bytes(text), system, long_size=data.long_size,
                                 big_endian=big_endian, extended=extended,
                                 _flag_state=flag_state)
            if event is None:
                data.unparsed.append((system, base_offset + start, "no name or ID"))
            else:
                data.events.setdefault(event.id, event)

    read_formats("ftrace", reader.read_u32("ftrace format count"))
    systems = reader.read_u32("system count")
    for _ in range(systems):
        system = reader.read_cstring("system name")
        read_formats(system, reader.read_u32("event count of " + system))

    size = reader.read_u32("kallsyms size")
    data.kallsyms = bytes(reader.take(size, "kallsyms"))
    size = reader.read_u32("printk formats size")
    data.printk = parse_printk_formats(_decode(reader.take(size, "printk formats")))
    if atof(version) >= 0.6:
        size = reader.read_u64("saved cmdlines size")
        data.saved_cmdlines = parse_saved_cmdlines(
            _decode(reader.take(size, "saved cmdlines")))
    data.size = reader.pos
    return data
