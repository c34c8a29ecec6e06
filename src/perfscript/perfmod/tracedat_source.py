"""A trace-cmd trace.dat as a `perf.session`'s input: each record a tracepoint sample,
as session/tracedat.py reads it (pid = tid = common_pid, period 1, no maps, no
callchains; `find_thread` knows the tasks of the saved cmdlines).

The records are delivered as `perf.sample_event`s a chunk at a time, with the same
classes and lazily decoded columns as perf.data's batches (perfmod/rows.py).
"""

from collections import deque

import numpy as np

from perfscript.perfdata.sample import Sample
from perfscript.perfmod.objects import evsel as pyevsel_cls
from perfscript.perfmod.rows import BatchRows, FieldReaders
from perfscript.perfmod.sample_event import events_class, rows_class
from perfscript.session.tracedat import TraceDatSession

CHUNK = 1 << 16


class _Part:
    """One event's records of a chunk, read as columns (ColumnRows' interface)."""

    def __init__(self, source, ev, sel):
        self.source = source
        self.ev = ev
        self.sel = sel
        self.n = len(sel)
        self._parsed = {}

    def __len__(self):
        return self.n

    def u64(self, name, default):
        if name == "time":
            return self.source.ts[self.sel].tolist()
        return [default] * self.n

    def s32(self, name):
        return self.source.pids[self.sel].tolist()

    def u32(self, name, default):
        if name == "cpu":
            return self.source.cpus[self.sel].tolist()
        return [default] * self.n

    def raw_column(self):
        blob, start, size = self.source.blob, self.source.start, self.source.size
        return [blob[a:a + z].tobytes() for a, z in zip(start[self.sel].tolist(),
                                                       size[self.sel].tolist())]

    def field_column(self, readers, name):
        dec = readers.column_decoder(name)
        src = self.source
        start, sizes = src.start[self.sel], src.size[self.sel]
        width = dec.fixed_size
        if width:
            idx = start[:, None] + np.arange(width, dtype=np.int64)
            np.minimum(idx, len(src.blob) - 1, out=idx)
            fixed = src.blob[idx]
            fixed[np.arange(width)[None, :] >= sizes[:, None]] = 0
        else:
            fixed = np.zeros((self.n, 0), dtype=np.uint8)
        raws = None
        if dec.needs_raw:
            raws = [src.blob[a:a + z].tobytes() for a, z in zip(start.tolist(),
                                                                sizes.tolist())]
        return dec.decode(fixed, raws, sizes)[0]

    def sample(self, i):
        s = self._parsed.get(i)
        if s is None:
            s = self._parsed[i] = self._make_sample(i)
        return s

    def _make_sample(self, i):
        src = self.source
        k = int(self.sel[i])
        s = Sample()
        s.pid = s.tid = int(src.pids[k]) & 0xFFFFFFFF
        s.time = int(src.ts[k])
        s.cpu = int(src.cpus[k])
        s.period = 1
        s.buf = src.blob
        s.raw_off = int(src.start[k])
        s.raw_size = int(src.size[k])
        return s


class TraceDatSource(TraceDatSession):
    """A trace.dat opened for a perf.session: the session-shaped object the event
    objects resolve through (threads from the saved cmdlines; no maps), delivering its
    records in chunks of sample_event objects."""

    def __init__(self, path):
        super().__init__(path)
        self.pyevsels = {}
        self.readers = {}
        self._cls = None

    def _event(self, event_id):
        ev = self.event_of(event_id)
        if ev is not None and ev.index not in self.pyevsels:
            self.pyevsels[ev.index] = pyevsel_cls._of(ev)
            self.readers[ev.index] = FieldReaders(ev.tp_format, self.big_endian)
            self._cls = None
        return ev

    def deliver(self, sample_cb):
        """Call `sample_cb` with every record's sample_event, in trace-cmd's order."""
        if sample_cb is None:
            return
        cols = self.columns()
        arrays = cols.arrays
        self.blob, self.ts, self.cpus = arrays.blob, arrays.ts, arrays.cpu
        self.start, self.size = arrays.start, arrays.size
        ids, self.pids = cols.event_ids, cols.pids
        self._cls = None
        for lo in range(0, len(ids), CHUNK):
            hi = min(lo + CHUNK, len(ids))
            chunk = ids[lo:hi]
            kinds = np.full(hi - lo, -1, np.int64)
            by_index = {}
            for event_id in np.unique(chunk).tolist():
                ev = self._event(event_id)
                if ev is not None:      # records of no known event are skipped
                    kinds[chunk == event_id] = ev.index
                    by_index[ev.index] = ev
            rows_sel = np.flatnonzero(kinds >= 0)
            kinds = kinds[rows_sel]
            rows_sel += lo
            parts = []
            for index in np.unique(kinds).tolist():
                at = np.flatnonzero(kinds == index)
                parts.append((_Part(self, by_index[index], rows_sel[at]), at))
            if self._cls is None:
                self._cls = events_class(self.pyevsels, self.readers)
            rows = BatchRows(self, parts, len(kinds))
            cls = rows_class(self._cls, rows)
            deque(map(sample_cb, map(cls, range(len(kinds)))), 0)
