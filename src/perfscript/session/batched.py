"""perf's record order computed with NumPy over runs of records of a mapped file.

The serial part is only the walk from record header to record header; record types,
event ids and timestamps of a whole run are then read at once from a u64 view of the
file, queued as arrays and released at FINISHED_ROUND by one stable sort, with exactly
the semantics of `ordering.OrderedQueue`. Released records go to the consumer as a
`RecordBatch`, in order.
"""

import numpy as np

from perfscript.perfdata import constants as C

U64_MAX = np.uint64(0xFFFFFFFFFFFFFFFF)


def can_batch(session):
    """Batching needs a mapped, uncompressed data section with 8-byte aligned records."""
    pd = session.pd
    if pd.source.buf is None or pd.pipe or pd.data_offset % 8:
        return False
    if C.FEAT_COMPRESSED in pd.feature_sections:
        return False
    return True


class RecordBatch:
    """Records released together, in perf's order, all inside one buffer."""

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


class BatchedOrder:
    """Runs of records → timestamps → perf's round-flush order → batches."""

    def __init__(self, session, deliver_batch):
        self.session = session
        self.deliver_batch = deliver_batch
        pd = session.pd
        self.buf = pd.source.buf
        dt = np.dtype(session.endian + "u8")
        self.words = np.frombuffer(self.buf, dtype=dt, count=len(self.buf) // 8)
        self.bytes = np.frombuffer(self.buf, dtype=np.uint8)
        self.little = session.endian == "<"
        self.queue = session.queue
        self.pending = []          # [(ts, offs, types, evidx)] arrays, in arrival order

    def _header_types(self, w):
        if self.little:
            return (w & np.uint64(0xFFFFFFFF)).astype(np.int64)
        return (w >> np.uint64(32)).astype(np.int64)

    def add_run(self, offsets):
        """Queue a run of kernel records (deliver the untimed ones at once, as perf)."""
        session = self.session
        evsels = session.evsels
        o = np.array(offsets, dtype=np.int64)
        if (o & 7).any():
            # perf pads records to 8 bytes; a file that does not cannot use the u64 view
            for off in offsets:
                self._add_one(off)
            return
        words = self.words
        types = self._header_types(words[o >> 3])
        n = len(o)
        evidx = np.full(n, -1, dtype=np.int64)
        ts = np.zeros(n, dtype=np.uint64)
        is_sample = types == C.RECORD_SAMPLE
        sample_pos = np.nonzero(is_sample)[0]
        if len(sample_pos):
            so = o[sample_pos]
            evidx[sample_pos] = evsels.sample_evsel_indices(words, so)
            for e in np.unique(evidx[sample_pos]).tolist():
                if e < 0:
                    continue
                tpos = evsels.evsels[e].time_pos
                if tpos is None:
                    continue
                sel = sample_pos[evidx[sample_pos] == e]
                ts[sel] = words[(o[sel] + tpos) >> 3]
        other_pos = np.nonzero(~is_sample)[0]
        if len(other_pos):
            buf = self.buf
            unpack = session.header_struct.unpack_from
            for k in other_pos.tolist():
                off = int(o[k])
                _, _, size = unpack(buf, off)
                ev = evsels.for_record(buf, off, size)
                if ev is not None:
                    evidx[k] = ev.index
                    t = ev.layout.trailer_time(buf, off, size)
                    if t is not None:
                        ts[k] = t
        untimed = (ts == 0) | (ts == U64_MAX)
        if untimed.any():
            # perf delivers records without a time when it reads them
            for k in np.nonzero(untimed)[0].tolist():
                session.deliver_at(self.buf, int(o[k]), int(evidx[k]))
            keep = ~untimed
            o, types, evidx, ts = o[keep], types[keep], evidx[keep], ts[keep]
            if not len(o):
                return
        q = self.queue
        last = np.uint64(q.last_flush)
        q.out_of_order += int(np.count_nonzero(ts < last))
        mx = int(ts.max())
        if mx > q.max_timestamp:
            q.max_timestamp = mx
        self.pending.append((ts, o, types, evidx))

    def _add_one(self, off):
        session = self.session
        buf = self.buf
        typ, _, size = session.header_struct.unpack_from(buf, off)
        if typ == C.RECORD_SAMPLE:
            ev = session.evsels.for_sample(buf, off)
            t = ev.layout.sample_time(buf, off) if ev is not None else None
        else:
            ev = session.evsels.for_record(buf, off, size)
            t = ev.layout.trailer_time(buf, off, size) if ev is not None else None
        e = ev.index if ev is not None else -1
        if not t or t == 0xFFFFFFFFFFFFFFFF:
            session.deliver_at(buf, off, e)
            return
        q = self.queue
        if t < q.last_flush:
            q.out_of_order += 1
        if t > q.max_timestamp:
            q.max_timestamp = t
        self.pending.append((np.array([t], dtype=np.uint64), np.array([off], dtype=np.int64),
                             np.array([typ], dtype=np.int64), np.array([e], dtype=np.int64)))

    def _release(self, limit):
        if not self.pending:
            return
        if len(self.pending) == 1:
            ts, o, types, evidx = self.pending[0]
        else:
            ts = np.concatenate([p[0] for p in self.pending])
            o = np.concatenate([p[1] for p in self.pending])
            types = np.concatenate([p[2] for p in self.pending])
            evidx = np.concatenate([p[3] for p in self.pending])
        order = np.argsort(ts, kind="stable")
        ts, o, types, evidx = ts[order], o[order], types[order], evidx[order]
        if limit is None:
            cut = len(ts)
        else:
            cut = int(np.searchsorted(ts, np.uint64(limit), side="right"))
        self.pending = [(ts[cut:], o[cut:], types[cut:], evidx[cut:])] if cut < len(ts) else []
        if cut:
            self.queue.last_flush = int(ts[cut - 1])
            self.deliver_batch(RecordBatch(self.session, self.buf, self.words, self.bytes,
                                           o[:cut], types[:cut], evidx[:cut]))

    def finished_round(self):
        q = self.queue
        self._release(q.next_flush)
        q.next_flush = q.max_timestamp

    def drain(self):
        self._release(None)
