"""perfscript: Linux perf's Python scripting, as an ordinary Python package.

Reads perf.data recordings without perf and runs scripts written for `perf script -s`.
"""

from __future__ import annotations

import os as _os
import sys as _sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterable

    from perfscript.frames.dataset.reader import Dataset
    from perfscript.frames.tables import Tables

__version__ = "0.1.0"

# NumPy's OpenBLAS starts a thread per CPU as it loads, and each spins for about 0.1 s
# of CPU time before it sleeps: on two CPUs as much as reading a large recording, on
# sixty-four several seconds. Unless the user chose otherwise, they sleep at once
# (BLAS still has its threads, woken when it has work).
if "numpy" not in _sys.modules:
    _os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")


def open(path: str | os.PathLike[str],   # noqa: A001 - perfscript.open, like io.open
         progress: bool | Callable[[int, int], object] | None = None,
         events: Iterable[str] | None = None, kallsyms: str | None = None,
         vmlinux: str | None = None, symfs: str | None = None) -> Tables:
    """Open a recording to read its events as typed columnar tables, one per event.

    `path` is a perf.data (a file or pipe mode, compressed or not) or a trace-cmd
    trace.dat (versions 6 and 7), told apart by the file's first bytes. Opening reads
    only the header; the records are read once, by the first call that needs them
    (`counts()`, `table()`, `sql()`…). `progress=True` shows a bar while they are read
    (tqdm or rich when installed, else a line on stderr); a callable gets
    `progress(done, total)` instead. Close the trace, or use it as a context manager.

    `events=["sched:sched_switch", ...]` reads only those events (any of their names:
    perf's, without modifiers, or the SQL view); the others' samples are skipped
    unparsed, so a big recording reads faster and holds less. `kallsyms=`, `vmlinux=`
    and `symfs=` are perf's options of those names, for resolving callchain frames of a
    recording made on another machine.

    Needs pyarrow (`pip install 'perfscript[arrow]'`); `.sql()` needs DuckDB (`[sql]`),
    `.to_pandas()` pandas (`[pandas]`), `.to_polars()` polars (`[polars]`);
    `[frames]` installs all four. A missing one raises an error naming its extra.

    Example::

        import perfscript
        with perfscript.open("perf.data") as t:
            t                                    # events and sample counts
            t.event_names                        # ['sched:sched_switch', 'cpu-clock', ...]
            t.counts()                           # {event name: samples}
            t.header["hostname"], t.header["first_time"]
            sw = t.table("sched:sched_switch")   # pyarrow.Table: time, cpu, pid, tid,
                                                 # comm, ..., then the tracepoint's fields
            t.to_pandas("sched:sched_switch")    # or t.to_polars(...)
            t.view_names()                       # {SQL view: event}
            t.sql("SELECT prev_comm, count(*) AS n FROM sched__sched_switch "
                  "GROUP BY 1 ORDER BY n DESC").fetchall()
            t.derived_names()                    # ['threads', 'processes', ...]
            t.derived("sched_slices")            # tables derived from the events,
            t.sql("SELECT * FROM syscalls")      # also as SQL views
            for batch in t.batches("sched:sched_switch"):   # pyarrow.RecordBatch
                ...                              # without holding the whole table

    The columns and the SQL view names are described in docs/frames.md, the derived
    tables in docs/derived/README.md.
    """
    from perfscript.frames import open as _open
    return _open(path, progress=progress, events=events, kallsyms=kallsyms,
                 vmlinux=vmlinux, symfs=symfs)


def open_dataset(path: str | os.PathLike[str]) -> Dataset:
    """Open a dataset of many recordings, as `perfscript export --dataset DIR ...`
    writes it: one Hive-partitioned Parquet dataset (`DIR/event=<view>/*.parquet`),
    each row with its `source_file`, `source_host` and `source_id`.

    Example::

        import perfscript
        with perfscript.open_dataset("fleet.ds") as ds:
            ds.views                             # {SQL view: event}, as a recording's
            ds.files                             # the manifest: {path: hash, host, ...}
            ds.table("sched:sched_switch")       # pyarrow.Table of every file's rows
            ds.table("cpu_clock", files=["/data/host1.data"])
            ds.sql("SELECT source_host, count(*) FROM sched__sched_switch GROUP BY 1")

    The schema across files and the directory's layout: docs/datasets.md.
    """
    from perfscript.frames.dataset import open_dataset as _open_dataset
    return _open_dataset(path)
