"""perf.data, its tracing-data blob and trace.dat taken apart into parts that can be changed
and put back together, so that mutations land on fields (sizes, counts, offsets, names)
rather than on random bytes.

This is written from the file formats (tools/perf/Documentation/perf.data-file-format.txt,
trace-cmd.dat(5)) independently of perfscript's own reader, so that the two do not share
mistakes. Only little-endian files are modelled; anything that does not parse is kept as
opaque bytes.
"""

import struct

MAGIC = b"PERFILE2"
FILE_HEADER = 104
PIPE_HEADER = 16
RECORD_SAMPLE = 9
RECORD_HEADER_ATTR = 64
RECORD_HEADER_TRACING_DATA = 66
RECORD_HEADER_FEATURE = 80
RECORD_COMPRESSED = 81
RECORD_COMPRESSED2 = 83
FEAT_TRACING_DATA = 1
FEAT_COMPRESSED = 27
TRACING_MAGIC = b"\x17\x08\x44tracing"


class Record:
    """One data-section record: its type, misc and body (after the 8-byte header), plus
    the payload that follows a pipe-mode tracing-data/auxtrace record uncounted."""

    __slots__ = ("type", "misc", "body", "payload", "size")

    def __init__(self, type, misc, body, payload=b"", size=None):
        self.type, self.misc, self.body, self.payload = type, misc, bytes(body), payload
        self.size = size            # a size to write instead of the real one

    def to_bytes(self):
        size = 8 + len(self.body) if self.size is None else self.size
        return struct.pack("<IHH", self.type, self.misc, size & 0xFFFF) + self.body + \
            self.payload

    def copy(self):
        return Record(self.type, self.misc, self.body, self.payload, self.size)


class Attr:
    """A perf_event_attr (its bytes, `size` long) and the sample ids it owns."""

    def __init__(self, raw, ids):
        self.raw = bytearray(raw)
        self.ids = list(ids)

    def u64(self, at):
        return struct.unpack_from("<Q", self.raw, at)[0]

    def set_u64(self, at, v):
        struct.pack_into("<Q", self.raw, at, v & (2**64 - 1))

    @property
    def sample_type(self):
        return self.u64(24)


def parse_records(buf, pos, end, pipe):
    """Records from `buf[pos:end]`; stops quietly where they stop making sense."""
    out = []
    while pos + 8 <= end:
        typ, misc, size = struct.unpack_from("<IHH", buf, pos)
        if size < 8 or pos + size > end:
            break
        payload = b""
        if pipe and typ == RECORD_HEADER_TRACING_DATA and size >= 12:
            n = (struct.unpack_from("<I", buf, pos + 8)[0] + 7) & ~7
            payload = bytes(buf[pos + size:pos + size + n])
        out.append(Record(typ, misc, buf[pos + 8:pos + size], payload))
        pos += size + len(payload)
    return out


