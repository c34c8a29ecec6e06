"""Parsed symbol tables kept on disk between runs, so a second run on a profile only decodes.

perf reads and sorts every symbol table again on each run.  Here a loaded table's columns
(symbols.columns) are written to ``$PERFSCRIPT_CACHE_DIR`` (default
``$XDG_CACHE_HOME/perfscript/symbols``, i.e. ``~/.cache/perfscript/symbols``), one file per
key (a dso's build id and path, or a kallsyms file's digest).  An entry is used only when its
``stamp`` (the size, mtime and inode of every file the load looked at) is the current one:
the same build id in a rebuilt or replaced file is not reused.  Entries are written to a
temporary file and renamed into place (concurrent runs see a whole entry or none), carry a
digest of their bytes (a damaged entry is ignored and rebuilt), and hold only numbers and
bytes read back with NumPy (nothing is unpickled or executed).  ``PERFSCRIPT_NO_CACHE=1`` or
``--no-cache`` turns it off.
"""

import hashlib
import json
import os
import struct
import tempfile

import numpy as np

MAGIC = b"perfscript-symbols\0v1\0"
_HEADER_LEN = struct.Struct("<I")
MAX_HEADER = 1 << 20
_DTYPES = {"u1": np.uint8, "u4": np.uint32, "u8": np.uint64, "i8": np.int64, "b1": np.bool_}


def default_directory():
    """The cache directory the environment asks for, or None when caching is off."""
    if os.environ.get("PERFSCRIPT_NO_CACHE", "") not in ("", "0"):
        return None
    explicit = os.environ.get("PERFSCRIPT_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "perfscript", "symbols")


def file_stamp(paths):
    """What identifies the current contents of these files (missing ones included)."""
    out = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            out.append([path])
            continue
        out.append([path, st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev])
    return out


class SymbolCache:
    """A directory of cache entries; every failure to read or write one is a miss."""

    def __init__(self, directory):
        self.directory = directory
        self.hits = 0
        self.misses = 0

    def _path(self, key):
        name = hashlib.blake2b(json.dumps(key).encode("utf-8", "surrogateescape"),
                               digest_size=20).hexdigest()
        return os.path.join(self.directory, name[:2], name[2:] + ".sym")

    def load(self, key, stamp):
        """(meta, {name: array}) stored under ``key`` with this ``stamp``, or None."""
        found = self._read(key, stamp)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def _read(self, key, stamp):
        try:
            with open(self._path(key), "rb") as f:
                data = f.read()
        except OSError:
            return None
        try:
            return _decode(data, key, stamp)
        except (ValueError, KeyError, TypeError, IndexError, struct.error,
                UnicodeDecodeError, RecursionError):
            return None

    def store(self, key, stamp, meta, arrays):
        """Write an entry (best effort: a read-only or full disk only costs the speed-up)."""
        path = self._path(key)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(_encode(key, stamp, meta, arrays))
            os.replace(tmp, path)
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _encode(key, stamp, meta, arrays):
    layout = []
    chunks = []
    offset = 0
    for name, arr in arrays.items():
        if isinstance(arr, (bytes, bytearray)):
            kind, raw = "bytes", bytes(arr)
        else:
            kind = next(k for k, t in _DTYPES.items() if arr.dtype == t)
            raw = np.ascontiguousarray(arr).astype("<" + arr.dtype.str[1:]).tobytes()
        layout.append([name, kind, offset, len(raw)])
        chunks.append(raw)
        offset += len(raw)
    payload = b"".join(chunks)
    header = json.dumps({"key": key, "stamp": stamp, "meta": meta, "arrays": layout,
                         "digest": hashlib.blake2b(payload, digest_size=16).hexdigest()})
    header = header.encode("utf-8", "surrogateescape")
    return MAGIC + _HEADER_LEN.pack(len(header)) + header + payload


def _decode(data, key, stamp):
    if not data.startswith(MAGIC):
        raise ValueError("not a cache entry")
    at = len(MAGIC)
    (size,) = _HEADER_LEN.unpack_from(data, at)
    at += _HEADER_LEN.size
    if size > MAX_HEADER or at + size > len(data):
        raise ValueError("bad header")
    header = json.loads(data[at:at + size].decode("utf-8", "surrogateescape"))
    # JSON turns tuples into lists: compare through the same round trip
    if header["key"] != json.loads(json.dumps(key)) or \
            header["stamp"] != json.loads(json.dumps(stamp)):
        return None
    payload = memoryview(data)[at + size:]
    if hashlib.blake2b(payload, digest_size=16).hexdigest() != header["digest"]:
        raise ValueError("damaged entry")
    arrays = {}
    for name, kind, offset, length in header["arrays"]:
        if offset < 0 or length < 0 or offset + length > len(payload):
            raise ValueError("array past the end")
        raw = payload[offset:offset + length]
        if kind == "bytes":
            arrays[name] = bytes(raw)
        else:
            dtype = np.dtype(_DTYPES[kind]).newbyteorder("<")
            arrays[name] = np.frombuffer(bytearray(raw), dtype=dtype).astype(_DTYPES[kind])
    return header["meta"], arrays
