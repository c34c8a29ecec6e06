"""Walking the data section record by record, expanding zstd-compressed records inline.

Yields `(type, misc, size, buf, off, where)`: the record lies at `buf[off:off+size]`
(header included) and `where` is its file offset (for a record that came out of a
compressed one: the compressed record's offset). Records are not copied when the file is
mapped. A pipe-mode HEADER_TRACING_DATA record has its payload (the tracing data, which
its header does not count) right after it in `buf`; an AUXTRACE record's payload
(hardware trace data, which nothing here decodes) is skipped, and is in `buf` only when
the input is mapped anyway.
"""

import struct

from perfscript.errors import PerfDataError
from perfscript.perfdata import constants as C
from perfscript.perfdata.compressed import NO_FEATURE, Inflater, mmap_len_of
from perfscript.perfdata.features import parse_feature

# Record types above this are no record perf knows; one that overruns the end of the
# input is trailing junk rather than a truncated record.
MAX_RECORD_TYPE = 127

# the bytes of a pipe-mode record up to and including the field that sizes its payload
_PAYLOAD_SIZE_END = {C.RECORD_HEADER_TRACING_DATA: 12, C.RECORD_AUXTRACE: 16}


def _extra_payload(typ, buf, off, size, endian, name, where):
    """Bytes that follow a pipe-mode record without being counted in its header size."""
    if size < _PAYLOAD_SIZE_END[typ]:
        raise PerfDataError("record of type %d too short (%d bytes)" % (typ, size),
                            name, where)
    if typ == C.RECORD_HEADER_TRACING_DATA:
        size = struct.unpack_from(endian + "I", buf, off + 8)[0]
        return (size + 7) & ~7
    return struct.unpack_from(endian + "Q", buf, off + 8)[0]


def _truncated_payload(typ, wanted, got, name, where):
    """The error for a payload cut short, the same for mapped and streamed input."""
    return PerfDataError("truncated payload of record type %d: wanted %d bytes, got %d"
                         % (typ, wanted, got), name, where)


def _file_features(pd):
    """The header features the walker needs (FEAT_COMPRESSED), from a file's own
    feature sections."""
    section = pd.feature_sections.get(C.FEAT_COMPRESSED)
    if section is None:
        return {}
    off, data = section
    try:
        return {C.FEAT_COMPRESSED: parse_feature(C.FEAT_COMPRESSED, data, endian=pd.endian,
                                                 path=pd.name, offset=off)}
    except PerfDataError:
        return {}


_SPECULATE_EVERY = 32        # records walked one by one between two stride guesses


