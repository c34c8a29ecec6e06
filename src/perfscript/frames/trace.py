"""`perfscript.open()`: a recording as one typed table per event."""

import builtins
import os
import re

import numpy as np
import pyarrow as pa

from perfscript.frames.collect import Collector
from perfscript.frames.columns import np_array, str_array
from perfscript.perfdata.features import FEATURE_IDS

# sample columns, in table order (a tracepoint field of the same name wins: the sample
# column is then called sample_<name>)
SAMPLE_COLUMNS = ("seq", "time", "timestamp", "cpu", "pid", "tid", "comm", "period")
_U64_MAX = np.uint64(0xFFFFFFFFFFFFFFFF)


def view_name(name, tp_format=None):
    """The SQL view of an event: `<system>__<event>` for a tracepoint (perf's handler
    name), else the name with every non-identifier character made `_`."""
    if tp_format is not None:
        name = tp_format.handler_name
    name = re.sub(r"\W+", "_", name).strip("_") or "_"
    if not name or name[0].isdigit():
        name = "_" + name
    return name


class _Tables:
    """What a recording's tables offer beyond `event_names`, `table()`, `header` and
    `counts()` (each kind of file, perf.data or trace.dat, provides those four)."""

    _con = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self._con is not None:
            self._con.close()
            self._con = None
        self._close_source()

    def _close_source(self):
        pass

    def _formats(self):
        """{event name: its tracepoint format, or None}."""
        raise NotImplementedError

    def _time_range(self):
        """(first, last) time over every table (None, None without times)."""
        first = last = None
        for name in self.event_names:
            t = self.table(name).column("time")
            if len(t) and t.null_count < len(t):
                import pyarrow.compute as pc
                mm = pc.min_max(t).as_py()
                first = mm["min"] if first is None else min(first, mm["min"])
                last = mm["max"] if last is None else max(last, mm["max"])
        return first, last

    def tables(self):
        """{event name: table} for every event."""
        return {name: self.table(name) for name in self.event_names}

    def to_pandas(self, name):
        return self.table(name).to_pandas()

    def to_polars(self, name):
        import polars as pl
        return pl.from_arrow(self.table(name))

    def view_names(self):
        """{SQL view name: event name}."""
        return {view_name(n, fmt): n for n, fmt in self._formats().items()}

    @property
    def duckdb(self):
        """A DuckDB connection with one view per event (see `view_names`)."""
        if self._con is None:
            import duckdb
            con = duckdb.connect()
            for view, name in self.view_names().items():
                con.register(view, self.table(name))
            self._con = con
        return self._con

    def sql(self, query):
        """Run SQL over the event views; returns a DuckDB relation (`.fetchall()`,
        `.df()`, `.arrow()`, `.pl()`, `.show()`)."""
        return self.duckdb.sql(query)


class Trace(_Tables):
    """A perf.data recording's events as columnar tables (see docs/frames.md).

    The records are read once, on the first call that needs them (counts, table, sql…);
    the header and event names need no pass over the data.
    """

    def __init__(self, path, progress=None, symbols=True):
        from perfscript.session.session import Session
        self.path = path
        self.session = Session(path)
        self._collector = None
        self._tables = {}
        self.progress = progress
        self.symbols = symbols      # resolve callchain frames to symbol and dso
        self._names = None
        self._by_name = None

    def _index(self):
        """Event names, once known: a pipe-mode file announces its events in the data."""
        if self._names is None:
            if self.session.pd.pipe:
                self._load()
            names = []
            seen = set()
            for ev in self.session.evsels:
                name = ev.name
                if name in seen:
                    name = "%s#%d" % (name, ev.index)
                seen.add(name)
                names.append(name)
            self._names = names
            self._by_name = dict(zip(names, self.session.evsels))
        return self._by_name

    def _close_source(self):
        pd = getattr(self.session, "pd", None)
        if pd is not None and hasattr(pd, "close"):
            pd.close()

    def _formats(self):
        return {n: ev.tp_format for n, ev in self._index().items()}

    # ------------------------------------------------------------ header

    @property
    def event_names(self):
        """Event names in the recording's order (perf's names: `sched:sched_switch`,
        `cpu-clock`…)."""
        self._index()
        return list(self._names)

    @property
    def header(self):
        """What the file's header says: hostname, os_release, arch, nrcpus_online,
        nrcpus_available, perf_version, cpu_desc, cmdline, total_mem_kb, and the time
        range of the samples (first_time, last_time in ns; None without times)."""
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
            "events": self.event_names,
        }
        h["first_time"], h["last_time"] = self._time_range()
        return h

    # ------------------------------------------------------------ data

    def _load(self):
        if self._collector is None:
            col = Collector(self.session, self.progress, symbols=self.symbols)
            self.session.process(col)
            self._collector = col
        return self._collector

    def counts(self):
        """{event name: number of samples}, what `perf script` prints per event."""
        col = self._load()
        return {name: col.events[ev.index].count for name, ev in self._index().items()}

    @property
    def warnings(self):
        return list(self.session.warnings)

    def table(self, name):
        """The samples of event `name` as a pyarrow.Table (see docs/frames.md for columns)."""
        t = self._tables.get(name)
        if t is None:
            ev = self._index().get(name)
            if ev is None:
                raise KeyError("no event %r in %s (events: %s)"
                               % (name, self.path, ", ".join(self._names)))
            col = self._load()
            t = self._tables[name] = build_table(col.events[ev.index], col.comms, col.frames)
        return t


