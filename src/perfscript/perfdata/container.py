"""Opening a perf.data recording: file or pipe mode, its attrs and header features.

The container knows where records are; what records mean is `records.py`'s business.
"""

import mmap
import os
import struct
import sys

from perfscript.errors import PerfDataError
from perfscript.perfdata import constants as C
from perfscript.perfdata.attr import Attr

MAGIC = b"PERFILE2"
MAGIC_SWAPPED = b"2ELIFREP"
MAGIC_V1 = b"PERFFILE"
# a stream is read at most this much at a time where the input says how much to read
READ_CHUNK = 1 << 20


class EventAttr:
    """One recorded event: its attr, the sample ids that name it, and its perf name."""

    __slots__ = ("attr", "ids", "name", "index")

    def __init__(self, attr, ids, index, name=None):
        self.attr = attr
        self.ids = list(ids)
        self.index = index
        self.name = name

    def __repr__(self):
        return "EventAttr(%r, type=%d, config=%d)" % (self.name, self.attr.type, self.attr.config)


class Source:
    """Bytes of a recording: an mmap of a regular file, or a pipe read in order."""

    def __init__(self, path):
        self.path = path
        self.buf = None
        self.stream = None
        if path == "-":
            self.stream = sys.stdin.buffer
            self.name = "<stdin>"
            return
        self.name = path
        if os.path.isdir(path):
            raise PerfDataError(_directory_error(path), path)
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as e:
            raise PerfDataError("cannot open: %s" % e.strerror, path) from None
        try:
            st = os.fstat(fd)
            if not os.path.isfile(path) or st.st_size == 0:
                if st.st_size == 0 and os.path.isfile(path):
                    raise PerfDataError("file is empty", path, 0)
                self.stream = os.fdopen(fd, "rb")
                fd = None
                return
            self.buf = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        finally:
            if fd is not None:
                os.close(fd)
        self.size = len(self.buf)

    def read_exact(self, n, offset, what):
        """Read n bytes from a stream source; a short read is a truncated file."""
        return b"".join(self._chunks(n, offset, what))

    def skip_exact(self, n, offset, what):
        """Read past n bytes of a stream source, keeping none of them."""
        for _ in self._chunks(n, offset, what):
            pass

    def _chunks(self, n, offset, what):
        """n bytes of the stream in pieces of at most READ_CHUNK: a size the input
        claims is never allocated before its bytes arrive, so a lie ends with the stream
        (a buffered read of n bytes would allocate all n first)."""
        got = 0
        while got < n:
            piece = self.stream.read(min(n - got, READ_CHUNK))
            if not piece:
                raise PerfDataError("truncated %s: wanted %d bytes, got %d" % (what, n, got),
                                    self.name, offset)
            got += len(piece)
            yield piece


_FEAT_DIR_FORMAT = 24      # HEADER_DIR_FORMAT: a DIR/data whose samples are in DIR/data.N


def _directory_error(path):
    """Why a directory is not read: perf's directory layout (`perf record --threads`
    writes DIR/data and a DIR/data.N per thread) is not, and anything else is no
    recording at all."""
    if os.path.isfile(os.path.join(path, "data")):
        return ("is perf's directory format (perf record --threads), which is not read: "
                "record without --threads, or make one file of it with "
                "`perf inject -i %s -o - > FILE`" % path)
    return "cannot open: is a directory"


