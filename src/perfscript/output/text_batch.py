"""Tracepoint lines of a whole batch at once: the columns perf's usual line start needs
are read with NumPy, the bodies rendered per record, and the lines joined by C-level
maps. Anything else in the batch is printed by the per-record path, in place.
"""


import struct

import numpy as np

from perfscript.perfdata import constants as C
from perfscript.session.batched import merge_in_order, segment_comms
from perfscript.session.maps import space_key

NSEC_PER_SEC = 1000000000
_COMM_CHANGERS = (C.RECORD_COMM, C.RECORD_FORK, C.RECORD_EXIT)
# records that change address spaces: callchain lines are worked out between them
_MAP_CHANGERS = (C.RECORD_MMAP, C.RECORD_MMAP2)
_CHAIN_ALLOWED = (C.SAMPLE_IDENTIFIER | C.SAMPLE_IP | C.SAMPLE_TID | C.SAMPLE_TIME
                  | C.SAMPLE_ID | C.SAMPLE_STREAM_ID | C.SAMPLE_CPU | C.SAMPLE_PERIOD
                  | C.SAMPLE_CALLCHAIN)
_ALLOWED = (C.SAMPLE_IDENTIFIER | C.SAMPLE_IP | C.SAMPLE_TID | C.SAMPLE_TIME | C.SAMPLE_ADDR
            | C.SAMPLE_ID | C.SAMPLE_STREAM_ID | C.SAMPLE_CPU | C.SAMPLE_PERIOD
            | C.SAMPLE_RAW)


def _s32(col):
    """u32 fields as perf prints them with %d (-1 already mapped by the reader)."""
    return np.where(col >= 1 << 31, col - (1 << 32), col)


