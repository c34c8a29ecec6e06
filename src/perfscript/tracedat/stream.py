"""Records of a trace.dat file in trace-cmd's order: each CPU's pages in turn, the
CPUs merged by timestamp (the earliest head first; on a tie the CPU listed first),
timestamps adjusted as trace-cmd does (TSC multiplier, DATE/OFFSET options)."""

from bisect import bisect_left, bisect_right
from itertools import accumulate
from operator import itemgetter
from typing import NamedTuple

from .reader import TraceDatError
from .ringbuffer import PageReader
from .sections import compressed_pages


class Record(NamedTuple):
    ts: int            # nanoseconds (or clock units), after trace-cmd's adjustments
    cpu: int           # the CPU id
    data: bytes        # the event payload (common fields first)
    missed: int        # events lost before this one (-1: an unknown number)


def _mul_u64_u32_shr(value, mult, shift):
    """The kernel's mul_u64_u32_shr() as trace-cmd computes it (64-bit wrap)."""
    low, high = value & 0xFFFFFFFF, value >> 32
    out = (low * mult) >> shift
    if high:
        out += ((high * mult) << (32 - shift)) & ((1 << 64) - 1)
    return out & ((1 << 64) - 1)


def timestamp_adjuster(tdat):
    """fn(raw ts) -> ts, or None when trace-cmd would not change it."""
    mult, shift = tdat.options.tsc_mult, tdat.options.tsc_shift
    offset = tdat.options.ts_offset
    if not mult and not offset:
        return None

    def adjust(ts):
        if mult:
            ts = _mul_u64_u32_shr(ts, mult, shift)
        return (ts + offset) & ((1 << 64) - 1)
    return adjust


def cpu_pages(tdat, cpu_data):
    """Yield (file offset, page bytes) for one CPU's data."""
    page_size = tdat.page_size
    if tdat.compressed_data:
        offset = cpu_data.offset
        for chunk in compressed_pages(tdat.buf, tdat.path, tdat.big_endian, cpu_data,
                                      page_size, tdat.decompressor):
            for start in range(0, len(chunk), page_size):
                yield offset, chunk[start:start + page_size]
        return
    buf = tdat.buf
    end = cpu_data.offset + cpu_data.size
    for start in range(cpu_data.offset, end, page_size):
        yield start, buf[start:min(start + page_size, end)]


_TS = itemgetter(0)


def _reader(tdat):
    return PageReader(tdat.big_endian, tdat.meta.commit_size or tdat.long_size, tdat.path)


def cpu_records(tdat, index, reader=None):
    """Yield Records of the index-th CPU of the top buffer, in file order."""
    reader = reader or _reader(tdat)
    adjust = timestamp_adjuster(tdat)
    cpu = tdat.cpu_data[index].cpu
    for offset, page in cpu_pages(tdat, tdat.cpu_data[index]):
        for ts, data, missed in reader.events(page, offset):
            yield Record(adjust(ts) if adjust else ts, cpu, data, missed)


def records(tdat):
    """All Records, merged across CPUs in timestamp order as trace-cmd reads them."""
    for chunk in record_chunks(tdat):
        for rec in chunk:
            yield Record._make(rec)


class _CpuStream:
    """One CPU's records read PAGES pages at a time: `pending` holds (ts, cpu, data,
    missed) tuples not yet merged and `keys` their merge keys (the running maximum of
    the timestamps, `top` the last); `error` is what stopped the reading early. Until
    the stream is done one record stays pending, so the merge knows whether a record
    is the last one before an error."""

    PAGES = 64

    def __init__(self, tdat, index, reader, adjust):
        self.index = index
        self.cpu = tdat.cpu_data[index].cpu
        self.pages = cpu_pages(tdat, tdat.cpu_data[index])
        self.reader = reader
        self.adjust = adjust
        self.pending, self.keys = [], []
        self.top = -1
        self.done = False
        self.error = None

    def refill(self):
        """Read pages until two records are pending or the stream is done; whether
        any record is pending."""
        while len(self.pending) < 2 and not self.done:
            self._fill()
        return bool(self.pending)

    def _fill(self):
        events = []
        try:
            for _ in range(self.PAGES):
                offset, page = next(self.pages)
                self.reader.read(page, offset, events, self.cpu)
        except StopIteration:
            self.done = True
        except TraceDatError as exc:
            self.done, self.error = True, exc
        if not events:
            return
        if self.adjust is not None:
            adjust = self.adjust
            events = [(adjust(ts), cpu, data, missed) for ts, cpu, data, missed in events]
        start = len(self.keys)
        self.pending += events
        self.keys += accumulate(map(_TS, events), max, initial=self.top)
        del self.keys[start]        # the initial value
        self.top = self.keys[-1]

    def ready(self, streams):
        """How many pending records can be merged now: those no unread record of
        another stream can precede (merge keys are (key, stream index, position))."""
        cut = len(self.keys) if self.done else len(self.keys) - 1
        for other in streams:
            if other is not self and not other.done:
                find = bisect_left if other.index < self.index else bisect_right
                cut = min(cut, find(self.keys, other.top))
        return cut


def record_chunks(tdat):
    """Yield lists of (ts, cpu, data, missed) tuples: every record of the top buffer in
    the order heapq.merge gives when merging the CPUs' streams by (timestamp, CPU
    index), as trace-cmd reads them, a few pages at a time. The merge by each stream's
    running maximum is that heap merge (see arrays.merge_order). A damaged page raises
    where the heap merge would: after the records it yields before asking for the
    damaged stream's next one."""
    reader = _reader(tdat)
    adjust = timestamp_adjuster(tdat)
    streams = [_CpuStream(tdat, i, reader, adjust) for i in range(len(tdat.cpu_data))]
    for stream in streams:          # the merge takes each stream's first record in turn
        if not stream.refill() and stream.error is not None:
            raise stream.error
    live = [s for s in streams if s.pending]
    while live:
        keys, rows, last = [], [], {}
        for stream in live:
            cut = stream.ready(live)
            if not cut:
                continue
            keys += stream.keys[:cut]
            rows += stream.pending[:cut]
            del stream.keys[:cut], stream.pending[:cut]
            if stream.error is not None and not stream.pending:
                last[len(rows) - 1] = stream.error
        order = sorted(range(len(keys)), key=keys.__getitem__)    # stable: index, position
        if last:
            for n, i in enumerate(order):
                if i in last:
                    yield [rows[j] for j in order[:n + 1]]
                    raise last[i]
        yield [rows[i] for i in order]
        live = [s for s in live if s.refill()]
