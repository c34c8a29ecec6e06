"""The tracing-data blob perf stores with tracepoint recordings.

It carries the kernel's event format files, printk formats and saved cmdlines
(HEADER_TRACING_DATA feature in file mode, PERF_RECORD_HEADER_TRACING_DATA in
pipe mode). Every length is checked against the bytes present: a corrupt blob
raises PerfDataError naming the offset, never allocates beyond the input and
never loops longer than the input allows. One bad format file only marks or
drops that event, as perf does.
"""

import re

from perfscript.value_types import fields_repr

from ..bounded_reader import BoundedReader
from .cnum import atof, strtoull
from .format_table import FormatTable

MAGIC = b"\x17\x08\x44tracing"

_COMMIT_SIZE = re.compile(r"field:[^;\n]*\bcommit;\s*offset:\s*\d+;\s*size:\s*(\d+);")
_CMDLINE = re.compile(r"\s*([+-]?\d+)\s+(\S{1,16})")


class TracingData:
    """Decoded blob. `events` maps event id to EventFormat in file order (a
    FormatTable: each parsed on first use; a repeated ID keeps its first
    format, perf's lookup is ambiguous there);
    `unparsed` lists (system, file offset, reason) for formats without a
    readable name/ID, which perf cannot use either. `long_size` is the size of
    header_page's `commit` field when present, as perf uses. In pipe mode the
    record's size is `size` rounded up to 8."""

    __slots__ = ("version", "big_endian", "long_size", "page_size", "header_page",
                 "header_event", "events", "printk", "saved_cmdlines", "kallsyms",
                 "unparsed", "size")

    def __init__(self, version, big_endian, long_size, page_size):
        self.version = version
        self.big_endian = big_endian
        self.long_size = long_size
        self.page_size = page_size
        self.header_page = ""
        self.header_event = b""
        self.events = FormatTable()
        self.printk = {}
        self.saved_cmdlines = {}
        self.kallsyms = b""
        self.unparsed = []
        self.size = 0

    __repr__ = fields_repr

    def find_event(self, system, name):
        """EventFormat by system and name, or None."""
        return self.events.find(system, name)


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
    reader = BoundedReader(buf, path, base=base_offset, prefix="tracing data: ")
    if bytes(reader.take(len(MAGIC), "magic")) != MAGIC:
        raise reader.error("bad magic (not a tracing data blob)", at=0)
    version = reader.cstring("version")
    big_endian = bool(reader.u8("endianness"))
    file_long_size = reader.u8("long size")
    reader.set_endian(big_endian)
    page_size = reader.u32("page size")
    if page_size == 0:
        raise reader.error("page size is 0", at=reader.pos - 4)
    data = TracingData(version=version, big_endian=big_endian,
                       long_size=file_long_size, page_size=page_size)

    if bytes(reader.take(12, "header_page tag")) != b"header_page\0":
        raise reader.error("missing header_page", at=reader.pos - 12)
    size = reader.u64("header_page size")
    data.header_page = _decode(reader.take(size, "header_page"))
    if size:
        data.long_size = _long_size_from_header_page(data.header_page, file_long_size)
    if bytes(reader.take(13, "header_event tag")) != b"header_event\0":
        raise reader.error("missing header_event", at=reader.pos - 13)
    size = reader.u64("header_event size")
    data.header_event = bytes(reader.take(size, "header_event"))

    data.events = FormatTable(long_size=data.long_size, big_endian=big_endian,
                              extended=extended)

    def read_formats(system, count):
        for _ in range(count):
            size = reader.u64("%s format size" % system)
            start = reader.pos
            if not data.events.add(reader.take(size, "%s format" % system), system):
                data.unparsed.append((system, base_offset + start, "no name or ID"))

    read_formats("ftrace", reader.u32("ftrace format count"))
    systems = reader.u32("system count")
    for _ in range(systems):
        system = reader.cstring("system name")
        read_formats(system, reader.u32("event count of " + system))

    size = reader.u32("kallsyms size")
    data.kallsyms = bytes(reader.take(size, "kallsyms"))
    size = reader.u32("printk formats size")
    data.printk = parse_printk_formats(_decode(reader.take(size, "printk formats")))
    if atof(version) >= 0.6:
        size = reader.u64("saved cmdlines size")
        data.saved_cmdlines = parse_saved_cmdlines(
            _decode(reader.take(size, "saved cmdlines")))
    data.size = reader.pos
    return data
