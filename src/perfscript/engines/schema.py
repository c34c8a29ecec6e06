"""One schema for an event read from many recordings, whose tables may differ: another
kernel's tracepoint format, a recording with or without clock data
(`sample_wall_time`), with or without callchains.

The rule is a dataset's (frames.unify): the union of the files' columns, in the order
they first appear (files in the order given), then the source columns; a column whose
type differs between files gets the narrowest type that holds every value of both
(uint64 and int64: decimal128(20, 0); a number and text: text); a file's missing
columns are null."""

from perfscript.engines.parts import (PASS_LOCAL, SOURCE_ERROR, SOURCE_FILE,
                                      SOURCE_HOST, SOURCE_TYPE, find_event,
                                      open_unresolved)
from perfscript.errors import PerfDataError
from perfscript.frames.extras import require
from perfscript.frames.tables import UnknownEvent
from perfscript.frames.unify import unify
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
    return with_source(unify(s for _, s in named), errors)


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
