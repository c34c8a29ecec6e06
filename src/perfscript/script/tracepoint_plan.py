"""Tracepoint handler calls for a batch of one event's samples, column-wise: named
handlers or trace_unhandled, with perf's arguments, from the payloads decoded as columns
(ftrace.batch_decode) and the samples' fixed fields read with NumPy."""

import numpy as np

from perfscript.ftrace.batch_decode import BatchDecoder
from perfscript.perfdata import constants as C
from perfscript.script.call_stream import (dict_maker, named_calls, never_calls, no_calls,
                                           unhandled_calls)

NSEC_PER_SEC = 1000000000

# sample_type bits the batched path can lay out from fixed positions
_BATCHABLE = (C.SAMPLE_IDENTIFIER | C.SAMPLE_IP | C.SAMPLE_TID | C.SAMPLE_TIME | C.SAMPLE_ADDR
              | C.SAMPLE_ID | C.SAMPLE_STREAM_ID | C.SAMPLE_CPU | C.SAMPLE_PERIOD
              | C.SAMPLE_RAW)

NAMED, UNHANDLED, NOTHING = 1, 2, 3


class TracepointPlan:
    """How one tracepoint event's samples become handler calls, column-wise."""

    uses_maps = False

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
        self.mode = 0      # NAMED / UNHANDLED / NOTHING this batch, 0: per-record path
        self.fn = None     # the handler the calls are made for

    @staticmethod
    def usable(engine, ev):
        st = ev.layout.sample_type
        return (ev.is_tracepoint and ev.tp_format is not None and st & C.SAMPLE_RAW
                and not st & ~_BATCHABLE and ev.layout.fixed.size % 8 == 0)

    def choose(self, engine):
        """Which call this batch makes, from the script's handlers right now. Only calls
        without perf_sample_dict are made here: decoding ahead is then safe. NOTHING:
        neither handler exists, perf calls nothing."""
        g = engine.globals
        fn = g.get(self.name)
        if fn is not None and callable(fn):
            self.fn = fn
            self.mode = 0 if engine.wants_dict(fn, self.nargs) else NAMED
            return self.mode
        unhandled = g.get("trace_unhandled")
        if unhandled is not None and callable(unhandled):
            self.fn = unhandled
            self.mode = 0 if engine.wants_dict(unhandled, 3) else UNHANDLED
            return self.mode
        self.fn = None
        self.mode = NOTHING if fn is None and unhandled is None else 0
        return self.mode

    def columns(self, batch, sel):
        """Per-row columns [cpu, secs, nsecs, common_pid, *fields] (lists) and the tid
        and pid arrays, or None."""
        sc = batch.sample_columns(sel, self.ev.layout, self.little)
        if sc is None:
            return None     # a damaged record: the per-record path reports it
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
            fixed = batch.payload_heads(start, width)
        else:
            fixed = np.zeros((n, 0), dtype=np.uint8)
        raws = None
        if dec.needs_raw:
            buf = batch.buf
            raws = [buf[s:s + z] for s, z in zip(start.tolist(), sizes.tolist())]
        cols = dec.decode(fixed, raws, sizes)
        return [cpu, secs, nsecs, dec.common_pid(fixed)] + cols, sc["tid"], sc["pid"]

    def stream(self, engine, cols, lo, hi, threads):
        """The RowStream of rows lo..hi's calls (threads: their SegmentThreads)."""
        comms = threads.per_row("comm")
        args = [c[lo:hi] for c in cols[:4]] + [comms] + [c[lo:hi] for c in cols[4:]]
        if self.mode == NAMED:
            return named_calls(engine.globals, self.name, self.fn, engine.capsule, args)
        if self.mode == UNHANDLED:
            return unhandled_calls(engine.globals, self.name, self.fn, engine.capsule,
                                   self.make_dict, args)
        if self.mode == NOTHING:
            return no_calls(engine.globals, (self.name, "trace_unhandled"))
        return never_calls()
