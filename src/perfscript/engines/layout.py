"""Where an engine writes a dataset of recordings: a directory per event,
`event=<SQL view>` (Hive's layout: `sched__sched_switch`, `cpu_clock`), each written
from the recordings that have the event, in the event's one schema (engines.schema's
rule), a Parquet file per part of a recording.

What the engines run, in tasks: `survey` each recording (its events, their views and
schemas), `plan` on the driver, then `write_parts` for each part, which reads all the
part's events in one pass."""

import os

from perfscript.engines.parts import open_unresolved, read_parts
from perfscript.engines.schema import table_schema, with_source
from perfscript.frames.dataset.layout import write_atomically
from perfscript.frames.unify import conform, unify


def views(path):
    """{event: SQL view} of one recording (a perf.data's header names them; a
    trace.dat is read)."""
    with open_unresolved(path) as t:
        return {event: view for view, event in t.view_names().items()}


def survey(path):
    """{event: (SQL view, schema)} of one recording's events (schema.table_schema)."""
    with open_unresolved(path) as t:
        return {event: (view, table_schema(t, event))
                for view, event in t.view_names().items()}


def plan(surveyed, directory, events=None):
    """{event: (its directory, its schema with the source columns, its files)} from
    [(path, survey or views)], events in the order they first appear: all, or the
    names in `events`, which must be among them."""
    found = {}
    for path, described in surveyed:
        for event, about in described.items():
            view, schema = about if isinstance(about, tuple) else (about, None)
            entry = found.setdefault(event, (view, [], []))
            entry[1].append(path)
            entry[2].append((path, schema))
    if events is not None:
        missing = [e for e in events if e not in found]
        if missing:
            raise KeyError("no event %s in the recordings (events: %s)"
                           % (", ".join(map(repr, missing)), ", ".join(found)))
        found = {e: found[e] for e in events}
    return {event: (os.path.join(directory, "event=%s" % view),
                    None if named[0][1] is None else with_source(unify(s for _, s in named)),
                    files)
            for event, (view, files, named) in found.items()}


def write_parts(part, targets, number, options=None):
    """Write one part's rows of each event of `targets` ({event: (directory, schema)})
    to `directory/part-<number>.parquet`, every event read in one pass, each file
    written as a dataset's parts are (frames.dataset.layout.write_atomically: a hidden
    temporary, fsync'ed and renamed, so a reader never sees half a file, nor one left
    by a crash); nothing for an event without rows here. Returns {event: rows
    written}."""
    import pyarrow.parquet as pq
    written = {}
    for event, table in read_parts(part, list(targets), options).items():
        if table is None or not table.num_rows:
            continue
        where, schema = targets[event]
        rows = conform(table, schema)
        write_atomically(os.path.join(where, "part-%05d.parquet" % number),
                         lambda tmp: pq.write_table(rows, tmp))
        written[event] = table.num_rows
    return written
