"""`trace-cmd report`'s text for a trace.dat file (trace-cmd 3.1 with the
libtraceevent 1.7 plugins loaded):

    cpus=2
                  sh-16860 [000]  1211.681202: sched_process_exec:   filename=...

One line per record: comm (right-aligned in 16) '-' pid (left-aligned in 5),
[cpu], the timestamp in seconds.microseconds (rounded; raw clock units for
clocks that are not nanoseconds), ' name: ' padded to 20, then the body: a
plugin's format, the bprint expansion, or the event's print_fmt. One trailing
newline of the body is dropped. Dropped events are announced before the record
that follows them."""

import struct
from typing import NamedTuple

from ..ftrace.bprint import make_bprint_renderer
from ..ftrace.render import make_renderer
from ..tracedat.stream import record_chunks
from ..tracedat.kallsyms import KernelSymbols
from .tracecmd_plugins import PLUGINS, CommTable


class _PluginContext(NamedTuple):
    big_endian: bool
    comms: CommTable
    symbols: object     # fn(addr) -> (name, offset) or None
    pretty: object      # fn(raw) -> bytes: the print_fmt text


# one record's line: comm-pid [cpu], the time, then " name: " and the body; the time is
# secs.usecs (rounded) past one second of a nanosecond clock, usecs below, raw clock units
# for other clocks
_SECS_LINE = b"%16s-%-5d [%03d] %5d.%06d:%s%s\n"
_USECS_LINE = b"%16s-%-5d [%03d] %12d:%s%s\n"
_RAW_LINE = b"%16s-%-5d [%03d]%12d:%s%s\n"
_UNKNOWN = object()
_TEXTS_PER_EVENT = 4096     # payload texts kept per event


