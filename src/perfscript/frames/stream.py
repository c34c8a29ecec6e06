"""One event's table as a stream of record batches, for recordings too big to hold.

`Trace.batches(name)` runs the pass that `table()` runs, in a second thread, with a
collector that hands each chunk of the event's rows over as it is made instead of
keeping it: the reader gets pyarrow.RecordBatches while the pass goes on, at most
`QUEUED` ahead of it, so memory holds a few batches (plus the pass's thread state, comm
names and callchain frames), not the table. Each batch has the schema `table()` has.
`scan_polars` wraps the same stream as a polars LazyFrame (projection and row limits
pushed into the stream; a filter polars applies batch by batch)."""

import queue
import threading

from perfscript.frames.collect import Collector, EventColumns
from perfscript.frames.extras import require
from perfscript.frames.tables import build_table

pa = require("pyarrow")

QUEUED = 4              # batches made ahead of the reader
DEFAULT_ROWS = 1 << 16


class _Stop(Exception):
    """The reader stopped reading: the pass unwinds."""


class _OneChunk:
    """An event's columns with one chunk: what build_table needs to make a batch."""

    def __init__(self, ec, chunk):
        self.__dict__.update({k: getattr(ec, k) for k in (
            "has_time", "has_ip", "has_addr", "has_callchain", "decoder")})
        self.chunks = [chunk]
        self.count = len(chunk["time"])


def empty_table(trace, name):
    """The table `name` would have, with no rows (its schema, without a pass)."""
    ev = trace._index()[trace.event_name(name)]
    col = Collector(trace.session, symbols=False)
    ec = EventColumns(ev, trace.session)
    return build_table(ec, [], col.frames, trace.wall_offset())


def iter_batches(trace, name, rows=DEFAULT_ROWS, columns=None):
    """pyarrow.RecordBatches of event `name`'s rows, in delivery order, each at most
    `rows` long; `columns`: only those (in the table's order)."""
    name = trace.event_name(name)
    index = trace._index()[name].index
    if trace._is_read() or trace.session.pd.pipe:
        # read already (or a pipe, read to learn its events): slice the table
        table = trace.table(name)
        if columns is not None:
            table = table.select([c for c in table.column_names if c in set(columns)])
        yield from table.to_batches(max_chunksize=rows)
        return
    from perfscript.session.session import Session
    session = Session(trace.path)       # a pass of its own: the trace's stays unread
    handed = queue.Queue(QUEUED)
    stop = threading.Event()
    col = Collector(session, symbols=trace.symbols, wanted={index},
                    symbol_options=trace.symbol_options)
    wall = trace.wall_offset()

    def sink(ec, chunk):
        if ec.ev.index != index:
            return
        batch = build_table(_OneChunk(ec, chunk), col.comms, col.frames, wall)
        if columns is not None:
            batch = batch.select([c for c in batch.column_names if c in set(columns)])
        for b in batch.to_batches(max_chunksize=rows):
            while True:
                if stop.is_set():
                    raise _Stop()
                try:
                    handed.put(("batch", b), timeout=0.1)
                    break
                except queue.Full:
                    pass

    col.sink = sink

    def run():
        try:
            session.process(col)
            handed.put(("end", None))
        except _Stop:
            pass
        except BaseException as e:   # noqa: B902 - handed to the reader, raised there
            handed.put(("error", e))

    worker = threading.Thread(target=run, name="perfscript-batches", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = handed.get()
            if kind == "batch":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()
        worker.join()
        if hasattr(session.pd, "close"):
            session.pd.close()


def scan_polars(trace, name):
    """A polars LazyFrame of event `name` read as a stream (see iter_batches)."""
    pl = require("polars", "scan_polars()")
    try:
        from polars.io.plugins import register_io_source
    except ImportError:
        raise ImportError("scan_polars() needs polars >= 1.20 (polars.io.plugins); "
                          "this is polars %s" % pl.__version__) from None
    name = trace.event_name(name)

    def schema():
        return pl.from_arrow(empty_table(trace, name)).schema

    def source(with_columns, predicate, n_rows, batch_size):
        left = n_rows
        for b in iter_batches(trace, name, rows=batch_size or DEFAULT_ROWS,
                              columns=with_columns):
            df = pl.from_arrow(b)
            if predicate is not None:
                df = df.filter(predicate)
            if left is not None:
                df = df.head(left)
                left -= len(df)
            yield df
            if left is not None and left <= 0:
                return

    return register_io_source(source, schema=schema)
