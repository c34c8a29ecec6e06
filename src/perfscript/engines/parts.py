"""The unit of work of a distributed read: one recording, or one chunk of a big
perf.data (frames.chunks), and the rows of one event it holds.

A task reads its part's table as `perfscript.open(file).table(event)` gives it (a
chunk's rows are that table's rows of the chunk) but `sample_stack_id` (an id into
the derived `stacks` table, which a part's pass numbers its own way and the engines do
not give), then adds the source columns: `source_file` (the absolute path)
and `source_host` (the recording's hostname). A file without the event holds no rows.
A file perfscript cannot read raises its PerfDataError (the file, the offset, what was
wrong), or with errors="record" becomes one row whose `source_error` says so."""

import os

import perfscript
from perfscript.errors import PerfDataError
from perfscript.frames.columns import repeated
from perfscript.frames.extras import require
from perfscript.frames.tables import UnknownEvent
from perfscript.session.chunk_plan import DEFAULT_CHUNK_BYTES
from perfscript.tracedat.file import is_tracedat

pa = require("pyarrow")

SOURCE_FILE = "source_file"
SOURCE_HOST = "source_host"
SOURCE_ERROR = "source_error"
# ids into a table of the pass that read them (the derived `stacks`), which a part's
# pass numbers its own way (per chunk, per events read): left out
PASS_LOCAL = ("sample_stack_id",)
# file and host: one string per part, however many rows
SOURCE_TYPE = pa.dictionary(pa.int32(), pa.string())
ERRORS = ("raise", "record")
OPEN_COST = 4 << 20     # spark.sql.files.openCostInBytes' default

__all__ = ["Part", "plan", "grouped", "read_part", "read_parts", "open_unresolved",
           "find_event", "repeated", "DEFAULT_CHUNK_BYTES", "PASS_LOCAL", "SOURCE_FILE",
           "SOURCE_HOST", "SOURCE_ERROR", "SOURCE_TYPE"]


class Part:
    """A recording (`chunk` None) or one frames.chunks.Chunk of it: plain values, so
    it pickles to Spark's and Dask's workers."""

    __slots__ = ("path", "chunk")

    def __init__(self, path, chunk=None):
        self.path = path
        self.chunk = chunk

    def __getstate__(self):
        return (self.path, self.chunk)

    def __setstate__(self, state):
        self.path, self.chunk = state

    def __repr__(self):
        return "Part(%r)" % (self.chunk if self.chunk is not None else self.path)


def check_errors(errors):
    if errors not in ERRORS:
        raise ValueError("errors=%r: must be one of %s" % (errors, ", ".join(ERRORS)))


def plan(files, chunk_bytes=DEFAULT_CHUNK_BYTES, errors="raise"):
    """The parts of `files`: a perf.data bigger than `chunk_bytes` (and not 0) is cut
    into chunks where it can be (frames.chunks.plan_chunks, two quick passes over the
    file), any other file is one part. With errors="record" a file the planner cannot
    read is one part (its read records the error)."""
    check_errors(errors)
    from perfscript.frames.chunks import plan_chunks
    parts = []
    for path in files:
        if not chunk_bytes or os.path.getsize(path) <= chunk_bytes or is_tracedat(path):
            parts.append(Part(path))
            continue
        try:
            chunks = plan_chunks(path, chunk_bytes)
        except PerfDataError:
            if errors == "raise":
                raise
            chunks = [None]
        if len(chunks) == 1:
            parts.append(Part(path))
        else:
            parts.extend(Part(path, c) for c in chunks)
    return parts


def grouped(planned, max_bytes, open_cost=OPEN_COST, min_runs=1):
    """`planned` parts in runs of consecutive ones whose sizes add up to at most a
    target (a bigger part alone), as Spark packs small files into a partition: a whole
    file counts its size plus `open_cost` (Spark's estimate of what opening one
    costs), a chunk its bytes; the target is `max_bytes`, or less to make `min_runs`
    runs when the parts allow (Spark's maxSplitBytes); one part a run when `max_bytes`
    is 0."""
    costs = [p.chunk.size if p.chunk is not None else os.path.getsize(p.path) + open_cost
             for p in planned]
    target = min(max_bytes, max(open_cost, sum(costs) // max(1, min_runs)))
    runs, size = [], 0
    for p, cost in zip(planned, costs):
        if not runs or not max_bytes or size + cost > target:
            runs.append([])
            size = 0
        runs[-1].append(p)
        size += cost
    return runs


def find_event(tables, event):
    """The name `event` has in an opened recording (see Tables.event_name), or None
    when the recording has no such event; an ambiguous name stays a KeyError."""
    try:
        return tables.event_name(event)
    except UnknownEvent:
        return None


def open_unresolved(path):
    """A recording opened to learn its events and their columns, not its rows: a
    pipe or a trace.dat is read for that, so callchain frames are left unresolved
    (their columns have the same types)."""
    if is_tracedat(path):
        return perfscript.open(path)
    from perfscript.frames.trace import Trace
    return Trace(path, symbols=False)


def open_events(path, events, options=None, chunk=None):
    """({event: table or None when the recording has no such event}, hostname) of
    `events` in a recording or one chunk of it, read in one pass. `options`:
    perfscript.open's kallsyms=, vmlinux=, symfs=."""
    options = {k: v for k, v in (options or {}).items() if v is not None}
    probe = perfscript.open(path, **options)
    try:
        names = {event: find_event(probe, event) for event in events}
        wanted = sorted({n for n in names.values() if n is not None})
        if not wanted:
            return dict.fromkeys(events), None
        # a trace.dat decodes every event anyway, a pipe is read to learn its events:
        # the probe's pass is the one
        if chunk is None and (is_tracedat(path) or probe.session.pd.pipe):
            return _tables(probe, names), probe.header.get("hostname")
    finally:
        probe.close()
    if chunk is not None:
        from perfscript.frames.chunks import open_chunk
        t = open_chunk(chunk, events=wanted, **options)
    else:
        t = perfscript.open(path, events=wanted, **options)
    with t:
        return _tables(t, names), t.header.get("hostname")


def _tables(t, names):
    return {event: None if name is None else t.table(name) for event, name in names.items()}


def read_parts(part, events, options=None, errors="raise"):
    """{event: the part's rows of it} for each of `events`, read in one pass, each with
    the source columns after the table's own (`source_error` too, null, with
    errors="record"); None for an event its file does not have. A file that cannot be
    read raises its PerfDataError, or with errors="record" is one row of source
    columns with the error's text for each event."""
    check_errors(errors)
    try:
        tables, host = open_events(part.path, events, options, part.chunk)
    except PerfDataError as e:
        if errors == "raise":
            raise
        return {event: pa.table({SOURCE_FILE: repeated(part.path, 1),
                                 SOURCE_HOST: repeated(None, 1),
                                 SOURCE_ERROR: pa.array([str(e)], pa.string())})
                for event in events}
    return {event: None if table is None else _with_source(table, part.path, host, errors)
            for event, table in tables.items()}


def read_part(part, event, options=None, errors="raise"):
    """The part's rows of `event` (read_parts), None when its file has no such event."""
    return read_parts(part, [event], options, errors)[event]


def _with_source(table, path, host, errors):
    table = table.drop_columns([c for c in PASS_LOCAL if c in table.column_names])
    n = table.num_rows
    table = table.append_column(SOURCE_FILE, repeated(path, n))
    table = table.append_column(SOURCE_HOST, repeated(host, n))
    if errors == "record":
        table = table.append_column(SOURCE_ERROR, pa.nulls(n, pa.string()))
    return table