class Report:
    """Renders the records of one open TraceDat."""

    def __init__(self, tdat, warn=None):
        self.tdat = tdat
        self.meta = tdat.meta
        self.warn = warn or (lambda text: None)
        self.comms = CommTable(self.meta.cmdlines)
        self._ksyms = None
        self._types = {}          # type id -> _event_type(type id)
        self._reuse_texts = warn is None
        self.order = ">" if tdat.big_endian else "<"
        self._common, self._usual_common = self._common_reader(self.order)

    def _common_reader(self, order):
        """fn(raw) -> (type, pid) from the common fields of the file's first event
        (libtraceevent reads every record's type and pid at those offsets), and
        whether they are the usual u16 type at 0 and s32 pid at 4."""
        first = self.meta.events.first()
        codes = {1: "B", 2: "H", 4: "I", 8: "Q"}
        type_field = first.find_any_field("common_type") if first else None
        pid_field = first.find_any_field("common_pid") if first else None

        def reader(f, signed=False):
            if f is None or f.size not in codes:
                return lambda raw: 0
            code = codes[f.size].lower() if signed else codes[f.size]
            unpack, end = struct.Struct(order + code).unpack_from, f.offset + f.size
            offset = f.offset
            return lambda raw: unpack(raw, offset)[0] if len(raw) >= end else 0
        read_type, read_pid = reader(type_field), reader(pid_field, signed=True)
        usual = (type_field is not None and pid_field is not None
                 and (type_field.offset, type_field.size) == (0, 2)
                 and (pid_field.offset, pid_field.size) == (4, 4))
        return (lambda raw: (read_type(raw), read_pid(raw))), usual

    def symbolize(self, addr):
        if self._ksyms is None:
            self._ksyms = KernelSymbols(self.meta.kallsyms)
        return self._ksyms.lookup(addr)

    def _body(self, type_id):
        """fn(raw) -> bytes for the event with this id (None: unknown id)."""
        event = self.meta.events.get(type_id)
        if event is None:
            return None
        if event.is_bprint and not event.failed:
            return make_bprint_renderer(event, long_size=self.meta.long_size,
                                        big_endian=self.tdat.big_endian,
                                        printk=self.meta.printk, symbolize=self.symbolize)
        body = make_renderer(event, long_size=self.meta.long_size,
                             big_endian=self.tdat.big_endian, printk=self.meta.printk,
                             symbolize=self.symbolize, warn=self.warn).bytes
        plugin = PLUGINS.get((event.system, event.name))
        if plugin is not None and not event.failed:
            body = plugin(event, _PluginContext(self.tdat.big_endian, self.comms,
                                                self.symbolize, body))
        return body

    def _event_type(self, type_id):
        """(" name: " padded, {payload: text} of this event's records so far, its
        body) for the event with this id, or None for an unknown id."""
        body = self._body(type_id)
        if body is None:
            kind = None
        else:
            name = self.meta.events[type_id].name.encode("utf-8", "surrogateescape")
            kind = (b" " + name + b": " + b" " * max(0, 20 - len(name)), {}, body)
        self._types[type_id] = kind
        return kind

    def _text(self, texts, body, raw):
        """The body's text of one payload, its trailing newline dropped. A body is
        a function of the payload alone (the sched plugins' comm registrations
        repeat, and change nothing, for a repeated payload), so payloads met before
        (most are: idle CPUs, periodic timers) reuse their text; not when render
        warnings are wanted, which come each time."""
        text = body(raw)
        if text[-1:] == b"\n":
            text = text[:-1]
        if self._reuse_texts:
            if len(texts) >= _TEXTS_PER_EVENT:
                texts.clear()
            texts[raw] = text
        return text

    def lines(self):
        """Yield the report as bytes, a few pages of records at a time."""
        yield b"cpus=%d\n" % self.tdat.cpus
        if self.tdat.latency_text is not None:
            yield self.tdat.latency_text
            return
        common = self._common
        type_pid = struct.Struct(self.order + "H2xi").unpack_from if self._usual_common \
            else None
        comm_of = self.comms.comms.get
        types = self._types
        in_usecs = self.tdat.in_usecs
        for chunk in record_chunks(self.tdat):
            out = []
            append = out.append
            for ts, cpu, raw, missed in chunk:
                if type_pid is not None and len(raw) >= 8:
                    type_id, pid = type_pid(raw)
                else:
                    type_id, pid = common(raw)
                if missed:
                    append(b"CPU:%d [%d EVENTS DROPPED]\n" % (cpu, missed) if missed > 0
                           else b"CPU:%d [EVENTS DROPPED]\n" % cpu)
                comm = comm_of(pid, b"<...>") if pid else b"<idle>"
                kind = types.get(type_id, _UNKNOWN)
                if kind is _UNKNOWN:
                    kind = self._event_type(type_id)
                if kind is None:
                    append(b"%16s-%-5d [%03d]" % (comm, pid, cpu) + self._time(ts)
                           + b" [UNKNOWN TYPE %d]" % type_id
                           + b"".join(b" %02x" % byte for byte in raw) + b"\n")
                    continue
                name, texts, body = kind
                text = texts.get(raw)
                if text is None:
                    text = self._text(texts, body, raw)
                if not in_usecs:
                    append(_RAW_LINE % (comm, pid, cpu, ts, name, text))
                    continue
                usecs = (ts + 500) // 1000
                if usecs > 1000000:
                    append(_SECS_LINE % (comm, pid, cpu, usecs // 1000000, usecs % 1000000,
                                         name, text))
                else:
                    append(_USECS_LINE % (comm, pid, cpu, usecs, name, text))
            yield b"".join(out)

    def _time(self, ts):
        """The time column (with its leading space and colon)."""
        if not self.tdat.in_usecs:
            return b"%12d:" % ts
        usecs = (ts + 500) // 1000
        if usecs > 1000000:
            return b" %5d.%06d:" % (usecs // 1000000, usecs % 1000000)
        return b" %12d:" % usecs


def report(tdat, out, warn=None):
    """Write the whole report to `out` (a binary stream)."""
    write = out.write
    for chunk in Report(tdat, warn=warn).lines():
        write(chunk)
