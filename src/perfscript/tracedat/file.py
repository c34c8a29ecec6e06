"""Opening a trace.dat file: the initial header, then the version 6 layout (parts in
a row, options, flyrecord table) or the version 7 one (OPTIONS sections pointing at
metadata and buffer sections)."""

import mmap
import os

from . import options as opt
from .metadata import (
    Metadata, read_cmdlines, read_event_formats, read_ftrace_formats, read_headers,
    read_kallsyms, read_printk,
)
from .reader import TraceDatError, trace_reader
from .sections import Decompressor, read_section

MAGIC = b"\x17\x08\x44tracing"


def is_tracedat(path):
    """Whether `path` is a regular file starting with trace-cmd's magic (a pipe or a
    device is not read: its bytes would be lost to the reader)."""
    if not os.path.isfile(path):
        return False
    try:
        with open(path, "rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except OSError:
        return False
SECTIONED_VERSION = 7
# clocks whose timestamps are nanoseconds (trace-cmd then prints secs.usecs)
_NSEC_CLOCKS = ("local", "global", "uptime", "perf", "tai", "tsc2nsec")

_SECTION_READERS = {
    opt.HEADER_INFO: (read_headers, "headers"),
    opt.FTRACE_EVENTS: (read_ftrace_formats, "ftrace events"),
    opt.EVENT_FORMATS: (read_event_formats, "event formats"),
    opt.KALLSYMS: (read_kallsyms, "kallsyms"),
    opt.PRINTK: (read_printk, "printk"),
    opt.CMDLINES: (read_cmdlines, "command lines"),
}


def _clock_in_nsecs(clock):
    return clock in _NSEC_CLOCKS or clock.startswith("mono")


class TraceDat:
    """A parsed trace.dat header and where its per-CPU data is.

    Attributes: version, big_endian, long_size (file header), page_size,
    compression (name, version) or None, meta (Metadata), options (Options),
    cpus (the count trace-cmd reports), cpu_data ([CpuData] of the top buffer),
    compressed_data (the buffer section is compressed), trace_clock, in_usecs,
    latency_text (bytes, for latency-format files, else None), instances (names of
    other trace instances, which are not read), decompressor (version 7).
    """

    def __init__(self, path):
        self.path = path
        self._file = open(path, "rb")
        try:
            size = os.fstat(self._file.fileno()).st_size
            if size == 0:
                raise TraceDatError("empty file (not a trace.dat file)", path, 0)
            self.buf = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        except BaseException:
            self._file.close()
            raise
        try:
            self._parse()
        except BaseException:
            self.close()
            raise

    def close(self):
        buf, self.buf = getattr(self, "buf", None), None
        if buf is not None:
            try:
                buf.close()
            except BufferError:
                pass   # a page view is still alive; the mapping goes with it
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------ header

    def _parse(self):
        cur = trace_reader(self.buf, self.path)
        if bytes(cur.take(len(MAGIC), "magic")) != MAGIC:
            raise cur.error("bad magic (not a trace.dat file)", at=0)
        text = cur.cstring("version string", limit=64)
        if not text.isdigit():
            raise cur.error("bad version string %r" % text, at=len(MAGIC))
        self.version = int(text)
        if self.version not in (6, SECTIONED_VERSION):
            raise cur.error("trace.dat version %d is not supported (6 and 7 are)"
                            % self.version, at=len(MAGIC))
        self.big_endian = bool(cur.u8("endianness"))
        cur.set_endian(self.big_endian)
        self.long_size = cur.u8("long size")
        if self.long_size not in (4, 8):
            raise cur.error("long size %d (expected 4 or 8)" % self.long_size, at=cur.pos - 1)
        self.page_size = cur.u32("page size")
        if self.page_size < 64 or self.page_size & (self.page_size - 1) or \
                self.page_size > 1 << 24:
            raise cur.error("page size %d is not a power of two" % self.page_size,
                            at=cur.pos - 4)
        self.meta = Metadata(long_size=self.long_size, big_endian=self.big_endian)
        self.options = opt.Options()
        self.compression = None
        self.compressed_data = False
        self.latency_text = None
        self.cpu_data = []
        self.trace_clock = None
        self.instances = []
        self.decompressor = None
        if self.version == SECTIONED_VERSION:
            self._parse_v7(cur)
        else:
            self._parse_v6(cur)
        clock = self.trace_clock
        self.in_usecs = clock is None or _clock_in_nsecs(clock) or bool(self.options.tsc_mult)

    # ------------------------------------------------------------ version 6

    def _parse_v6(self, cur):
        meta = self.meta
        read_headers(cur, meta)
        read_ftrace_formats(cur, meta)
        read_event_formats(cur, meta)
        read_kallsyms(cur, meta)
        read_printk(cur, meta)
        read_cmdlines(cur, meta)
        self.cpus = cur.u32("cpu count")
        if self.cpus > 1 << 16:
            raise cur.error("%d cpus" % self.cpus, at=cur.pos - 4)
        kind = bytes(cur.take(10, "data kind"))
        if kind.startswith(b"options"):
            self._read_options(cur, sectioned=False)
            if self.options.cpucount is not None:
                self.cpus = self.options.cpucount
            kind = bytes(cur.take(10, "data kind"))
        if kind.startswith(b"latency"):
            self.latency_text = bytes(self.buf[cur.pos:])
            return
        if not kind.startswith(b"flyrecord"):
            raise cur.error("expected 'flyrecord' or 'latency', read %r" % kind,
                            at=cur.pos - 10)
        if self.cpus * 16 > cur.left:
            raise cur.error("flyrecord table of %d cpus does not fit" % self.cpus)
        for cpu in range(self.cpus):
            offset = cur.u64("cpu %d data offset" % cpu)
            size = cur.u64("cpu %d data size" % cpu)
            self.cpu_data.append(opt.CpuData(cpu, offset, size))
        if self.options.use_trace_clock:
            try:
                size = cur.u64("trace_clock size")
                text = bytes(cur.take(size, "trace_clock")).decode("utf-8", "replace")
            except TraceDatError:
                text = "[local]"
            self.trace_clock = _current_clock(text) or None
        self._check_cpu_data()
        self.instances = [b.name for b in self.options.buffers if b.name]

    def _read_options(self, cur, sectioned):
        """Options until DONE; in version 7 DONE holds the next section's offset."""
        while True:
            option = cur.u16("option id")
            if option == opt.DONE and not sectioned:
                return None
            size = cur.u32("option %d size" % option)
            start = cur.pos
            data = cur.take(size, "option %d" % option)
            if option == opt.DONE:
                return cur.over(bytes(data)).u64("next options")
            opt.apply_option(self.options, option, data, cur.at(start), sectioned)

    # ------------------------------------------------------------ version 7

    def _parse_v7(self, cur):
        name = cur.cstring("compression name", limit=64)
        version = cur.cstring("compression version", limit=64)
        self.compression = None if name == "none" else (name, version)
        decompressor = Decompressor(name, self.path)
        offset = cur.u64("first options offset")
        seen = set()
        while offset:
            if offset in seen:
                raise cur.error("options sections form a loop at %d" % offset, at=offset)
            seen.add(offset)
            sec, _ = read_section(self.buf, self.path, self.big_endian, offset,
                                  decompressor, opt.DONE, "options")
            offset = self._read_options(sec, sectioned=True)
        self.cpus = self.options.cpucount or 0
        for section_id in opt.SECTION_OPTIONS:
            where = self.options.sections.get(section_id)
            if where is None:
                continue
            reader, what = _SECTION_READERS[section_id]
            sec, _ = read_section(self.buf, self.path, self.big_endian, where,
                                  decompressor, section_id, what)
            reader(sec, self.meta)
        top = [b for b in self.options.buffers if not b.name]
        self.instances = [b.name for b in self.options.buffers if b.name]
        if not top:
            raise cur.error("no BUFFER option for the top trace instance", at=0)
        buffer = top[0]
        self.trace_clock = buffer.clock
        self.decompressor = decompressor
        if buffer.latency:
            sec, _ = read_section(self.buf, self.path, self.big_endian, buffer.offset,
                                  decompressor, opt.BUFFER_TEXT, "buffer text")
            self.latency_text = bytes(sec.buf[sec.pos:])
            return
        flags = self._buffer_flags(buffer)
        self.compressed_data = bool(flags & 1)
        if self.compressed_data and not decompressor.supported():
            raise cur.error("compression %r is not supported" % name, at=len(MAGIC))
        self.cpu_data = list(buffer.cpus)
        self._check_cpu_data()

    def _buffer_flags(self, buffer):
        """The flyrecord section's flags (its data is read CPU by CPU, not here)."""
        cur = trace_reader(self.buf, self.path, self.big_endian, pos=buffer.offset)
        if buffer.offset > len(self.buf):
            raise cur.error("buffer section offset %d is outside the file"
                            % buffer.offset, at=0)
        section_id = cur.u16("buffer section id")
        flags = cur.u16("buffer section flags")
        if section_id != opt.BUFFER:
            raise cur.error("buffer section: id %d, expected %d" % (section_id, opt.BUFFER),
                            at=buffer.offset)
        return flags

    def _check_cpu_data(self):
        if self.cpu_data and self.meta.timestamp_size != 8:
            raise TraceDatError("header_page gives a %d-byte page timestamp (8 expected)"
                                % self.meta.timestamp_size, self.path, 0)
        for data in self.cpu_data:
            if data.size and data.offset + data.size > len(self.buf):
                raise TraceDatError(
                    "cpu %d data (%d bytes at offset %d) runs past the end of the file "
                    "(%d bytes): truncated?" % (data.cpu, data.size, data.offset,
                                                len(self.buf)),
                    self.path, data.offset)
            if not self.compressed_data and data.size and data.offset % self.page_size:
                raise TraceDatError("cpu %d data offset %d is not page aligned"
                                    % (data.cpu, data.offset), self.path, data.offset)


def _current_clock(text):
    """The clock in brackets in a trace_clock file ("[local] global ...")."""
    for word in text.split():
        if word.startswith("["):
            return word.strip("[]\0")
    return ""
