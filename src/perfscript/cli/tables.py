"""`perfscript export` and `perfscript sql`: a recording's events as files, or a query
(and `perfscript tables`, the bench's count of every event's rows).

    perfscript export -i perf.data -o DIR [--format parquet|csv|jsonl] [-e EVENT]...
                      [--derived]
    perfscript export --dataset DIR [-j N] [-e EVENT]... INPUT...   (cli/dataset_export.py)
    perfscript sql -i perf.data [--csv] "SELECT ..."
    perfscript sql -i DATASET_DIR [--csv] "SELECT ..."

(-i may also name a trace-cmd trace.dat.)

export writes one file per event, named after its SQL view (`sched__sched_switch.parquet`,
`cpu_clock.parquet`…; distinct for every recording, see frames.tables.unique_view_names),
with the columns of `perfscript.open(...).table(event)` (see docs/frames.md), plus
`header.json` (the recording's header and, per event, its file, view, rows and columns)
and one `event<TAB>file` line per event on stdout; `--derived` adds the derived tables
(frames.derived) under DIR/derived/. sql runs one DuckDB query over the event views and
the derived tables' and prints the result as aligned text (or CSV with --csv). Both take
perf's --kallsyms, -k/--vmlinux and --symfs for callchain frames. A dataset of many
recordings (`--dataset`, and sql over one) is cli/dataset_export.py's.
"""

import argparse
import errno
import json
import os
import sys
import time

from perfscript.cli.exits import ERROR, Refused, UsageError
from perfscript.frames.extras import MissingExtra

FORMATS = {"parquet": ".parquet", "csv": ".csv", "jsonl": ".jsonl"}


class _Parser(argparse.ArgumentParser):
    """argparse, its errors said the perfscript way (one line, status 129)."""

    def error(self, message):
        raise UsageError(message)


def _export_parser():
    p = _Parser(prog="perfscript export", description="one file per event of a recording, "
                "or one Parquet dataset of many (--dataset)")
    p.add_argument("-i", "--input", help="recording (perf.data or trace.dat; default "
                   "perf.data; with --dataset: one more input)")
    p.add_argument("-o", "--output", help="directory to write into (one recording)")
    p.add_argument("--format", choices=sorted(FORMATS), default="parquet")
    p.add_argument("inputs", nargs="*", metavar="INPUT",
                   help="with --dataset: recordings, directories (searched for them) or "
                        "globs")
    p.add_argument("--dataset", metavar="DIR",
                   help="write the INPUTs into one Hive-partitioned Parquet dataset in DIR "
                        "(DIR/event=VIEW/*.parquet), skipping those it has unchanged")
    p.add_argument("-j", "--jobs", type=int, metavar="N",
                   help="with --dataset: worker processes (default: the CPUs available)")
    p.add_argument("--prune", action="store_true",
                   help="with --dataset: remove the dataset's files that are not INPUTs")
    p.add_argument("--checksum", action="store_true",
                   help="with --dataset: hash every input, even those whose size and "
                        "mtime are the dataset's")
    p.add_argument("--chunk-size", metavar="SIZE",
                   help="with --dataset: convert a perf.data bigger than SIZE (bytes, or "
                        "with K, M, G; default 256M) in chunks of about that size")
    p.add_argument("-e", "--event", action="append", default=None,
                   help="only this event (perf's name, with or without its modifiers, or "
                        "its view name; repeatable)")
    p.add_argument("--derived", action="store_true",
                   help="also write the derived tables the recording can give (threads, "
                        "processes, sched_slices, syscalls, stacks...) into DIR/derived/")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    _symbol_options(p)
    return p


def _symbol_options(p):
    """perf's options for resolving callchain frames of a recording from elsewhere."""
    p.add_argument("-k", "--vmlinux", help="vmlinux pathname")
    p.add_argument("--kallsyms", help="kallsyms pathname")
    p.add_argument("--symfs", help="look for files with symbols relative to this directory")


def _open_options(opts):
    return {k: getattr(opts, k) for k in ("kallsyms", "vmlinux", "symfs")
            if getattr(opts, k, None) is not None}


def _sql_parser():
    p = _Parser(prog="perfscript sql", description="a SQL query over a recording's events")
    p.add_argument("-i", "--input", default="perf.data", help="recording (perf.data or trace.dat)")
    p.add_argument("--csv", action="store_true", help="print CSV instead of a text table")
    p.add_argument("--views", action="store_true", help="list the views and their events")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("query", nargs="?", help="the query (views: see --views)")
    _symbol_options(p)
    return p


class Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, label, enabled=True):
        self.label = label
        self.on = enabled and sys.stderr.isatty()
        self.last = -1

    def __call__(self, done, total):
        if not self.on or not total:
            return
        pct = min(100, int(100 * done / total))
        if pct != self.last:
            self.last = pct
            bar = "#" * (pct // 4)
            sys.stderr.write("\r%s [%-25s] %3d%%" % (self.label, bar, pct))
            sys.stderr.flush()

    def done(self):
        if self.on and self.last >= 0:
            sys.stderr.write("\r" + " " * (len(self.label) + 35) + "\r")
            sys.stderr.flush()


def export(trace, outdir, fmt="parquet", events=None, derived=False):
    """Write the events' tables into `outdir`; returns {event: file path}.

    Each event's file is its view name (`Tables.view_names`: distinct, ASCII letters,
    digits and `_`; cut and hashed when too long for a file name, `file_stems`) plus
    the format's extension: always a name of its own inside `outdir`, never
    `header.json`. `derived`: also each derived table the recording can give, as
    `derived/<name>.<ext>` (a directory of its own: no event's file can be called so).
    A file that cannot be written is an OSError naming it (cli.exits says it in one
    line)."""
    from perfscript.frames.tables import file_stems
    _written(outdir, lambda: os.makedirs(outdir, exist_ok=True))
    views = trace.view_names()
    wanted = trace.event_names
    if events:
        wanted = []
        for e in events:
            try:
                wanted.append(trace.event_name(e))
            except KeyError as err:
                raise UsageError(err.args[0]) from None
    view_of = {ev: v for v, ev in views.items()}
    stems = file_stems(views)
    written = {}
    meta = {"header": trace.header, "format": fmt, "events": {}}
    for name in wanted:
        table = trace.table(name)
        path = os.path.join(outdir, stems[view_of[name]] + FORMATS[fmt])
        _write_table(trace, table, view_of[name], path, fmt)
        written[name] = path
        meta["events"][name] = {"file": os.path.basename(path), "view": view_of[name],
                                "rows": table.num_rows,
                                "columns": [[f.name, str(f.type)] for f in table.schema]}
    if derived:
        meta["derived"] = {}
        tables = trace.derived_tables()
        if tables:
            sub = os.path.join(outdir, "derived")
            _written(sub, lambda: os.makedirs(sub, exist_ok=True))
        for name, table in tables.items():
            path = os.path.join(outdir, "derived", name + FORMATS[fmt])
            _write_table(trace, table, None, path, fmt)
            written["derived:" + name] = path
            meta["derived"][name] = {"file": "derived/" + os.path.basename(path),
                                     "rows": table.num_rows,
                                     "columns": [[f.name, str(f.type)]
                                                 for f in table.schema]}
    path = os.path.join(outdir, "header.json")
    _written(path, lambda: _write_json(path, meta))
    return written


def _write_table(trace, table, view, path, fmt):
    """One table into `path`: Parquet with its Arrow types, CSV / JSON lines as DuckDB
    writes its view (`view`: the event's; None: the table registered for the copy)."""
    if fmt == "parquet":
        import pyarrow.parquet as pq
        _written(path, lambda: pq.write_table(table, path))
        return
    con = trace.event_views()
    opt = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT json"
    if view is None:
        view = "perfscript_export_table"
        con.register(view, table)
    try:
        _written(path, lambda: _copy(con, view, path, opt))
    finally:
        if view == "perfscript_export_table":
            con.unregister(view)


def _copy(con, view, path, opt):
    # opened here first: a path that cannot be written is told in the system's words
    open(path, "wb").close()
    con.execute("COPY (SELECT * FROM \"%s\") TO '%s' (%s)"
                % (view, path.replace("'", "''"), opt))


def _write_json(path, meta):
    with open(path, "w") as f:
        json.dump(meta, f, indent=1, default=str)
        f.write("\n")


def _written(path, write):
    """Run `write()`; what stops it is an OSError naming `path` (not "standard output",
    not DuckDB's words for an unnamed file)."""
    try:
        write()
    except OSError as e:
        if e.filename is not None:
            raise
        raise OSError(e.errno, os.strerror(e.errno) if e.errno else str(e), path) from None
    except Exception as e:
        if not type(e).__module__.startswith(("duckdb", "_duckdb")):
            raise
        raise OSError(errno.EIO, str(e).splitlines()[0], path) from None


def result_rows(rel):
    """(column names, rows) of a DuckDB relation, with every value at full precision:
    DuckDB's Python values cut TIMESTAMP_NS to microseconds (datetime), so times with
    nanoseconds are read through Arrow and written out with all nine digits."""
    table = rel.fetch_arrow_table()
    columns = []
    for col in table.columns:
        typ = col.type
        if _pa_types().is_timestamp(typ) and typ.unit == "ns":
            columns.append([None if v is None else _ns_timestamp(v, typ.tz)
                            for v in _integers(col)])
        else:
            columns.append(col.to_pylist())
    return list(table.column_names), list(zip(*columns)) if columns else []


def _pa_types():
    import pyarrow as pa
    return pa.types


def _integers(col):
    """The int64 values (ns) of a timestamp column, None for nulls."""
    import pyarrow as pa
    return pa.chunked_array([c.view(pa.int64()) for c in col.chunks], pa.int64()).to_pylist()


def _ns_timestamp(ns, tz):
    """`YYYY-MM-DD HH:MM:SS.nnnnnnnnn` (plus the UTC offset when `tz` is set) of ns
    since the epoch, as Python prints a datetime, with nanoseconds."""
    import datetime
    secs, frac = divmod(ns, 1000000000)
    if tz:
        from zoneinfo import ZoneInfo
        zone = datetime.timezone.utc if tz in ("UTC", "Etc/UTC") else ZoneInfo(tz)
        dt = datetime.datetime.fromtimestamp(secs, zone)
        off = dt.strftime("%z")
        return "%s.%09d%s:%s" % (dt.strftime("%Y-%m-%d %H:%M:%S"), frac, off[:3], off[3:])
    dt = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=secs)
    return "%s.%09d" % (dt.strftime("%Y-%m-%d %H:%M:%S"), frac)


