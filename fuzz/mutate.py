"""Plausible but hostile variants of real recordings: each mutation changes one field of a
perf.data (header, attr, record, sample field, feature, tracing-data count or format text,
compressed stream) to a value at a boundary, or repeats/drops/reorders whole parts.

`Mutator(seed).variant(seed_bytes)` returns (bytes, [mutation names]); the same seed gives
the same variants, so a failure is replayed from its seed and index alone.
"""

import random
import re
import struct

import zstandard

from model import (FEAT_COMPRESSED, RECORD_COMPRESSED, RECORD_COMPRESSED2,
                   RECORD_HEADER_ATTR, RECORD_HEADER_FEATURE, RECORD_SAMPLE, Attr, PerfData,
                   Record, TracingData, sample_layout)

BOUNDARY = [0, 1, 2, 7, 8, 9, 0x7F, 0x80, 0xFF, 0x100, 0xFFF, 0x1000, 0x7FFF, 0x8000, 0xFFFF,
            0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000, 1 << 40, 2**63 - 1,
            2**63, 2**64 - 8, 2**64 - 1]
INFLATE_LIMIT = 16 << 20      # what the mutator itself unpacks of a compressed stream
RECORD_TYPES = list(range(1, 21)) + list(range(64, 84))
CALLCHAIN_MARKERS = [2**64 - 32, 2**64 - 128, 2**64 - 512, 2**64 - 2048, 2**64 - 2176,
                     2**64 - 2560, 2**64 - 4095]
# names that break paths, SQL, Python source or terminals if pasted unquoted
HOSTILE_NAMES = [
    b"x\" ; __import__('os').system('touch PWNED') ; \"",
    b"x'):\n    open('PWNED', 'w')\ndef y(",
    b"../../PWNED", b"/tmp/PWNED", b"a/b", b".", b"..", b"", b" ", b"CON", b"nul.txt",
    b"a-b", b"a_b", b"A_B", b"1abc", b"def", b"class", b"\xff\xfe", b"\xc3\xa9v\xc3\xa9nement",
    b"x" * 5000, b"a;DROP TABLE t;--", b"x\x1b[2Jy", b"tab\there", b"sp ace",
]
SAMPLE_FIELDS = ["identifier", "ip", "tid", "time", "addr", "id", "stream_id", "cpu", "period",
                 "callchain_nr", "raw_size"]


def _boundary(rng, near=None):
    v = rng.choice(BOUNDARY)
    if near is not None and rng.random() < 0.3:
        v = max(0, near + rng.randint(-9, 9))
    return v


def _set_word(rng, buf, at=None, width=None):
    """Write a boundary value over a 2/4/8-byte word of `buf` (a bytearray)."""
    width = width or rng.choice((2, 4, 8, 8))
    if len(buf) < width:
        return
    if at is None:
        at = rng.randrange(0, len(buf) - width + 1) & ~(min(width, 4) - 1)
    v = _boundary(rng, int.from_bytes(buf[at:at + width], "little")) % (1 << (8 * width))
    buf[at:at + width] = v.to_bytes(width, "little")


