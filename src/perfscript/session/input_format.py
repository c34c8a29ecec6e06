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


_GLOB_CHARS = frozenset("*?[")


def recordings_named(given, exclude=None):
    """(paths, problem) of one input naming recordings, as the dataset export and the
    Spark and Dask readers take one: a `file:` URL is its path; a directory its
    recordings (`recordings_under`); a name that exists, or has no glob character,
    itself (whatever its bytes: opening it says what is wrong); otherwise a glob (`**`
    for any depth) expanded as the shell would, its directories searched. `problem`:
    why a directory or a glob names no recording (else None)."""
    import glob
    import os
    given = os.fspath(given)
    for scheme in ("file://", "file:"):
        if given.startswith(scheme):
            given = given[len(scheme):]
            break
    if os.path.isdir(given):
        found = recordings_under(given, exclude)
        return found, (None if found else
                       "no perf.data or trace.dat recording in this directory")
    if os.path.lexists(given) or not _GLOB_CHARS & set(given):
        return [given], None
    found = []
    for match in sorted(glob.glob(given, recursive=True)):
        found += recordings_under(match, exclude) if os.path.isdir(match) else [match]
    return found, (None if found else "no recording matches")
