"""What a recording's tables share, whichever file they come from (perf.data or
trace.dat): the event and SQL view names, DuckDB, pandas/polars conversions, and one
event's Arrow table built from its collected columns."""

import hashlib
import re

import numpy as np

from perfscript.frames.columns import np_array, str_array
from perfscript.frames.display import TraceDisplay
from perfscript.frames.extras import require

pa = require("pyarrow")

# the longest export file name before its extension: with `.parquet` (or `.csv`,
# `.jsonl`) within the 255 bytes a file name may have
FILE_STEM_MAX = 240
_NOT_IDENTIFIER = re.compile(r"[^0-9A-Za-z_]+")
_WORD = re.compile(r"[0-9a-z_]+")


def view_name(name, tp_format=None):
    """The SQL view an event would have alone: `<system>__<event>` for a tracepoint
    (perf's handler name), else the name; every run of characters other than ASCII
    letters, digits and `_` made `_`, no `_` at either end, `_` before a leading digit.
    So it is a plain SQL identifier, and a file name that stays in its directory (no
    `/`, no `.`, no NUL, never empty) once it fits (see `file_stems`)."""
    if tp_format is not None:
        name = tp_format.handler_name
    name = _NOT_IDENTIFIER.sub("_", name).strip("_") or "_"
    if name[0].isdigit():
        name = "_" + name
    return name


def _distinct(names, limit=None):
    """The names made distinct as DuckDB compares identifiers (ignoring ASCII case): a
    name an earlier one has (in any case) gets `_2`, `_3`…, the first that is no name
    of the list and not given yet (cut before the suffix to stay within `limit`)."""
    reserved = {n.lower() for n in names}
    given = set()
    next_k = {}         # per name, where its search goes on: linear in all, not quadratic
    out = []
    for name in names:
        key = name.lower()
        if key in given:
            k = next_k.get(key, 2)
            while True:
                suffix = "_%d" % k
                candidate = (name if limit is None else name[:limit - len(suffix)]) + suffix
                if candidate.lower() not in reserved:
                    break
                k += 1
            next_k[key] = k + 1
            name = candidate
            reserved.add(name.lower())
        given.add(name.lower())
        out.append(name)
    return out


def unique_view_names(formats):
    """{view: event} for {event: tracepoint format or None}, in the events' order: each
    event's `view_name`, `_2`, `_3`… after the first when names meet (in any case).
    Names depend only on the events and their order, so a recording always gets the
    same ones, and one without such clashes the plain ones."""
    views = _distinct([view_name(event, fmt) for event, fmt in formats.items()])
    return dict(zip(views, formats))


def file_stems(views):
    """{view: its export file's name without the extension}: the view, or for a view
    longer than FILE_STEM_MAX its start, `_` and 8 hex digits of its SHA-256; made
    distinct as `_distinct` does (names of one directory: a case-insensitive file
    system keeps them apart too)."""
    stems = [v if len(v) <= FILE_STEM_MAX else "%s_%s" % (
        v[:FILE_STEM_MAX - 9], hashlib.sha256(v.encode("ascii")).hexdigest()[:8])
        for v in views]
    return dict(zip(views, _distinct(stems, FILE_STEM_MAX)))


def unique_event_names(names, tags):
    """The event names made distinct: a name seen before becomes `name#tag` (`tag`: the
    event's index or format id, an int), or the next free `name#N` when the recording
    already has an event called so (or an earlier one of the name got a higher N)."""
    reserved = set(names)
    seen = set()
    next_tag = {}       # per name, past the last N given: linear in all, not quadratic
    out = []
    for name, tag in zip(names, tags):
        if name in seen:
            tag = max(tag, next_tag.get(name, tag))
            while "%s#%d" % (name, tag) in reserved:
                tag += 1
            next_tag[name] = tag + 1
            name = "%s#%d" % (name, tag)
            reserved.add(name)
        seen.add(name)
        out.append(name)
    return out


# perf's event modifiers (`cycles:ukpp`, `cpu-clock:ppp`, `dummy:HG`), as its parser
# accepts them after the last `:`
_MODIFIERS = re.compile(r":[ukhIGHpPSDWeb]+$")


def base_name(name, tracepoint=False):
    """An event's name without perf's modifiers: `cpu-clock:ppp` → `cpu-clock`; a
    tracepoint's `system:event` is all name (only a third part can be modifiers)."""
    if tracepoint and name.count(":") < 2:
        return name
    m = _MODIFIERS.search(name)
    return name[:m.start()] if m else name


