"""The tracing metadata of a trace.dat file: header page, event formats, kallsyms,
printk formats and saved cmdlines.

Version 6 stores these parts one after the other; version 7 puts each in a section
(maybe compressed). Either way each part is read from a trace_reader by one function here,
into one Metadata. Event formats are parsed by perfscript.ftrace with libtraceevent's
newer helpers enabled (trace-cmd 3.x uses libtraceevent 1.7, not perf's copy).
"""

import re
from dataclasses import dataclass, field as dc_field

from ..ftrace.format_table import FormatTable
from ..ftrace.tracing_data import parse_printk_formats
from .reader import NAME_LIMIT

_FIELD = re.compile(r"field:[^;\n]*?\b(\w+);\s*offset:\s*(\d+);\s*size:\s*(\d+);")
_CMDLINE = re.compile(r"\s*([+-]?\d+)\s+([^\n]*)")


@dataclass(eq=False)
class Metadata:
    """What the formats and side tables say. `events` maps id -> EventFormat (a
    FormatTable: each parsed on first use; the first format of a repeated id
    wins); `cmdlines` is [(pid, comm)] in file order;
    `long_size` is the file header's long size (libtraceevent prints with it);
    `commit_size` the kernel's long in ring-buffer pages (header_page's commit
    field, 0 when the file does not say)."""

    long_size: int
    big_endian: bool
    header_page: str = ""
    timestamp_size: int = 8
    commit_size: int = 0
    events: FormatTable = None
    unparsed: list = dc_field(default_factory=list)
    kallsyms: bytes = b""
    printk: dict = dc_field(default_factory=dict)
    cmdlines: list = dc_field(default_factory=list)

    def __post_init__(self):
        if self.events is None:
            self.events = FormatTable(long_size=self.long_size, big_endian=self.big_endian,
                                      extended=True)

    def find_event(self, system, name):
        return self.events.find(system, name)


def read_headers(cur, meta):
    """header_page and header_event: the ring-buffer page layout."""
    if bytes(cur.take(12, "header_page tag")) != b"header_page\0":
        raise cur.error("expected 'header_page'", at=cur.pos - 12)
    text = bytes(cur.take(cur.u64("header_page size"), "header_page"))
    meta.header_page = text.decode("utf-8", "surrogateescape")
    fields = {name: (int(offset), int(size)) for name, offset, size
              in _FIELD.findall(meta.header_page)}
    if "timestamp" in fields:
        meta.timestamp_size = fields["timestamp"][1]
    if "commit" in fields and fields["commit"][1] in (4, 8):
        meta.commit_size = fields["commit"][1]
    if bytes(cur.take(13, "header_event tag")) != b"header_event\0":
        raise cur.error("expected 'header_event'", at=cur.pos - 13)
    cur.take(cur.u64("header_event size"), "header_event")


def _read_formats(cur, meta, system, count):
    for _ in range(count):
        size = cur.u64("%s format size" % system)
        start = cur.pos
        if not meta.events.add(cur.take(size, "%s format" % system), system):
            meta.unparsed.append((system, cur.base + start))


def read_ftrace_formats(cur, meta):
    _read_formats(cur, meta, "ftrace", cur.u32("ftrace format count"))


def read_event_formats(cur, meta):
    for _ in range(cur.u32("system count")):
        system = cur.cstring("system name", NAME_LIMIT)
        _read_formats(cur, meta, system, cur.u32("event count of " + system))


def read_kallsyms(cur, meta):
    meta.kallsyms = bytes(cur.take(cur.u32("kallsyms size"), "kallsyms"))


def read_printk(cur, meta):
    text = bytes(cur.take(cur.u32("printk formats size"), "printk formats"))
    meta.printk = parse_printk_formats(text.decode("utf-8", "surrogateescape"))


def read_cmdlines(cur, meta):
    text = bytes(cur.take(cur.u64("saved cmdlines size"), "saved cmdlines"))
    meta.cmdlines = parse_cmdlines(text.decode("utf-8", "surrogateescape"))


def parse_cmdlines(text):
    """`pid comm` lines -> [(pid, comm)]: the comm is the rest of the line (it may
    hold spaces), as libtraceevent's saved-cmdlines parser reads it."""
    out = []
    for line in text.split("\n"):
        match = _CMDLINE.match(line)
        if match and match.group(2):
            pid = int(match.group(1))
            if -(1 << 31) <= pid < (1 << 31):
                out.append((pid, match.group(2)))
    return out