def _column_name(name, taken):
    return "sample_" + name if name in taken else name


def build_table(ec, comms, frames=None):
    """The pyarrow.Table of one event's collected chunks."""
    chunks = ec.chunks
    dec = ec.decoder
    field_names = []
    field_types = []
    if dec is not None:
        for fname, ftype in dec.schema_fields():
            field_names.append(fname)
            field_types.append(ftype)
    taken = set(field_names)

    def cat(key, dtype):
        """The chunks' column `key` as a chunked array (no copy of the chunks)."""
        if not chunks:
            return pa.chunked_array([], pa.from_numpy_dtype(dtype))
        return pa.chunked_array([np_array(c[key].astype(dtype, copy=False))
                                 for c in chunks])

    names, arrays = [], []
    names.append(_column_name("seq", taken))
    arrays.append(cat("seq", np.int64))
    if ec.has_time:
        t = pa.chunked_array([np_array(c["time"].view(np.int64)) for c in chunks],
                             pa.int64())
    else:
        t = pa.nulls(ec.count, pa.int64())
    names += [_column_name("time", taken), _column_name("timestamp", taken)]
    # the same buffers as timestamps (Array.cast would import pyarrow.compute: 40 ms)
    if ec.has_time:
        ts = pa.chunked_array([pa.Array.from_buffers(pa.timestamp("ns"), len(c),
                                                     c.buffers()) for c in t.chunks],
                              pa.timestamp("ns"))
    else:
        ts = pa.nulls(ec.count, pa.timestamp("ns"))
    arrays += [t, ts]
    for key in ("cpu", "pid", "tid"):
        names.append(_column_name(key, taken))
        arrays.append(cat(key, np.int32))
    dictionary = str_array(comms)
    names.append(_column_name("comm", taken))
    arrays.append(pa.chunked_array(
        [pa.DictionaryArray.from_arrays(np_array(c["comm"].astype(np.int32, copy=False)),
                                        dictionary) for c in chunks],
        pa.dictionary(pa.int32(), pa.string())))
    names.append(_column_name("period", taken))
    arrays.append(cat("period", np.uint64))
    if ec.has_ip:
        names.append(_column_name("ip", taken))
        arrays.append(cat("ip", np.uint64))
    if ec.has_addr:
        names.append(_column_name("addr", taken))
        arrays.append(cat("addr", np.uint64))
    if ec.has_callchain:
        frames_table = frames.table() if frames is not None else None
        parts = []
        for c in chunks:
            offsets, flat = c.get("chain") or (np.zeros(len(c["time"]) + 1, np.int32),
                                               np.zeros(0, np.int32))
            parts.append(pa.ListArray.from_arrays(np_array(offsets),
                                                  frames_table.take(np_array(flat))))
        names.append(_column_name("callchain", taken))
        arrays.append(pa.chunked_array(parts, pa.list_(frames_table.type)))
    for i, (fname, ftype) in enumerate(zip(field_names, field_types)):
        parts = [c["fields"][i] for c in chunks if "fields" in c]
        arr = pa.chunked_array(parts, ftype)
        names.append(fname)
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, names=names)


def is_tracedat(path):
    """Whether `path` is a regular file starting with trace-cmd's magic."""
    from perfscript.tracedat.file import MAGIC
    if not os.path.isfile(path):
        return False
    with builtins.open(path, "rb") as f:
        return f.read(len(MAGIC)) == MAGIC


def open(path, progress=None):   # noqa: A001 - perfscript.open, like io.open
    """Open a recording for columnar access: a perf.data (file or pipe mode, compressed
    or not) or a trace-cmd trace.dat (versions 6 and 7), told apart by the file's magic.
    Use as a context manager or call `.close()`."""
    if is_tracedat(path):
        from perfscript.frames.tracecmd import TraceDatTables
        return TraceDatTables(path, progress=progress)
    return Trace(path, progress=progress)
