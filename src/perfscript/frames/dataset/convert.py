"""One recording (or one chunk of a big one) into a dataset's parts: what a worker
process runs. It returns a small dict (never the tables): the manifest entry of what it
wrote, or the located one-line error that stopped it.

Each part is the table `perfscript.open(file).table(event)` gives, plus three columns
(dictionary-encoded: one value per part, so they cost next to nothing):

    source_file   the recording's absolute path
    source_host   the hostname its header names (null when it names none)
    source_id     the BLAKE2b-128 hash of its bytes (32 hex digits)

(a payload field already called so pushes the name to `source_source_file`...).
"""

import os
import stat
import time

from perfscript import __version__
from perfscript.errors import PerfDataError
from perfscript.frames.columns import repeated
from perfscript.frames.dataset import layout
from perfscript.frames.dataset.manifest import encode_schema
from perfscript.frames.dataset.schema import SOURCE_COLUMNS
from perfscript.frames.extras import MissingExtra, require
from perfscript.frames.trace import Trace
from perfscript.frames.trace import open as open_trace
from perfscript.session.input_format import PERF_DATA, sniff

pa = require("pyarrow")
pq = require("pyarrow.parquet")

_SOURCE_TYPE = pa.dictionary(pa.int32(), pa.string())


def settings(events, symbol_options):
    """What a conversion depends on besides the input's bytes: a file converted with
    other settings (events, symbol options, perfscript's version) is converted again."""
    return {"events": list(events) if events else None,
            "symbol_options": dict(sorted((symbol_options or {}).items())),
            "perfscript": __version__}


def with_source(table, source_file, host, source_id):
    """`table` with the source columns appended (see the module's docstring)."""
    for name, value in zip(SOURCE_COLUMNS, (source_file, host, source_id)):
        while name in table.column_names:
            name = "source_" + name
        table = table.append_column(pa.field(name, _SOURCE_TYPE),
                                    repeated(value, table.num_rows))
    return table


def _write_parquet(table, path):
    pq.write_table(table, path)


def write_part(root, rel, table):
    """One part, whole or not at all (layout.write_atomically)."""
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    layout.write_atomically(path, lambda tmp: _write_parquet(table, tmp))


def describe(error, path):
    """(one line naming the file and, when known, the offset; the offset or None)."""
    if isinstance(error, PerfDataError):
        if error.path is None:
            error.path = path
        return str(error), error.offset
    if isinstance(error, OSError):
        return "%s: %s" % (error.filename or path, error.strerror or error), None
    if isinstance(error, KeyError):
        return "%s: %s" % (path, error.args[0] if error.args else error), None
    return "%s: %s: %s" % (path, type(error).__name__, error), None


def _header(trace):
    """The recording's header as the manifest keeps it (its events are listed apart)."""
    return {k: v for k, v in trace.header.items() if k not in ("path", "events")}


_kallsyms_texts = {}


def _kallsyms_once(path):
    """A kallsyms file's bytes, read once by this worker: perf reads /proc/kallsyms once
    a run, and a worker's recordings are one export's (reading it is ~60 ms a file)."""
    text = _kallsyms_texts.get(path)
    if text is None:
        from perfscript.symbols.kallsyms import read_kallsyms   # callchain files only
        text = _kallsyms_texts[path] = read_kallsyms(path)
    return text


def _open(source, kind, events, symbol_options):
    """The recording's tables: a perf.data's with the worker's kallsyms reader."""
    if kind != PERF_DATA:
        return open_trace(source, events=events, **symbol_options)
    return Trace(source, events=events,
                 symbol_options=dict(symbol_options, kallsyms_reader=_kallsyms_once))


def _present(path, wanted):
    """(the recording's names of the events of `wanted` it has, the names of `wanted`
    it has): `wanted` may use any of an event's names."""
    found = {}
    with open_trace(path) as t:
        for name in wanted:
            try:
                found[name] = t.event_name(name)
            except KeyError:
                pass
    return list(dict.fromkeys(found.values())), list(found)


