"""This process's own vdso image, the fallback perf uses for a recorded [vdso].

perf gives every [vdso] map a file copied from its own process's vdso. A recording whose
vdso build id is in the build-id cache is symbolized from there; otherwise that copy is
tried, and kept only when the build ids agree or the recording has none. We do the same:
the image is copied out of /proc/self/mem once, into a private temporary file.
"""

import atexit
import os
import tempfile

_cached = None


def _vdso_range(maps_path="/proc/self/maps"):
    with open(maps_path) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 6 and fields[5] == "[vdso]":
                lo, _, hi = fields[0].partition("-")
                return int(lo, 16), int(hi, 16)
    return None


def own_vdso_path():
    """Path of a file holding this process's vdso, or None where there is none."""
    global _cached
    if _cached is not None:
        return _cached or None
    _cached = ""
    try:
        span = _vdso_range()
        if span is None or not 0 < span[1] - span[0] <= 1 << 20:
            return None
        with open("/proc/self/mem", "rb") as mem:
            mem.seek(span[0])
            image = mem.read(span[1] - span[0])
        if not image.startswith(b"\x7fELF"):
            return None
        fd, path = tempfile.mkstemp(prefix="perfscript-vdso-", suffix=".so")
        with os.fdopen(fd, "wb") as out:
            out.write(image)
    except (OSError, ValueError, OverflowError):
        return None
    atexit.register(_remove, path)
    _cached = path
    return path


def _remove(path):
    try:
        os.unlink(path)
    except OSError:
        pass