class Mutator:
    def __init__(self, seed):
        self.rng = random.Random(seed)

    # ----------------------------------------------------------------- entry point

    def variant(self, data):
        """One hostile variant of a recording's bytes and what was done to it."""
        rng = self.rng
        try:
            pd = PerfData.parse(data)
        except Exception:
            pd = None
        if pd is None:
            return self._tracedat(data)
        done = []
        if rng.random() < 0.85:
            self._trim(pd)
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            fn = rng.choice(self._perfdata_mutations(pd))
            done.append(fn.__name__.lstrip("_"))
            try:
                fn(pd)
            except Exception:       # an earlier mutation left nothing this one can parse
                pass
        out = pd.to_bytes()
        if rng.random() < 0.05:
            cut = rng.randrange(0, len(out) + 1)
            out = out[:cut]
            done.append("cut@%d" % cut)
        return out, done

    def _perfdata_mutations(self, pd):
        fns = [self._record_size, self._record_word, self._record_type, self._duplicate_record,
               self._drop_record, self._insert_record, self._swap_records,
               self._sample_field, self._sample_field, self._sample_field,
               self._callchain_markers, self._callchain_markers, self._raw_words,
               self._feature_word, self._feature_cut, self._add_feature,
               self._attr_bits, self._attr_word, self._attr_ids, self._trailing_junk]
        if not pd.pipe:
            fns += [self._header_word, self._attr_size]
        if pd.tracing_blob()[1]:
            # the tracing data is where names, sizes and code-like text come from
            fns += [self._format_geometry] * 8 + [self._format_names] * 4 + [
                self._duplicate_format] * 3 + [self._print_fmt] * 2 + [
                self._many_fields, self._tracing_counts, self._tracing_sizes,
                self._format_id]
        if any(r.type in (RECORD_COMPRESSED, RECORD_COMPRESSED2) for r in pd.records):
            fns += [self._compressed_inner] * 3 + [self._bomb, self._mmap_len]
        return fns

    def _trim(self, pd):
        """Keep the records up to a few dozen samples in: what a run reads stays small
        (the campaign's speed), and a file that ends early is itself plausible."""
        samples = [i for i, r in enumerate(pd.records) if r.type == RECORD_SAMPLE]
        if len(samples) > 64:
            keep = samples[self.rng.randrange(4, 64)]
            pd.records = pd.records[:keep]

    # ----------------------------------------------------------------- records

    def _pick(self, pd, types=None):
        recs = [r for r in pd.records if types is None or r.type in types]
        return self.rng.choice(recs) if recs else None

    def _record_size(self, pd):
        r = self._pick(pd)
        r.size = self.rng.choice([0, 1, 7, 8, 9, 0xFFFF, 8 + len(r.body) + 8,
                                  8 + len(r.body) - 8, 8 + len(r.body) - 1])

    def _record_word(self, pd):
        r = self._pick(pd)
        b = bytearray(r.body)
        _set_word(self.rng, b)
        r.body = bytes(b)

    def _record_type(self, pd):
        r = self._pick(pd)
        if self.rng.random() < 0.8:
            r.type = self.rng.choice(RECORD_TYPES)
        else:
            r.misc = self.rng.randrange(1 << 16)

    def _duplicate_record(self, pd):
        i = self.rng.randrange(len(pd.records))
        n = self.rng.choice((1, 2, 10, 500))
        pd.records[i:i] = [pd.records[i].copy() for _ in range(n)]

    def _drop_record(self, pd):
        del pd.records[self.rng.randrange(len(pd.records))]

    def _swap_records(self, pd):
        i, j = self.rng.randrange(len(pd.records)), self.rng.randrange(len(pd.records))
        pd.records[i], pd.records[j] = pd.records[j], pd.records[i]

    def _insert_record(self, pd):
        rng = self.rng
        body = bytearray(rng.randrange(0, 65, 8) if rng.random() < 0.7 else
                         rng.randrange(0, 2048, 8))
        for _ in range(rng.randrange(4)):
            _set_word(rng, body)
        at = rng.randrange(len(pd.records) + 1)
        pd.records.insert(at, Record(rng.choice(RECORD_TYPES), rng.randrange(8), body))

    def _trailing_junk(self, pd):
        junk = bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(1, 64)))
        if pd.pipe:
            pd.tail += junk
        else:
            pd.records.append(Record(self.rng.randrange(1 << 32), 0, junk))

    # ----------------------------------------------------------------- samples

    def _sample_attr(self, pd, r):
        """The attr a sample is read with (the first: ids are not looked up)."""
        if pd.attrs:
            return pd.attrs[0]
        for x in pd.records:
            if x.type == RECORD_HEADER_ATTR and len(x.body) >= 32:
                return Attr(x.body, ())
        return None

    def _sample_field(self, pd):
        r = self._pick(pd, (RECORD_SAMPLE,))
        a = r and self._sample_attr(pd, r)
        if a is None or len(a.raw) < 32:
            return
        layout = sample_layout(a.sample_type)
        names = [n for n in SAMPLE_FIELDS if n in layout]
        if not names:
            return
        name = self.rng.choice(names)
        b = bytearray(r.body)
        at = layout[name]
        if name == "raw_size":
            _set_word(self.rng, b, at, 4)
        elif name in ("tid", "cpu"):
            _set_word(self.rng, b, at + 4 * self.rng.randrange(2), 4)
        elif at + 8 <= len(b):
            _set_word(self.rng, b, at, 8)
        r.body = bytes(b)

    def _callchain_markers(self, pd):
        r = self._pick(pd, (RECORD_SAMPLE,))
        a = r and self._sample_attr(pd, r)
        if a is None or len(a.raw) < 32:
            return
        at = sample_layout(a.sample_type).get("callchain_nr")
        if at is None or at + 8 > len(r.body):
            return
        nr = struct.unpack_from("<Q", r.body, at)[0]
        b = bytearray(r.body)
        for _ in range(self.rng.randrange(1, 4)):
            if nr and at + 8 + 8 * nr <= len(b):
                i = at + 8 + 8 * self.rng.randrange(nr)
                struct.pack_into("<Q", b, i, self.rng.choice(CALLCHAIN_MARKERS))
        r.body = bytes(b)

    def _raw_words(self, pd):
        """Tracepoint payloads: __data_loc words (offset | length << 16) pointing anywhere."""
        r = self._pick(pd, (RECORD_SAMPLE,))
        if r is None or len(r.body) < 16:
            return
        b = bytearray(r.body)
        at = self.rng.randrange(0, len(b) - 3) & ~3
        v = self.rng.choice([0xFFFFFFFF, 0xFFFF0000, 0x0000FFFF, 0x7FFF7FFF, 0x00080000,
                             (len(b) << 16) | 8, 0x00010000 | (len(b) + 1)])
        struct.pack_into("<I", b, at, v)
        r.body = bytes(b)

    # ----------------------------------------------------------------- header, attrs

    def _header_word(self, pd):
        at = self.rng.choice((16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96))
        pd.header_patch[at] = _boundary(self.rng)

    def _attr_size(self, pd):
        pd.attr_size = self.rng.choice((16, 24, 72, 80, 136, 144, 152, 1 << 12))

    def _attr_bits(self, pd):
        rng = self.rng
        for a in self._attr_targets(pd):
            at = rng.choice((24, 32, 40))     # sample_type, read_format, flags
            a.set_u64(at, a.u64(at) ^ (1 << rng.randrange(26 if at == 24 else 40)))

    def _attr_word(self, pd):
        for a in self._attr_targets(pd)[:1]:
            at = self.rng.choice((0, 4, 8, 16, 48, 56, 64))
            b = a.raw
            if at + 8 <= len(b):
                _set_word(self.rng, b, at, 4 if at in (0, 4) else 8)

    def _attr_ids(self, pd):
        rng = self.rng
        if pd.pipe:
            return self._record_word(pd)
        if len(pd.attrs) > 1 and pd.attrs[0].ids and rng.random() < 0.5:
            pd.attrs[1].ids[:1] = pd.attrs[0].ids[:1]       # one id, two events
        elif pd.attrs:
            a = rng.choice(pd.attrs)
            a.ids = rng.choice([[], a.ids * 100, [0], [2**64 - 1] + a.ids])

    def _attr_targets(self, pd):
        if pd.attrs:
            return [self.rng.choice(pd.attrs)]
        recs = [r for r in pd.records if r.type == RECORD_HEADER_ATTR]
        if not recs:
            return []
        r = self.rng.choice(recs)
        holder = _RecordAttr(r)
        return [holder]

    # ----------------------------------------------------------------- features

    def _feature_target(self, pd):
        if pd.pipe:
            r = self._pick(pd, (RECORD_HEADER_FEATURE,))
            return r and (lambda: r.body, lambda b: setattr(r, "body", bytes(b)))
        if not pd.features:
            return None
        feat = self.rng.choice(sorted(pd.features))
        return (lambda: pd.features[feat],
                lambda b: pd.features.__setitem__(feat, bytes(b)))

    def _feature_word(self, pd):
        t = self._feature_target(pd)
        if t:
            b = bytearray(t[0]())
            _set_word(self.rng, b, width=self.rng.choice((4, 4, 8)))
            t[1](b)

    def _feature_cut(self, pd):
        t = self._feature_target(pd)
        if t:
            b = t[0]()
            t[1](b[:self.rng.randrange(len(b) + 1)])

    def _add_feature(self, pd):
        rng = self.rng
        feat = rng.randrange(1, 32)
        body = bytearray(rng.choice((0, 4, 8, 16, 64)))
        for _ in range(2):
            _set_word(rng, body, width=4)
        if pd.pipe:
            pd.records.insert(rng.randrange(len(pd.records) + 1),
                              Record(RECORD_HEADER_FEATURE, 0,
                                     struct.pack("<Q", feat) + bytes(body)))
        else:
            pd.features[feat] = bytes(body)

    # ----------------------------------------------------------------- tracing data

    def _tracing(self, pd, change):
        where, blob = pd.tracing_blob()
        t = TracingData.parse(blob)
        counts = change(t) or None
        pd.set_tracing_blob(where, t.to_bytes(counts))

    def _pick_format(self, t):
        cands = t.formats()
        if not cands:
            raise ValueError("no formats")
        i, j = self.rng.choice(cands)
        return i, j, t.systems[i][1][j]

    def _format_geometry(self, pd):
        rng = self.rng

        def change(t):
            i, j, text = self._pick_format(t)
            lines = text.split(b"\n")
            fields = [k for k, ln in enumerate(lines) if b"field:" in ln and
                      b"common_" not in ln]
            if not fields:
                return
            k = rng.choice(fields)
            ln = lines[k]
            what = rng.randrange(4)
            if what == 0:
                ln = re.sub(rb"size:\d+", b"size:%d" % rng.choice(
                    (0, 1 << 40, 4000000000, 65536, 2**31, 2**64 - 1)), ln)
            elif what == 1:
                ln = re.sub(rb"offset:\d+", b"offset:%d" % rng.choice(
                    (0, 65535, 1 << 32, 2**63)), ln)
            elif what == 2:
                ln = re.sub(rb"(\w+);(\toffset)", rb"\1[%d];\2" % rng.choice(
                    (1000000000, 0, 4294967295)), ln, count=1)
                ln = re.sub(rb"size:\d+", b"size:%d" % rng.choice((4000000000, 8, 0)), ln)
            else:
                ln = re.sub(rb"field:[^;]*;", b"field:__data_loc char[] x;", ln)
            lines[k] = ln
            t.systems[i][1][j] = b"\n".join(lines)
        self._tracing(pd, change)

    def _format_names(self, pd):
        rng = self.rng

        def change(t):
            i, j, text = self._pick_format(t)
            name = rng.choice(HOSTILE_NAMES)
            if rng.random() < 0.5:
                t.systems[i][1][j] = re.sub(rb"^name: .*$", b"name: " + name, text,
                                            count=1, flags=re.M)
            else:
                t.systems[i][0] = name.replace(b"\0", b"")
        self._tracing(pd, change)

    def _duplicate_format(self, pd):
        rng = self.rng

        def change(t):
            i, j, text = self._pick_format(t)
            how = rng.randrange(4)
            if how == 0:        # the same event twice
                t.systems[i][1].append(text)
            elif how == 1:      # the same name under another id
                t.systems[i][1].append(re.sub(rb"ID: \d+", b"ID: 99999", text))
            elif how == 2:      # a second system whose name normalizes to the same view
                name = t.systems[i][0]
                other = name.replace(b"_", b"-") if b"_" in name else name + b"-"
                if rng.random() < 0.5:
                    other = name.upper()
                t.systems.append([other, [re.sub(rb"ID: \d+", b"ID: 99998", text)]])
            else:               # the same system listed twice
                t.systems.append([t.systems[i][0], [text]])
        self._tracing(pd, change)

    def _format_id(self, pd):
        def change(t):
            i, j, text = self._pick_format(t)
            t.systems[i][1][j] = re.sub(rb"ID: \d+", b"ID: %d" % self.rng.choice(
                (0, 1, 2**31, 2**32 - 1, 2**64 - 1)), text)
        self._tracing(pd, change)

    def _many_fields(self, pd):
        n = self.rng.choice((1000, 20000, 60000))

        def change(t):
            i, j, text = self._pick_format(t)
            extra = b"".join(b"\tfield:int f%d;\toffset:%d;\tsize:4;\tsigned:1;\n"
                             % (k, 8 + 4 * k) for k in range(n))
            t.systems[i][1][j] = text.replace(b"\nprint fmt:", b"\n" + extra + b"\nprint fmt:")
        self._tracing(pd, change)

    def _print_fmt(self, pd):
        rng = self.rng
        bodies = [
            b'"%s", ' + b"(" * 5000 + b"REC->x" + b")" * 5000,
            b'"' + b"%d" * 20000 + b'", ' + b", ".join([b"REC->x"] * 20000),
            b'"%*.*s %pS %pB %pI4 %pM %pU %-+#0lld", 1, 2, "a", 3, 4, 5, 6, 7, 8',
            b'"' + b"a" * (1 << 20) + b'"',
            b'"%s", __print_flags(REC->x, "|", ' + b", ".join(
                b'{ %d, "F%d" }' % (1 << k, k) for k in range(64)) + b")",
            b'"%s", __print_symbolic(REC->x, ' + b"{ 1, \"a\" }, " * 5000 + b"{ 2, \"b\" })",
            b'"%s", __get_str(nonexistent)', b'"%d", 1 / 0', b'"%d", -9223372036854775808 % -1',
            b'"%s", __print_hex(REC->x, 4294967295)', b'"%s', b"", b'"%d" "%d"',
            b'"%s", ' + b"__builtin_constant_p(" * 3000 + b"1" + b")" * 3000,
        ]

        def change(t):
            i, j, text = self._pick_format(t)
            new = rng.choice(bodies)
            t.systems[i][1][j] = re.sub(rb"print fmt: .*", lambda m: b"print fmt: " + new,
                                        text, count=1, flags=re.S)
        self._tracing(pd, change)

    def _tracing_counts(self, pd):
        rng = self.rng

        def change(t):
            key = rng.choice(["ftrace", "systems", ("events", 0)])
            return {key: rng.choice((0, 1, 2, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF))}
        self._tracing(pd, change)

    def _tracing_sizes(self, pd):
        """A size inside the blob (header_page/event, a format, kallsyms, printk) lies."""
        where, blob = pd.tracing_blob()
        b = bytearray(blob)
        spots = [m.end() + 1 for m in re.finditer(rb"header_page|header_event", b)]
        at = self.rng.choice(spots) if spots and self.rng.random() < 0.5 else \
            self.rng.randrange(0, max(1, len(b) - 8))
        _set_word(self.rng, b, at, self.rng.choice((4, 8)))
        pd.set_tracing_blob(where, bytes(b))

    # ----------------------------------------------------------------- compression

    def _compressed_inner(self, pd):
        """Mutate the records inside the zstd stream and pack them again."""
        stream = self._inflate(pd)
        inner = PerfData(False, 0, [], _parse_plain(stream), {})
        fn = self.rng.choice([self._record_size, self._record_word, self._record_type,
                              self._duplicate_record, self._drop_record,
                              self._insert_record])
        fn(inner)
        self._deflate(pd, b"".join(r.to_bytes() for r in inner.records))

    def _bomb(self, pd):
        """One COMPRESSED record that inflates to many MiB of tiny records."""
        payload = _bomb_payload(self.rng.choice((64, 256, 1024)))
        at = next(i for i, r in enumerate(pd.records)
                  if r.type in (RECORD_COMPRESSED, RECORD_COMPRESSED2))
        for k in range(0, len(payload), 60000):
            pd.records.insert(at, Record(RECORD_COMPRESSED, 0, payload[k:k + 60000]))
            at += 1

    def _mmap_len(self, pd):
        feat = pd.features.get(FEAT_COMPRESSED)
        if feat is not None and len(feat) >= 20:
            b = bytearray(feat)
            struct.pack_into("<I", b, 16, self.rng.choice((0, 1, 8, 4096, 0xFFFFFFFF)))
            pd.features[FEAT_COMPRESSED] = bytes(b)

    def _inflate(self, pd):
        """The records' zstd stream, unpacked; ValueError past INFLATE_LIMIT (an earlier
        mutation may have planted a bomb: the mutator must not unpack it itself)."""
        d = zstandard.ZstdDecompressor().decompressobj(read_across_frames=True)
        out = []
        size = 0
        for r in pd.records:
            if r.type not in (RECORD_COMPRESSED, RECORD_COMPRESSED2):
                continue
            body = r.body
            if r.type == RECORD_COMPRESSED2:
                body = body[8:8 + struct.unpack_from("<Q", body, 0)[0]]
            for at in range(0, len(body), 1024):
                piece = d.decompress(body[at:at + 1024])
                size += len(piece)
                if size > INFLATE_LIMIT:
                    raise ValueError("the stream holds a bomb")
                out.append(piece)
        return b"".join(out)

    def _deflate(self, pd, stream):
        recs = [r for r in pd.records if r.type not in (RECORD_COMPRESSED, RECORD_COMPRESSED2)]
        at = next(i for i, r in enumerate(pd.records)
                  if r.type in (RECORD_COMPRESSED, RECORD_COMPRESSED2))
        payload = zstandard.ZstdCompressor(level=3).compress(stream)
        packed = [Record(RECORD_COMPRESSED, 0, payload[k:k + 60000])
                  for k in range(0, len(payload), 60000)]
        at = min(at, len(recs))
        pd.records = recs[:at] + packed + recs[at:]

    # ----------------------------------------------------------------- trace.dat

    def _tracedat(self, data):
        rng = self.rng
        done = []
        try:
            t = TracingData.parse(data)
        except Exception:
            t = None
        if t is not None and rng.random() < 0.6:
            holder = _BlobHolder(t.to_bytes())
            fn = rng.choice([self._format_geometry, self._format_names, self._duplicate_format,
                             self._print_fmt, self._tracing_counts, self._format_id,
                             self._many_fields])
            try:
                fn(holder)
                done.append(fn.__name__.lstrip("_"))
            except Exception:
                pass
            data = holder.blob
        b = bytearray(data)
        for _ in range(rng.choice((1, 2, 4))):
            _set_word(rng, b, width=rng.choice((4, 8)))
            done.append("word")
        if rng.random() < 0.1:
            b = b[:rng.randrange(len(b) + 1)]
            done.append("cut")
        return bytes(b), done


