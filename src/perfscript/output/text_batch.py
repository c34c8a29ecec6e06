"""Text lines of a whole batch at once (tracepoints, and samples that are their line
start and callchain): the columns perf's usual line start needs are read with NumPy, the
bodies rendered per record, and the lines joined by C-level maps, one write a segment.
Anything else in the batch is printed by the per-record path, in place
(session.batch_delivery).
"""


import struct

import numpy as np

from perfscript.perfdata import constants as C
from perfscript.session.batch_delivery import ColumnarDelivery, segment_comms
from perfscript.session.batched import deliver_each
from perfscript.session.maps import LookupCache, space_key

NSEC_PER_SEC = 1000000000
_CHAIN_ALLOWED = (C.SAMPLE_IDENTIFIER | C.SAMPLE_IP | C.SAMPLE_TID | C.SAMPLE_TIME
                  | C.SAMPLE_ID | C.SAMPLE_STREAM_ID | C.SAMPLE_CPU | C.SAMPLE_PERIOD
                  | C.SAMPLE_CALLCHAIN)
_ALLOWED = (C.SAMPLE_IDENTIFIER | C.SAMPLE_IP | C.SAMPLE_TID | C.SAMPLE_TIME | C.SAMPLE_ADDR
            | C.SAMPLE_ID | C.SAMPLE_STREAM_ID | C.SAMPLE_CPU | C.SAMPLE_PERIOD
            | C.SAMPLE_RAW)
# A batch's lines are built before they are written: an event whose print fmt alone is
# longer than this (a hostile format: every line would repeat it) is printed line by line.
MAX_BATCHED_PRINT_FMT = 1 << 12


def _s32(col):
    """u32 fields as perf prints them with %d (-1 already mapped by the reader)."""
    return np.where(col >= 1 << 31, col - (1 << 32), col)


