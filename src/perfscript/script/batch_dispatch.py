"""Handler calls for a batch of records delivered together.

NumPy does the per-record work that needs no Python: sample fields are gathered from the
file as columns, tracepoint payloads decoded column-wise, and each handler's arguments
(or trace_unhandled's dict) built by C-level zips. What is left in Python per record is
the handler lookup perf does per call and the call itself. The batch is cut into
segments (session.batch_delivery) so each segment's comms are read once, and before the
first record of an event whose define_* calls are still due; anything the plans do not
cover goes through the session's per-record path in place.
"""

from itertools import repeat
from operator import itemgetter, length_hint

import numpy as np

from perfscript.ftrace.batch_decode import BatchDecoder
from perfscript.perfdata import constants as C
from perfscript.script.failures import HandlerFailed, print_handler_traceback
from perfscript.session.batch_delivery import ColumnarDelivery, segment_comms

NSEC_PER_SEC = 1000000000
U32_MAX = 0xFFFFFFFF

# sample_type bits the batched path can lay out from fixed positions
_BATCHABLE = (C.SAMPLE_IDENTIFIER | C.SAMPLE_IP | C.SAMPLE_TID | C.SAMPLE_TIME | C.SAMPLE_ADDR
              | C.SAMPLE_ID | C.SAMPLE_STREAM_ID | C.SAMPLE_CPU | C.SAMPLE_PERIOD
              | C.SAMPLE_RAW)

NAMED, UNHANDLED = 1, 2


class TracepointPlan:
    """How one tracepoint event's samples become handler arguments, column-wise."""

    def __init__(self, engine, ev):
        self.ev = ev
        fmt = ev.tp_format
        session = engine.session
        self.decoder = BatchDecoder(fmt, session.tracing.big_endian)
        self.little = session.endian == "<"
        self.name = fmt.handler_name
        self.field_names = tuple(f.name for f in fmt.fields)
        self.dict_keys = ("common_cpu", "common_s", "common_ns", "common_pid", "common_comm",
                          "common_callchain") + self.field_names
        self.nargs = 8 + len(self.field_names)
        self.mode = 0      # NAMED / UNHANDLED for this batch, 0: per-record path
        self.fn = None     # the handler the batch's arguments were built for

    @staticmethod
    def usable(ev):
        st = ev.layout.sample_type
        return (ev.is_tracepoint and ev.tp_format is not None and st & C.SAMPLE_RAW
                and not st & ~_BATCHABLE and ev.layout.fixed.size % 8 == 0)

    def choose(self, engine):
        """Which call this batch prepares, from the script's handlers right now. Only
        calls without perf_sample_dict are prepared: decoding ahead is then safe."""
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
        """Per-row columns [cpu, secs, nsecs, common_pid, tid, pid, *fields], or None."""
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
        tids = sc["tid"].tolist()
        pids = sc["pid"].tolist()
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
        return [cpu, secs, nsecs, dec.common_pid(fixed), tids, pids] + cols

    def calls(self, cols, lo, hi, comms, capsule):
        """Argument tuples for rows lo..hi (C-level zips; fresh lists and dicts each)."""
        m = hi - lo
        cpu, secs, nsecs, cpid = (c[lo:hi] for c in cols[:4])
        chains = map(list, repeat((), m))
        if 4 * m < len(cols) - 6:
            # few rows of an event with very many fields: take the rows' values
            # rather than slicing every column for each segment
            values = [tuple(map(itemgetter(i), cols[6:])) for i in range(lo, hi)]
            if self.mode == NAMED:
                return map(tuple.__add__, zip(repeat(self.name, m), repeat(capsule), cpu,
                                              secs, nsecs, cpid, comms, chains), values)
            rows = map(tuple.__add__, zip(cpu, secs, nsecs, cpid, comms, chains), values)
            return zip(repeat(self.name, m), repeat(capsule),
                       map(dict, map(zip, repeat(self.dict_keys), rows)))
        fields = [c[lo:hi] for c in cols[6:]]
        if self.mode == NAMED:
            return zip(repeat(self.name, m), repeat(capsule), cpu, secs, nsecs, cpid, comms,
                       chains, *fields)
        rows = zip(cpu, secs, nsecs, cpid, comms, chains, *fields)
        return zip(repeat(self.name, m), repeat(capsule),
                   map(dict, map(zip, repeat(self.dict_keys), rows)))


class BatchDispatcher(ColumnarDelivery):
    """The engine's `deliver_batch`; an event's plan is its TracepointPlan."""

    def __init__(self, engine):
        super().__init__(engine.session)
        self.engine = engine
        self.plans = {}
        self.named = {}       # handler name -> the handler the prepared calls are for
        self.unhandled = {}   # handler name -> trace_unhandled, when that takes its calls

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

    def segment_parts(self, batch, spans, s, e):
        engine = self.engine
        threads = self.session.threads
        capsule = engine.capsule
        parts = []
        for rows, lo, hi in spans:
            plan, cols = rows.plan, rows.cols
            if plan.ev.index not in engine.defined:
                engine.define_symbols(plan.ev)
                plan.choose(engine)
            comms = segment_comms(threads, cols[4][lo:hi], cols[5][lo:hi])
            parts.append(plan.calls(cols, lo, hi, comms, capsule))
            if plan.mode == NAMED:
                self.named[plan.name] = plan.fn
            else:
                self.unhandled[plan.name] = plan.fn
        return parts

    def run(self, batch, entries, start):
        """The loop: per record, perf's handler lookup and the call. An entry is the
        argument tuple, its first item the handler name; one whose handler the script
        has changed since goes through the session's per-record path."""
        engine = self.engine
        g_get = engine.globals.get
        named_get = self.named.get
        unhandled_get = self.unhandled.get
        it = iter(entries)
        engine.batch_iter = (it, len(entries), start)
        engine.batch_pos = -2       # position comes from batch_iter
        for args in it:
            name = args[0]
            fn = g_get(name)
            if fn is not None:
                if fn is named_get(name):
                    fn(*args)
                    continue
            else:
                fn = unhandled_get(name)
                if fn is not None and g_get("trace_unhandled") is fn:
                    fn(*args)
                    continue
            k = start + len(entries) - length_hint(it) - 1
            engine.batch_pos = -1
            batch.deliver(k)
            engine.batch_pos = -2
        engine.batch_pos = -1
