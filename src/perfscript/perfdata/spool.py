"""A `perf record -z` data section unpacked once, so it can be read like an uncompressed one.

The batched reader orders and decodes records as NumPy arrays of offsets into one mapped
buffer. COMPRESSED records hold the kernel's records as a zstd stream, so for them we
write the data section once into a temporary file, each COMPRESSED record replaced by
what it decompresses to (the stream is contiguous: records split between two COMPRESSED
records come out whole), map that file, and read it as the data section. Offsets in it are
translated back to the file's own offsets wherever one is reported.

Each COMPRESSED record is inflated as the record-by-record walker inflates it, within
perf's bound (perfdata/compressed.py). Damage (a record past the bound, a stream that does
not end on a record boundary where an uncompressed record follows), or more unpacked
bytes than the spool is worth, gives up (None): the caller then reads record by record,
which delivers the records before the damage and reports it.
"""

import bisect
import mmap
import struct

from perfscript.errors import PerfDataError
from perfscript.perfdata import constants as C
from perfscript.perfdata.compressed import Inflater

# The spool's own cost, not a judgement of the file: beyond this many times the file's
# size unpacked (zstd ratios of perf data are ~5-20) the temporary file is not worth
# writing, and the records are read one by one instead.
MAX_EXPANSION = 64


class Spooled:
    """A PerfData whose data section is the unpacked temporary file; anything else is
    the original's. `file_offset(off)` maps an offset in it back to the file."""

    def __init__(self, pd, f, size, segments, compressed):
        self._pd = pd
        self._file = f
        self.source = _MappedSource(f, size)
        self.data_offset = 0
        self.data_size = size
        self.pipe = False
        self.compressed_records = compressed
        self._starts = [s for s, _, _ in segments]
        self._segments = segments

    def __getattr__(self, name):
        return getattr(self._pd, name)

    def file_offset(self, off):
        """Where the record at `off` came from: its own offset for a record stored
        plainly, the COMPRESSED record's for one that came out of it."""
        i = bisect.bisect_right(self._starts, off) - 1
        if i < 0:
            return off
        start, where, packed = self._segments[i]
        return where if packed else where + (off - start)

    def close(self):
        """Unmap and delete the unpacked file (kept mapped while anything still holds a
        view of it; the file is gone either way once closed)."""
        try:
            self.source.close()
        except BufferError:
            pass
        self._file.close()


class _MappedSource:
    def __init__(self, f, size):
        self.buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        self.size = size
        self.stream = None

    def close(self):
        if isinstance(self.buf, mmap.mmap):
            self.buf.close()


def spool(pd, mmap_len):
    """The unpacked data section of a mapped file-mode PerfData as a `Spooled`, or None
    when it cannot be read that way (damage is left for the record-by-record reader).
    `mmap_len`: FEAT_COMPRESSED's, None without it."""
    buf = pd.source.buf
    if buf is None or pd.pipe or pd.data_offset % 8:
        return None
    endian = pd.endian
    header = struct.Struct(endian + "IHH")
    off = pd.data_offset
    end = off + pd.data_size
    limit = MAX_EXPANSION * max(len(buf), 1 << 20)
    import tempfile             # compressed recordings only
    out = tempfile.TemporaryFile(prefix="perfscript-unpacked-")
    written = 0
    segments = []           # (offset in the spool, file offset, from a COMPRESSED record)
    inflater = Inflater(pd.name, endian)
    bounds = _RecordBounds(header)
    compressed = 0
    plain_from = None       # start of the run of plain records being copied
    try:
        while off < end:
            if off + 8 > end:
                return None
            typ, _misc, size = header.unpack_from(buf, off)
            if size < 8 or off + size > end:
                return None
            if typ != C.RECORD_COMPRESSED and typ != C.RECORD_COMPRESSED2:
                if not bounds.on_boundary:
                    return None     # a plain record inside a split one: not ours to judge
                if plain_from is None:
                    plain_from = off
                    segments.append((written, off, False))
                off += size
                continue
            if plain_from is not None:
                out.write(buf[plain_from:off])
                written += off - plain_from
                plain_from = None
            segments.append((written, off, True))
            for piece in inflater.inflate(typ, buf, off, size, off, mmap_len):
                out.write(piece)
                written += len(piece)
                if not bounds.feed(piece) or written > limit:
                    return None
            compressed += 1
            off += size
        if plain_from is not None:
            out.write(buf[plain_from:end])
            written += end - plain_from
        if not bounds.on_boundary:
            return None
        out.flush()
        result = Spooled(pd, out, written, segments, compressed)
        out = None
        return result
    except (PerfDataError, OSError):
        return None
    finally:
        if out is not None:
            out.close()


class _RecordBounds:
    """Follows record sizes through the decompressed stream, piece by piece, to know
    whether it stands on a record boundary (headers may be cut between pieces)."""

    def __init__(self, header):
        self.unpack = header.unpack_from
        self.skip = 0           # bytes of the current record still to come
        self.carry = b""        # the first bytes of a header cut by a piece's end

    @property
    def on_boundary(self):
        return not self.skip and not self.carry

    def feed(self, piece):
        """False when a size no record can have turns up."""
        n = len(piece)
        pos = 0
        if self.carry:
            need = 8 - len(self.carry)
            if n < need:
                self.carry += piece
                return True
            size = self.unpack(self.carry + piece[:need])[2]
            if size < 8:
                return False
            self.carry = b""
            pos = need
            self.skip = size - 8
        if self.skip:
            if self.skip >= n - pos:
                self.skip -= n - pos
                return True
            pos += self.skip
            self.skip = 0
        unpack = self.unpack
        while pos + 8 <= n:
            size = unpack(piece, pos)[2]
            if size < 8:
                return False
            pos += size
        if pos > n:
            self.skip = pos - n
        elif pos < n:
            self.carry = bytes(piece[pos:])
        return True
