"""Handler calls for a batch of records released together, with NumPy doing the
per-record work that does not need Python: sample fields are gathered from the file as
columns, tracepoint payloads decoded column-wise, and the loop left in Python only calls
the handlers (and replays side-band records in their place, so comms stay right).
"""

import traceback
from itertools import repeat

import numpy as np

from perfscript.ftrace.batch_decode import BatchDecoder
from perfscript.perfdata import constants as C

NSEC_PER_SEC = 1000000000
U32_MAX = 0xFFFFFFFF

# sample_type bits the batched path can lay out from fixed positions
_BATCHABLE = (C.SAMPLE_IDENTIFIER | C.SAMPLE_IP | C.SAMPLE_TID | C.SAMPLE_TIME | C.SAMPLE_ADDR
              | C.SAMPLE_ID | C.SAMPLE_STREAM_ID | C.SAMPLE_CPU | C.SAMPLE_PERIOD
              | C.SAMPLE_RAW)


def _u64_slots(layout):
    """Index of each fixed sample field's u64 word, and which half for u32 pairs."""
    slots = {}
    names = layout.fixed_names
    word = 0
    i = 0
    while i < len(names):
        name = names[i]
        if name in ("pid", "cpu"):
            slots[name] = (word, 0)
            slots[names[i + 1]] = (word, 1)
            i += 2
        else:
            slots[name] = (word, None)
            i += 1
        word += 1
    return slots


