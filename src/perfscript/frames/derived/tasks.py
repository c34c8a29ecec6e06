"""Threads and processes, from the task records (COMM, FORK, EXIT) a perf.data holds.

The thread state is the session's, built as perf builds it (session.threads): what
`perf report --tasks` lists is the `threads` rows whose thread still held its tid at the
end, with the same pid, tid, ppid and comm. Times come from the FORK and EXIT records
(frames.task_log); a thread that existed before the recording began has no start."""

from perfscript.frames.derived import NotRecorded
from perfscript.frames.extras import require

pa = require("pyarrow")

THREADS_SCHEMA = pa.schema([
    ("tid", pa.int32()),
    ("pid", pa.int32()),
    ("ppid", pa.int32()),
    ("parent_tid", pa.int32()),
    ("comm", pa.string()),
    ("is_main_thread", pa.bool_()),
    ("start_time", pa.int64()),
    ("end_time", pa.int64()),
    ("replaced", pa.bool_()),
])

PROCESSES_SCHEMA = pa.schema([
    ("pid", pa.int32()),
    ("ppid", pa.int32()),
    ("comm", pa.string()),
    ("threads", pa.int32()),
    ("start_time", pa.int64()),
    ("end_time", pa.int64()),
])


def _has_task_records(source):
    return getattr(source, "has_task_records", False)


def _log(source, table):
    if not _has_task_records(source):
        raise NotRecorded("%s needs a perf.data's task records (COMM, FORK, EXIT); %s "
                          "has none (a trace.dat keeps only saved comms)"
                          % (table, source.path))
    return source.task_log()


def _rows(source):
    """(tid, pid, ppid, parent_tid, comm, start, end, replaced, process key) of every
    thread, ordered by tid then start (a thread that existed first comes first). The
    key is its address space's identity: a process's threads share their maps, and a
    process that reused an exited one's pid has new ones."""
    log = _log(source, "threads")
    replaced = {id(th) for th in log.replaced}
    rows = []
    for th, span in log.all_threads():
        start = span.start_time if span is not None else None
        rows.append((th.tid, th.pid, th.ppid,
                     span.parent_tid if span is not None else None, th.comm,
                     start, span.end_time if span is not None else None,
                     id(th) in replaced, id(th.maps)))
    rows.sort(key=lambda r: (r[0], r[5] is not None, r[5] or 0))
    return rows


def threads(source):
    """One row per thread the recording knew: `tid`, `pid` (-1 when never learnt), `ppid`
    (the parent process of a thread forked while recording, else -1: perf's),
    `parent_tid` (the forking thread, null when not seen), `comm` (its last; perf's
    `:tid` when it never had one), `is_main_thread`, `start_time` (its FORK, ns; null
    when it existed before the recording), `end_time` (its EXIT, null when not seen),
    `replaced` (a later task took its tid: perf's thread table no longer has it).
    Ordered by tid, then start."""
    rows = _rows(source)
    cols = list(zip(*rows))[:8] if rows else [()] * 8
    tid, pid = cols[0], cols[1]
    main = [t == p for t, p in zip(tid, pid)]
    arrays = list(cols[:5]) + [main] + list(cols[5:])
    return pa.Table.from_arrays([pa.array(a, f.type) for a, f in
                                 zip(arrays, THREADS_SCHEMA)], schema=THREADS_SCHEMA)


def processes(source):
    """One row per process (thread group, pid != -1): `pid`, `ppid`, `comm` (its main
    thread's, else its first thread's), `threads` (how many it had), `start_time` (its
    main thread's FORK), `end_time` (the last EXIT of its threads, null while one has
    none). Ordered by pid, then start."""
    groups = {}
    for tid, pid, ppid, _, comm, start, end, _, space in _rows(source):
        if pid != -1:
            groups.setdefault((pid, space), []).append((tid, ppid, comm, start, end))
    out = []
    for (pid, _), members in groups.items():
        main = next((m for m in members if m[0] == pid), members[0])
        ends = [m[4] for m in members]
        end = None if any(e is None for e in ends) else max(ends)
        out.append((pid, main[1], main[2], len(members), main[3] if main[0] == pid
                    else None, end))
    out.sort(key=lambda r: (r[0], r[4] is not None, r[4] or 0))
    cols = list(zip(*out)) if out else [()] * 6
    return pa.Table.from_arrays([pa.array(a, f.type) for a, f in
                                 zip(cols, PROCESSES_SCHEMA)], schema=PROCESSES_SCHEMA)


AVAILABLE = {"threads": _has_task_records, "processes": _has_task_records}