class PerfData:
    """A perf.data recording: header, attrs, raw feature sections and the data section."""

    def __init__(self, path):
        self.path = path
        self.source = Source(path)
        self.name = self.source.name
        self.attrs = []          # EventAttr, in file order
        self.attrs_offset = None  # where a file's attrs section starts (None: pipe mode)
        self.feature_sections = {}   # feature id -> (offset, bytes)
        self.tracing_data = None     # (offset, bytes) of the tracing-data blob
        self.pipe = False
        self.endian = "<"
        self.data_offset = 0
        self.data_size = None
        # the header's own numbers, as recorded (pipe mode has none: zeros)
        self.header_data_offset = self.header_data_size = self.header_feat_offset = 0
        self.feature_mask = 0
        self.truncated_data = None   # the error to report once the records there are read
        self.warnings = []      # problems met in the header that did not stop reading
        self._read_header()

    # ---------------------------------------------------------------- header

    def _read_header(self):
        src = self.source
        if src.buf is not None:
            head = bytes(src.buf[:16])
        else:
            head = src.stream.read(16)
        if len(head) < 16:
            raise PerfDataError("file too short for a perf.data header (%d bytes)" % len(head),
                                self.name, 0)
        magic = head[:8]
        if magic == MAGIC:
            self.endian = "<"
        elif magic == MAGIC_SWAPPED:
            self.endian = ">"
        elif magic == MAGIC_V1:
            raise PerfDataError("obsolete perf.data version 1 (magic PERFFILE) is not supported",
                                self.name, 0)
        else:
            raise PerfDataError("not a perf.data file (magic %r)" % magic, self.name, 0)
        hsize = struct.unpack_from(self.endian + "Q", head, 8)[0]
        if hsize == C.PIPE_HEADER_SIZE:
            self.pipe = True
            self.data_offset = C.PIPE_HEADER_SIZE
            self.data_size = (src.size - C.PIPE_HEADER_SIZE) if src.buf is not None else None
            return
        if src.buf is None:
            raise PerfDataError("a file-mode perf.data cannot be read from a pipe", self.name, 0)
        if hsize < C.FILE_HEADER_SIZE - 32 or hsize > 4096 or hsize > src.size:
            raise PerfDataError("bad perf.data header size %d" % hsize, self.name, 8)
        e = self.endian
        buf = src.buf
        if src.size < C.FILE_HEADER_SIZE:
            raise PerfDataError("file too short for a perf.data header", self.name, 0)
        attr_size, attrs_off, attrs_size, data_off, data_size = struct.unpack_from(
            e + "5Q", buf, 16)
        self.data_offset, self.data_size = data_off, data_size
        self.header_data_offset, self.header_data_size = data_off, data_size
        self.header_feat_offset = data_off + data_size
        if data_off > src.size:
            raise PerfDataError("data section starts at %d, beyond the end of the file (%d)"
                                % (data_off, src.size), self.name, 40)
        if data_off + data_size > src.size:
            # A recording cut short: read the records that are there, then say so.
            self.truncated_data = PerfDataError(
                "file truncated: the data section should end at offset %d"
                % (data_off + data_size), self.name, src.size)
            self.data_size = src.size - data_off
        bits = struct.unpack_from(e + "4Q", buf, 72)
        self._read_attrs(attr_size, attrs_off, attrs_size)
        self._read_feature_index(bits, data_off + data_size)

    def _read_attrs(self, attr_size, off, size):
        e, buf, n = self.endian, self.source.buf, self.source.size
        if attr_size == 0 or size == 0:
            return
        if attr_size < 16 + C.PIPE_HEADER_SIZE or off + size > n or size % attr_size:
            raise PerfDataError("bad attrs section (offset %d, size %d, entry size %d)"
                                % (off, size, attr_size), self.name, 24)
        self.attrs_offset = off
        for i in range(size // attr_size):
            at = off + i * attr_size
            attr = Attr.parse(buf, at, attr_size - 16, e, self.name)
            ids_off, ids_size = struct.unpack_from(e + "QQ", buf, at + attr_size - 16)
            if ids_off + ids_size > n or ids_size % 8:
                raise PerfDataError("bad sample id list of attr %d" % i, self.name,
                                    at + attr_size - 16)
            ids = struct.unpack_from(e + "%dQ" % (ids_size // 8), buf, ids_off)
            self.attrs.append(EventAttr(attr, ids, i))

    def _read_feature_index(self, bits, index_off):
        e, buf, n = self.endian, self.source.buf, self.source.size
        mask = bits[0] | bits[1] << 64 | bits[2] << 128 | bits[3] << 192
        self.feature_mask = mask
        at = index_off
        for feat in range(256):
            if not mask >> feat & 1:
                continue
            if at + 16 > n:
                self.warnings.append("feature index truncated at feature %d" % feat)
                break
            foff, fsize = struct.unpack_from(e + "QQ", buf, at)
            at += 16
            if foff + fsize > n:
                self.warnings.append("feature %d section beyond end of file" % feat)
                continue
            self.feature_sections[feat] = (foff, bytes(buf[foff:foff + fsize]))
        if C.FEAT_TRACING_DATA in self.feature_sections:
            self.tracing_data = self.feature_sections[C.FEAT_TRACING_DATA]
        if mask >> _FEAT_DIR_FORMAT & 1:
            # the header of a `--threads` directory's DIR/data: most samples are in the
            # DIR/data.N files beside it, which this reader does not take
            where = os.path.dirname(os.path.abspath(self.source.path))
            raise PerfDataError(_directory_error(where), self.name)

    def close(self):
        """Unmap the file. While views still point into the map (NumPy arrays a caller
        keeps, or the frames of the traceback of an error being raised) it cannot be
        unmapped: it is let go then, and unmapped with its last view, so closing never
        hides the error that ended the reading."""
        buf = self.source.buf
        if buf is not None:
            try:
                buf.close()
            except BufferError:
                pass
