"""perfscript: Linux perf's Python scripting, as an ordinary Python package.

Reads perf.data recordings without perf and runs scripts written for `perf script -s`.
"""

import os as _os
import sys as _sys

__version__ = "0.1.0"

# NumPy's OpenBLAS starts a thread per CPU as it loads, and each spins for about 0.1 s
# of CPU time before it sleeps: on two CPUs as much as reading a large recording, on
# sixty-four several seconds. Unless the user chose otherwise, they sleep at once
# (BLAS still has its threads, woken when it has work).
if "numpy" not in _sys.modules:
    _os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")


def open(path, progress=None):   # noqa: A001 - perfscript.open, like io.open
    """A recording's events as columnar tables: see `perfscript.frames`."""
    from perfscript.frames import open as _open
    return _open(path, progress=progress)
