"""The recordings a list of paths names: files, globs and directories, as Spark's and
Dask's readers take them."""

import glob
import os

from perfscript.perfdata.container import MAGIC, MAGIC_SWAPPED
from perfscript.tracedat.file import MAGIC as TRACEDAT_MAGIC

_MAGICS = (MAGIC, MAGIC_SWAPPED, TRACEDAT_MAGIC)


def is_recording(path):
    """Whether `path` is a regular file starting with perf.data's or trace.dat's magic."""
    try:
        with open(path, "rb") as f:
            head = f.read(max(len(m) for m in _MAGICS))
    except OSError:
        return False
    return any(head.startswith(m) for m in _MAGICS)


def expand(paths):
    """Absolute paths of the recordings `paths` names (a string or a list of them), in
    their order, each once: a file as it is (whatever its bytes: reading it says what
    is wrong), a glob its matches sorted, a directory the recordings under it sorted
    (files of perf.data's or trace.dat's magic, other files left out); `file:` URLs as
    their paths. Absolute, so every worker opens the same file whatever its directory.
    A path that names nothing is a FileNotFoundError."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out = []
    for p in paths:
        p = os.fspath(p)
        if p.startswith("file://"):
            p = p[len("file://"):]
        elif p.startswith("file:"):
            p = p[len("file:"):]
        if glob.has_magic(p):
            found = sorted(glob.glob(p, recursive=True))
        else:
            found = [p] if os.path.exists(p) else []
        if not found:
            raise FileNotFoundError("no recording at %s" % p)
        for f in found:
            if os.path.isdir(f):
                out.extend(_under(f))
            else:
                out.append(os.path.abspath(f))
    return list(dict.fromkeys(out))


def _under(directory):
    found = []
    for d, dirs, files in os.walk(directory):
        dirs.sort()
        found.extend(os.path.abspath(os.path.join(d, f)) for f in sorted(files)
                     if is_recording(os.path.join(d, f)))
    return found
