"""One schema for an event read from many recordings, whose tables may differ: another
kernel's tracepoint format, a recording with or without clock data
(`sample_wall_time`), with or without callchains.

The rule: the union of the files' columns, in the order they first appear (files in
the order given), then the source columns; a column whose type differs between files
gets the type both promote to (pyarrow's permissive promotion: int32 and int64 are
int64, two fixed-size lists of different sizes a list, uint64 and int64 int64); a
file's missing columns are null. Promotion casts are checked: a value that does not
fit (a uint64 above 2**63 in an int64 column) fails the read, never wraps. Columns no
promotion joins (a number in one file, text in another) are an error naming both
files."""

from perfscript.engines.parts import (PASS_LOCAL, SOURCE_ERROR, SOURCE_FILE,
                                      SOURCE_HOST, SOURCE_TYPE, find_event,
                                      open_unresolved)
from perfscript.errors import PerfDataError
from perfscript.frames.extras import require
from perfscript.frames.tables import UnknownEvent
from perfscript.tracedat.file import is_tracedat

pa = require("pyarrow")


def file_schema(path, event):
    """The schema of `perfscript.open(path).table(event)` but the PASS_LOCAL columns,
    or None when the file has no such event (see `table_schema`)."""
    with open_unresolved(path) as t:
        name = find_event(t, event)
        return None if name is None else table_schema(t, name)


def table_schema(t, name):
    """The schema of opened recording `t`'s table `name` but the PASS_LOCAL columns: a
    perf.data's header says it (frames.stream.empty_table: no pass over the samples),
    a trace.dat's event is read."""
    from perfscript.frames.stream import empty_table
    if is_tracedat(t.path):
        schema = t.table(name).schema
    else:
        schema = empty_table(t, name).schema
    return pa.schema([f for f in schema if f.name not in PASS_LOCAL])


def event_schema(files, event, errors="raise", mapper=map):
    """The schema `event`'s rows get when read from all of `files` (the module's
    rule), source columns included (`source_error` with errors="record", where a file
    that cannot be read is left out of the union). No file with the event is an
    UnknownEvent. `mapper(function, files)` runs `function` on each file (map; an
    engine's, to open them on its workers)."""
    found = list(mapper(FileSchema(event, errors), files))
    named = [(path, s) for path, s in zip(files, found) if s is not None]
    if not named:
        raise UnknownEvent("no event %r in any of %d recordings (%s%s)"
                           % (event, len(files), ", ".join(files[:3]),
                              ", ..." if len(files) > 3 else ""))
    return with_source(union(named), errors)


class FileSchema:
    """file_schema(path, event) for one event, None for an unreadable file with
    errors="record": a picklable function of the path, for an engine's workers."""

    def __init__(self, event, errors):
        self.event = event
        self.errors = errors

    def __call__(self, path):
        try:
            return file_schema(path, self.event)
        except PerfDataError:
            if self.errors == "raise":
                raise
            return None


def with_source(schema, errors="raise"):
    """`schema` and the source columns after it (`source_error` with errors="record")."""
    schema = schema.append(pa.field(SOURCE_FILE, SOURCE_TYPE))
    schema = schema.append(pa.field(SOURCE_HOST, SOURCE_TYPE))
    if errors == "record":
        schema = schema.append(pa.field(SOURCE_ERROR, pa.string()))
    return schema


def union(named):
    """The union of [(path, schema)] by the module's rule (no metadata)."""
    out = named[0][1].remove_metadata()
    origin = {name: named[0][0] for name in out.names}
    for path, schema in named[1:]:
        schema = schema.remove_metadata()
        try:
            out = pa.unify_schemas([out, schema], promote_options="permissive")
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            for f in schema:
                i = out.get_field_index(f.name)
                if i >= 0 and not _joins(out.field(i).type, f.type):
                    raise TypeError(
                        "column %r of the event is %s in %s but %s in %s: read them "
                        "apart or give a schema" % (f.name, out.field(i).type,
                                                    origin[f.name], f.type, path)) from None
            raise
        for name in schema.names:
            origin.setdefault(name, path)
    return out


def _joins(a, b):
    try:
        pa.unify_schemas([pa.schema([("c", a)]), pa.schema([("c", b)])],
                         promote_options="permissive")
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return False
    return True


def conform(table, schema):
    """`table` with exactly `schema`'s columns: its own cast to the schema's types
    (checked casts), nulls for those it lacks, the others dropped."""
    n = table.num_rows
    columns = []
    for field in schema:
        i = table.schema.get_field_index(field.name)
        if i < 0:
            columns.append(pa.nulls(n, field.type))
        else:
            c = table.column(i)
            columns.append(c if c.type == field.type else c.cast(field.type))
    return pa.Table.from_arrays(columns, schema=schema)

