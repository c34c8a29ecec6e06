"""trace-cmd's trace.dat files (versions 6 and 7): metadata, options and the
per-CPU ring-buffer pages, read without trace-cmd.

    with open_tracedat("trace.dat") as tdat:
        for rec in records(tdat):          # Record(ts, cpu, data, missed)
            ...                            # tdat.meta.events: id -> EventFormat
        arrays = record_arrays(tdat)       # the same, as NumPy columns (.arrays)

Knows perfscript.ftrace (event formats) and nothing above it.

>>> with open_tracedat("tests/data/tracedat/v6.dat") as tdat:
...     recs = list(records(tdat))
...     events = tdat.meta.events
>>> len(recs), recs[0].ts, recs[0].cpu
(51, 4480879080840, 0)
>>> events[int.from_bytes(recs[0].data[:2], "little")].name     # common_type
'sched_process_exec'
"""

from .file import TraceDat
from .options import Buffer, CpuData, Options
from .reader import TraceDatError
from .stream import Record, cpu_records, records


def open_tracedat(path):
    """Parse the file's header and metadata (the data is read lazily by records())."""
    return TraceDat(path)


__all__ = ["Buffer", "CpuData", "Options", "Record", "TraceDat", "TraceDatError",
           "cpu_records", "open_tracedat", "records"]
