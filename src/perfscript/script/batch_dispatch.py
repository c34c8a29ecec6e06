"""Handler calls for a batch of records delivered together.

NumPy does the per-record work that needs no Python: sample fields are gathered from the
file as columns and tracepoint payloads decoded column-wise. The calls themselves are
made by C-level maps over those columns (script/call_stream.py), one stream per event,
each row's arguments made as its call comes (so nothing is kept per row) and perf's
handler lookup done before each call. The batch is cut into segments
(session.batch_delivery) so each segment's comms are read once, and before the first
record of an event whose define_* calls are still due; anything the streams do not cover
goes through the session's per-record path in place.
"""

from operator import length_hint

import numpy as np

from perfscript.ftrace.batch_decode import BatchDecoder
from perfscript.perfdata import constants as C
from perfscript.script.call_stream import (HandlerChanged, RowStream, dict_maker,
                                           named_calls, never_calls, unhandled_calls)
from perfscript.script.failures import HandlerFailed, print_handler_traceback
from perfscript.session.batch_delivery import ColumnarDelivery, segment_threads

NSEC_PER_SEC = 1000000000

# sample_type bits the batched path can lay out from fixed positions
_BATCHABLE = (C.SAMPLE_IDENTIFIER | C.SAMPLE_IP | C.SAMPLE_TID | C.SAMPLE_TIME | C.SAMPLE_ADDR
              | C.SAMPLE_ID | C.SAMPLE_STREAM_ID | C.SAMPLE_CPU | C.SAMPLE_PERIOD
              | C.SAMPLE_RAW)

NAMED, UNHANDLED = 1, 2


def row_comms(threads, tids, pids):
    """The comm of each row's thread within a segment (tids, pids: NumPy int64)."""
    uniq, _, inverse = segment_threads(threads, tids, pids, inverse=True)
    table = threads.threads
    comms = np.empty(len(uniq), dtype=object)
    comms[:] = [table[t].comm for t in uniq.tolist()]
    return comms[inverse].tolist()


class TracepointPlan:
    """How one tracepoint event's samples become handler calls, column-wise."""

    def __init__(self, engine, ev):
        self.ev = ev
        fmt = ev.tp_format
        session = engine.session
        self.decoder = BatchDecoder(fmt, session.tracing.big_endian)
        self.little = session.endian == "<"
        self.name = fmt.handler_name
        field_names = tuple(f.name for f in fmt.fields)
        self.nargs = 8 + len(field_names)
        self.make_dict = dict_maker(("common_cpu", "common_s", "common_ns", "common_pid",
                                     "common_comm") + ("common_callchain",) + field_names,
                                    fresh_list_at=5)
        self.mode = 0      # NAMED / UNHANDLED for this batch, 0: per-record path
        self.fn = None     # the handler the calls are made for

    @staticmethod
    def usable(ev):
        st = ev.layout.sample_type
        return (ev.is_tracepoint and ev.tp_format is not None and st & C.SAMPLE_RAW
                and not st & ~_BATCHABLE and ev.layout.fixed.size % 8 == 0)

    def choose(self, engine):
        """Which call this batch makes, from the script's handlers right now. Only calls
        without perf_sample_dict are made here: decoding ahead is then safe."""
        g = engine.globals
        fn = g.get(self.name)
        if fn is not None and callable(fn):
            self.fn = fn
            self.mode = 0 if engine.wants_dict(fn, self.nargs) else NAMED
            return self.mode
        fn = g.get("trace_unhandled")
        if fn is not None and callable(fn):
            self.fn = fn
            self.mode = 0 if engine.wants_dict(fn, 3) else UNHANDLED
            return self.mode
        self.fn = None
        self.mode = 0
        return 0

    def columns(self, batch, sel):
        """Per-row columns [cpu, secs, nsecs, common_pid, *fields] (lists) and the tid
        and pid arrays, or None."""
        sc = batch.sample_columns(sel, self.ev.layout, self.little)
        if sc is None:
            return None     # a damaged record: the per-record path reports it
        words = batch.words
        n = len(sel)
        t = sc["time"]
        if t is not None:
            secs = (t // np.uint64(NSEC_PER_SEC)).tolist()
            nsecs = (t % np.uint64(NSEC_PER_SEC)).tolist()
        else:
            secs = [((1 << 64) - 1) // NSEC_PER_SEC] * n
            nsecs = [((1 << 64) - 1) % NSEC_PER_SEC] * n
        cpu = sc["cpu"].tolist()
        sizes = sc["raw_size"]
        start = sc["raw_start"]
        dec = self.decoder
        width = dec.fixed_size
        if n and int(sizes.min()) < width:
            # payloads shorter than the format's fixed part (damage, or a format that
            # claims more than its records hold): the per-record path reads each one's
            # own bytes, instead of every row being gathered at the claimed width
            return None
        if width:
            # payloads start 4 bytes into a u64 word: gather whole words, then cut
            nw = (4 + width + 7) // 8
            widx = ((start - 4) >> 3)[:, None] + np.arange(nw, dtype=np.int64)
            np.minimum(widx, len(words) - 1, out=widx)
            fixed = words[widx].view(np.uint8).reshape(n, 8 * nw)[:, 4:4 + width]
            fixed = np.ascontiguousarray(fixed)
        else:
            fixed = np.zeros((n, 0), dtype=np.uint8)
        raws = None
        if dec.needs_raw:
            buf = batch.buf
            raws = [buf[s:s + z] for s, z in zip(start.tolist(), sizes.tolist())]
        cols = dec.decode(fixed, raws, sizes)
        return [cpu, secs, nsecs, dec.common_pid(fixed)] + cols, sc["tid"], sc["pid"]

    def stream(self, engine, cols, lo, hi, comms):
        """The RowStream of rows lo..hi's calls."""
        args = [c[lo:hi] for c in cols[:4]] + [comms] + [c[lo:hi] for c in cols[4:]]
        if self.mode == NAMED:
            return named_calls(engine.globals, self.name, self.fn, engine.capsule, args)
        if self.mode == UNHANDLED:
            return unhandled_calls(engine.globals, self.name, self.fn, engine.capsule,
                                   self.make_dict, args)
        return never_calls()


class BatchDispatcher(ColumnarDelivery):
    """The engine's `deliver_batch`; an event's plan is its TracepointPlan."""

    def __init__(self, engine):
        super().__init__(engine.session)
        self.engine = engine
        self.plans = {}
        self.streams = {}     # a segment's call iterators -> their RowStreams

    def event_plan(self, ev):
        plan = self.plans.get(ev.index, False)
        if plan is False:
            plan = TracepointPlan(self.engine, ev) if TracepointPlan.usable(ev) else None
            self.plans[ev.index] = plan
        if plan is None or not plan.choose(self.engine):
            return None
        return plan

    def event_columns(self, batch, ev, plan, sel):
        return plan.columns(batch, sel)

    def extra_cuts(self, plans):
        # the first record of an event whose define_* calls are still due
        defined = self.engine.defined
        return [int(rows.sel[0]) for rows in plans if rows.ev.index not in defined]

    def deliver_segments(self, batch, plans):
        engine = self.engine
        engine.batch = batch
        try:
            super().deliver_segments(batch, plans)
        except SystemExit:
            raise
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
            if plan.ev.index not in engine.defined:
                engine.define_symbols(plan.ev)
                plan.choose(engine)
            comms = row_comms(threads, tids[lo:hi], pids[lo:hi])
            st = plan.stream(engine, cols, lo, hi, comms)
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
