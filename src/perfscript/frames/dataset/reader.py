"""`perfscript.open_dataset()`: a dataset's events across all its recordings.

Everything goes by the manifest: a reader sees the parts of the last completed
checkpoint of the last export, never a part being written or one a running export
has already replaced.
"""

import os

from perfscript.frames.dataset.layout import DatasetError, is_dataset
from perfscript.frames.dataset.manifest import Manifest, decode_schema
from perfscript.frames.dataset.schema import unify_parts
from perfscript.frames.extras import require
from perfscript.frames.tables import base_name
from perfscript.frames.unify import conform

pa = require("pyarrow")


def _quote(name):
    return '"%s"' % name.replace('"', '""')


def _literal(text):
    return "'%s'" % text.replace("'", "''")


def _unified(members):
    """The schema of a view's (source, event, entry) members (schema.py)."""
    return unify_parts(decode_schema(ev["schema"]) for _, _, ev in members)


def _parquet(paths):
    """DuckDB's reader of these Parquet files (no Hive columns: each view is one
    partition already)."""
    return "read_parquet([%s], hive_partitioning = false)" % ", ".join(
        _literal(p) for p in paths)


class Dataset:
    """The recordings of a dataset directory (see docs/datasets.md) as one table per
    event, in Arrow or through DuckDB::

        ds = Dataset("fleet.ds")
        ds.views                            # {view: event}
        ds.table("sched:sched_switch")      # every file's rows, source_* columns last
        ds.sql("SELECT source_host, count(*) FROM sched__sched_switch GROUP BY 1")
    """

    def __init__(self, root):
        root = os.path.abspath(os.fspath(root))
        if not is_dataset(root):
            raise DatasetError("%s: not a perfscript dataset (no manifest: make one with "
                               "perfscript export --dataset)" % root)
        self.root = root
        self.manifest = Manifest.load(root)
        self._members = self.manifest.views()
        self._con = None

    def __repr__(self):
        return "<perfscript Dataset %s: %d files, %d events>" % (
            self.root, len(self.manifest.files), len(self._members))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self._con is not None:
            self._con.close()
            self._con = None

    @property
    def files(self):
        """{source_file: what the manifest says of it}: id, hash, size, mtime_ns, kind,
        host, header, chunks, warnings and per event its view, rows, parts and
        `schema` (a pyarrow.Schema)."""
        out = {}
        for source, entry in self.manifest.files.items():
            entry = dict(entry)
            entry["events"] = {name: dict(ev, schema=decode_schema(ev["schema"]))
                               for name, ev in entry["events"].items()}
            out[source] = entry
        return out

    @property
    def views(self):
        """{SQL view (the partition's name): event name (the first file's)}."""
        return {view: members[0][1] for view, members in self._members.items()}

    @property
    def event_names(self):
        return list(self.views.values())

    def view_counts(self):
        """{view: rows over all files}."""
        return {view: sum(ev["rows"] for _, _, ev in members)
                for view, members in self._members.items()}

    def counts(self):
        """{event name: rows over all files}."""
        out = {}
        for view, rows in self.view_counts().items():
            event = self._members[view][0][1]
            out[event] = out.get(event, 0) + rows
        return out

    def view_name(self, name):
        """The view `name` means: a view (in any case), an event's name as perf gives
        it, or that name without perf's modifiers; a KeyError otherwise."""
        by_view = {v.lower(): v for v in self._members}
        if name.lower() in by_view:
            return by_view[name.lower()]
        for match in (lambda e: e == name, lambda e: base_name(e.split("#")[0]) == name):
            found = sorted({v for v, members in self._members.items()
                            if any(match(e) for _, e, _ in members)})
            if len(found) == 1:
                return found[0]
            if found:
                raise KeyError("event %r is ambiguous in %s: it may be %s"
                               % (name, self.root, ", ".join(found)))
        raise KeyError("no event %r in %s (views: %s)"
                       % (name, self.root, ", ".join(self._members) or "none"))

    def _selected(self, view, files):
        members = self._members[view]
        if files is None:
            return members
        wanted = {os.path.abspath(os.fspath(f)) for f in files}
        return [m for m in members if m[0] in wanted]

    def schema(self, name, files=None):
        """The unified schema of event `name` over all files (or `files`): see
        frames/unify.py."""
        members = self._selected(self.view_name(name), files)
        return _unified(members)

    def table(self, name, columns=None, files=None):
        """Event `name`'s rows of every file (`files`: only those paths), file by
        file in path order, each file's in its recording's order, as one
        pyarrow.Table with the unified schema (columns: only those)."""
        import pyarrow.parquet as pq
        view = self.view_name(name)
        members = self._selected(view, files)
        schema = _unified(members)
        if columns is not None:
            schema = pa.schema([schema.field(c) for c in columns])
        tables = []
        for _, _, ev in members:
            have = set(decode_schema(ev["schema"]).names)
            for part in ev["parts"]:
                t = pq.read_table(os.path.join(self.root, part),
                                  columns=[c for c in schema.names if c in have])
                tables.append(conform(t, schema))
        return pa.concat_tables(tables) if tables else schema.empty_table()

    def to_pandas(self, name):
        require("pandas", "to_pandas()")
        return self.table(name).to_pandas()

    def to_polars(self, name):
        pl = require("polars", "to_polars()")
        return pl.from_arrow(self.table(name))

    @property
    def duckdb(self):
        """A DuckDB connection with one view per event over its parts (DuckDB's
        Parquet reader, every column cast to the type the unified schema has in
        DuckDB; the duration column left out as in a recording's views)."""
        if self._con is None:
            duckdb = require("duckdb", "SQL over a dataset")
            con = duckdb.connect()
            for view, members in self._members.items():
                con.execute("CREATE VIEW %s AS %s" % (_quote(view),
                                                      self._view_sql(con, members)))
            self._con = con
        return self._con

    def _view_sql(self, con, members):
        schema = _unified(members)
        if len(schema) > 2 and pa.types.is_duration(schema.field(2).type):
            schema = schema.remove(2)       # as frames.tables.sql_table leaves it out
        con.register("perfscript_dataset_schema", schema.empty_table())
        try:
            target = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE "
                                      "perfscript_dataset_schema)").fetchall())
        finally:
            con.unregister("perfscript_dataset_schema")
        groups = {}
        for _, _, ev in members:
            groups.setdefault(ev["schema"], []).extend(
                os.path.join(self.root, p) for p in ev["parts"])
        selects = []
        for paths in groups.values():
            have = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE SELECT "
                                    "* FROM %s)" % _parquet([paths[0]])).fetchall())
            cols = []
            for name in schema.names:
                q, typ = _quote(name), target[name]
                if name not in have:
                    cols.append("CAST(NULL AS %s) AS %s" % (typ, q))
                elif have[name] != typ:
                    cols.append("CAST(%s AS %s) AS %s" % (q, typ, q))
                else:
                    cols.append(q)
            selects.append("SELECT %s FROM %s" % (", ".join(cols), _parquet(paths)))
        return " UNION ALL ".join(selects)

    def sql(self, query):
        """Run SQL over the event views; returns a DuckDB relation."""
        return self.duckdb.sql(query)

