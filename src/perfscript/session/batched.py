"""perf's record order computed with NumPy over windows of a mapped file.

The serial part is only the walk from record header to record header. A window holds
the runs of kernel records between perf-synthesized records, and any number of
FINISHED_ROUND markers; record types, event ids and timestamps of the whole window are
read at once from a u64 view of the file, and the order perf would deliver them in is
computed for all the window's rounds by one sort:

- at marker j perf releases queued records with time <= limit_j, where limit_0 is the
  flush limit carried in and limit_j (j > 0) is the largest time read before marker j-1;
- so a record read in round a is released at the first marker j >= a with
  limit_j >= its time, after everything released earlier, in time order, ties in
  reading order;
- a record without a time (or with perf's -1) is delivered when read: after the
  releases of earlier markers.

Records not yet released stay queued for the next window. This is exactly the order of
`ordering.OrderedQueue`, including its count of records that arrive out of order
(tests/test_session_ordering.py checks the two against each other).
"""

import mmap

import struct

import numpy as np

from perfscript.errors import PerfDataError
from perfscript.perfdata import constants as C
from perfscript.session.ordering import slice_mask

U64_MAX = np.uint64(0xFFFFFFFFFFFFFFFF)
WINDOW_RECORDS = 1 << 15     # records gathered before a window is ordered (at a marker)


# glibc's mallopt parameters
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_KEEP_FREED = 1 << 27           # freed heap memory kept up to this (glibc: 128 KiB)
_FROM_HEAP = 1 << 25            # blocks below this from the heap (glibc: 128 KiB, rising)


def keep_freed_memory():
    """Each window allocates and frees the same large arrays, lists and strings again:
    glibc hands blocks over 128 KiB back to the kernel when freed, so every window
    page-faults them in anew (half the run's faults, a fifth of its CPU time in the
    kernel). Reusing freed memory instead leaves peak memory as it was. Once a process."""
    global _memory_kept
    if _memory_kept:
        return
    _memory_kept = True
    try:
        import ctypes
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return      # not glibc
    mallopt(_M_MMAP_THRESHOLD, _FROM_HEAP)
    mallopt(_M_TRIM_THRESHOLD, _KEEP_FREED)


_memory_kept = False


def release_freed_memory():
    """Hand the memory freed so far back to the kernel (glibc's malloc_trim), for a
    process that goes on to other work after a pass: what keep_freed_memory kept for
    the pass's next windows would otherwise stay in its resident set."""
    try:
        import ctypes
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass        # not glibc


def can_batch(session):
    """Batching needs a mapped, uncompressed, file-mode data section, 8-byte aligned."""
    pd = session.pd
    if pd.source.buf is None or pd.pipe or pd.data_offset % 8:
        return False
    if C.FEAT_COMPRESSED in pd.feature_sections:
        return False
    return True


def packed(session):
    """A mapped file-mode recording that only compression keeps from batching."""
    pd = session.pd
    return (pd.source.buf is not None and not pd.pipe and not pd.data_offset % 8
            and C.FEAT_COMPRESSED in pd.feature_sections)



def words_at(words, idx):
    """The u64 words at indices `idx` of `words`, read within the buffer: a damaged record
    at its end may claim fields past it (parsing it in its place then rejects it)."""
    return np.take(words, idx, mode="clip")

