"""A trace-cmd trace.dat as a `perf.session`'s input: each record a tracepoint sample.

trace.dat holds tracepoint payloads per CPU, without perf's sample fields; what it
cannot say is filled as perfscript's tables fill it (docs/frames.md): the sample's pid
and tid are the payload's common_pid, the period 1, ip and addr 0, and there are no
maps, so nothing resolves to a dso or symbol and there is no callchain. Events are
named `system:event` from their formats; records come in trace-cmd's order (by time,
CPUs merged). `find_thread` knows the tasks of the saved cmdlines.

The records are delivered as `perf.sample_event`s a chunk at a time, with the same
classes and lazily decoded columns as perf.data's batches (perfmod/rows.py).
"""

from collections import deque

import numpy as np

from perfscript.perfdata import constants as C
from perfscript.perfdata.sample import Sample
from perfscript.perfmod.objects import evsel as pyevsel_cls
from perfscript.perfmod.rows import BatchRows, FieldReaders
from perfscript.perfmod.sample_event import events_class, rows_class
from perfscript.session.threads import ThreadTable
from perfscript.tracedat import open_tracedat
from perfscript.tracedat.arrays import record_arrays

CHUNK = 1 << 16
U64_MAX = (1 << 64) - 1


class _Attr:
    """What the module reads of an event's perf_event_attr, for a trace.dat event."""

    def __init__(self, event_id):
        self.type = C.TYPE_TRACEPOINT
        self.config = event_id
        self.sample_period = 1
        self.sample_type = C.SAMPLE_TIME | C.SAMPLE_CPU | C.SAMPLE_TID | C.SAMPLE_RAW
        self.read_format = 0
        self.size = 0
        self.wakeup_events = 0
        self.flags = 0


class _Event:
    """A trace.dat event in the evsel's place."""

    def __init__(self, index, fmt):
        self.index = index
        self.name = "%s:%s" % (fmt.system, fmt.name)
        self.attr = _Attr(fmt.id)
        self.ids = []
        self.tp_format = fmt


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


class TraceDatSource:
    """A trace.dat opened for a perf.session; `session` is the session-shaped object
    the event objects resolve through (threads from the saved cmdlines; no maps)."""

    def __init__(self, path):
        self.tdat = open_tracedat(path)
        meta = self.tdat.meta
        self.big_endian = meta.big_endian
        self.endian = ">" if self.big_endian else "<"
        self.threads = ThreadTable()
        for pid, comm in meta.cmdlines:
            self.threads.findnew(pid, pid).set_comm(comm)
        self.features = {}
        uname = getattr(self.tdat.options, "uname", None)
        if uname:
            parts = uname.split()
            if len(parts) >= 3:
                self.features[C.FEAT_ARCH] = parts[-1]
        self.events = {}            # event id -> _Event
        self.pyevsels = {}
        self.readers = {}

    # what resolution asks of a session: trace.dat has no maps
    def locate(self, thread, cpumode, addr):
        return None

    locate_fallback = locate

    def find_map(self, thread, cpumode, addr):
        return None

    user_file_address = find_map

    def chain_of(self, ev, s, thread):
        return None

    @staticmethod
    def kernel_start():
        return 1 << 63

    def finish_warnings(self):
        return []

    # ------------------------------------------------------------ delivery

    def _event(self, event_id):
        ev = self.events.get(event_id)
        if ev is None:
            fmt = self.tdat.meta.events[event_id]
            ev = self.events[event_id] = _Event(len(self.events), fmt)
            self.pyevsels[ev.index] = pyevsel_cls._of(ev)
            self.readers[ev.index] = FieldReaders(fmt, self.big_endian)
            self._cls = None
        return ev

    def process(self, sample_cb):
        """Call `sample_cb` with every record's sample_event, in trace-cmd's order."""
        if sample_cb is None:
            return
        arrays = record_arrays(self.tdat)
        self.blob, self.ts, self.cpus = arrays.blob, arrays.ts, arrays.cpu
        self.start, self.size = arrays.start, arrays.size
        meta = self.tdat.meta
        first = meta.events.first() if len(meta.events) else None
        ids = self._common(first, "common_type")
        self.pids = self._common(first, "common_pid", signed=True)
        self._cls = None
        for lo in range(0, len(ids), CHUNK):
            hi = min(lo + CHUNK, len(ids))
            chunk = ids[lo:hi]
            kinds = np.full(hi - lo, -1, np.int64)
            by_index = {}
            for event_id in np.unique(chunk).tolist():
                if event_id in meta.events:     # records of no known event are skipped
                    ev = self._event(event_id)
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

    def _common(self, first, name, signed=False):
        """A common field of every record, read where the file's first event has it
        (as libtraceevent does); 0 when absent or the record is too short."""
        n = len(self.start)
        out = np.zeros(n, np.int64)
        f = first.find_any_field(name) if first is not None else None
        if f is None or f.size not in (1, 2, 4, 8):
            return out
        ok = np.flatnonzero(self.size >= f.offset + f.size)
        idx = self.start[ok][:, None] + f.offset + np.arange(f.size)
        raw = np.ascontiguousarray(self.blob[idx])
        dt = np.dtype(("%s%s%d" % (self.endian, "i" if signed else "u", f.size)))
        out[ok] = raw.view(dt)[:, 0].astype(np.int64)
        return out
