"""The recordings a list of paths names: files, globs and directories, as Spark's and
Dask's readers take them."""

import glob
import os

from perfscript.session.input_format import recordings_under


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
                out.extend(os.path.abspath(r) for r in recordings_under(f))
            else:
                out.append(os.path.abspath(f))
    return list(dict.fromkeys(out))
