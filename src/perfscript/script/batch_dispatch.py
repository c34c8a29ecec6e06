"""Handler calls for a batch of records delivered together.

NumPy does the per-record work that needs no Python: sample fields are gathered from the
file as columns, tracepoint payloads decoded column-wise (tracepoint_plan.py), plain
samples' fields read for process_event's dict (sample_plan.py). The calls themselves are
made by C-level maps over those columns (call_stream.py), one stream per event, each
row's arguments made as its call comes (so nothing is kept per row) and perf's handler
lookup done before each call. The batch is cut into segments (session.batch_delivery)
so each segment's threads and comms are read once, and before the first record of an
event whose define_* calls are still due; anything the streams do not cover goes through
the session's per-record path in place.
"""

from operator import length_hint

import numpy as np

from perfscript.script.call_stream import HandlerChanged, RowFailed, RowStream
from perfscript.script.failures import HandlerFailed, print_handler_traceback
from perfscript.script.sample_plan import SamplePlan
from perfscript.script.tracepoint_plan import TracepointPlan
from perfscript.session.batch_delivery import ColumnarDelivery


class SegmentThreads:
    """The threads of a segment's rows, found once per run of rows of one tid (a
    thread's samples mostly come in runs): `found`, an object array with one thread per
    run, and `runs`, the runs' lengths. A tid not known yet (or without a pid) gets
    the thread perf would create at its first row."""

    __slots__ = ("found", "runs")

    def __init__(self, threads, tids, pids):
        n = len(tids)
        starts = np.flatnonzero(np.concatenate(([True], tids[1:] != tids[:-1]))) if n \
            else np.zeros(0, dtype=np.int64)
        self.runs = np.diff(np.append(starts, n))
        table = threads.threads
        self.found = found = np.empty(len(starts), dtype=object)
        seen = {}
        for i, (tid, pid) in enumerate(zip(tids[starts].tolist(), pids[starts].tolist())):
            th = seen.get(tid)
            if th is None:
                th = table.get(tid)
                if th is None or th.pid == -1:
                    th = threads.findnew(pid, tid)
                seen[tid] = th
            found[i] = th

    def per_row(self, attr=None):
        """Each row's thread, or that thread's attribute `attr`, as a list."""
        if attr is None:
            return np.repeat(self.found, self.runs).tolist()
        values = np.empty(len(self.found), dtype=object)
        for i, th in enumerate(self.found.tolist()):
            values[i] = getattr(th, attr)
        return np.repeat(values, self.runs).tolist()


class BatchDispatcher(ColumnarDelivery):
    """The engine's `deliver_batch`; an event's plan is its TracepointPlan or SamplePlan."""

    def __init__(self, engine):
        super().__init__(engine.session)
        self.engine = engine
        self.plans = {}
        self.streams = {}     # a segment's call iterators -> their RowStreams

    def event_plan(self, ev):
        plan = self.plans.get(ev.index, False)
        if plan is False:
            engine = self.engine
            kind = TracepointPlan if ev.is_tracepoint else SamplePlan
            plan = kind(engine, ev) if kind.usable(engine, ev) else None
            self.plans[ev.index] = plan
        if plan is None or not plan.choose(self.engine):
            return None
        return plan

    def event_columns(self, batch, ev, plan, sel):
        return plan.columns(batch, sel)

    def uses_maps(self, plan):
        return plan.uses_maps

    def extra_cuts(self, plans):
        # the first record of an event whose define_* calls are still due
        defined = self.engine.defined
        return [int(rows.sel[0]) for rows in plans
                if rows.ev.is_tracepoint and rows.ev.index not in defined]

    def deliver_segments(self, batch, plans):
        engine = self.engine
        engine.batch = batch
        try:
            super().deliver_segments(batch, plans)
        except SystemExit:
            raise
        except RowFailed as e:          # not the handler's: as the per-record path raises it
            raise e.error from None
        except BaseException as e:
            if isinstance(e, HandlerFailed):
                raise
            # name the record now: the batch's position is gone once the error leaves
            engine.current = engine.current_record()
            print_handler_traceback(e)
            raise HandlerFailed() from None
        finally:
            engine.batch_pos = -1
            engine.batch_iter = None
            self.streams.clear()

    def segment_parts(self, batch, spans, s, e):
        engine = self.engine
        threads = self.session.threads
        parts = []
        streams = self.streams
        streams.clear()
        for rows, lo, hi in spans:
            plan = rows.plan
            cols, tids, pids = rows.cols
            if plan.ev.is_tracepoint and plan.ev.index not in engine.defined:
                engine.define_symbols(plan.ev)
                plan.choose(engine)
            st = plan.stream(engine, cols, lo, hi,
                             SegmentThreads(threads, tids[lo:hi], pids[lo:hi]))
            streams[st.calls] = st
            parts.append(st.entries(hi - lo))
        return parts

    def run(self, batch, entries, start):
        """Make the calls of consecutive entries (each the call iterator of its row's
        event), the first that of batch position `start`. A row whose handler the
        script has changed since goes through the session's per-record path."""
        engine = self.engine
        n = len(entries)
        it = iter(entries)
        engine.batch_iter = (it, n, start)
        engine.batch_pos = -2       # position comes from batch_iter
        while True:
            try:
                RowStream.drive(it)
                break
            except HandlerChanged:
                k = n - length_hint(it) - 1
                self.streams[entries[k]].skip()
                engine.batch_pos = -1
                batch.deliver(start + k)
                engine.batch_pos = -2
        engine.batch_pos = -1