class RecordBatch:
    """Records delivered together, in perf's order, all inside one buffer."""

    __slots__ = ("session", "buf", "words", "bytes", "offs", "types", "evidx")

    def __init__(self, session, buf, words, bytes_, offs, types, evidx):
        self.session = session
        self.buf = buf
        self.words = words      # u64 view of buf
        self.bytes = bytes_     # uint8 view of buf
        self.offs = offs        # np.int64 record offsets, in delivery order
        self.types = types      # np.int64 record types
        self.evidx = evidx      # np.int64 index of each record's evsel (-1: none)

    def __len__(self):
        return len(self.offs)

    def deliver(self, k):
        """Deliver record k through the session's per-record path."""
        self.session.deliver_at(self.buf, int(self.offs[k]), int(self.evidx[k]))

    def _fixed(self, sel, layout, little):
        """Readers of the fixed fields of samples `sel` (one layout) as NumPy columns:
        (offsets, word index after each header, field(name), signed(name)); signed
        columns are int64 with perf's -1 for u32 all-ones or an absent field."""
        word_at = self.word_at
        o = self.offs[sel]
        base = (o >> 3) + 1
        n = len(o)
        slots = layout.word_slots()
        low = np.uint64(0xFFFFFFFF)
        shift = np.uint64(32)

        def field(name):
            word, half = slots[name]
            w = word_at(base + word)
            if half is None:
                return w
            return (w & low) if (half == 0) == little else (w >> shift)

        def signed(name):
            if name not in slots:
                return np.full(n, -1, dtype=np.int64)
            col = field(name).astype(np.int64)
            col[col == 0xFFFFFFFF] = -1
            return col

        field.slots = slots
        return o, base, field, signed

    def word_at(self, idx):
        """The u64 words at indices `idx`, read within the buffer (see `words_at`)."""
        return words_at(self.words, idx)

    def check_fixed(self, o, layout, little):
        """PerfDataError (as the per-record parser words it) for the first sample at
        offsets `o` shorter than its layout's fixed fields."""
        short = np.flatnonzero(self._record_sizes(o, little).astype(np.int64)
                               < 8 + layout.fixed.size)
        if len(short):
            raise PerfDataError("sample record too short for its sample_type",
                                self.session.name, int(o[short[0]]))

    def _record_sizes(self, o, little):
        head = self.words[o >> 3]
        return ((head >> np.uint64(48)) if little else (head & np.uint64(0xFFFF)))

    def sample_columns(self, sel, layout, little):
        """The fixed fields of samples `sel` (all of one event layout with PERF_SAMPLE_RAW
        and nothing variable before it) as NumPy columns: time, ip, period (uint64 or
        None), cpu, pid, tid (int64, -1 when absent) and raw_start/raw_size; None if a
        record is damaged (the per-record path then reports it)."""
        o, base, field, signed = self._fixed(sel, layout, little)
        extent = self.raw_extent(o, layout, little)
        if extent is None:
            return None
        return dict(_common_columns(field, signed), raw_start=extent[0], raw_size=extent[1])

    def raw_extent(self, o, layout, little):
        """(first byte, size) int64 arrays of the PERF_SAMPLE_RAW payloads of the samples
        at offsets `o` (one layout, the payload right after the fixed fields or after the
        callchain); None if a record is damaged (its size word or payload past its end,
        its chain overrunning it)."""
        if layout.sample_type & C.SAMPLE_CALLCHAIN:
            try:
                start, nr = self.chain_extent(o, layout, little)
            except PerfDataError:
                return None
            size_at = start + 8 * nr
        else:
            size_at = o + 8 + layout.fixed.size
        rec_end = o + self._record_sizes(o, little).astype(np.int64)
        if (size_at + 4 > rec_end).any():
            return None
        words = self.word_at(size_at >> 3)
        first_half = (size_at & 7) == 0
        low, high = words & np.uint64(0xFFFFFFFF), words >> np.uint64(32)
        sizes = np.where(first_half, low, high) if little else np.where(first_half, high, low)
        sizes = sizes.astype(np.int64)
        start = size_at + 4
        if (start + sizes > rec_end).any():
            return None
        return start, sizes

    def payload_heads(self, start, width):
        """(n, width) uint8: the first `width` bytes at each offset of `start` (payloads
        at least that long), gathered as whole u64 words when they share their alignment
        (payloads of one layout do), else byte by byte."""
        n = len(start)
        r = start & 7
        if n and (r == r[0]).all():
            r0 = int(r[0])
            nw = (r0 + width + 7) // 8
            widx = (start >> 3)[:, None] + np.arange(nw, dtype=np.int64)
            np.minimum(widx, len(self.words) - 1, out=widx)
            heads = self.words[widx].view(np.uint8).reshape(n, 8 * nw)[:, r0:r0 + width]
            return np.ascontiguousarray(heads)
        idx = start[:, None] + np.arange(width, dtype=np.int64)
        return self.bytes[idx]

    def chain_columns(self, sel, layout, little):
        """For samples `sel` of one layout whose only variable part is the callchain:
        the fixed fields (as sample_columns) and each chain's entry count and first byte;
        None if a chain overruns its record."""
        o, base, field, signed = self._fixed(sel, layout, little)
        try:
            start, nr = self.chain_extent(o, layout, little)
        except PerfDataError:
            return None
        return dict(_common_columns(field, signed), chain_start=start, chain_nr=nr)

    def fixed_columns(self, sel, layout, little):
        """For samples `sel` of one layout without variable parts: time, cpu, pid, tid,
        period and ip (as sample_columns); None if a record is shorter than its fixed
        fields."""
        o, base, field, signed = self._fixed(sel, layout, little)
        if (self._record_sizes(o, little).astype(np.int64) < 8 + layout.fixed.size).any():
            return None
        return _common_columns(field, signed)

    def misc_column(self, sel, little):
        """The header's misc of samples `sel` (int64)."""
        head = self.words[self.offs[sel] >> 3]
        misc = (head >> np.uint64(32)) if little else (head >> np.uint64(16))
        return (misc & np.uint64(0xFFFF)).astype(np.int64)

    def chain_extent(self, o, layout, little):
        """(first byte, entry count) of the callchains of the samples at offsets `o`
        (one layout, the callchain right after the fixed fields); PerfDataError names the
        first record whose chain overruns it."""
        nr_word = layout.fixed.size // 8
        nr = self.word_at((o >> 3) + 1 + nr_word)
        room = (self._record_sizes(o, little).astype(np.int64) - 16 - 8 * nr_word) // 8
        bad = np.flatnonzero((room < 0) | (nr > room.clip(0).astype(np.uint64)))
        if len(bad):
            raise PerfDataError("sample's callchain overruns its record", self.session.name,
                                int(o[bad[0]]))
        return o + 16 + 8 * nr_word, nr.astype(np.int64)