class BatchLines(ColumnarDelivery):
    """A TextPrinter's `deliver_batch`. An event's plan is (LinePlan, whether the lines
    are callchains)."""

    def __init__(self, printer):
        super().__init__(printer.session)
        self.printer = printer
        self.little = self.session.endian == "<"
        self.chain_texts = LookupCache()    # callchain lines by the chain's raw bytes

    def deliver_batch(self, batch):
        if self.printer.filter.active:
            deliver_each(batch)
            return
        super().deliver_batch(batch)

    def event_plan(self, ev):
        plan = self.printer.line_plan(ev)
        if not plan.fields:
            return None
        if self._usable(ev, plan):
            return plan, False
        if self._usable_chain(ev, plan):
            return plan, True
        return None

    def event_columns(self, batch, ev, plan, sel):
        """(tids, pids, argument columns after comm, the line's %-format) or None."""
        plan, chains = plan
        return (self._chain_rows if chains else self._rows)(batch, ev, plan, sel)

    def uses_maps(self, plan):
        return plan[1]

    def segment_parts(self, batch, spans, s, e):
        threads = self.session.threads
        parts = []
        for rows, lo, hi in spans:
            tids, pids, cols, line_fmt = rows.cols
            comms = segment_comms(threads, tids[lo:hi], pids[lo:hi])
            parts.append(map(line_fmt.__mod__, zip(comms, *(c[lo:hi] for c in cols))))
        return parts

    def run(self, batch, entries, start):
        self.printer.write("".join(entries))

    @staticmethod
    def _usable(ev, plan):
        st = ev.attr.sample_type
        return (ev.is_tracepoint and plan.start_format is not None and plan.body is not None
                and len(ev.tp_format.print_fmt or "") <= MAX_BATCHED_PRINT_FMT
                and not plan.period and not plan.addr and not plan.ip and not plan.tail
                and st & C.SAMPLE_RAW and not st & ~_ALLOWED
                and ev.layout.fixed.size % 8 == 0)

    def _rows(self, batch, ev, plan, sel):
        sc = batch.sample_columns(sel, ev.layout, self.little)
        start_cols = self._line_start(batch, sel, sc, plan)
        if start_cols is None:
            return None
        tids = sc["tid"]
        start = sc["raw_start"]
        body = plan.body
        if getattr(body, "batch", None) is not None:
            if len(start) and int(sc["raw_size"].min()) < body.need:
                # payloads shorter than what the format reads: each record on its own
                # (its own bytes), not every row gathered at the claimed width
                return None
            # the body's own format joins the line's: one % per record
            body_fmt, body_cols = body.batch.columns(self._block(batch, start, body.need))
        else:
            buf = batch.buf
            raws = map(buf.__getitem__, map(slice, start.tolist(),
                                            (start + sc["raw_size"]).tolist()))
            body_fmt, body_cols = "%s", [list(map(body, raws))]
        line_fmt = plan.start_format + plan.name.replace("%", "%%") + body_fmt + "\n"
        return tids.tolist(), sc["pid"].tolist(), start_cols + body_cols, line_fmt

    def _line_start(self, batch, sel, sc, plan):
        """The columns of the usual line start (tid, [cpu,] secs, usecs) as lists, or
        None when the batch cannot print these rows (damage, no time, guest samples)."""
        if sc is None or sc["time"] is None:
            return None
        head = batch.words[batch.offs[sel] >> 3]
        misc = ((head >> np.uint64(32)) if self.little else (head >> np.uint64(16)))
        mode = (misc & np.uint64(0xFFFF)).astype(np.int64) & C.MISC_CPUMODE_MASK
        if np.isin(mode, (C.MISC_GUEST_KERNEL, C.MISC_GUEST_USER)).any():
            return None
        t = sc["time"]
        secs = (t // np.uint64(NSEC_PER_SEC)).tolist()
        usecs = ((t % np.uint64(NSEC_PER_SEC)) // np.uint64(1000)).tolist()
        tid_text = _s32(sc["tid"]).tolist()
        if plan.has_cpu:
            return [tid_text, _s32(sc["cpu"]).tolist(), secs, usecs]
        return [tid_text, secs, usecs]

    def _usable_chain(self, ev, plan):
        """Samples printed as their line start and callchain (cpu-clock -g and the like):
        nothing else variable in them, the usual line start, no addr/tail fields."""
        st = ev.attr.sample_type
        return (not ev.is_tracepoint and plan.start_format is not None and plan.ip
                and not plan.addr and not plan.tail and plan.body is None
                and st & C.SAMPLE_CALLCHAIN and not st & ~_CHAIN_ALLOWED
                and self.printer.o.use_callchain and ev.layout.fixed.size % 8 == 0)

    def _chain_rows(self, batch, ev, plan, sel):
        sc = batch.chain_columns(sel, ev.layout, self.little)
        cols = self._line_start(batch, sel, sc, plan)
        if cols is None:
            return None
        tid_list = sc["tid"].tolist()
        line_fmt = plan.start_format
        if plan.period:
            if sc["period"] is not None:
                cols.append(sc["period"].tolist())
                line_fmt += "%10d "
            else:
                line_fmt += ("%10d " % ev.attr.sample_period).replace("%", "%%")
        line_fmt += plan.name.replace("%", "%%") + "\n%s\n"
        cols.append(_ChainText(self.printer, self.chain_texts, batch.buf,
                               sc["chain_start"].tolist(), sc["chain_nr"].tolist(), tid_list,
                               plan.fields))
        return tid_list, sc["pid"].tolist(), cols, line_fmt

    @staticmethod
    def _block(batch, start, width):
        """The first `width` payload bytes of each record (each holds that many), as
        one C-contiguous array; payloads start 4 bytes into a u64 word."""
        words = batch.words
        n = len(start)
        if not width:
            return np.zeros((n, 1), dtype=np.uint8)
        nw = (4 + width + 7) // 8
        widx = ((start - 4) >> 3)[:, None] + np.arange(nw, dtype=np.int64)
        np.minimum(widx, len(words) - 1, out=widx)
        return np.ascontiguousarray(words[widx].view(np.uint8).reshape(n, 8 * nw)[:, 4:4 + width])


class _ChainText:
    """The callchain lines of a plan's rows, worked out a segment at a time (when the
    segment is formatted, its address spaces are the ones its samples saw)."""

    def __init__(self, printer, cache, buf, starts, nrs, tids, f):
        self.printer = printer
        self.cache = cache
        self.buf = buf
        self.starts = starts
        self.nrs = nrs
        self.tids = tids
        self.f = f

    def __getitem__(self, rows):
        p = self.printer
        session = p.session
        table = session.threads.threads
        kernel_maps = session.kernel_maps
        cache = self.cache
        buf, f = self.buf, self.f
        lines = p.chain_text
        little = session.endian == "<"
        out = []
        for start, nr, tid in zip(self.starts[rows], self.nrs[rows], self.tids[rows]):
            thread = table[tid]
            raw = buf[start:start + 8 * nr]
            key = (space_key(thread, kernel_maps), f, raw)
            text = cache.get(key)
            if text is None:
                ips = struct.unpack("%s%dQ" % ("<" if little else ">", nr), raw)
                text = cache.put(key, lines(ips, thread, f))
            out.append(text)
        return out