class _StridePredictor:
    """Tracepoint streams repeat their record sizes (raw_syscalls: 88, 128, 88, 128...).
    After a few records, guess that the next ones follow the same sizes, read all their
    headers at once with NumPy and keep the verified prefix: every kept header has the
    size that leads to the next, so the chain is exactly the one a record-by-record walk
    follows. A guess that holds is followed at once by one twice as long; guesses that
    keep failing are tried less and less often."""

    FIRST_BLOCK = 4096
    MAX_BLOCK = 1 << 16

    def __init__(self, buf, end, user_start):
        import numpy as np
        self.np = np
        self.words = np.frombuffer(buf, dtype="<u8", count=len(buf) // 8)
        self.end = end
        if user_start & (user_start - 1):
            raise ValueError("PERF_RECORD_USER_TYPE_START is a power of two")
        # a header word masked to its size and the type bits a kernel record has clear
        self.mask = np.uint64(0xFFFF << 48 | (0xFFFFFFFF & ~(user_start - 1)))
        self.backoff = _SPECULATE_EVERY
        self.tail = []          # the last offsets of the last guess that held
        self.tail_end = None    # the offset after them

    def extend(self, run, off):
        """Guess the records from `off` on after `run`, the offsets walked one by one
        since the last guess. Returns (arrays of the guessed offsets or None, the next
        offset, the records to walk one by one before guessing again)."""
        recent = run[-8:]
        if len(recent) < 8 and (run[0] if run else off) == self.tail_end:
            recent = (self.tail + run)[-8:]
        if len(recent) < 8:
            return None, off, self.backoff
        recent.append(off)
        sizes = [b - a for a, b in zip(recent, recent[1:])]
        for period in (1, 2, 4):
            if all(sizes[i] == sizes[i - period] for i in range(period, 8)):
                break
        else:
            return None, off, self._failed()
        pattern = sizes[8 - period:]
        if off & 7 or any(size & 7 for size in pattern):
            return None, off, self._failed()       # headers must be whole words
        np = self.np
        words, mask, end = self.words, self.mask, self.end
        stride = sum(pattern)
        starts = [sum(pattern[:i]) for i in range(period)]
        # the headers of the i-th record of each period: every stride/8-th word (whole
        # columns: the records guessed end before `end`, which is within the buffer)
        columns = [(at >> 3, np.uint64(size << 48)) for at, size in zip(starts, pattern)]
        step = stride >> 3
        reps = self.FIRST_BLOCK // period
        guessed = []
        held = True
        while True:
            reps = min(reps, (end - off) // stride)
            if reps * period < 16:
                break
            first = off >> 3
            good = reps * period
            for i, (at, want) in enumerate(columns):
                head = words[first + at:first + at + reps * step:step]
                bad = (head & mask) != want
                if bad.any():
                    good = min(good, int(bad.argmax()) * period + i)
            if good == reps * period:
                guessed.append(self._offsets(off, reps, stride, starts))
                off += reps * stride
                reps = min(reps * 2, self.MAX_BLOCK // period)
                continue
            held = False
            if good >= 16 or guessed and good:
                offs = self._offsets(off, -(-good // period), stride, starts)[:good]
                guessed.append(offs)
                off = int(offs[-1]) + pattern[(good - 1) % period]
            break
        if not guessed:
            return None, off, self._failed()
        self.backoff = _SPECULATE_EVERY
        self.tail = guessed[-1][-8:].tolist()
        self.tail_end = off
        return guessed, off, 1 if held else _SPECULATE_EVERY

    def _offsets(self, off, reps, stride, starts):
        """The offsets of `reps` periods of records from `off` (filled a column at a
        time: NumPy broadcasts over rows of two or four elements slowly)."""
        np = self.np
        period = len(starts)
        out = np.empty(reps * period, dtype=np.int64)
        for i, at in enumerate(starts):
            out[i::period] = np.arange(off + at, off + at + reps * stride, stride,
                                       dtype=np.int64)
        return out

    def _failed(self):
        self.backoff = min(self.backoff * 2, 1 << 14)
        return self.backoff


class RecordWalker:
    """Iterates over a PerfData's records in file order.

    `features`: the parsed header features, as they become known (a session's dict, which
    pipe mode fills as HEADER_FEATURE records go by); by default the file's own. A
    COMPRESSED record is read within FEAT_COMPRESSED's bound (perfdata/compressed.py).
    """

    def __init__(self, perf_data, features=None):
        self.pd = perf_data
        self.endian = perf_data.endian
        self.header = struct.Struct(self.endian + "IHH")
        self.features = _file_features(perf_data) if features is None else features
        self._inflater = Inflater(perf_data.name, self.endian)
        self._leftover = b""
        self.compressed_records = 0
        self.count = 0           # records walked so far (perf's "Processed N events")
        # (offset, length) of bytes at the end that are not records (e.g. perf record's
        # own messages appended to a pipe-mode file): reported, not an error.
        self.trailing_garbage = None

    def __iter__(self):
        pd = self.pd
        if pd.source.buf is not None:
            end = pd.data_offset + pd.data_size
            return self._walk_mapped(pd.source.buf, pd.data_offset, end)
        return self._walk_stream()

    # -------------------------------------------------------------- mapped input

    def _walk_mapped(self, buf, off, end):
        unpack = self.header.unpack_from
        name = self.pd.name
        pipe = self.pd.pipe
        expand = self._expand
        while off < end:
            if off + 8 > end:
                raise PerfDataError("truncated record header (%d bytes left)" % (end - off),
                                    name, off)
            typ, misc, size = unpack(buf, off)
            if size < 8:
                raise PerfDataError("bad record header size %d (type %d)" % (size, typ),
                                    name, off)
            if off + size > end:
                if typ > MAX_RECORD_TYPE:
                    self.trailing_garbage = (off, end - off)
                    return
                raise PerfDataError("truncated record: type %d, size %d, only %d bytes left"
                                    % (typ, size, end - off), name, off)
            self.count += 1
            if typ == C.RECORD_COMPRESSED or typ == C.RECORD_COMPRESSED2:
                yield from expand(typ, buf, off, size, off)
                off += size
                continue
            if pipe and (typ == C.RECORD_HEADER_TRACING_DATA or typ == C.RECORD_AUXTRACE):
                extra = _extra_payload(typ, buf, off, size, self.endian, name, off)
                if off + size + extra > end:
                    raise _truncated_payload(typ, extra, end - off - size, name, off)
                yield typ, misc, size, buf, off, off
                off += size + extra
                continue
            yield typ, misc, size, buf, off, off
            off += size
        self._check_leftover(end)

    def stretches(self):
        """For mapped, uncompressed file-mode input (no pipe-mode payloads between
        records): runs of kernel records as np.int64 arrays of offsets, and every
        perf-synthesized record on its own as a tuple (type, misc, size, offset).

        Batched consumers process a run with NumPy; the user records between runs keep
        their place in file order. Damage ends the walk after the records before it.
        The loop is the one serial part of reading a file, so its common step is three
        operations; the checks it skips are made once at the end.
        """
        import numpy as np
        pd = self.pd
        buf = pd.source.buf
        off = pd.data_offset
        end = off + pd.data_size
        unpack = self.header.unpack_from
        name = pd.name
        user_start = C.RECORD_USER_TYPE_START
        run = []                # offsets walked one by one since the last guessed ones
        append = run.append
        pieces = []             # the open run before those, as arrays
        error = None
        stride = _StridePredictor(buf, end, user_start) if self.endian == "<" else None
        countdown = _SPECULATE_EVERY
        try:
            while off < end:
                typ, misc, size = unpack(buf, off)
                if typ < user_start and size >= 8:
                    append(off)
                    off += size
                    countdown -= 1
                    if countdown or stride is None:
                        continue
                    guessed, off, countdown = stride.extend(run, off)
                    if guessed:
                        if run:
                            pieces.append(np.array(run, dtype=np.int64))
                            run = []
                            append = run.append
                        pieces += guessed
                    continue
                if size < 8:
                    error = PerfDataError("bad record header size %d (type %d)"
                                          % (size, typ), name, off)
                    break
                if off + size > end:
                    break          # judged below
                if run or pieces:
                    yield self._run_offsets(pieces, run)
                    pieces = []
                    run = []
                    append = run.append
                self.count += 1
                if typ == C.RECORD_COMPRESSED or typ == C.RECORD_COMPRESSED2:
                    # batched reading is for files without FEAT_COMPRESSED
                    error = PerfDataError(NO_FEATURE, name, off)
                    break
                yield (typ, misc, size, off)
                off += size
        except struct.error:
            pass                   # a header past the end of the file: judged below
        if error is None and off != end:
            # the record at `off` is cut short by the end of the data; when the fast
            # step already took it, it is the last offset walked one by one (a guess
            # takes only records that fit)
            if off > end:
                off = run.pop()
            if end - off < 8:
                error = PerfDataError("truncated record header (%d bytes left)"
                                      % (end - off), name, off)
            else:
                typ, misc, size = unpack(buf, off)
                if typ > MAX_RECORD_TYPE:
                    self.trailing_garbage = (off, end - off)
                else:
                    error = PerfDataError("truncated record: type %d, size %d, only %d "
                                          "bytes left" % (typ, size, end - off), name, off)
        if run or pieces:
            yield self._run_offsets(pieces, run)
        if error is not None:
            raise error

    def _run_offsets(self, pieces, run):
        """One run's offsets as a single array (and counted)."""
        import numpy as np
        if run:
            pieces.append(np.array(run, dtype=np.int64))
        offsets = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
        self.count += len(offsets)
        return offsets

    # -------------------------------------------------------------- stream input

    def _walk_stream(self):
        src = self.pd.source
        unpack = self.header.unpack_from
        name = self.pd.name
        off = self.pd.data_offset
        read = src.stream.read
        while True:
            head = read(8)
            if not head:
                break
            if len(head) < 8:
                raise PerfDataError("truncated record header (%d bytes left)" % len(head),
                                    name, off)
            typ, misc, size = unpack(head, 0)
            if size < 8:
                raise PerfDataError("bad record header size %d (type %d)" % (size, typ),
                                    name, off)
            body = src.stream.read(size - 8)
            if len(body) != size - 8:
                if typ > MAX_RECORD_TYPE:
                    self.trailing_garbage = (off, 8 + len(body))
                    return
                raise PerfDataError("truncated record: type %d, size %d, only %d bytes left"
                                    % (typ, size, len(body) + 8), name, off)
            rec = head + body
            self.count += 1
            if typ == C.RECORD_COMPRESSED or typ == C.RECORD_COMPRESSED2:
                yield from self._expand(typ, rec, 0, size, off)
                off += size
                continue
            extra = 0
            if typ == C.RECORD_HEADER_TRACING_DATA or typ == C.RECORD_AUXTRACE:
                # the payload is read as it arrives (a size it lies about ends with the
                # stream), and the same way truncation is told from a mapped file
                extra = _extra_payload(typ, rec, 0, size, self.endian, name, off)
                what = "payload of record type %d" % typ
                if typ == C.RECORD_AUXTRACE:
                    src.skip_exact(extra, off, what)
                else:
                    rec += src.read_exact(extra, off, what)
            yield typ, misc, size, rec, 0, off
            off += size + extra
        self._check_leftover(off)

    # -------------------------------------------------------------- compression

    def _expand(self, typ, buf, off, size, where):
        """Decompress one COMPRESSED(2) record and walk the records it completes."""
        self.compressed_records += 1
        mmap_len = mmap_len_of(self.features)
        for piece in self._inflater.inflate(typ, buf, off, size, where, mmap_len):
            yield from self._walk_decompressed(piece, where)

    def _walk_decompressed(self, piece, where):
        data = self._leftover + piece if self._leftover else piece
        unpack = self.header.unpack_from
        off, end = 0, len(data)
        while off + 8 <= end:
            typ, misc, size = unpack(data, off)
            if size < 8:
                raise PerfDataError("bad record header size %d (type %d) in compressed data"
                                    % (size, typ), self.pd.name, where)
            if off + size > end:
                break
            self.count += 1
            yield typ, misc, size, data, off, where
            off += size
        self._leftover = data[off:]

    def _check_leftover(self, where):
        if self._leftover:
            raise PerfDataError("compressed data ends inside a record (%d bytes left over)"
                                % len(self._leftover), self.pd.name, where)
