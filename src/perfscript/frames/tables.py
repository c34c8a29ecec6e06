"""What a recording's tables share, whichever file they come from (perf.data or
trace.dat): the SQL view names, DuckDB, pandas/polars conversions, and one event's
Arrow table built from its collected columns."""

import re

import numpy as np
import pyarrow as pa

from perfscript.frames.columns import np_array, str_array


def view_name(name, tp_format=None):
    """The SQL view of an event: `<system>__<event>` for a tracepoint (perf's handler
    name), else the name with every non-identifier character made `_`."""
    if tp_format is not None:
        name = tp_format.handler_name
    name = re.sub(r"\W+", "_", name).strip("_") or "_"
    if not name or name[0].isdigit():
        name = "_" + name
    return name


class Tables:
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
