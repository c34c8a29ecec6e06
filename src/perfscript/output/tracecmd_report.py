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
from ..tracedat import records
from ..tracedat.kallsyms import KernelSymbols
from .tracecmd_plugins import PLUGINS, CommTable


class _PluginContext(NamedTuple):
    big_endian: bool
    comms: CommTable
    symbols: object     # fn(addr) -> (name, offset) or None
    pretty: object      # fn(raw) -> bytes: the print_fmt text


def _usecs_time(ts):
    usecs = (ts + 500) // 1000
    if 1000000 < usecs:
        return b" %5d.%06d:" % (usecs // 1000000, usecs % 1000000)
    return b" %12d:" % usecs


def _raw_time(ts):
    return b"%12d:" % ts


class Report:
    """Renders the records of one open TraceDat."""

    def __init__(self, tdat, warn=None):
        self.tdat = tdat
        self.meta = tdat.meta
        self.warn = warn or (lambda text: None)
        self.comms = CommTable(self.meta.cmdlines)
        self._ksyms = None
        self._bodies = {}
        self._names = {}
        self.time = _usecs_time if tdat.in_usecs else _raw_time
        order = ">" if tdat.big_endian else "<"
        self._common = self._common_reader(order)

    def _common_reader(self, order):
        """fn(raw) -> (type, pid) from the common fields of the file's first event
        (libtraceevent reads every record's type and pid at those offsets)."""
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
        return lambda raw: (read_type(raw), read_pid(raw))

    def symbolize(self, addr):
        if self._ksyms is None:
            self._ksyms = KernelSymbols(self.meta.kallsyms)
        return self._ksyms.lookup(addr)

    def _body(self, type_id):
        """fn(raw) -> bytes for the event with this id (None: unknown id)."""
        body = self._bodies.get(type_id)
        if body is not None or type_id in self._bodies:
            return body
        event = self.meta.events.get(type_id)
        if event is None:
            body = None
        elif event.is_bprint and not event.failed:
            body = make_bprint_renderer(event, long_size=self.meta.long_size,
                                        big_endian=self.tdat.big_endian,
                                        printk=self.meta.printk, symbolize=self.symbolize)
        else:
            body = make_renderer(event, long_size=self.meta.long_size,
                                 big_endian=self.tdat.big_endian, printk=self.meta.printk,
                                 symbolize=self.symbolize, warn=self.warn).bytes
            plugin = PLUGINS.get((event.system, event.name))
            if plugin is not None and not event.failed:
                body = plugin(event, _PluginContext(self.tdat.big_endian, self.comms,
                                                    self.symbolize, body))
        self._bodies[type_id] = body
        if event is not None:
            name = event.name.encode("utf-8", "surrogateescape")
            self._names[type_id] = b" " + name + b": " + b" " * max(0, 20 - len(name))
        return body

    def lines(self):
        """Yield the report as bytes, one record (maybe several lines) at a time."""
        yield b"cpus=%d\n" % self.tdat.cpus
        if self.tdat.latency_text is not None:
            yield self.tdat.latency_text
            return
        common = self._common
        comms = self.comms
        time = self.time
        for rec in records(self.tdat):
            raw = bytes(rec.data)
            type_id, pid = common(raw)
            out = []
            if rec.missed > 0:
                out.append(b"CPU:%d [%d EVENTS DROPPED]\n" % (rec.cpu, rec.missed))
            elif rec.missed < 0:
                out.append(b"CPU:%d [EVENTS DROPPED]\n" % rec.cpu)
            out.append(b"%16s-%-5d [%03d]" % (comms.lookup(pid), pid, rec.cpu))
            out.append(time(rec.ts))
            body = self._body(type_id)
            if body is None:
                out.append(b" [UNKNOWN TYPE %d]" % type_id)
                out.append(b"".join(b" %02x" % byte for byte in bytes(raw)))
            else:
                out.append(self._names[type_id])
                text = body(raw)
                if text.endswith(b"\n"):
                    text = text[:-1]
                out.append(text)
            out.append(b"\n")
            yield b"".join(out)


def report(tdat, out, warn=None):
    """Write the whole report to `out` (a binary stream)."""
    write = out.write
    for chunk in Report(tdat, warn=warn).lines():
        write(chunk)
