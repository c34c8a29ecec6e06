"""PERF_RECORD_COMPRESSED(2): the zstd stream of a `perf record -z` data section, inflated
record by record within perf's bound.

perf 6.1 decompresses each COMPRESSED record into a buffer of FEAT_COMPRESSED's
`mmap_len` bytes (what was left of a record split by the previous one comes on top). A
record that inflates to more is cut short ("failed to decompress", records lost: only
what zstd happened to hold back of the record's last block comes out with the next
one); one that inflates to nothing, or any without the feature, fails. perf record
writes neither: each record holds at most one ring-buffer chunk, which is smaller than
`mmap_len`. So here a record past the bound is an error at that record, for the
record-by-record walker and the spooler alike: a decompression bomb stops at its first
record instead of unpacking gigabytes of tiny records out of a few kilobytes.
"""

import struct

from perfscript.errors import PerfDataError
from perfscript.perfdata import constants as C

# Compressed input is fed in slices of this size so a hostile frame cannot make one call
# produce more than a few tens of MiB before the bound is checked.
DECOMPRESS_SLICE = 1024


# Beyond perf's per-record bound (a forged mmap_len lifts it), the whole stream may not
# inflate past this many times the compressed bytes read so far, plus the floor: real
# recordings stay under ~70x overall (~300x for a single record of a busy loop), a bomb
# of tiny records runs to ~30000x.
MAX_RATIO = 1000
RATIO_FLOOR = 16 << 20

NO_FEATURE = ("COMPRESSED record without a COMPRESSED header feature (perf's "
              "decompression buffer size is unknown)")


def compressed_payload(typ, buf, off, size, endian, name=None, where=None):
    """The zstd bytes of a COMPRESSED or COMPRESSED2 record (the latter says how many of
    its bytes are data); a size that does not fit is a PerfDataError."""
    if typ == C.RECORD_COMPRESSED2:
        if size < 16:
            raise PerfDataError("COMPRESSED2 record too short", name, where)
        dsize = struct.unpack_from(endian + "Q", buf, off + 8)[0]
        if dsize > size - 16:
            raise PerfDataError("COMPRESSED2 data size %d exceeds record size %d"
                                % (dsize, size), name, where)
        return buf[off + 16:off + 16 + dsize]
    return buf[off + 8:off + size]


def mmap_len_of(features):
    """FEAT_COMPRESSED's `mmap_len` from parsed header features, None without it."""
    feature = features.get(C.FEAT_COMPRESSED)
    return getattr(feature, "mmap_len", None)


class Inflater:
    """One recording's zstd stream (it runs on across COMPRESSED records: a record may
    end inside another), decompressed one COMPRESSED record at a time."""

    def __init__(self, name, endian):
        self.name = name
        self.endian = endian
        self._dobj = None
        self._zstd_error = None
        self.bytes_in = 0       # compressed bytes fed so far, the whole stream
        self.bytes_out = 0      # and what they inflated to

    def inflate(self, typ, buf, off, size, where, mmap_len):
        """Yield, in pieces, what the COMPRESSED(2) record at `buf[off:off+size]` (file
        offset `where`) decompresses to; `mmap_len` is FEAT_COMPRESSED's (None when the
        recording has not given it). Past the bound: a PerfDataError at `where`."""
        name = self.name
        if mmap_len is None:
            raise PerfDataError(NO_FEATURE, name, where)
        payload = compressed_payload(typ, buf, off, size, self.endian, name, where)
        if self._dobj is None:
            import zstandard        # compressed recordings only
            self._dobj = zstandard.ZstdDecompressor().decompressobj(read_across_frames=True)
            self._zstd_error = zstandard.ZstdError
        decompress = self._dobj.decompress
        room = mmap_len
        try:
            for at in range(0, len(payload), DECOMPRESS_SLICE):
                chunk = payload[at:at + DECOMPRESS_SLICE]
                self.bytes_in += len(chunk)
                piece = decompress(chunk)
                if piece:
                    room -= len(piece)
                    if room < 0:
                        raise PerfDataError(
                            "COMPRESSED record decompresses to more than perf's %d-byte "
                            "buffer (FEAT_COMPRESSED mmap_len)" % mmap_len, name, where)
                    self.bytes_out += len(piece)
                    if self.bytes_out > MAX_RATIO * self.bytes_in + RATIO_FLOOR:
                        raise PerfDataError(
                            "COMPRESSED records decompress to %d bytes out of %d: more "
                            "than %d times their size (a decompression bomb)"
                            % (self.bytes_out, self.bytes_in, MAX_RATIO), name, where)
                    yield piece
        except self._zstd_error as e:
            raise PerfDataError("zstd decompression failed: %s" % e, name, where) from None
        if room == mmap_len:
            raise PerfDataError("COMPRESSED record decompresses to nothing", name, where)
