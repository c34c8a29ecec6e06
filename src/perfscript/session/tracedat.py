"""A trace-cmd trace.dat read in a Session's place: each record a tracepoint sample,
handed to a consumer (session/consumer.py) as a perf.data's samples are, so that code
written for perf.data (perf script's handler engine, the perf module) reads it too.

trace.dat holds tracepoint payloads per CPU, without perf's sample fields; what it
cannot say is filled as perfscript's tables fill it (docs/frames.md): a sample's pid
and tid are the payload's common_pid, its period 1, ip and addr 0; there are no maps
(nothing resolves to a dso or symbol) and no callchains. Events are named
`system:event` from their formats and numbered in the order of their first records;
records come in trace-cmd's order (by time, the CPUs merged). The threads are the tasks
of the saved cmdlines, each its own process (trace.dat keeps no thread-group ids);
their comms are the ones saved when the trace was extracted.
"""

import struct
from typing import NamedTuple

import numpy as np

from perfscript.perfdata import constants as C
from perfscript.perfdata.attr import PERF_61_ATTR_SIZE, Attr
from perfscript.perfdata.sample import Sample
from perfscript.session.maps import Maps
from perfscript.session.threads import ThreadTable
from perfscript.tracedat import TraceDatError, open_tracedat
from perfscript.tracedat.arrays import record_arrays

# what a trace.dat record is, in perf_event_attr terms
SAMPLE_TYPE = C.SAMPLE_TIME | C.SAMPLE_CPU | C.SAMPLE_TID | C.SAMPLE_RAW


def tracepoint_attr(event_id):
    """The perf_event_attr a trace.dat event stands for: a tracepoint of that format
    id, period 1, with the fields a trace.dat record has (its memory image is what a
    handler's perf_sample_dict['attr'] holds; `size` 0: no attr was recorded)."""
    raw = bytearray(PERF_61_ATTR_SIZE)
    struct.pack_into("<IIQQQ", raw, 0, C.TYPE_TRACEPOINT, 0, event_id, 1, SAMPLE_TYPE)
    return Attr(bytes(raw))


class TraceDatEvent:
    """A trace.dat event in an evsel's place (session/evsel.py's Evsel, what its
    consumers read of one)."""

    is_tracepoint = True
    default_period = 1
    sample_handler = None

    def __init__(self, index, fmt):
        self.index = index
        self.name = "%s:%s" % (fmt.system, fmt.name)
        self.attr = tracepoint_attr(fmt.id)
        self.attr_image = self.attr.memory_image()
        self.ids = []
        self.tp_format = fmt
        self.handler_name = fmt.handler_name

    def __repr__(self):
        return "TraceDatEvent(%d, %r)" % (self.index, self.name)


class RecordColumns(NamedTuple):
    """Every record of the file, column-wise (tracedat/arrays.py's RecordArrays) with
    the two common fields each record is read by."""

    arrays: object
    event_ids: np.ndarray    # common_type
    pids: np.ndarray         # common_pid (signed)


