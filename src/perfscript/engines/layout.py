"""Where an engine writes a dataset of recordings: a directory per event,
`event=<SQL view>` (Hive's layout: `sched__sched_switch`, `cpu_clock`), each written
from the recordings that have the event, a Parquet file per part."""

import os

import perfscript
from perfscript.engines.parts import read_part
from perfscript.engines.schema import conform


def recorded_events(files):
    """{event: (SQL view, [the files that have it])}, events in the order they first
    appear (a perf.data's header names them; a trace.dat is read)."""
    out = {}
    for path in files:
        with perfscript.open(path) as t:
            for view, event in t.view_names().items():
                out.setdefault(event, (view, []))[1].append(path)
    return out


def dataset_plan(files, directory, events=None):
    """[(event, its directory, its files)] for the events of `files` (all, or the
    names in `events`, which must be among them)."""
    found = recorded_events(files)
    if events is not None:
        missing = [e for e in events if e not in found]
        if missing:
            raise KeyError("no event %s in the recordings (events: %s)"
                           % (", ".join(map(repr, missing)), ", ".join(found)))
        found = {e: found[e] for e in events}
    return [(event, os.path.join(directory, "event=%s" % view), paths)
            for event, (view, paths) in found.items()]


def write_part(part, event, schema, path, options=None, errors="raise"):
    """Write one part's rows of `event` (with `schema`'s columns and types) to the
    Parquet file `path`, through a temporary beside it renamed at the end, so a
    reader never sees half a file; nothing when the part has no rows. Returns the
    rows written."""
    import pyarrow.parquet as pq
    table = read_part(part, event, options, errors)
    if table is None or not table.num_rows:
        return 0
    tmp = "%s.tmp-%d" % (path, os.getpid())
    pq.write_table(conform(table, schema), tmp)
    os.replace(tmp, path)
    return table.num_rows
