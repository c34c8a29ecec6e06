"""The consumer behind `perf.session`: the session's records become callback calls.

Samples of a mapped file come a batch at a time (session/batch_delivery.py): each
event's rows get a class (perfmod/sample_event.py) and the callback is called by a
C-level map over `map(rows_class, row numbers)`, in perf's order, with the records
that change the session's state delivered in their places between. Other input comes
sample by sample: the objects then index a chunk of parsed samples.
"""

from collections import deque

from perfscript.perfdata import constants as C
from perfscript.perfmod.other_events import switch_event
from perfscript.perfmod.objects import evsel
from perfscript.perfmod.rows import ColumnRows, FieldReaders, RecordRows
from perfscript.perfmod.sample_event import event_class, rows_class
from perfscript.session.batch_delivery import ColumnarDelivery, segment_threads
from perfscript.session.consumer import Consumer
from perfscript.session.stat_records import STAT_RECORDS

RECORD_CHUNK = 4096     # samples per class on the sample-by-sample path
_SWITCHES = frozenset((C.RECORD_SWITCH, C.RECORD_SWITCH_CPU_WIDE))


class _Columns(ColumnarDelivery):
    """The batch skeleton's parts for sample callbacks."""

    def __init__(self, consumer):
        super().__init__(consumer.session)
        self.consumer = consumer
        self.little = consumer.session.endian == "<"

    def event_plan(self, ev):
        if ev.layout.sample_type & C.SAMPLE_READ:
            return None         # split per counter by the per-record path
        return self.consumer.classes.get(ev.index)

    def event_columns(self, batch, ev, plan, sel):
        o = batch.offs[sel]
        if len(o) and (batch._record_sizes(o, self.little).min()
                       < 8 + ev.layout.fixed.size):
            return None         # damaged: the per-record path reports it
        rows = ColumnRows(self.session, batch, ev, sel, self.little)
        return rows, rows_class(plan, rows)

    def segment_parts(self, batch, spans, s, e):
        threads = self.session.threads
        parts = []
        for rows, lo, hi in spans:
            col, cls = rows.cols
            segment_threads(threads, col.ids("tid")[lo:hi], col.ids("pid")[lo:hi])
            parts.append(map(cls, range(lo, hi)))
        return parts

    def run(self, batch, entries, start):
        deque(map(self.consumer.sample_cb, entries), 0)


class ModuleConsumer(Consumer):
    """Calls a `perf.session`'s callbacks."""

    def __init__(self, session, sample_cb=None, stat_cb=None, switch_cb=None):
        self.session = session
        self.sample_cb = sample_cb
        self.stat_cb = stat_cb
        self.switch_cb = switch_cb
        self.classes = {}           # evsel index -> its sample_event class
        self.evsels = {}            # evsel index -> its perf.evsel
        self._record_rows = {}      # evsel index -> (RecordRows, class) being filled
        self._columns = _Columns(self)
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
        readers = None
        if ev.is_tracepoint and ev.tp_format is not None and self.session.tracing is not None:
            readers = FieldReaders(ev.tp_format, self.session.tracing.big_endian)
        self.classes[ev.index] = event_class(self.pyevsel(ev), readers)
        self._record_rows.pop(ev.index, None)

    def deliver_batch(self, batch):
        if self.sample_cb is None:
            deliver = batch.deliver
            for k in (batch.types != C.RECORD_SAMPLE).nonzero()[0].tolist():
                deliver(k)
            return
        self._columns.deliver_batch(batch)

    def sample(self, ev, s, thread):
        cb = self.sample_cb
        if cb is None:
            return
        got = self._record_rows.get(ev.index)
        if got is None or len(got[0].samples) >= RECORD_CHUNK:
            rows = RecordRows(self.session, ev, RECORD_CHUNK)
            got = self._record_rows[ev.index] = (rows, rows_class(self.classes[ev.index], rows))
        rows, cls = got
        rows.samples.append(s)
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
