"""One recording's tables made by several processes: the file is cut where its
records can be decoded apart (session.chunk_plan), each chunk's tables are made in a
worker, and the chunks' tables, concatenated in file order, are the file's.

    from perfscript.frames.chunks import plan_chunks, open_chunk, read_tables
    chunks = plan_chunks("big.data", chunk_bytes=256 << 20)   # picklable Chunks
    with open_chunk(chunks[1], events=["sched:sched_switch"]) as t:   # in a worker
        t.table("sched:sched_switch")          # that chunk's rows
    read_tables("big.data", workers=2)         # {event: pyarrow.Table}, all chunks

Each chunk's rows have the `sample_seq` and `sample_comm` the whole file's pass gives
them. Two things are the chunk's own: a `sample_comm` dictionary holds the comms its
chunk met, and `sample_stack_id` numbers the callsites of its chunk's `stacks` table
(the derived stacks and frames tables are per chunk)."""

import functools
import os

from perfscript.frames.extras import require
from perfscript.session.chunk_plan import (DEFAULT_CHUNK_BYTES, Chunk,
                                           balanced_chunk_bytes, plan_chunks)

pa = require("pyarrow")

__all__ = ["Chunk", "plan_chunks", "open_chunk", "read_chunk", "read_tables",
           "balanced_chunk_bytes"]


# a worker's symbol resolvers, by file and symbol options: the chunks of a file a
# process reads share what their dsos' symbols cost (a resolver also keeps a file's
# BPF symbols, so files do not share one)
_RESOLVERS = {}


def open_chunk(chunk, events=None, **options):
    """A Trace of one chunk's samples (a frames.trace.Trace: `table()`, `counts()`,
    `sql()`...), with `perfscript.open`'s options (kallsyms=, vmlinux=, symfs=)."""
    from perfscript.frames.trace import Trace
    from perfscript.session.lazy_resolver import LazyResolver
    symbol_options = {k: v for k, v in options.items() if v is not None}
    unknown = set(symbol_options) - {"kallsyms", "vmlinux", "symfs"}
    if unknown:
        raise TypeError("unexpected option %s" % ", ".join(sorted(unknown)))
    t = Trace(chunk.path, events=events, symbol_options=symbol_options, chunk=chunk)
    key = (chunk.path, tuple(sorted(symbol_options.items())))
    resolver = _RESOLVERS.get(key)
    if resolver is None:
        resolver = _RESOLVERS[key] = LazyResolver(**symbol_options)
    t.session.resolver = resolver
    return t


def read_chunk(chunk, events=None, **options):
    """{event: pyarrow.Table} of one chunk (every event, or those of `events`): what a
    worker sends back."""
    with open_chunk(chunk, events=events, **options) as t:
        return {name: t.table(name) for name in t.event_names}


def read_tables(path, events=None, workers=None, chunk_bytes=DEFAULT_CHUNK_BYTES,
                **options):
    """{event: pyarrow.Table} of the whole file, its chunks planned and read by
    `workers` processes (default: the CPUs this process may use), in file order."""
    if workers is None:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    read = functools.partial(read_chunk, events=events, **options)
    if workers <= 1:
        return concat_parts([read(c) for c in plan_chunks(path, chunk_bytes)])
    import concurrent.futures
    import multiprocessing
    ctx = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        chunks = plan_chunks(path, chunk_bytes, map=pool.map, workers=workers)
        return concat_parts(list(pool.map(read, chunks)))


def concat_parts(parts):
    """The chunks' {event: table} made one {event: table}, in chunk order."""
    out = {}
    for part in parts:
        for name, table in part.items():
            out.setdefault(name, []).append(table)
    return {name: pa.concat_tables(tables) for name, tables in out.items()}
