"""perfscript's tables as a dask DataFrame: one partition per recording, or per chunk
of a big perf.data, each read by a worker.

    import perfscript.dask
    df = perfscript.dask.read_events(["/fleet/*.data"], "sched:sched_switch")
    df.groupby("prev_comm").size().compute()       # on a distributed Client if one runs

The columns are the event's table's (docs/frames.md), their union over the files
(engines.schema), then `source_file` and `source_host`; every column is a pandas
ArrowDtype of the table's own Arrow type (uint64, duration[ns], dictionary strings,
lists of structs: nothing converted). Each partition has its own RangeIndex."""

import os

from perfscript.engines import inputs, parts
from perfscript.engines.schema import conform, event_names, event_schema
from perfscript.frames.extras import require

dd = require("dask.dataframe", "perfscript.dask")
pd = require("pandas", "perfscript.dask")

__all__ = ["read_events", "write_dataset"]


def read_events(paths, event, chunk_bytes=parts.DEFAULT_CHUNK_BYTES, errors="raise",
                schema=None, kallsyms=None, vmlinux=None, symfs=None):
    """A dask DataFrame of `event` (any of its names: perf's, without modifiers, or
    the SQL view) in the recordings `paths` names (files, globs, directories).

    `chunk_bytes`: a perf.data bigger than this is read in chunks of about this size,
    a partition each (0: a partition per file). `errors="raise"`: a recording
    perfscript cannot read fails the computation with its error (the file, the
    offset, what was wrong); `"record"`: it is one row whose `source_error` says so,
    the others are read. `schema` (a pyarrow.Schema with the source columns) skips
    the inference, which opens every file's header here (and reads a trace.dat's
    event). `kallsyms=`, `vmlinux=`, `symfs=`: perf's options, for the callchains'
    symbols, used on the workers."""
    parts.check_errors(errors)
    files = inputs.expand(paths)
    options = {"kallsyms": kallsyms, "vmlinux": vmlinux, "symfs": symfs}
    if schema is None:
        schema = event_schema(files, event, options, errors)
    read = ReadPart(event, schema, options, errors)
    return dd.from_map(read, parts.plan(files, chunk_bytes, errors),
                       meta=frame(schema.empty_table()), label="perfscript-read",
                       enforce_metadata=False)


class ReadPart:
    """What a worker runs: one part's rows as a pandas DataFrame of the schema."""

    def __init__(self, event, schema, options, errors):
        self.event = event
        self.schema = schema
        self.options = options
        self.errors = errors

    def __call__(self, part):
        table = parts.read_part(part, self.event, self.options, self.errors)
        if table is None:
            table = self.schema.empty_table()
        return frame(conform(table, self.schema))


def frame(table):
    """A pyarrow.Table as pandas, every column of its Arrow type (ArrowDtype)."""
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def write_dataset(paths, directory, events=None, **options):
    """Write the recordings' events (all, or `events`) as Parquet, one dask write per
    event into `directory/event=<SQL view>/` (Hive's layout), the tables' own Arrow
    types and the source columns; `options`: read_events' (chunk_bytes=, errors=...).
    Returns {event: its directory}."""
    files = inputs.expand(paths)
    views = event_names(files)
    if events is not None:
        missing = [e for e in events if e not in views]
        if missing:
            raise KeyError("no event %s in the recordings (events: %s)"
                           % (", ".join(map(repr, missing)), ", ".join(views)))
        views = {e: views[e] for e in events}
    out = {}
    for event, view in views.items():
        out[event] = os.path.join(directory, "event=%s" % view)
        read_events(files, event, **options).to_parquet(out[event], write_index=False)
    return out
