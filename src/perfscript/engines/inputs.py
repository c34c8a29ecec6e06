"""The recordings a list of paths names: files, globs and directories, as Spark's and
Dask's readers take them."""

import os

from perfscript.session.input_format import recordings_named


def expand(paths):
    """Absolute paths of the recordings `paths` names (a string or a list of them), in
    their order, each once, as session.input_format.recordings_named takes each (a
    file as it is, a glob its matches, a directory its recordings, `file:` URLs as
    their paths). Absolute, so every worker opens the same file whatever its
    directory. A path that names nothing, or a glob or directory without a recording,
    is a FileNotFoundError."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out = []
    for given in paths:
        found, problem = recordings_named(given)
        if problem is None and not os.path.exists(found[0]):
            problem = "no such file"
        if problem:
            raise FileNotFoundError("%s: %s" % (os.fspath(given), problem))
        out.extend(os.path.abspath(f) for f in found)
    return list(dict.fromkeys(out))