def _cell(v):
    if v is None:
        return "NULL"
    return str(v)


def print_table(names, rows, out):
    cells = [[_cell(v) for v in r] for r in rows]
    widths = [len(n) for n in names]
    for r in cells:
        for i, c in enumerate(r):
            widths[i] = max(widths[i], len(c))
    out.write("  ".join(n.ljust(w) for n, w in zip(names, widths)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for r in cells:
        out.write("  ".join(c.rjust(w) if _numeric(c) else c.ljust(w)
                            for c, w in zip(r, widths)).rstrip() + "\n")


def _numeric(c):
    try:
        float(c)
        return True
    except ValueError:
        return False


def _run(argv):
    # imported here, so that a missing pyarrow is told by main() like a missing duckdb
    from perfscript.frames.trace import open as open_trace
    cmd, args = argv[0], argv[1:]
    if cmd == "export":
        opts = _export_parser().parse_intermixed_args(args)
        if opts.dataset is not None:
            from perfscript.cli import dataset_export
            return dataset_export.run(opts)
        _one_recording(opts)
        prog = Progress("reading %s" % opts.input, not opts.quiet)
        with _opened(open_trace, opts, prog, opts.event) as t:
            t.counts()
            prog.done()
            written = export(t, opts.output, opts.format, opts.event, opts.derived)
            for w in t.warnings:
                sys.stderr.write("Warning: %s\n" % w)
        for name, path in written.items():
            sys.stdout.write("%s\t%s\n" % (name, path))
        return 0
    opts = _sql_parser().parse_args(args)
    if not opts.query and not opts.views:
        raise UsageError("give a query (or --views)")
    from perfscript.frames.dataset import DatasetError, is_dataset
    if is_dataset(opts.input):
        return _query_dataset(opts)
    if os.path.isdir(opts.input):
        raise DatasetError("%s: a directory, and no dataset (it has no manifest: "
                           "perfscript export --dataset makes one)" % opts.input)
    prog = Progress("reading %s" % opts.input, not opts.quiet)
    with _opened(open_trace, opts, prog) as t:
        if opts.views:
            for view, ev in t.view_names().items():
                sys.stdout.write("%s\t%s\t%d rows\n" % (view, ev, t.counts()[ev]))
            taken = {v.lower() for v in t.view_names()}
            for name, table in t.derived_tables().items():
                if name not in taken:
                    sys.stdout.write("%s\t(derived)\t%d rows\n" % (name, table.num_rows))
            if not opts.query:
                return 0
        t.counts()
        prog.done()
        _print_result(t.sql(opts.query), opts.csv)
    return 0


def _print_result(rel, as_csv):
    """A query's result on stdout: an aligned text table, or CSV."""
    if rel is None:
        return
    names, rows = result_rows(rel)
    if as_csv:
        import csv
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(names)
        w.writerows([[("" if v is None else v) for v in r] for r in rows])
    else:
        print_table(names, rows, sys.stdout)


def _query_dataset(opts):
    """`perfscript sql -i DATASET_DIR`: the views and the query span every recording
    of the dataset (frames.dataset)."""
    from perfscript.frames.dataset import open_dataset
    for key in ("kallsyms", "vmlinux", "symfs"):
        if getattr(opts, key) is not None:
            raise UsageError("option '--%s': a dataset's callchain frames were resolved "
                             "when it was exported" % key)
    with open_dataset(opts.input) as ds:
        if opts.views:
            counts = ds.view_counts()
            for view, event in ds.views.items():
                sys.stdout.write("%s\t%s\t%d rows\n" % (view, event, counts[view]))
            if not opts.query:
                return 0
        _print_result(ds.sql(opts.query), opts.csv)
    return 0


_DATASET_ONLY = (("jobs", "-j"), ("prune", "--prune"), ("checksum", "--checksum"),
                 ("chunk_size", "--chunk-size"))


def _one_recording(opts):
    """The checks of `export -i FILE -o DIR` (argparse made them before --dataset)."""
    if opts.output is None:
        raise UsageError("the following arguments are required: -o/--output")
    if opts.inputs:
        raise UsageError("unrecognized arguments: %s (several recordings go into one "
                         "dataset: --dataset DIR INPUT...)" % " ".join(opts.inputs))
    for key, flag in _DATASET_ONLY:
        if getattr(opts, key) not in (None, False):
            raise UsageError("option '%s' is for --dataset: one recording is exported "
                             "by one process" % flag)
    if opts.input is None:
        opts.input = "perf.data"


def _opened(open_trace, opts, progress, events=None):
    """The recording of `-i`, reading only `events` (-e) when given: a name it lacks
    is a usage error listing its events."""
    try:
        return open_trace(opts.input, progress=progress, events=events,
                          **_open_options(opts))
    except KeyError as e:
        raise UsageError(e.args[0]) from None


def main(argv):
    """`perfscript export ...` / `perfscript sql ...` (argv[0] names the command)."""
    from perfscript.frames.dataset import DatasetError
    try:
        return _run(argv)
    except DatasetError as e:       # not a dataset, a manifest unread, a dataset locked
        raise Refused("perfscript %s: %s" % (argv[0], e), ERROR) from None
    except MissingExtra as e:        # its message names the extra to install
        raise Refused("perfscript %s: %s" % (argv[0], e), ERROR) from None
    except ImportError as e:
        raise Refused("perfscript %s: %s (install perfscript[frames])" % (argv[0], e),
                      ERROR) from None
    except Exception as e:       # a bad query: DuckDB's own message, one line
        if type(e).__module__.startswith(("duckdb", "_duckdb")):
            raise Refused("perfscript %s: %s" % (argv[0], str(e).splitlines()[0]),
                          ERROR) from None
        raise


def count_rows(argv, prog="perfscript tables"):
    """`perfscript tables -i FILE`: decode every event of a recording into Arrow tables
    and print each event's rows and columns (the bench's columnar row)."""
    ap = argparse.ArgumentParser(prog=prog,
                                 description=count_rows.__doc__)
    ap.add_argument("-i", "--input", default="perf.data")
    ap.add_argument("--time", action="store_true", help="print the seconds taken")
    opts = ap.parse_args(argv)
    from perfscript.frames.trace import open as open_trace
    t0 = time.perf_counter()
    with open_trace(opts.input) as t:
        tables = t.tables()
        for name, tb in tables.items():
            sys.stdout.write("%s\t%d rows\t%d columns\n" % (name, tb.num_rows, tb.num_columns))
    if opts.time:
        sys.stdout.write("%.3f s\n" % (time.perf_counter() - t0))
    return 0