class UnknownEvent(KeyError):
    """The recording has no event of that name (a KeyError, as before): readers of many
    files tell a file without the event from an ambiguous name by it."""


def resolve_event(name, formats, views, where=""):
    """The one event of `formats` ({event: tracepoint format or None}) that `name`
    means: perf's name exactly (`name#N` for a repeated one), else the SQL view
    (`raw_syscalls__sys_enter`, in any case, as DuckDB reads it), else the one event
    whose name without its modifiers is `name` (`cpu-clock` for `cpu-clock:ppp`).
    Several such events is a KeyError listing the candidates, none an UnknownEvent."""
    if name in formats:
        return name
    by_view = {v.lower(): e for v, e in views.items()}
    if name.lower() in by_view:
        return by_view[name.lower()]
    found = [e for e, fmt in formats.items()
             if base_name(e.split("#")[0], fmt is not None) == name]
    if len(found) == 1:
        return found[0]
    if found:
        raise KeyError("event %r is ambiguous in %s: it may be %s"
                       % (name, where, ", ".join(found)))
    raise UnknownEvent("no event %r in %s (events: %s; views: %s)"
                   % (name, where, ", ".join(formats) or "none",
                      ", ".join(views) or "none"))


def sql_table(table):
    """The table as its SQL view shows it: without the duration column (DuckDB makes it
    an INTERVAL of microseconds); `sample_time` and `sample_wall_time` keep the ns."""
    if table.num_columns > 2 and pa.types.is_duration(table.schema.field(2).type):
        return table.remove_column(2)       # build_table's third column
    return table


class Tables(TraceDisplay):
    """What a recording's tables offer beyond `event_names`, `table()`, `header` and
    `counts()` (each kind of file, perf.data or trace.dat, provides those four)."""

    _con = None
    _derived = None
    _derived_views = frozenset()
    has_task_records = False     # a perf.data's: `task_log()` (frames.derived.tasks)

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

    def _all_formats(self):
        """{event name: format} of every event of the recording, also those not read
        (`events=`): the views are named over all of them, so a view's name does not
        depend on which events were asked for."""
        return self._formats()

    def _time_range(self):
        """(first, last) time over every table (None, None without times)."""
        first = last = None
        for name in self.event_names:
            t = self.table(name).column(1)     # the sample's time (build_table's order)
            if len(t) and t.null_count < len(t):
                pc = require("pyarrow.compute")
                mm = pc.min_max(t).as_py()
                first = mm["min"] if first is None else min(first, mm["min"])
                last = mm["max"] if last is None else max(last, mm["max"])
        return first, last

    def tables(self):
        """{event name: table} for every event."""
        return {name: self.table(name) for name in self.event_names}

    def event_name(self, name):
        """The event `name` means (see `resolve_event`): perf's name, the name without
        its modifiers, or the SQL view; a KeyError listing the candidates otherwise."""
        return resolve_event(name, self._formats(), self.view_names(), self.path)

    def derived_names(self) -> list[str]:
        """The derived tables this recording can give (see `derived`), in the order
        docs/derived/README.md lists them."""
        from perfscript.frames import derived
        return [n for n in derived.DERIVED if derived.available(n, self)]

    def derived_tables(self) -> dict[str, pa.Table]:
        """{name: table} of every derived table this recording gives (those whose
        events lack a field they need left out)."""
        from perfscript.frames.derived import NotRecorded
        out = {}
        for name in self.derived_names():
            try:
                out[name] = self.derived(name)
            except NotRecorded:
                pass
        return out

    def derived(self, name: str) -> pa.Table:
        """Derived table `name` (`threads`, `processes`, `sched_slices`,
        `thread_states`, `syscalls`, `stacks`, `frames`: docs/derived/README.md), made on
        first use and kept. Raises `frames.derived.NotRecorded`, saying what to record,
        when the recording lacks its events.

        >>> import perfscript
        >>> t = perfscript.open("examples/sched.data")
        >>> t.derived("processes").column("comm").to_pylist()[:3]
        ['swapper', 'sh', 'ls']
        """
        from perfscript.frames import derived
        if self._derived is None:
            self._derived = {}
        t = self._derived.get(name)
        if t is None:
            t = self._derived[name] = derived.build(name, self)
        return t

    def to_pandas(self, name):
        require("pandas", "to_pandas()")
        return self.table(name).to_pandas()

    def to_polars(self, name):
        pl = require("polars", "to_polars()")
        return pl.from_arrow(self.table(name))

    def view_names(self):
        """{SQL view name: event name}, one view per event (see `unique_view_names`:
        `sched__sched_switch`, `cpu_clock`; `_2`… after a name an earlier event has)."""
        views = unique_view_names(self._all_formats())
        keep = self._formats()
        return {v: e for v, e in views.items() if e in keep}

    @property
    def duckdb(self):
        """A DuckDB connection with one view per event (see `view_names`) and one per
        derived table the recording can give (`derived_names`; an event's view of the
        same name wins). An event's view has its table's columns but the duration
        (`sample_timestamp`): DuckDB's INTERVAL keeps microseconds, and `sample_time`
        has the nanoseconds."""
        con = self.event_views()
        for name in self.derived_names():
            self._register_derived(name)
        return con

    def _register_derived(self, name):
        """Derived table `name` as a view of the connection, unless an event's view
        has the name or the recording cannot give it (NotRecorded)."""
        from perfscript.frames.derived import NotRecorded
        con = self._con
        if name.lower() in {v.lower() for v in self.view_names()}:
            return      # an event's view keeps its name
        if name in self._derived_views:
            return
        try:
            table = self.derived(name)
        except NotRecorded:
            return
        con.register(name, table)
        self._derived_views.add(name)

    def event_views(self):
        """The DuckDB connection with the event views, without making a derived table
        (those are added as `sql` queries name them, or all by `duckdb`)."""
        if self._con is None:
            duckdb = require("duckdb", "SQL over the tables")
            con = duckdb.connect()
            for view, name in self.view_names().items():
                con.register(view, sql_table(self.table(name)))
            self._con = con
            self._derived_views = set()
        return self._con

    def sql(self, query):
        """Run SQL over the event views and the derived tables it names (made on first
        use); returns a DuckDB relation (`.fetchall()`, `.df()`, `.arrow()`, `.pl()`,
        `.show()`)."""
        con = self.event_views()
        words = set(_WORD.findall(query.lower()))
        for name in self.derived_names():
            if name in words:
                self._register_derived(name)
        return con.sql(query)


