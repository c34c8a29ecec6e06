"""perfscript: Linux perf's Python scripting, as an ordinary Python package.

Reads perf.data recordings without perf and runs scripts written for `perf script -s`.
"""

__version__ = "0.1.0"


def open(path, progress=None):   # noqa: A001 - perfscript.open, like io.open
    """A recording's events as columnar tables: see `perfscript.frames`."""
    from perfscript.frames import open as _open
    return _open(path, progress=progress)
