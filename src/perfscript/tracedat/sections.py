"""Version 7 trace.dat: sections (16-byte header, maybe compressed) and the
compressed chunks of the per-CPU ring-buffer data."""

import io
import zlib

from .reader import trace_reader

COMPRESSED = 1
# No metadata section or data chunk decompresses to more than this.
MAX_UNCOMPRESSED = 1 << 30
_STEP = 1 << 22


class Decompressor:
    """The file's algorithm ("zstd" or "zlib"), with output bounded by the size
    each block declares."""

    def __init__(self, name, path):
        self.name = name
        self.path = path
        self._errors = (zlib.error,)
        if name == "zstd":      # imported here: files without it need not load it
            import zstandard
            self._zstd = zstandard.ZstdDecompressor()
            self._errors = (zstandard.ZstdError, zlib.error)

    def supported(self):
        return self.name in ("zstd", "zlib")

    def decompress(self, data, size, cur, what):
        """`size` bytes from `data`, or a located error."""
        if not self.supported():
            raise cur.error("%s: compression %r is not supported" % (what, self.name))
        if size > MAX_UNCOMPRESSED:
            raise cur.error("%s: uncompressed size %d is too large" % (what, size))
        try:
            if self.name == "zstd":
                # in steps, so memory follows the real output, not the declared size
                parts, got = [], 0
                with self._zstd.stream_reader(io.BytesIO(bytes(data))) as reader:
                    while got <= size:
                        part = reader.read(min(size + 1 - got, _STEP))
                        if not part:
                            break
                        parts.append(part)
                        got += len(part)
                out = b"".join(parts)
            else:
                dec = zlib.decompressobj()
                out = dec.decompress(bytes(data), size + 1)
        except self._errors as exc:
            raise cur.error("%s: %s decompression failed: %s" % (what, self.name, exc))
        if len(out) != size:
            raise cur.error("%s: decompressed to %d bytes, %d expected"
                            % (what, len(out), size))
        return out


def read_section(buf, path, big_endian, offset, decompressor, want_id, what):
    """(reader of the section's data, flags). A compressed section is
    decompressed; its reader then counts offsets inside the uncompressed data."""
    cur = trace_reader(buf, path, big_endian, pos=offset)
    if not 0 <= offset <= len(buf):
        raise cur.error("%s section offset %d is outside the file" % (what, offset), at=0)
    section_id = cur.u16(what + " section id")
    flags = cur.u16(what + " section flags")
    cur.u32(what + " section description")
    size = cur.u64(what + " section size")
    if section_id != want_id:
        raise cur.error("%s section: id %d, expected %d" % (what, section_id, want_id),
                        at=offset)
    start = cur.pos
    cur.need(size, what + " section")
    if not flags & COMPRESSED:
        return trace_reader(buf, path, big_endian, pos=start), flags
    csize = cur.u32(what + " compressed size")
    usize = cur.u32(what + " uncompressed size")
    if csize > size - 8:
        raise cur.error("%s: compressed size %d exceeds the section (%d)"
                        % (what, csize, size - 8))
    data = cur.take(csize, what + " compressed data")
    out = decompressor.decompress(data, usize, cur, what)
    where = "%s section at %d, uncompressed offset: " % (what, offset)
    return trace_reader(out, path, big_endian, where=where), flags


def compressed_pages(buf, path, big_endian, cpu_data, page_size, decompressor):
    """Yield the uncompressed data of one CPU, chunk by chunk (each a whole number
    of pages)."""
    end = cpu_data.offset + cpu_data.size
    cur = trace_reader(buf, path, big_endian, pos=cpu_data.offset)
    if cpu_data.offset > len(buf) or end > len(buf):
        raise cur.error("cpu %d data (%d bytes at %d) runs past the end of the file"
                        % (cpu_data.cpu, cpu_data.size, cpu_data.offset), at=0)
    count = cur.u32("cpu %d chunk count" % cpu_data.cpu)
    for index in range(count):
        what = "cpu %d chunk %d" % (cpu_data.cpu, index)
        csize = cur.u32(what + " compressed size")
        usize = cur.u32(what + " uncompressed size")
        if usize % page_size:
            raise cur.error("%s: %d bytes is not a whole number of %d-byte pages"
                            % (what, usize, page_size))
        yield decompressor.decompress(cur.take(csize, what), usize, cur, what)