def _column_name(name, taken):
    """`sample_<name>`, one more `sample_` while a payload field has that name: the
    payload's fields keep their names, and a bare name is always the payload's."""
    name = "sample_" + name
    while name in taken:
        name = "sample_" + name
    return name


def _time_views(t, typ, shift=0):
    """The int64 ns column `t` as Arrow type `typ` (duration, timestamp), plus `shift`
    ns (no pyarrow.compute: Array.cast would import it, 40 ms)."""
    out = []
    for c in t.chunks:
        if shift:
            v = np.frombuffer(c.buffers()[1], np.int64, len(c), c.offset) + np.int64(shift)
            buffers = [c.buffers()[0], pa.py_buffer(v)]
            c = pa.Array.from_buffers(pa.int64(), len(c), buffers, c.null_count)
        out.append(pa.Array.from_buffers(typ, len(c), c.buffers(), c.null_count, c.offset))
    return pa.chunked_array(out, typ)


WALL_TIME = pa.timestamp("ns", tz="UTC")


def _nulls_where(values, missing):
    """An Arrow array of the NumPy `values`, null where a value is `missing`."""
    valid = values != missing
    if valid.all():
        return np_array(values)
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), len(values),
                                 [bitmap, np_array(values).buffers()[1]])


def build_table(ec, comms, frames=None, wall_offset=None):
    """The pyarrow.Table of one event's collected chunks. `wall_offset`: ns to add to a
    sample time for the wall clock's time (the recording's CLOCK_DATA), or None."""
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
        t = pa.chunked_array([pa.nulls(ec.count, pa.int64())], pa.int64())
    names += [_column_name("time", taken), _column_name("timestamp", taken)]
    arrays += [t, _time_views(t, pa.duration("ns"))]
    if wall_offset is not None:
        names.append(_column_name("wall_time", taken))
        arrays.append(_time_views(t, WALL_TIME, wall_offset))
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
        names.append(_column_name("stack_id", taken))
        arrays.append(pa.chunked_array(
            [_nulls_where(c["stack"] if "stack" in c else
                          np.full(len(c["time"]), -1, np.int32), -1) for c in chunks],
            pa.int32()))
    for i, (fname, ftype) in enumerate(zip(field_names, field_types)):
        parts = [c["fields"][i] for c in chunks if "fields" in c]
        arr = pa.chunked_array(parts, ftype)
        names.append(fname)
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, names=names)