class _BlobHolder:
    """Lets the tracing-data mutations work on a bare blob (a trace.dat v6 head)."""

    def __init__(self, blob):
        self.blob = blob

    def tracing_blob(self):
        return "blob", self.blob

    def set_tracing_blob(self, where, blob):
        self.blob = blob


class _RecordAttr:
    """The attr inside a pipe-mode HEADER_ATTR record, edited in place."""

    def __init__(self, rec):
        self.rec = rec
        self.raw = _WriteBack(rec)

    def u64(self, at):
        return struct.unpack_from("<Q", self.rec.body, at)[0] if at + 8 <= len(
            self.rec.body) else 0

    def set_u64(self, at, v):
        if at + 8 <= len(self.rec.body):
            b = bytearray(self.rec.body)
            struct.pack_into("<Q", b, at, v & (2**64 - 1))
            self.rec.body = bytes(b)


class _WriteBack(bytearray):
    def __init__(self, rec):
        super().__init__(rec.body)
        self.rec = rec

    def __setitem__(self, k, v):
        super().__setitem__(k, v)
        self.rec.body = bytes(self)


_BOMBS = {}


def _bomb_payload(mib):
    """A zstd stream of `mib` MiB of FINISHED_ROUND records (made once per size)."""
    if mib not in _BOMBS:
        chunk = struct.pack("<IHH", 68, 0, 8) * (1 << 17)
        obj = zstandard.ZstdCompressor(level=3).compressobj()
        _BOMBS[mib] = b"".join(obj.compress(chunk) for _ in range(mib)) + obj.flush()
    return _BOMBS[mib]


def _parse_plain(stream):
    out = []
    pos = 0
    while pos + 8 <= len(stream):
        typ, misc, size = struct.unpack_from("<IHH", stream, pos)
        if size < 8 or pos + size > len(stream):
            break
        out.append(Record(typ, misc, stream[pos + 8:pos + size]))
        pos += size
    return out
