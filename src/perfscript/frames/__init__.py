"""Traces as data: every event of a recording as a typed columnar table.

    import perfscript
    with perfscript.open("perf.data") as t:
        t.counts()                          # {event name: samples}
        t.table("sched:sched_switch")       # pyarrow.Table
        t.sql("SELECT prev_comm, count(*) FROM sched__sched_switch GROUP BY 1")

Needs pyarrow (and duckdb / pandas / polars for those conversions):
`pip install perfscript[frames]`. See docs/frames.md.
"""


def open(path, progress=None):   # noqa: A001
    """Open a recording for columnar access (a `frames.trace.Trace`)."""
    from perfscript.frames.trace import Trace
    return Trace(path, progress=progress)


__all__ = ["open"]