class TracepointBatchPlan:
    """How one tracepoint event's samples in a batch become handler arguments."""

    def __init__(self, engine, ev):
        self.ev = ev
        fmt = ev.tp_format
        session = engine.session
        self.decoder = BatchDecoder(fmt, session.tracing.big_endian)
        self.little = session.endian == "<"
        self.slots = _u64_slots(ev.layout)
        self.raw_word = len(ev.layout.fixed_names) and ev.layout.fixed.size // 8
        self.name = fmt.handler_name
        self.field_names = tuple(f.name for f in fmt.fields)
        self.nargs = 8 + len(self.field_names)
        self.last_fn = None         # the handler last seen, and whether it takes the dict
        self.last_wants = False

    def handler_is_plain(self, engine):
        """True when the script's handler for this event takes no perf_sample_dict, so
        decoding this batch ahead of the calls is safe (it updates shared decoder state)."""
        g = engine.globals
        fn = g.get(self.name)
        if fn is not None and callable(fn):
            return not engine._wants_dict(fn, self.nargs)
        fn = g.get("trace_unhandled")
        if fn is not None and callable(fn):
            return not engine._wants_dict(fn, 3)
        return True

    @staticmethod
    def usable(ev):
        st = ev.layout.sample_type
        return (ev.is_tracepoint and ev.tp_format is not None and st & C.SAMPLE_RAW
                and not st & ~_BATCHABLE and ev.layout.fixed.size % 8 == 0)

    @staticmethod
    def _signed(col):
        """u32 pid/tid column with perf's -1 for "none"."""
        col = col.astype(np.int64)
        col[col == U32_MAX] = -1
        return col.tolist()

    def _field(self, words, base, name):
        word, half = self.slots[name]
        w = words[base + word]
        if half is None:
            return w
        if (half == 0) == self.little:
            return w & np.uint64(0xFFFFFFFF)
        return w >> np.uint64(32)

    def columns(self, batch, sel):
        """(heads, tids, tails): per-row handler argument pieces for rows `sel`."""
        words = batch.words
        o = batch.offs[sel]
        base = (o >> 3) + 1
        n = len(o)
        slots = self.slots
        if "time" in slots:
            t = self._field(words, base, "time")
            secs = (t // np.uint64(NSEC_PER_SEC)).tolist()
            nsecs = (t % np.uint64(NSEC_PER_SEC)).tolist()
        else:
            secs = [(1 << 64) // NSEC_PER_SEC] * n
            nsecs = [((1 << 64) - 1) % NSEC_PER_SEC] * n
        if "cpu" in slots:
            cpu = self._field(words, base, "cpu").astype(np.int64)
            cpu[cpu == U32_MAX] = -1
            cpu = cpu.tolist()
        else:
            cpu = [-1] * n
        tids = self._signed(self._field(words, base, "tid")) if "tid" in slots else [-1] * n
        pids = self._signed(self._field(words, base, "pid")) if "pid" in slots else [-1] * n
        # the raw payload: u32 size in the low half (LE) of the word after the fixed part
        sw = words[base + self.raw_word]
        sizes = (sw & np.uint64(0xFFFFFFFF)) if self.little else (sw >> np.uint64(32))
        sizes = sizes.astype(np.int64)
        start = o + 8 + 8 * self.raw_word + 4
        ends = o + (words[o >> 3] >> np.uint64(48) if self.little
                    else words[o >> 3] & np.uint64(0xFFFF)).astype(np.int64)
        if (start + sizes > ends).any():
            return None
        dec = self.decoder
        width = dec.fixed_size
        a8 = batch.bytes
        if width:
            idx = start[:, None] + np.arange(width, dtype=np.int64)
            short = sizes < width
            if short.any():
                beyond = np.arange(width)[None, :] >= sizes[:, None]
                idx = np.where(beyond, 0, idx)
                fixed = a8[idx]
                fixed[beyond] = 0
            else:
                fixed = a8[idx]
        else:
            fixed = np.zeros((n, 0), dtype=np.uint8)
        raws = None
        if dec.needs_raw:
            buf = batch.buf
            raws = [buf[s:s + z] for s, z in zip(start.tolist(), sizes.tolist())]
        cols = dec.decode(fixed, raws, sizes)
        cpid = dec.common_pid(fixed)
        heads = zip(cpu, secs, nsecs, cpid)
        tails = zip(*cols) if cols else repeat((), n)
        return heads, tids, pids, tails


class BatchDispatcher:
    """The engine's `deliver_batch`: one Python step per record, handler calls only."""

    def __init__(self, engine):
        self.engine = engine
        self.session = engine.session
        self.plans = {}

    def _plan(self, ev):
        plan = self.plans.get(ev.index, False)
        if plan is False:
            plan = TracepointBatchPlan(self.engine, ev) if TracepointBatchPlan.usable(ev) else None
            self.plans[ev.index] = plan
        return plan

    def deliver_batch(self, batch):
        engine = self.engine
        session = self.session
        evsels = session.evsels.evsels
        types = batch.types
        evidx = batch.evidx
        n = len(types)
        sample_mask = types == C.RECORD_SAMPLE
        entries = np.full(n, None, dtype=object)
        planned = False
        for e in np.unique(evidx[sample_mask]).tolist():
            if e < 0:
                continue
            plan = self._plan(evsels[e])
            if plan is None or not plan.handler_is_plain(engine):
                continue
            sel = np.nonzero(sample_mask & (evidx == e))[0]
            cols = plan.columns(batch, sel)
            if cols is None:
                continue
            entries[sel] = np.fromiter(zip(repeat(plan), *cols), dtype=object, count=len(sel))
            planned = True
        if not planned:
            for k in range(n):
                batch.deliver(k)
            return
        engine.batch = batch
        g_get = engine.globals.get
        threads = session.threads
        threads_get = threads.threads.get
        findnew = threads.findnew
        capsule = engine.capsule
        wants_dict = engine._wants_dict
        for k, ent in enumerate(entries.tolist()):
            if ent is None:
                engine.batch_pos = -1
                batch.deliver(k)
                continue
            engine.batch_pos = k
            plan, (cpu, secs, nsecs, cpid), tid, pid, fields = ent
            if not plan.ev.defined:
                engine._define_symbols(plan.ev)
            name = plan.name
            fn = g_get(name)
            if fn is not None:
                if fn is not plan.last_fn:
                    if not callable(fn):
                        fn = None
                    else:
                        plan.last_fn = fn
                        plan.last_wants = wants_dict(fn, plan.nargs)
                if fn is not None and plan.last_wants:
                    batch.deliver(k)
                    continue
            if fn is None:
                fn = g_get("trace_unhandled")
                if fn is None or not callable(fn):
                    continue
                if wants_dict(fn, 3):
                    batch.deliver(k)
                    continue
                unhandled = True
            else:
                unhandled = False
            th = threads_get(tid)
            if th is None or th.pid == -1:
                th = findnew(pid, tid)
            try:
                if unhandled:
                    d = {"common_cpu": cpu, "common_s": secs, "common_ns": nsecs,
                         "common_pid": cpid, "common_comm": th.comm, "common_callchain": []}
                    d.update(zip(plan.field_names, fields))
                    fn(name, capsule, d)
                else:
                    fn(name, capsule, cpu, secs, nsecs, cpid, th.comm, [], *fields)
            except SystemExit:
                raise
            except BaseException:
                traceback.print_exc()
                from perfscript.script.engine import HandlerFailed
                raise HandlerFailed() from None
        engine.batch_pos = -1
