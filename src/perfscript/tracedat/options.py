"""trace.dat options: small typed records between the metadata and the trace data
(version 6) or in OPTIONS sections (version 7). Only those that change what
`trace-cmd report` prints are interpreted; the others are kept raw."""

from dataclasses import dataclass, field as dc_field

from .reader import NAME_LIMIT

DONE, DATE, CPUSTAT, BUFFER, TRACECLOCK, UNAME = 0, 1, 2, 3, 4, 5
HOOK, OFFSET, CPUCOUNT, VERSION, PROCMAPS, TRACEID = 6, 7, 8, 9, 10, 11
TIME_SHIFT, GUEST, TSC2NSEC, STRINGS = 12, 13, 14, 15
HEADER_INFO, FTRACE_EVENTS, EVENT_FORMATS, KALLSYMS, PRINTK, CMDLINES = 16, 17, 18, 19, 20, 21
BUFFER_TEXT = 22

# metadata sections an option points to (version 7), in the order they must be read
SECTION_OPTIONS = (HEADER_INFO, FTRACE_EVENTS, EVENT_FORMATS, KALLSYMS, PRINTK, CMDLINES)


@dataclass(eq=False)
class CpuData:
    """Where one CPU's ring-buffer pages are: file offset and size (compressed
    size when the buffer section is compressed)."""

    cpu: int
    offset: int
    size: int


@dataclass(eq=False)
class Buffer:
    """A BUFFER / BUFFER_TEXT option: one trace instance ("" is the top one)."""

    name: str
    offset: int
    clock: str | None = None
    page_size: int | None = None
    latency: bool = False
    cpus: list = dc_field(default_factory=list)


@dataclass(eq=False)
class Options:
    raw: list = dc_field(default_factory=list)        # [(id, bytes)] in file order
    ts_offset: int = 0
    tsc_mult: int = 0
    tsc_shift: int = 0
    use_trace_clock: bool = False
    cpucount: int | None = None
    buffers: list = dc_field(default_factory=list)
    sections: dict = dc_field(default_factory=dict)   # section id -> file offset
    uname: str | None = None
    version: str | None = None


def _text(data):
    return bytes(data).split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _strtoll(text):
    """C strtoll(text, NULL, 0) for the DATE / OFFSET options (0 when unreadable)."""
    text = text.strip()
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    try:
        if text[:2].lower() == "0x":
            value = int(text[2:] or "0", 16)
        elif text.startswith("0") and len(text) > 1:
            value = int(text, 8)
        else:
            value = int(text or "0")
    except ValueError:
        return 0
    value *= sign
    return max(-(1 << 63), min((1 << 63) - 1, value))


def apply_option(opts, option, data, cur, sectioned):
    """Record one option. `cur` is positioned at the option's data (for errors)."""
    opts.raw.append((option, bytes(data)))
    if option == DATE:
        opts.ts_offset += _strtoll(_text(data)) * 1000
    elif option == OFFSET:
        opts.ts_offset += _strtoll(_text(data))
    elif option == TRACECLOCK:
        opts.use_trace_clock = True
    elif option == CPUCOUNT and len(data) >= 4:
        opts.cpucount = cur.over(bytes(data)).u32("cpu count")
    elif option == UNAME:
        opts.uname = _text(data)
    elif option == VERSION:
        opts.version = _text(data)
    elif option == TSC2NSEC and len(data) >= 16:
        sub = cur.over(bytes(data), base=cur.base + cur.pos)
        opts.tsc_mult = sub.u32("tsc2nsec multiplier")
        opts.tsc_shift = sub.u32("tsc2nsec shift")
    elif option in SECTION_OPTIONS and len(data) >= 8:
        opts.sections[option] = cur.over(bytes(data)).u64("offset")
    elif option in (BUFFER, BUFFER_TEXT):
        opts.buffers.append(_buffer(option, bytes(data), cur, sectioned))


def _buffer(option, data, cur, sectioned):
    sub = cur.over(data, base=cur.base + cur.pos, prefix=cur.prefix + "BUFFER option: ")
    buf = Buffer(name="", offset=sub.u64("offset"))
    buf.name = sub.cstring("instance name", NAME_LIMIT)
    if not sectioned:
        return buf
    buf.clock = sub.cstring("clock", NAME_LIMIT)
    if option == BUFFER_TEXT:
        buf.latency = True
        return buf
    # trace-cmd 3.1 added the page size before the cpu count: tell by the size left
    left = sub.left
    if left >= 8 and (left - 8) % 20 == 0 and (left - 4) % 20 != 0:
        buf.page_size = sub.u32("page size")
    count = sub.u32("cpu count")
    if count * 20 > sub.left:
        raise sub.error("%d cpus do not fit in the option" % count)
    for _ in range(count):
        cpu = sub.u32("cpu id")
        buf.cpus.append(CpuData(cpu, sub.u64("cpu data offset"), sub.u64("cpu data size")))
    return buf
