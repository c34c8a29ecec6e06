"""perfscript's tables as a dask DataFrame: one partition per recording, or per chunk
of a big perf.data, each read by a worker.

    import perfscript.dask
    df = perfscript.dask.read_events(["/fleet/*.data"], "sched:sched_switch")
    df.groupby("prev_comm").size().compute()       # on a distributed Client if one runs

The columns are the event's table's (docs/frames.md), their union over the files
(engines.schema), then `source_file` and `source_host`; every column is a pandas
ArrowDtype of the table's own Arrow type (uint64, duration[ns], timestamp[ns, UTC],
lists of structs, fixed-size lists: nothing converted) but for dictionary-encoded
strings (`sample_comm`, `prev_comm`, the source columns), which are plain strings
(`string[pyarrow]`): pandas does not sort a dictionary ArrowDtype nor read one back
from Parquet. Each partition has its own RangeIndex. `write_dataset` writes the Arrow
tables themselves (pandas cannot parse nested ArrowDtypes back from the metadata
`to_parquet` stores); `dd.read_parquet(path, dtype_backend="pyarrow")` reads them back
with the same dtypes."""

import os

from perfscript.engines import inputs, layout, parts
from perfscript.engines.schema import event_schema
from perfscript.frames.extras import require
from perfscript.frames.unify import conform

dask = require("dask", "perfscript.dask")
dd = require("dask.dataframe", "perfscript.dask")
pd = require("pandas", "perfscript.dask")
pa = require("pyarrow")

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
    the inference, which opens every file's header, a task each (a pipe's or a
    trace.dat's whole file). `kallsyms=`, `vmlinux=`, `symfs=`: perf's options, for
    the callchains' symbols, used on the workers."""
    parts.check_errors(errors)
    files = inputs.expand(paths)
    options = {"kallsyms": kallsyms, "vmlinux": vmlinux, "symfs": symfs}
    schema = dask_schema(schema or event_schema(files, event, errors, mapper=_on_workers))
    read = ReadPart(event, schema, options, errors)
    return dd.from_map(read, parts.plan(files, chunk_bytes, errors),
                       meta=frame(schema.empty_table()), label="perfscript-read",
                       enforce_metadata=False)


def _on_workers(function, items):
    """map(function, items), each call a task of the current scheduler."""
    return dask.compute(*[dask.delayed(function, pure=False)(x) for x in items])


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


def dask_schema(schema):
    """`schema` with plain strings for its dictionary-encoded ones."""
    return pa.schema([f.with_type(f.type.value_type) if pa.types.is_dictionary(f.type)
                      else f for f in schema])


def frame(table):
    """A pyarrow.Table as pandas, every column of its Arrow type (ArrowDtype)."""
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def write_dataset(paths, directory, events=None, chunk_bytes=parts.DEFAULT_CHUNK_BYTES,
                  kallsyms=None, vmlinux=None, symfs=None):
    """Write the recordings' events (all, or `events`) as Parquet into
    `directory/event=<SQL view>/` (engines.layout), with the schemas read_events
    gives the events (the tables' own Arrow types, dictionary strings plain, the
    source columns): a task surveys each recording, then a task per part reads all
    its events in one pass and writes a file per event (`part-<n>.parquet`). A
    recording perfscript cannot read fails the computation with its error (the file,
    the offset, what was wrong); `perfscript export` converts the others and names
    it. The options are read_events'. Returns {event: its directory}."""
    options = {"kallsyms": kallsyms, "vmlinux": vmlinux, "symfs": symfs}
    files = inputs.expand(paths)
    surveyed = _on_workers(layout.survey, files)
    planned = layout.plan(zip(files, surveyed), directory, events)
    targets = {}        # {file: {event: (directory, schema)}}
    for event, (where, schema, event_files) in planned.items():
        os.makedirs(where, exist_ok=True)
        for path in event_files:
            targets.setdefault(path, {})[event] = (where, dask_schema(schema))
    tasks = [dask.delayed(layout.write_parts)(part, targets[part.path], i, options)
             for i, part in enumerate(parts.plan(list(targets), chunk_bytes))]
    dask.compute(*tasks)
    return {event: where for event, (where, _, _) in planned.items()}