def _common_columns(field, signed):
    """The fixed fields every kind of columns has: time, ip and period (uint64, None when
    the layout has none), cpu, pid and tid (signed)."""
    slots = field.slots
    return {"time": field("time") if "time" in slots else None,
            "ip": field("ip") if "ip" in slots else None,
            "period": field("period") if "period" in slots else None,
            "cpu": signed("cpu"), "pid": signed("pid"), "tid": signed("tid")}


def _limits_below(limits, ts):
    """For each time, how many of the sorted `limits` are below it (np.int64): a
    comparison a limit when there are few (a binary search per time costs more)."""
    if len(limits) > 3:
        return np.searchsorted(limits, ts, side="left")
    below = np.zeros(len(ts), dtype=np.int64)
    for limit in limits.tolist():
        below += ts > np.uint64(limit)
    return below


def present_values(small):
    """The distinct values of an array of small ints (event indices, -1 for none), in
    order: a count per value, much cheaper than sorting or hashing every row."""
    if not len(small):
        return []
    return (np.flatnonzero(np.bincount(small + 1)) - 1).tolist()


def deliver_each(batch):
    """The default `deliver_batch`: record by record through the session."""
    for k in range(len(batch)):
        batch.deliver(k)


class BatchedOrder:
    """Windows of records → perf's round-flush order → batches."""

    def __init__(self, session, deliver_batch):
        keep_freed_memory()
        self.session = session
        self.deliver_batch = deliver_batch
        pd = session.pd
        self.buf = pd.source.buf
        self.words = np.frombuffer(self.buf, dtype=np.dtype(session.endian + "u8"),
                                   count=len(self.buf) // 8)
        self.bytes = np.frombuffer(self.buf, dtype=np.uint8)
        # a record's type: its header's first u32, in the file's byte order
        self.u32 = np.dtype(session.endian + "u4")
        self.queue = session.queue
        # queued from earlier windows, sorted by (time, reading order)
        self.q_ts = np.zeros(0, dtype=np.uint64)
        self.q_off = np.zeros(0, dtype=np.int64)
        self.q_evidx = np.zeros(0, dtype=np.int64)
        self.q_types = np.zeros(0, dtype=np.int64)
        self.runs = []            # offset arrays of the open window
        self.run_rounds = []      # the round (markers before it in the window) of each
        self.markers = 0          # FINISHED_ROUND markers in the open window
        self.size = 0
        self.dropped = 0          # file bytes below this are handed back to the kernel
        self.read_upto = 0        # offset after the last record ordered so far

    # ------------------------------------------------------------ input

    def add_run(self, offsets):
        """A run of kernel records (np.int64 offsets, in file order)."""
        self.runs.append(offsets)
        self.run_rounds.append(self.markers)
        self.size += len(offsets)
        self.read_upto = int(offsets[-1]) + 1

    def finished_round(self):
        self.markers += 1
        if self.size >= WINDOW_RECORDS:
            self.flush_window()

    def drain(self):
        """End of input: order the open window, then release everything queued."""
        self.flush_window()
        self._order(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 0, final=True)

    # ------------------------------------------------------------ ordering

    def flush_window(self):
        """Order the open window (before a synthesized record, or when it is large)."""
        if not self.runs and not self.markers:
            return
        runs, run_rounds, markers = self.runs, self.run_rounds, self.markers
        self.runs, self.run_rounds, self.markers, self.size = [], [], 0, 0
        if len(runs) == 1:
            offs = runs[0]
            rounds = np.full(len(offs), run_rounds[0], dtype=np.int64)
        elif runs:
            offs = np.concatenate(runs)
            rounds = np.repeat(np.array(run_rounds, dtype=np.int64),
                               [len(r) for r in runs])
        else:
            offs = rounds = np.zeros(0, dtype=np.int64)
        self._order(offs, rounds, markers)

    def record_times(self, o):
        """(types, evsel indices, times) of the records at offsets `o` (in file order);
        time 0 for a record without one."""
        session = self.session
        n = len(o)
        if not n or np.bitwise_or.reduce(o) & 7:
            types = np.zeros(n, dtype=np.int64)
            evidx = np.full(n, -1, dtype=np.int64)
            ts = np.zeros(n, dtype=np.uint64)
            for k, off in enumerate(o.tolist()):
                types[k], evidx[k], ts[k] = self._one(off)
            session.nr_samples += int(np.count_nonzero(types == C.RECORD_SAMPLE))
            return types, evidx, ts
        words = self.words
        heads = o >> 3
        types = words[heads].view(self.u32)[::2].astype(np.int64)
        is_sample = types == C.RECORD_SAMPLE
        nsamples = int(np.count_nonzero(is_sample))
        session.nr_samples += nsamples
        if nsamples == n:
            sample_pos, sample_heads = None, heads
        else:
            sample_pos = np.flatnonzero(is_sample)
            sample_heads = heads[sample_pos]
        ev_s = session.evsels.sample_evsel_indices(words, sample_heads)
        ts_s = self._sample_times(sample_heads, ev_s)
        if sample_pos is None:
            return types, ev_s, ts_s
        evidx = np.full(n, -1, dtype=np.int64)
        ts = np.zeros(n, dtype=np.uint64)
        evidx[sample_pos] = ev_s
        ts[sample_pos] = ts_s
        for k in np.flatnonzero(~is_sample).tolist():
            _, evidx[k], ts[k] = self._one(int(o[k]))
        return types, evidx, ts

    def _sample_times(self, heads, ev_s):
        """The times of the samples whose headers are words `heads`, of evsels `ev_s`
        (0: none)."""
        words = self.words
        evs = self.session.evsels.evsels
        places = {ev.time_pos for ev in evs}
        if len(places) == 1 and None not in places:
            ts = words_at(words, heads + (places.pop() >> 3))
            if len(ev_s) and ev_s.min() < 0:
                ts[ev_s < 0] = 0        # an id no attr claims: no event, no time
            return ts
        ts = np.zeros(len(heads), dtype=np.uint64)
        for e in present_values(ev_s):
            tpos = evs[e].time_pos if e >= 0 else None
            if tpos is not None:
                sel = np.flatnonzero(ev_s == e)
                ts[sel] = words_at(words, heads[sel] + (tpos >> 3))
        return ts

    def _one(self, off):
        session = self.session
        buf = self.buf
        typ, _, size = session.header_struct.unpack_from(buf, off)
        try:
            if typ == C.RECORD_SAMPLE:
                ev = session.evsels.for_sample(buf, off)
                t = ev.layout.sample_time(buf, off) if ev is not None else None
            else:
                ev = session.evsels.for_record(buf, off, size)
                t = ev.layout.trailer_time(buf, off, size) if ev is not None else None
        except struct.error:
            # a record too short for its id or time at the end of the buffer: it is
            # judged (and rejected) when it is parsed, in its place
            ev, t = None, None
        if t is None or t == 0xFFFFFFFFFFFFFFFF:
            t = 0
        return typ, (ev.index if ev is not None else -1), t

    def _order(self, offs, rounds, markers, final=False):
        """Deliver what the window's markers (and with `final` the end) release, in
        perf's order; queue the rest.

        One stable sort on a key (group, time) does it: records released at marker j
        form group 2j+1, records without a time read in round a group 2a, records not
        released the last group, and ties keep reading order (the queue carried in was
        read first, and is itself in (time, reading order))."""
        q = self.queue
        types, evidx, ts = self.record_times(offs)
        n = len(offs)
        nq = len(self.q_ts)

        # the largest time read up to each marker; each marker's release limit
        carried = np.uint64(q.max_timestamp)
        if n:
            upto = np.maximum.accumulate(ts)
            if upto[-1] == U64_MAX:
                ts[ts == U64_MAX] = 0       # perf's "no time": delivered when read
                upto = np.maximum.accumulate(ts)
            q.max_timestamp = max(q.max_timestamp, int(upto[-1]))
        if markers and n:
            read = np.searchsorted(rounds, np.arange(markers), side="right")
            seen = np.maximum(np.where(read > 0, upto[read - 1], 0), carried)
        elif markers:
            seen = np.full(markers, carried, dtype=np.uint64)
        limits = np.empty(markers + (1 if final else 0), dtype=np.uint64)
        if markers:
            limits[0] = q.next_flush
            limits[1:markers] = seen[:markers - 1]
        if final:
            limits[markers:] = U64_MAX
        nmark = len(limits)

        all_ts = np.concatenate([self.q_ts, ts]) if nq else ts
        lowest = int(ts.min()) if n else 1
        release = _limits_below(limits, all_ts)
        win_release = release[nq:]
        np.maximum(win_release, rounds, out=win_release)
        group = release
        group *= 2
        group += 1
        untimed = np.flatnonzero(ts == 0) if lowest == 0 else np.zeros(0, dtype=np.int64)
        if len(untimed):
            group[nq + untimed] = 2 * rounds[untimed]
        top = 2 * nmark + 1                     # not released: stays queued
        order = self._sort(group, all_ts, untimed + nq, top)
        counts = np.bincount(group, minlength=top + 1)
        ends = np.cumsum(counts)
        ndel = int(ends[top - 1])

        # each marker's last released time (perf's last_flush after it), and the records
        # read while the last released time was larger ("out of order")
        last_flush = np.uint64(q.last_flush)
        after = np.full(nmark, last_flush, dtype=np.uint64)
        if ndel and nmark:
            g = 2 * np.arange(nmark) + 1
            has = counts[g] > 0
            last = all_ts[order[np.maximum(ends[g] - 1, 0)]]
            at = np.maximum.accumulate(np.where(has, np.arange(nmark), -1))
            after = np.where(at >= 0, last[np.maximum(at, 0)], last_flush)
        before_round = np.concatenate([[last_flush], after[:markers]])
        if n and lowest < before_round.max():
            late = ts < before_round[rounds]
            if len(untimed):
                late[untimed] = False
            q.out_of_order += int(np.count_nonzero(late))
        if nmark:
            q.last_flush = int(after[-1])
        if markers:
            q.next_flush = int(seen[markers - 1])

        all_off = np.concatenate([self.q_off, offs]) if nq else offs
        all_ev = np.concatenate([self.q_evidx, evidx]) if nq else evidx
        all_types = np.concatenate([self.q_types, types]) if nq else types
        keep = order[ndel:]
        self.q_ts, self.q_off = all_ts[keep], all_off[keep]
        self.q_evidx, self.q_types = all_ev[keep], all_types[keep]
        out = order[:ndel]
        d_off, d_types, d_ev = all_off[out], all_types[out], all_ev[out]

        if ndel and self.session.time_slice is not None:
            shown = (d_types != C.RECORD_SAMPLE) | slice_mask(self.session.time_slice,
                                                              all_ts[out])
            d_off, d_types, d_ev = d_off[shown], d_types[shown], d_ev[shown]
        if len(d_off):
            self.deliver_batch(RecordBatch(self.session, self.buf, self.words, self.bytes,
                                           d_off, d_types, d_ev))
        self._drop_done(int(self.q_off.min()) if len(self.q_off) else self.read_upto)

    @staticmethod
    def _sort(group, ts, untimed, top):
        """Positions in (group, time, position) order: times without a group's bits as
        one int64 key when they fit beside them, else a three-key sort."""
        if not len(group):
            return np.zeros(0, dtype=np.int64)
        if len(untimed):
            timed = np.ones(len(ts), dtype=bool)
            timed[untimed] = False
            low = int(ts[timed].min()) if timed.any() else 0
        else:
            low = int(ts.min())
        span = int(ts.max()) - low
        shift = span.bit_length()
        if shift + top.bit_length() <= 63:
            key = group << shift
            rel = ts - np.uint64(low)
            if len(untimed):
                rel[untimed] = 0
            key |= rel.view(np.int64)
            return np.argsort(key, kind="stable")
        key_ts = ts.copy()
        key_ts[untimed] = 0
        return np.lexsort((np.arange(len(ts)), key_ts, group))

    def _drop_done(self, low):
        """Let the kernel reclaim file pages every record of which has been delivered,
        so memory stays bounded by the ordering window, not the file size."""
        low -= low % mmap.PAGESIZE
        if low - self.dropped >= 1 << 22 and hasattr(self.buf, "madvise"):
            try:
                self.buf.madvise(mmap.MADV_DONTNEED, self.dropped, low - self.dropped)
            except (OSError, ValueError, AttributeError):
                return
            self.dropped = low