class TraceDatSession:
    """A trace.dat opened for reading as a Session reads a perf.data."""

    def __init__(self, path):
        self.path = self.name = path
        self.tdat = open_tracedat(path)
        meta = self.tdat.meta
        self.tracing = meta                 # what a Session's tracing data answers
        self.big_endian = meta.big_endian
        self.endian = ">" if self.big_endian else "<"
        self.threads = ThreadTable()
        for pid, comm in meta.cmdlines:
            self.threads.findnew(pid, pid).set_comm(comm)
        self.kernel_maps = Maps()
        self.features = {}
        uname = getattr(self.tdat.options, "uname", None)
        if uname:
            parts = uname.split()
            if len(parts) >= 3:
                self.features[C.FEAT_ARCH] = parts[-1]
        self.events = {}                    # format id -> TraceDatEvent
        self._evsels = []                   # the events made so far, by index
        self.warnings = []
        self._columns = None

    @property
    def arch(self):
        return self.features.get(C.FEAT_ARCH)

    @property
    def evsels(self):
        """The events the records are of, by index (the records are read to know)."""
        self.columns()
        return self._evsels

    # ------------------------------------------------------------ records

    def event_of(self, event_id):
        """The event of a record's common_type, made when first met; None for an id
        the file has no format of."""
        ev = self.events.get(event_id)
        if ev is None and event_id in self.tdat.meta.events:
            ev = self.events[event_id] = TraceDatEvent(len(self._evsels),
                                                       self.tdat.meta.events[event_id])
            self._evsels.append(ev)
        return ev

    def columns(self):
        """RecordColumns of the whole file, read once; the events of its records are
        made then, in the order of their first records."""
        if self._columns is None:
            arrays = record_arrays(self.tdat)
            events = self.tdat.meta.events
            first = events.first() if len(events) else None
            ids = self._common(arrays, first, "common_type")
            self._columns = RecordColumns(arrays, ids, self._common(arrays, first,
                                                                    "common_pid", signed=True))
            found, at = np.unique(ids, return_index=True)
            for event_id in found[np.argsort(at)].tolist():
                self.event_of(event_id)
        return self._columns

    def _common(self, arrays, first, name, signed=False):
        """A common field of every record, read where the file's first event has it
        (as libtraceevent does); 0 when absent or the record is too short."""
        start, size, blob = arrays.start, arrays.size, arrays.blob
        out = np.zeros(len(start), np.int64)
        f = first.find_any_field(name) if first is not None else None
        if f is None or f.size not in (1, 2, 4, 8):
            return out
        ok = np.flatnonzero(size >= f.offset + f.size)
        idx = start[ok][:, None] + f.offset + np.arange(f.size)
        raw = np.ascontiguousarray(blob[idx])
        dt = np.dtype("%s%s%d" % (self.endian, "i" if signed else "u", f.size))
        out[ok] = raw.view(dt)[:, 0].astype(np.int64)
        return out

    def sample_time(self):
        """(first, last) record time, as a perf.data's HEADER_SAMPLE_TIME (0, 0: none)."""
        ts = self.columns().arrays.ts
        return (int(ts[0]), int(ts[-1])) if len(ts) else (0, 0)

    def process(self, consumer, batched=True, ordered=True, observer=None):
        """Hand every record to `consumer` as a sample of its event (every event's
        `prepare_evsel` first), then call its `end()`, also when the
        file cannot be read (the TraceDatError is raised after it). A trace.dat is read
        in time order only, record by record: `batched`, `ordered` change nothing;
        `observer` (perf's -D dump) is not supported."""
        if observer is not None:
            raise ValueError("a trace.dat has no perf records to dump")
        try:
            cols = self.columns()
        except TraceDatError:
            consumer.end()
            raise
        for ev in self._evsels:
            consumer.prepare_evsel(ev)
        a = cols.arrays
        blob = a.blob
        findnew = self.threads.findnew
        sample = consumer.sample
        events = self.events
        for event_id, pid, t, cpu, start, size in zip(
                cols.event_ids.tolist(), cols.pids.tolist(), a.ts.tolist(), a.cpu.tolist(),
                a.start.tolist(), a.size.tolist()):
            ev = events.get(event_id)
            if ev is None:
                continue                # records of no known event are skipped
            s = Sample()
            s.pid = s.tid = pid & 0xFFFFFFFF
            s.time = t
            s.cpu = cpu
            s.period = 1
            s.buf = blob[start:start + size].tobytes()
            s.raw_size = size
            s.offset = start
            sample(ev, s, findnew(pid, pid))
        consumer.end()

    def file_offset(self, off):
        """Where a record's payload is: its file offset (in an uncompressed file; in a
        compressed one, its offset in the CPUs' data unpacked one after the other)."""
        return off

    # ------------------------------------------------------------ resolution: no maps

    def locate(self, thread, cpumode, addr):
        return None

    locate_fallback = locate

    def find_map(self, thread, cpumode, addr):
        return None

    user_file_address = find_map

    def inline_entries(self, thread, cpumode, ip, found=None):
        return None

    def chain_of(self, ev, s, thread):
        return None

    @staticmethod
    def addr_correlates(ev):
        return False

    @staticmethod
    def kernel_start():
        return 1 << 63

    def finish_warnings(self):
        return []
