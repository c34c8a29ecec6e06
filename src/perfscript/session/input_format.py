"""What kind of file a command was given, by its magic: a perf.data recording or a
trace-cmd trace.dat, so that each command can say which command reads the other, and a
dataset export can tell the recordings of a directory from its other files."""

from perfscript.perfdata.container import MAGIC, MAGIC_SWAPPED, MAGIC_V1
from perfscript.tracedat.file import MAGIC as TRACEDAT_MAGIC

PERF_DATA = "perf.data"
TRACE_DAT = "trace.dat"


def sniff(path):
    """PERF_DATA, TRACE_DAT or None (unknown, unreadable, stdin or a pipe: not consumed)."""
    if path in (None, "-"):
        return None
    try:
        with open(path, "rb") as f:
            if not f.seekable():
                return None
            head = f.read(len(TRACEDAT_MAGIC))
    except OSError:
        return None
    if head.startswith(TRACEDAT_MAGIC):
        return TRACE_DAT
    if head[:8] in (MAGIC, MAGIC_SWAPPED, MAGIC_V1):
        return PERF_DATA
    return None


def recordings_under(directory, exclude=None):
    """The regular files under `directory` (recursively, sorted, directories whose
    names start with `.` and the directory `exclude` left out) that are perf.data or
    trace.dat files by their first bytes, whatever their names: what a dataset export
    and the Spark and Dask readers take a directory to mean."""
    import os
    import stat
    exclude = os.path.realpath(exclude) if exclude else None
    found = []
    for parent, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and os.path.realpath(os.path.join(parent, d)) != exclude)
        for name in sorted(files):
            path = os.path.join(parent, name)
            try:
                if not stat.S_ISREG(os.stat(path).st_mode):
                    continue
            except OSError:
                continue
            if sniff(path) in (PERF_DATA, TRACE_DAT):
                found.append(path)
    return found