class BatchLines:
    """A TextPrinter's `deliver_batch`."""

    def __init__(self, printer):
        self.printer = printer
        self.session = printer.session
        self.little = self.session.endian == "<"

    def _usable(self, ev, plan):
        f, fast, has_cpu, name, period, body, addr, ip, tail = plan
        st = ev.attr.sample_type
        return (ev.is_tracepoint and fast is not None and body is not None and not period
                and not addr and not ip and not tail and st & C.SAMPLE_RAW and not st & ~_ALLOWED
                and ev.layout.fixed.size % 8 == 0)

    def _rows(self, batch, ev, plan, sel):
        """(tids, pids, argument columns after comm, the line's %-format) or None."""
        sc = batch.sample_columns(sel, ev.layout, self.little)
        start_cols = self._line_start(batch, sel, sc, plan)
        if start_cols is None:
            return None
        tids = sc["tid"]
        start = sc["raw_start"]
        body = plan[5]
        if getattr(body, "batch", None) is not None:
            # the body's own format joins the line's: one % per record
            body_fmt, body_cols = body.batch.columns(
                self._block(batch, start, sc["raw_size"], body.need))
        else:
            buf = batch.buf
            raws = map(buf.__getitem__, map(slice, start.tolist(),
                                            (start + sc["raw_size"]).tolist()))
            body_fmt, body_cols = "%s", [list(map(body, raws))]
        line_fmt = plan[1] + plan[3].replace("%", "%%") + body_fmt + "\n"
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
        if plan[2]:
            return [tid_text, _s32(sc["cpu"]).tolist(), secs, usecs]
        return [tid_text, secs, usecs]

    def _usable_chain(self, ev, plan):
        """Samples printed as their line start and callchain (cpu-clock -g and the like):
        nothing else variable in them, the usual line start, no addr/tail fields."""
        f, fast, has_cpu, name, period, body, addr, ip, tail = plan
        st = ev.attr.sample_type
        return (not ev.is_tracepoint and fast is not None and ip and not addr and not tail
                and body is None and st & C.SAMPLE_CALLCHAIN and not st & ~_CHAIN_ALLOWED
                and self.printer.o.use_callchain and ev.layout.fixed.size % 8 == 0)

    def _chain_rows(self, batch, ev, plan, sel):
        sc = batch.chain_columns(sel, ev.layout, self.little)
        cols = self._line_start(batch, sel, sc, plan)
        if cols is None:
            return None
        tid_list = sc["tid"].tolist()
        line_fmt = plan[1]
        if plan[4]:
            if sc["period"] is not None:
                cols.append(sc["period"].tolist())
                line_fmt += "%10d "
            else:
                line_fmt += ("%10d " % ev.attr.sample_period).replace("%", "%%")
        line_fmt += plan[3].replace("%", "%%") + "\n%s\n"
        cols.append(_ChainText(self.printer, batch.buf, sc["chain_start"].tolist(),
                               sc["chain_nr"].tolist(), tid_list, plan[0]))
        return tid_list, sc["pid"].tolist(), cols, line_fmt

    @staticmethod
    def _block(batch, start, sizes, width):
        """The first `width` payload bytes of each record (zeros past its end), as one
        C-contiguous array; payloads start 4 bytes into a u64 word."""
        words = batch.words
        n = len(start)
        if not width:
            return np.zeros((n, 1), dtype=np.uint8)
        nw = (4 + width + 7) // 8
        widx = ((start - 4) >> 3)[:, None] + np.arange(nw, dtype=np.int64)
        np.minimum(widx, len(words) - 1, out=widx)
        block = np.ascontiguousarray(words[widx].view(np.uint8).reshape(n, 8 * nw)[:, 4:4 + width])
        if (sizes < width).any():
            block[np.arange(width)[None, :] >= sizes[:, None]] = 0
        return block

    def deliver_batch(self, batch):
        p = self.printer
        if p.filter.active:
            for k in range(len(batch)):
                batch.deliver(k)
            return
        evsels = self.session.evsels.evsels
        types, evidx = batch.types, batch.evidx
        n = len(types)
        sample_mask = types == C.RECORD_SAMPLE
        plans = []
        chains = False
        for e in np.unique(evidx[sample_mask]).tolist():
            if e < 0:
                continue
            ev = evsels[e]
            plan = p._compiled.get(e) or p._plan(ev)
            if not plan[0]:
                continue
            if self._usable(ev, plan):
                rows_of = self._rows
            elif self._usable_chain(ev, plan):
                rows_of = self._chain_rows
                chains = True
            else:
                continue
            sel = np.nonzero(sample_mask & (evidx == e))[0]
            rows = rows_of(batch, ev, plan, sel)
            if rows is not None:
                plans.append((plan, sel, rows))
        if not plans:
            for k in range(n):
                batch.deliver(k)
            return
        changers = _COMM_CHANGERS + _MAP_CHANGERS if chains else _COMM_CHANGERS
        cuts = (np.nonzero(np.isin(types, changers))[0] + 1).tolist()
        bounds = [0] + [c for c in cuts if 0 < c < n] + [n]
        for s, e in zip(bounds, bounds[1:]):
            self._segment(batch, plans, s, e)

    def _segment(self, batch, plans, s, e):
        threads = self.session.threads
        parts, places = [], []
        for plan, sel, (tids, pids, cols, line_fmt) in plans:
            lo, hi = np.searchsorted(sel, [s, e]).tolist()
            if lo == hi:
                continue
            comms = segment_comms(threads, tids[lo:hi], pids[lo:hi])
            parts.append(map(line_fmt.__mod__, zip(comms, *(c[lo:hi] for c in cols))))
            places.append(sel[lo:hi] - s)
        entries = merge_in_order(parts, places, e - s)
        write = self.printer.write
        if None not in entries:
            write("".join(entries))
            return
        pending = []
        for k, line in enumerate(entries):
            if line is not None:
                pending.append(line)
                continue
            if pending:
                write("".join(pending))
                pending = []
            batch.deliver(s + k)
        if pending:
            write("".join(pending))


class _ChainText:
    """The callchain lines of a plan's rows, worked out a segment at a time (when the
    segment is formatted, its address spaces are the ones its samples saw)."""

    def __init__(self, printer, buf, starts, nrs, tids, f):
        self.printer = printer
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
        cache = p._chain_texts
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