def _write_events(trace, root, source, source_id, fid, chunk):
    """Every event of `trace` as a part; the entry's `events`, `header`, `host`. A
    failure takes back the parts written before it."""
    header = _header(trace)
    host = header.get("hostname")
    view_of = {ev: v for v, ev in trace.view_names().items()}
    events = {}
    try:
        for name in trace.event_names:
            table = with_source(trace.table(name), source, host, source_id)
            rel = layout.part_path(view_of[name], fid, chunk)
            write_part(root, rel, table)
            events[name] = {"view": view_of[name], "rows": table.num_rows,
                            "parts": [rel], "schema": encode_schema(table.schema)}
    except BaseException:
        remove_parts(root, [p for ev in events.values() for p in ev["parts"]])
        raise
    return {"events": events, "header": header, "host": host,
            "warnings": list(trace.warnings)}


def remove_parts(root, parts):
    """Delete parts (paths relative to `root`) that are there."""
    for rel in parts:
        try:
            os.unlink(os.path.join(root, rel))
        except FileNotFoundError:
            pass


def _done(out, status, t0):
    """A task's result: with the seconds it took and this process's CPU time so far
    (the parent adds up its workers' last figures)."""
    times = os.times()
    return dict(out, status=status, seconds=time.perf_counter() - t0, pid=os.getpid(),
                cpu=times.user + times.system)


def convert_input(task):
    """Hash one input and, unless the dataset has it already with that hash and
    settings, convert it (or, for a perf.data bigger than `chunk_bytes` that has clean
    cuts, plan its chunks: status "chunked", the chunks converted by `convert_chunk`).

    `task`: root, source (absolute path), known (the manifest's entry or None),
    settings, events (names asked for, or None), symbol_options, chunk_bytes."""
    t0 = time.perf_counter()
    source = task["source"]
    out = {"source": source}
    try:
        st = os.stat(source)
        if not stat.S_ISREG(st.st_mode):
            raise PerfDataError("not a regular file", source)
        out.update(size=st.st_size, mtime_ns=st.st_mtime_ns)
        out["hash"] = source_id = layout.content_hash(source)
        known = task["known"]
        if known is not None and known["hash"] == source_id \
                and known["settings"] == task["settings"]:
            return _done(out, "unchanged", t0)
        fid = layout.file_id(source, source_id, task["settings"])
        kind = sniff(source) or "unknown"
        out.update(id=fid, kind=kind, settings=task["settings"])
        events = task["events"]
        if events is not None:
            events, out["matched"] = _present(source, events)
        if kind == PERF_DATA and st.st_size > task["chunk_bytes"]:
            from perfscript.frames.chunks import plan_chunks
            chunks = plan_chunks(source, task["chunk_bytes"])
            if len(chunks) > 1:
                return _done(dict(out, chunks=chunks, events=events), "chunked", t0)
        with _open(source, kind, events, task["symbol_options"]) as trace:
            out.update(_write_events(trace, task["root"], source, source_id, fid, None))
        return _done(dict(out, chunks=1), "converted", t0)
    except MissingExtra:
        raise
    except Exception as e:   # noqa: B902 - any input's failure is that input's alone
        out["error"], out["offset"] = describe(e, source)
        return _done(out, "failed", t0)


def convert_chunk(task):
    """One chunk of a big input (task: root, source, hash, id, chunk, events,
    symbol_options): its parts `<id>-<chunk>.parquet` and their entry."""
    t0 = time.perf_counter()
    from perfscript.frames.chunks import open_chunk
    chunk = task["chunk"]
    out = {"source": task["source"], "chunk": chunk.index}
    try:
        with open_chunk(chunk, events=task["events"], **task["symbol_options"]) as trace:
            out.update(_write_events(trace, task["root"], task["source"], task["hash"],
                                     task["id"], chunk.index))
        return _done(out, "converted", t0)
    except MissingExtra:
        raise
    except Exception as e:   # noqa: B902 - any input's failure is that input's alone
        out["error"], out["offset"] = describe(e, task["source"])
        return _done(out, "failed", t0)
