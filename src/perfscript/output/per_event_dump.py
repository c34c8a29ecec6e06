"""--per-event-dump: each event's sample lines go to `<input>.<event name>.dump` instead of
stdout (side-band lines stay on stdout), and the end of the run says what each file got.

perf opens the files before reading any record (every event gets one, samples or not;
in pipe mode as each event's attr arrives, when a tracepoint is still "unknown
tracepoint", and stdin's name is "(null)") and reports each file's size as fstat sees it
before fclose: only the whole stdio blocks flushed so far, which `Wrote %.3f MB` shows.
"""

import os

from perfscript.output.text import TextPrinter
from perfscript.session.batched import deliver_each
from perfscript.session.evsel import synthesized_name


class DumpFile:
    """One event's dump file as perf's stdio stream of it: whole blocks reach the file
    as they fill, at this stream's own position (events whose names meet open the same
    path twice and overwrite each other, as in perf), the rest when it closes."""

    def __init__(self, path):
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            self.block = os.fstat(self.fd).st_blksize or 4096
        except OSError:
            self.block = 4096
        self.pending = bytearray()
        self.pos = 0
        self.samples = 0

    def write(self, text):
        pending = self.pending
        pending += text.encode("utf-8", "surrogateescape")
        self.samples += 1
        if len(pending) >= self.block:
            n = len(pending) - len(pending) % self.block
            self.pos += os.pwrite(self.fd, pending[:n], self.pos)
            del pending[:n]

    def report(self):
        """perf's line for this file (its size as fstat sees it before fclose), then
        the file is closed."""
        size = os.fstat(self.fd).st_size
        line = "[ perf script: Wrote %.3f MB %s (%d samples) ]\n" % (
            size / 1024.0 / 1024.0, self.path, self.samples)
        try:
            os.pwrite(self.fd, self.pending, self.pos)
        finally:
            os.close(self.fd)
        return line


class DumpFiles:
    """The files of a run's events, opened as the events become known."""

    def __init__(self, input_path):
        self.input_path = "(null)" if input_path == "-" else input_path
        self.files = {}         # event index -> DumpFile

    def open(self, ev):
        dump = self.files.get(ev.index)
        if dump is None:
            name = ev.name
            if name is None:        # pipe mode: the attr came before its name
                name = "unknown tracepoint" if ev.is_tracepoint else \
                    synthesized_name(ev.attr)
            try:
                dump = self.files[ev.index] = DumpFile("%s.%s.dump"
                                                       % (self.input_path, name))
            except OSError:
                raise OSError("Couldn't create the per event dump files") from None
        return dump

    def report(self):
        """The closing lines, in the events' order; the files are closed."""
        return "".join(self.files[i].report() for i in sorted(self.files))


class PerEventDump(TextPrinter):
    """A TextPrinter whose sample lines go to their event's file."""

    def __init__(self, session, spec, topts, sfilter, out, input_path):
        super().__init__(session, spec, topts, sfilter, out)
        self.dumps = DumpFiles(input_path)
        self._stdout_write = self.write
        for ev in session.evsels:
            self.dumps.open(ev)

    def prepare_evsel(self, ev):
        self.dumps.open(ev)
        super().prepare_evsel(ev)

    def deliver_batch(self, batch):
        deliver_each(batch)

    def sample(self, ev, s, thread):
        self.write = self.dumps.open(ev).write
        try:
            super().sample(ev, s, thread)
        finally:
            self.write = self._stdout_write

    def close(self):
        self._stdout_write(self.dumps.report())