class PerfData:
    """A perf.data file (file or pipe mode) as parts; `to_bytes()` lays them out again
    the way perf record does (file: header, ids, attrs, data, feature index, features)."""

    def __init__(self, pipe, attr_size, attrs, records, features, tail=b""):
        self.pipe = pipe
        self.attr_size = attr_size
        self.attrs = attrs
        self.records = records
        self.features = features        # {feature id: bytes}
        self.tail = tail                # bytes after the last record (pipe mode)
        self.header_patch = {}          # header offset -> u64 written over it

    @classmethod
    def parse(cls, data):
        if data[:8] != MAGIC:
            raise ValueError("not a little-endian perf.data")
        hsize = struct.unpack_from("<Q", data, 8)[0]
        if hsize == PIPE_HEADER:
            records = parse_records(data, PIPE_HEADER, len(data), True)
            used = PIPE_HEADER + sum(8 + len(r.body) + len(r.payload) for r in records)
            return cls(True, 0, [], records, {}, bytes(data[used:]))
        attr_size, a_off, a_size, d_off, d_size = struct.unpack_from("<5Q", data, 16)
        attrs = []
        for at in range(a_off, a_off + a_size, attr_size):
            ids_off, ids_size = struct.unpack_from("<QQ", data, at + attr_size - 16)
            ids = struct.unpack_from("<%dQ" % (ids_size // 8), data, ids_off)
            attrs.append(Attr(data[at:at + attr_size - 16], ids))
        records = parse_records(data, d_off, d_off + d_size, False)
        bits = int.from_bytes(data[72:104], "little")
        features = {}
        at = d_off + d_size
        for feat in range(256):
            if bits >> feat & 1:
                off, size = struct.unpack_from("<QQ", data, at)
                features[feat] = bytes(data[off:off + size])
                at += 16
        return cls(False, attr_size, attrs, records, features)

    def copy(self):
        c = PerfData(self.pipe, self.attr_size, [Attr(a.raw, a.ids) for a in self.attrs],
                     [r.copy() for r in self.records], dict(self.features), self.tail)
        c.header_patch = dict(self.header_patch)
        return c

    def to_bytes(self):
        if self.pipe:
            out = bytearray(MAGIC + struct.pack("<Q", PIPE_HEADER))
            for r in self.records:
                out += r.to_bytes()
            out += self.tail
            return bytes(self._patched(out))
        out = bytearray(FILE_HEADER)
        ids_at = []
        for a in self.attrs:
            ids_at.append(len(out))
            out += struct.pack("<%dQ" % len(a.ids), *a.ids)
        attrs_off = len(out)
        for a, at in zip(self.attrs, ids_at):
            raw = bytes(a.raw[:self.attr_size - 16]).ljust(self.attr_size - 16, b"\0")
            out += raw + struct.pack("<QQ", at, 8 * len(a.ids))
        data_off = len(out)
        for r in self.records:
            out += r.to_bytes()
        data_size = len(out) - data_off
        feats = sorted(self.features)
        index_at = len(out)
        out += bytes(16 * len(feats))
        for i, feat in enumerate(feats):
            struct.pack_into("<QQ", out, index_at + 16 * i, len(out), len(self.features[feat]))
            out += self.features[feat]
        bits = sum(1 << f for f in feats)
        struct.pack_into("<8s5Q", out, 0, MAGIC, FILE_HEADER, self.attr_size, attrs_off,
                         self.attr_size * len(self.attrs), data_off)
        struct.pack_into("<Q", out, 48, data_size)
        out[72:104] = bits.to_bytes(32, "little")
        return bytes(self._patched(out))

    def _patched(self, out):
        for at, v in self.header_patch.items():
            if at + 8 <= len(out):
                struct.pack_into("<Q", out, at, v & (2**64 - 1))
        return out

    # ------------------------------------------------------------------ tracing data

    def tracing_blob(self):
        """(where, bytes) of the tracing-data blob: ("feature", b) or (record index, b)."""
        if FEAT_TRACING_DATA in self.features:
            return "feature", self.features[FEAT_TRACING_DATA]
        for i, r in enumerate(self.records):
            if r.type == RECORD_HEADER_TRACING_DATA and r.payload:
                n = struct.unpack_from("<I", r.body, 0)[0]
                return i, r.payload[:n]
        return None, None

    def set_tracing_blob(self, where, blob):
        if where == "feature":
            self.features[FEAT_TRACING_DATA] = blob
        elif where is not None:
            r = self.records[where]
            r.body = struct.pack("<I", len(blob)) + r.body[4:]
            r.payload = blob + bytes(-len(blob) % 8)


class TracingData:
    """The tracing-data blob (perf's HEADER_TRACING_DATA, and the head of a trace.dat)."""

    def __init__(self):
        self.version = b"0.6"
        self.long_size = 8
        self.page_size = 4096
        self.header_page = b""
        self.header_event = b""
        self.ftrace = []            # format texts
        self.systems = []           # [system name, [format texts]]
        self.kallsyms = b""
        self.printk = b""
        self.cmdlines = None        # bytes (version >= 0.6) or None
        self.rest = b""             # what follows (trace.dat: options and data)

    @classmethod
    def parse(cls, b):
        t = cls()
        if b[:10] != TRACING_MAGIC:
            raise ValueError("no tracing-data magic")
        end = b.index(b"\0", 10)
        t.version = bytes(b[10:end])
        pos = end + 1
        if b[pos] != 0:
            raise ValueError("big endian")
        t.long_size = b[pos + 1]
        t.page_size = struct.unpack_from("<I", b, pos + 2)[0]
        pos += 6

        def named(pos, name):
            assert b[pos:pos + len(name)] == name, name
            pos += len(name) + 1
            n = struct.unpack_from("<Q", b, pos)[0]
            return bytes(b[pos + 8:pos + 8 + n]), pos + 8 + n

        t.header_page, pos = named(pos, b"header_page")
        t.header_event, pos = named(pos, b"header_event")

        def texts(pos):
            n = struct.unpack_from("<I", b, pos)[0]
            pos += 4
            out = []
            for _ in range(n):
                size = struct.unpack_from("<Q", b, pos)[0]
                out.append(bytes(b[pos + 8:pos + 8 + size]))
                pos += 8 + size
            return out, pos

        t.ftrace, pos = texts(pos)
        nsys = struct.unpack_from("<I", b, pos)[0]
        pos += 4
        for _ in range(nsys):
            end = b.index(b"\0", pos)
            name = bytes(b[pos:end])
            fmts, pos = texts(end + 1)
            t.systems.append([name, fmts])
        n = struct.unpack_from("<I", b, pos)[0]
        t.kallsyms = bytes(b[pos + 4:pos + 4 + n])
        pos += 4 + n
        n = struct.unpack_from("<I", b, pos)[0]
        t.printk = bytes(b[pos + 4:pos + 4 + n])
        pos += 4 + n
        if t.version >= b"0.6" and pos + 8 <= len(b):
            n = struct.unpack_from("<Q", b, pos)[0]
            t.cmdlines = bytes(b[pos + 8:pos + 8 + n])
            pos += 8 + n
        t.rest = bytes(b[pos:])
        return t

    def to_bytes(self, counts=None):
        """The blob; `counts` overrides the written count of a list by name ("ftrace",
        "systems", ("events", i)) with a value that need not be the truth."""
        counts = counts or {}
        out = bytearray(TRACING_MAGIC + self.version + b"\0")
        out += bytes([0, self.long_size]) + struct.pack("<I", self.page_size)
        out += b"header_page\0" + struct.pack("<Q", len(self.header_page)) + self.header_page
        out += b"header_event\0" + struct.pack("<Q", len(self.header_event)) + \
            self.header_event
        out += struct.pack("<I", counts.get("ftrace", len(self.ftrace)) & 0xFFFFFFFF)
        for f in self.ftrace:
            out += struct.pack("<Q", len(f)) + f
        out += struct.pack("<I", counts.get("systems", len(self.systems)) & 0xFFFFFFFF)
        for i, (name, fmts) in enumerate(self.systems):
            out += name + b"\0"
            out += struct.pack("<I", counts.get(("events", i), len(fmts)) & 0xFFFFFFFF)
            for f in fmts:
                out += struct.pack("<Q", len(f)) + f
        out += struct.pack("<I", len(self.kallsyms)) + self.kallsyms
        out += struct.pack("<I", len(self.printk)) + self.printk
        if self.cmdlines is not None:
            out += struct.pack("<Q", len(self.cmdlines)) + self.cmdlines
        return bytes(out) + self.rest

    def formats(self):
        """(system index, event index) of every event format."""
        return [(i, j) for i, (_, fmts) in enumerate(self.systems) for j in range(len(fmts))]


def sample_layout(sample_type):
    """{field: byte offset in a SAMPLE body} for the fixed fields up to the callchain
    count and the raw size, as far as they can be known without reading the sample
    (a READ group stops it)."""
    out = {}
    pos = 0
    for bit, name in ((1 << 16, "identifier"), (1, "ip"), (2, "tid"), (4, "time"),
                      (8, "addr"), (64, "id"), (512, "stream_id"), (128, "cpu"),
                      (256, "period")):
        if sample_type & bit:
            out[name] = pos
            pos += 8
    if sample_type & 16:            # READ: variable, stop here
        return out
    if sample_type & 32:
        out["callchain_nr"] = pos
        return out                  # the raw size follows a variable chain
    if sample_type & 1024:
        out["raw_size"] = pos
    return out
