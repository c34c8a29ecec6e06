"""The consumer behind `perf.session`: the session's records become callback calls.

Samples of a mapped file come a batch at a time: the batch's samples get one class
(perfmod/sample_event.py) and the callback is called by a C-level map over
`map(rows_class, row numbers)`, in perf's order; the other records (which change the
session's state: comms, forks, maps) are delivered in their places between runs of
samples. Other input comes sample by sample: the objects then index a chunk of parsed
samples.
"""

from collections import deque

import numpy as np

from perfscript.perfdata import constants as C
from perfscript.perfmod.other_events import switch_event
from perfscript.perfmod.objects import evsel
from perfscript.perfmod.rows import BatchRows, ColumnRows, FieldReaders, RecordRows
from perfscript.perfmod.sample_event import events_class, rows_class
from perfscript.session.batched import present_values
from perfscript.session.consumer import Consumer
from perfscript.session.stat_records import STAT_RECORDS

RECORD_CHUNK = 4096     # samples per class on the sample-by-sample path
_SWITCHES = frozenset((C.RECORD_SWITCH, C.RECORD_SWITCH_CPU_WIDE))


def _ignore(buf, off, size, misc, where):
    """No sample callback: samples are not even parsed."""


class ModuleConsumer(Consumer):
    """Calls a `perf.session`'s callbacks."""

    def __init__(self, session, sample_cb=None, stat_cb=None, switch_cb=None):
        self.session = session
        self.sample_cb = sample_cb
        self.stat_cb = stat_cb
        self.switch_cb = switch_cb
        self.evsels = {}            # evsel index -> its perf.evsel
        self.readers = {}           # tracepoint evsel index -> its FieldReaders
        self._events_cls = None     # the sample_event class of the events known so far
        self._usable = None         # per evsel index (and -1): samples read column-wise
        self._record_rows = None    # (RecordRows, class) being filled
        self.little = session.endian == "<"
        types = set()
        if switch_cb is not None:
            types |= _SWITCHES
        if stat_cb is not None:
            types |= STAT_RECORDS
        self.sideband_types = frozenset(types)
        self._stat = None

    def pyevsel(self, ev):
        got = self.evsels.get(ev.index)
        if got is None:
            got = self.evsels[ev.index] = evsel._of(ev)
        return got

    # ------------------------------------------------------------ the contract

    def prepare_evsel(self, ev):
        self.pyevsel(ev)
        if ev.is_tracepoint and ev.tp_format is not None and self.session.tracing is not None:
            self.readers[ev.index] = FieldReaders(ev.tp_format,
                                                  self.session.tracing.big_endian)
        self._events_cls = None
        self._usable = None
        self._record_rows = None

    def events_cls(self):
        if self._events_cls is None:
            self._events_cls = events_class(self.evsels, self.readers)
        return self._events_cls

    # ------------------------------------------------------------ samples in batches

    def _usable_events(self):
        """A bool per evsel index (then one False for index -1): whose samples are read
        column-wise (those with READ values are split per counter, record by record)."""
        if self._usable is None:
            evsels = self.session.evsels.evsels
            self._usable = np.array([not ev.layout.sample_type & C.SAMPLE_READ
                                     for ev in evsels] + [False], dtype=bool)
        return self._usable

    def deliver_batch(self, batch):
        if self.sample_cb is None:
            deliver = batch.deliver
            for k in np.flatnonzero(batch.types != C.RECORD_SAMPLE).tolist():
                deliver(k)
            return
        covered = (batch.types == C.RECORD_SAMPLE) & self._usable_events()[batch.evidx]
        rows = self._rows(batch, covered)
        if rows is None:
            rows = self._rows(batch, covered)      # damaged events taken out
        rest = np.flatnonzero(~covered).tolist()
        cls = rows_class(self.events_cls(), rows)
        run = self._run
        done = 0
        deliver = batch.deliver
        for i, k in enumerate(rest):
            upto = k - i            # covered rows before record k
            if upto > done:
                run(rows, cls, done, upto)
                done = upto
            deliver(k)
        if done < rows.n:
            run(rows, cls, done, rows.n)

    def _rows(self, batch, covered):
        """The BatchRows of the `covered` samples; None after taking the events with a
        record too short for its fields out of `covered` (the per-record path reports
        it)."""
        positions = np.flatnonzero(covered)
        kinds = batch.evidx[positions]
        evsels = self.session.evsels.evsels
        parts = []
        damaged = False
        for e in present_values(kinds):
            ev = evsels[e]
            at = np.flatnonzero(kinds == e)
            sel = positions[at]
            o = batch.offs[sel]
            if batch._record_sizes(o, self.little).min() < 8 + ev.layout.fixed.size:
                covered[sel] = False
                damaged = True
                continue
            parts.append((ColumnRows(self.session, batch, ev, sel, self.little), at))
        if damaged:
            return None
        return BatchRows(self.session, parts, len(kinds))

    def _run(self, rows, cls, a, b):
        """Call the callback for rows a..b. (A sample's thread is made when something of
        it is resolved, as upstream's session does, not for every sample.)"""
        deque(map(self.sample_cb, map(cls, range(a, b))), 0)

    # ------------------------------------------------------------ samples one by one

    def sample_handler(self, ev):
        """Samples not read in batches are parsed and handed over without the thread
        lookup the general path makes for each (upstream's session makes a sample's
        thread only when something of it is resolved, as the batches do); READ samples
        take the general path, which splits them per counter."""
        if self.sample_cb is None:
            return _ignore
        if ev.layout.sample_type & C.SAMPLE_READ:
            return None
        parse = ev.layout.parse
        name = self.session.name
        sample = self.sample

        def handle(buf, off, size, misc, where):
            sample(ev, parse(buf, off, size, misc, name, where), None)
        return handle

    def sample(self, ev, s, thread):
        cb = self.sample_cb
        if cb is None:
            return
        got = self._record_rows
        if got is None or len(got[0].samples) >= RECORD_CHUNK:
            rows = RecordRows(self.session)
            got = self._record_rows = (rows, rows_class(self.events_cls(), rows))
        rows, cls = got
        rows.samples.append(s)
        rows.events.append(ev)
        cb(cls(len(rows.samples) - 1))

    def sideband(self, rec):
        typ = rec.type
        if typ in _SWITCHES:
            self.switch_cb(switch_event(rec, self.pyevsel(rec.evsel)
                                          if rec.evsel is not None else None))
            return
        if self._stat is None:
            from perfscript.perfmod.stat_dispatch import StatCallbacks
            self._stat = StatCallbacks(self)
        self._stat.record(rec)
