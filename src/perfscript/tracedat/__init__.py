"""trace-cmd's trace.dat files (versions 6 and 7): metadata, options and the
per-CPU ring-buffer pages, read without trace-cmd.

    with open_tracedat("trace.dat") as tdat:
        for rec in records(tdat):          # Record(ts, cpu, data, missed)
            ...                            # tdat.meta.events: id -> EventFormat
        arrays = record_arrays(tdat)       # the same, as NumPy columns (.arrays)

Knows perfscript.ftrace (event formats) and nothing above it.
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
