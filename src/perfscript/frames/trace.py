"""`perfscript.open()`: a recording as one typed table per event."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from perfscript.frames.collect import Collector, is_side_band, wall_clock_offset
from perfscript.frames.progress import reporter
from perfscript.session.batched import release_freed_memory
from perfscript.frames.tables import (Tables, build_table, resolve_event,
                                     unique_event_names, unique_view_names)
from perfscript.perfdata.features import FEATURE_IDS

# what `progress=` takes: True for a bar, or a callable(done, total)
Progress = Union[bool, Callable[[int, int], object], None]

if TYPE_CHECKING:
    import pyarrow as pa


class Trace(Tables):
    """A perf.data recording's events as columnar tables (see docs/frames.md).

    The records are read once, on the first call that needs them (counts, table, sql…);
    the header and event names need no pass over the data.

    >>> t = Trace("examples/sched.data")
    >>> t.event_names
    ['sched:sched_switch', 'sched:sched_process_exec', 'sched:sched_process_exit']
    >>> t.counts()["sched:sched_switch"]
    11
    >>> t.close()
    """

    def __init__(self, path: str | os.PathLike[str], progress: Progress = None,
                 symbols: bool = True, events: Iterable[str] | None = None,
                 symbol_options: dict[str, str] | None = None, chunk=None) -> None:
        from perfscript.session.session import Session
        self.path = path
        self.session = Session(path)
        self.chunk = chunk          # session.chunk_plan.Chunk: only its samples
        self._collector = None
        self._closed = False        # closed after its pass: what was not built is gone
        self._tables = {}
        self.progress = reporter(progress, "reading %s" % os.path.basename(str(path)))
        self.symbols = symbols      # resolve callchain frames to symbol and dso
        self.symbol_options = symbol_options or {}    # kallsyms=, vmlinux=, symfs=
        self._wanted = list(events) if events is not None else None
        if isinstance(events, str):
            raise TypeError("events= takes a list of event names, not one string")
        self._names = None
        self._by_name = None
        self._all = None
        if self._wanted is not None and not self.session.pd.pipe:
            self._index()           # an unknown name fails here, before any reading

    def _all_events(self):
        """{name: evsel} of every event but the dummies, once their names are known:
        a pipe-mode file announces its events in the data."""
        if self._all is None:
            if self.session.pd.pipe:
                self._load()
            # events a stream announced without naming them (no tracing data came, or a
            # HEADER_ATTR in a file's data) get perf's names
            self.session.name_events()
            evsels = [ev for ev in self.session.evsels if not is_side_band(ev)]
            names = unique_event_names([ev.name for ev in evsels],
                                       [ev.index for ev in evsels])
            self._all = dict(zip(names, evsels))
        return self._all

    def _all_formats(self):
        return {n: ev.tp_format for n, ev in self._all_events().items()}

    def _index(self):
        """{name: evsel} of the events this trace reads: all, or those `events=` named
        (in the recording's order)."""
        if self._by_name is None:
            every = self._all_events()
            if self._wanted is None:
                chosen = every
            else:
                formats = self._all_formats()
                views = unique_view_names(formats)
                keep = {resolve_event(n, formats, views, self.path) for n in self._wanted}
                chosen = {n: ev for n, ev in every.items() if n in keep}
            self._names = list(chosen)
            self._by_name = chosen
        return self._by_name

    def _close_source(self):
        pd = getattr(self.session, "pd", None)
        if pd is not None and hasattr(pd, "close"):
            pd.close()
        if self._collector is not None:
            # the pass's objects refer to each other (session, consumer, decoders): the
            # columns they hold would wait for the cyclic collector while the next
            # recording or chunk allocates its own (a worker's memory grew to 3x a
            # chunk). The tables made keep the arrays they share.
            self._collector.release()
            self._closed = True

    def _formats(self):
        return {n: ev.tp_format for n, ev in self._index().items()}

    # ------------------------------------------------------------ header

    def _is_read(self):
        return self._collector is not None

    @property
    def event_names(self) -> list[str]:
        """Event names in the recording's order (perf's names: `sched:sched_switch`,
        `cpu-clock`…; a name an earlier event has gets `#` and the event's index)."""
        self._index()
        return list(self._names)

    @property
    def header(self) -> dict[str, Any]:
        """What the file's header says: hostname, os_release, arch, nrcpus_online,
        nrcpus_available, perf_version, cpu_desc, cmdline, total_mem_kb, and the time
        range of the samples (first_time, last_time in ns; None without times)."""
        events = self.event_names      # a pipe's features come with its data: read first
        f = self.session.features

        def feat(name):
            return f.get(FEATURE_IDS[name])

        nr = feat("NRCPUS")
        cmdline = feat("CMDLINE")
        h = {
            "path": str(self.path),
            "hostname": feat("HOSTNAME"),
            "os_release": feat("OSRELEASE"),
            "arch": feat("ARCH"),
            "perf_version": feat("VERSION"),
            "cpu_desc": feat("CPUDESC"),
            "nrcpus_online": getattr(nr, "online", None),
            "nrcpus_available": getattr(nr, "available", None),
            "total_mem_kb": feat("TOTAL_MEM"),
            "cmdline": " ".join(cmdline) if isinstance(cmdline, (list, tuple)) else cmdline,
            "pipe_mode": bool(self.session.pd.pipe),
            "events": events,
        }
        h["first_time"], h["last_time"] = self._time_range()
        return h

    # ------------------------------------------------------------ data

    def _load(self):
        if self._collector is None:
            wanted = None
            if self._wanted is not None and not self.session.pd.pipe:
                wanted = {ev.index for ev in self._index().values()}
            col = Collector(self.session, self.progress, symbols=self.symbols,
                            wanted=wanted, symbol_options=self.symbol_options)
            if self.chunk is not None:
                chunk = self.chunk
                self.session.limit_to(chunk.start, chunk.end, chunk.replay())
                col.seq = chunk.seq0
            # what earlier passes freed goes back to the kernel first: this pass's
            # blocks would otherwise go among their holes, a worker's peak growing by
            # a sixth of a chunk with each chunk it reads
            release_freed_memory()
            try:
                self.session.process(col)
            finally:
                if hasattr(self.progress, "close"):
                    self.progress.close()
            self._collector = col
        return self._collector

    def _time_range(self):
        """(first, last) sample time of the events read, from the pass's time columns
        (the tables are not built for it)."""
        col = self._load()
        first = last = None
        for ev in self._index().values():
            ec = col.events[ev.index]
            if not ec.has_time:
                continue
            for chunk in ec.chunks:
                times = chunk["time"].view(np.int64)
                if len(times):
                    lo, hi = int(times.min()), int(times.max())
                    first = lo if first is None else min(first, lo)
                    last = hi if last is None else max(last, hi)
        return first, last

    def counts(self) -> dict[str, int]:
        """{event name: number of samples}, what `perf script` prints per event."""
        col = self._load()
        return {name: col.events[ev.index].count for name, ev in self._index().items()}

    @property
    def warnings(self) -> list[str]:
        """What perf would have warned about while reading (lost samples, …)."""
        return list(self.session.warnings)

    has_task_records = True

    def task_log(self):
        """The pass's threads and their FORK/EXIT times (frames.task_log.TaskLog)."""
        return self._load().task_log

    def callchain_events(self) -> list[str]:
        """The events whose samples have callchains."""
        from perfscript.perfdata import constants as C
        return [n for n, ev in self._index().items()
                if ev.attr.sample_type & C.SAMPLE_CALLCHAIN]

    def stack_tables(self):
        """(stacks, frames) tables of the pass (frames.derived.stacks)."""
        import pyarrow as pa
        fr = self._load().frames
        frame_table = pa.Table.from_struct_array(fr.table())
        ids = pa.array(range(frame_table.num_rows), pa.int32())
        return fr.stacks.table(), frame_table.add_column(0, "frame_id", ids)

    def table(self, name: str) -> pa.Table:
        """The samples of event `name` as a pyarrow.Table (see docs/frames.md for
        columns). `name`: perf's (`cpu-clock:ppp`), without modifiers (`cpu-clock`)
        or the SQL view (`cpu_clock`); see `event_name`."""
        t = self._tables.get(name)
        if t is None:
            name = self.event_name(name)
            t = self._tables.get(name)
        if t is None:
            ev = self._index()[name]
            if self._closed:
                raise ValueError("%s: closed: its tables not made before close() "
                                 "are gone" % self.path)
            col = self._load()
            t = self._tables[name] = build_table(col.events[ev.index], col.comms,
                                                 col.frames, self.wall_offset())
        return t

    def wall_offset(self) -> int | None:
        """ns from the recording's clock to the time of day (its CLOCK_DATA), or None."""
        return wall_clock_offset(self.session)

    def batches(self, name: str, rows: int = 65536,
                columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        """Event `name`'s rows as pyarrow.RecordBatches of at most `rows` rows, made
        while the recording is read (in a thread of their own) and not kept: a table
        bigger than memory goes through in pieces. The batches have `table(name)`'s
        schema (`columns`: only those). A trace already read slices its table.

        >>> t = Trace("examples/sched.data")
        >>> sum(b.num_rows for b in t.batches("sched:sched_switch", rows=4))
        11
        """
        from perfscript.frames.stream import iter_batches
        return iter_batches(self, name, rows, columns)

    def scan_polars(self, name: str):
        """Event `name` as a polars LazyFrame over `batches` (polars >= 1.20): the
        columns a query selects are the only ones built, a `head()` stops the read."""
        from perfscript.frames.stream import scan_polars
        return scan_polars(self, name)


def open(path: str | os.PathLike[str],   # noqa: A001 - perfscript.open, like io.open
         progress: Progress = None, events: Iterable[str] | None = None,
         kallsyms: str | None = None, vmlinux: str | None = None,
         symfs: str | None = None) -> Tables:
    """`perfscript.open()` (its docstring tells more): a Trace for a perf.data (file or
    pipe mode, compressed or not), a TraceDatTables for a trace-cmd trace.dat (versions
    6 and 7), told apart by the file's magic."""
    from perfscript.tracedat.file import is_tracedat
    if is_tracedat(path):
        from perfscript.frames.tracecmd import TraceDatTables
        return TraceDatTables(path, progress=reporter(
            progress, "reading %s" % os.path.basename(str(path))), events=events)
    options = {k: v for k, v in (("kallsyms", kallsyms), ("vmlinux", vmlinux),
                                 ("symfs", symfs)) if v is not None}
    return Trace(path, progress=progress, events=events, symbol_options=options)
