"""Traces as data: every event of a recording as a typed columnar table.

    import perfscript
    with perfscript.open("perf.data") as t:     # or a trace-cmd trace.dat
        t.counts()                          # {event name: samples}
        t.table("sched:sched_switch")       # pyarrow.Table
        t.sql("SELECT prev_comm, count(*) FROM sched__sched_switch GROUP BY 1")

Needs pyarrow (and duckdb / pandas / polars for those conversions):
`pip install perfscript[frames]`. See docs/frames.md.
"""


def open(path, progress=None):   # noqa: A001
    """Open a recording (perf.data or trace-cmd's trace.dat) for columnar access."""
    from perfscript.frames.trace import open as open_trace
    return open_trace(path, progress=progress)


__all__ = ["open"]
