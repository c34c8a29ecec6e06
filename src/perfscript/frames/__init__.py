"""Traces as data: every event of a recording as a typed columnar table.

    import perfscript
    with perfscript.open("perf.data") as t:     # or a trace-cmd trace.dat
        t.counts()                          # {event name: samples}
        t.table("sched:sched_switch")       # pyarrow.Table
        t.sql("SELECT prev_comm, count(*) FROM sched__sched_switch GROUP BY 1")

Needs pyarrow (and duckdb / pandas / polars for those conversions):
`pip install 'perfscript[frames]'` (or only what you use: `[arrow]`, `[sql]`,
`[pandas]`, `[polars]`). See docs/frames.md.

>>> import perfscript
>>> t = perfscript.open("examples/sched.data")
>>> t.counts()
{'sched:sched_switch': 11, 'sched:sched_process_exec': 5, 'sched:sched_process_exit': 5}
>>> t.table("sched:sched_switch").column("prev_comm").to_pylist()[:3]
['sh', 'sh', 'sh']
>>> t.close()
"""


def open(path, progress=None, **options):   # noqa: A001
    """Open a recording (perf.data or trace-cmd's trace.dat) for columnar access: see
    `perfscript.open`, which this is."""
    from perfscript.frames.trace import open as open_trace
    return open_trace(path, progress=progress, **options)


__all__ = ["open"]
