"""Text lines of a whole batch at once: the samples whose line is made of the usual fields
(comm, tid, pid, cpu, misc, time, event, period, a tracepoint's body, the ip column or the
callchain). Their columns are read with NumPy, bodies rendered per record, frames looked
up once per distinct address and space (frame_lines.py), and the lines joined by C-level
maps, one write a segment. Anything else in the batch is printed by the per-record path,
in place (session.batch_delivery).
"""

import struct
from typing import NamedTuple

import numpy as np

from perfscript.output.fields import COMM, CPU, MISC, PID, TID, TIME, TOD
from perfscript.output.frame_lines import FrameLines
from perfscript.perfdata import constants as C
from perfscript.session.batch_delivery import ColumnarDelivery, segment_comms, segment_threads
from perfscript.session.batched import deliver_each

NSEC_PER_SEC = 1000000000
# sample fields at fixed places (read as columns) ...
_FIXED = (C.SAMPLE_IDENTIFIER | C.SAMPLE_IP | C.SAMPLE_TID | C.SAMPLE_TIME | C.SAMPLE_ADDR
          | C.SAMPLE_ID | C.SAMPLE_STREAM_ID | C.SAMPLE_CPU | C.SAMPLE_PERIOD)
# ... and at most one variable part after them
_ALLOWED = _FIXED | C.SAMPLE_RAW | C.SAMPLE_CALLCHAIN
# A batch's lines are built before they are written: an event whose print fmt alone is
# longer than this (a hostile format: every line would repeat it) is printed line by line.
MAX_BATCHED_PRINT_FMT = 1 << 12
CHAIN_ROWS = 2048
_GUEST_MODES = (C.MISC_GUEST_KERNEL, C.MISC_GUEST_USER)


def _s32(col):
    """u32 fields as perf prints them with %d (-1 already mapped by the reader)."""
    return np.where(col >= 1 << 31, col - (1 << 32), col)


class EventLines(NamedTuple):
    """How an event's samples are printed column-wise."""
    plan: object        # the printer's LinePlan
    comm: bool          # the line starts with the comm
    frames: str | None  # "chain": callchain lines; "ip": the ip column; None: neither


class BatchLines(ColumnarDelivery):
    """A TextPrinter's `deliver_batch`."""

    def __init__(self, printer):
        super().__init__(printer.session)
        self.printer = printer
        self.little = self.session.endian == "<"
        self.frame_lines = FrameLines(printer)

    def deliver_batch(self, batch):
        if self.printer.filter.active:
            deliver_each(batch)
            return
        super().deliver_batch(batch)

    def event_plan(self, ev):
        plan = self.printer.line_plan(ev)
        o = self.printer.o
        st = ev.attr.sample_type
        f = plan.fields
        if (not f or f & TOD or o.reltime or o.deltatime or plan.addr or plan.tail
                or st & ~_ALLOWED or (st & C.SAMPLE_RAW and st & C.SAMPLE_CALLCHAIN)
                or ev.layout.fixed.size % 8):
            return None
        if plan.body is not None and not (
                ev.is_tracepoint and st & C.SAMPLE_RAW
                and len(ev.tp_format.print_fmt or "") <= MAX_BATCHED_PRINT_FMT):
            return None
        frames = None
        if plan.ip:
            if not st & C.SAMPLE_IP:
                return None
            frames = "chain" if o.use_callchain and st & C.SAMPLE_CALLCHAIN else "ip"
        return EventLines(plan, bool(f & COMM), frames)

    def uses_maps(self, plan):
        return plan.frames is not None

    def extra_cuts(self, plans):
        """Callchain lines are long: a segment holds at most CHAIN_ROWS samples printed
        with them, so that a batch's text is not all in memory at once."""
        cuts = []
        for rows in plans:
            if rows.plan.frames == "chain":
                cuts += rows.sel[CHAIN_ROWS::CHAIN_ROWS].tolist()
        return cuts

    def event_columns(self, batch, ev, lines, sel):
        """(tids, pids, whether the comm comes first, argument columns after it, the
        line's %-format) or None: the rows go record by record."""
        st = ev.attr.sample_type
        little = self.little
        if st & C.SAMPLE_CALLCHAIN:
            sc = batch.chain_columns(sel, ev.layout, little)
        elif st & C.SAMPLE_RAW:
            sc = batch.sample_columns(sel, ev.layout, little)
        else:
            sc = batch.fixed_columns(sel, ev.layout, little)
        if sc is None or sc["time"] is None and lines.plan.fields & TIME:
            return None
        misc = batch.misc_column(sel, little)
        modes = misc & C.MISC_CPUMODE_MASK
        if np.isin(modes, _GUEST_MODES).any():
            return None         # perf drops guest samples: the per-record path does
        plan = lines.plan
        fmt, cols = self._start(plan, lines, sc, misc)
        if plan.period:
            if sc["period"] is not None:
                cols.append(sc["period"].tolist())
                fmt += "%10d "
            else:
                fmt += ("%10d " % ev.attr.sample_period).replace("%", "%%")
        fmt += plan.name.replace("%", "%%")
        if plan.body is not None:
            body = self._body(batch, plan.body, sc)
            if body is None:
                return None
            fmt += body[0]
            cols += body[1]
        tids = sc["tid"].tolist()
        if lines.frames == "chain":
            fmt += "\n%s"
            cols.append(_ChainColumn(self, batch, sc, tids, plan.fields))
        elif lines.frames == "ip":
            fmt += "%s"
            cols.append(_IpColumn(self, sc["ip"], modes, tids, plan.fields))
        return tids, sc["pid"].tolist(), lines.comm, cols, fmt + "\n"

    def _start(self, plan, lines, sc, misc):
        """The line start's %-format and columns, as TextPrinter._start prints it."""
        f = plan.fields
        o = self.printer.o
        fmt = ""
        cols = []
        if f & COMM:
            fmt += "%8.8s " if o.latency else ("%s " if lines.frames == "chain" else "%16s ")
        if f & PID and f & TID:
            fmt += "%5d/%-5d "
            cols += [_s32(sc["pid"]).tolist(), _s32(sc["tid"]).tolist()]
        elif f & (PID | TID):
            fmt += "%5d "
            cols.append(_s32(sc["pid" if f & PID else "tid"]).tolist())
        if f & CPU:
            fmt += "%3d " if o.latency else "[%03d] "
            cols.append(_s32(sc["cpu"]).tolist())
        if f & MISC:
            fmt += "%s"
            letters = {m: self.printer.sample_misc(m) for m in np.unique(misc).tolist()}
            cols.append(list(map(letters.__getitem__, misc.tolist())))
        if f & TIME:
            t = sc["time"]
            secs = t // np.uint64(NSEC_PER_SEC)
            rest = t - secs * np.uint64(NSEC_PER_SEC)
            if o.ns:
                fmt += "%5d.%09d: "
            else:
                fmt += "%5d.%06d: "     # perf's "%12s" of "secs.usecs"
                rest //= np.uint64(1000)
            cols += [secs.tolist(), rest.tolist()]
        return fmt, cols

    def _body(self, batch, body, sc):
        """(%-format, columns) of tracepoint bodies, or None: record by record."""
        start = sc["raw_start"]
        if getattr(body, "batch", None) is not None:
            if len(start) and int(sc["raw_size"].min()) < body.need:
                # payloads shorter than what the format reads: each record on its own
                # (its own bytes), not every row gathered at the claimed width
                return None
            # the body's own format joins the line's: one % per record
            return body.batch.columns(self._block(batch, start, body.need))
        if len(start) and not int(sc["raw_size"].min()):
            return None     # perf prints no body for an empty payload
        buf = batch.buf
        raws = map(buf.__getitem__, map(slice, start.tolist(),
                                        (start + sc["raw_size"]).tolist()))
        return "%s", [list(map(body, raws))]

    def segment_parts(self, batch, spans, s, e):
        threads = self.session.threads
        parts = []
        for rows, lo, hi in spans:
            tids, pids, comm, cols, line_fmt = rows.cols
            if comm:
                args = [segment_comms(threads, tids[lo:hi], pids[lo:hi])]
            else:
                segment_threads(threads, tids[lo:hi], pids[lo:hi])
                args = []
            args += [c[lo:hi] for c in cols]
            if args:
                parts.append(map(line_fmt.__mod__, zip(*args)))
            else:
                parts.append([line_fmt % ()] * (hi - lo))
        return parts

    def run(self, batch, entries, start):
        self.printer.write("".join(entries))

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


class _FrameColumn:
    """A column of frame text worked out a segment at a time (when the segment is
    formatted, its address spaces are the ones its samples saw); rows frame_lines leaves
    are printed by the printer's per-record code."""

    def __init__(self, owner, tids, f):
        self.owner = owner
        self.printer = owner.printer
        self.tids = tids
        self.f = f

    def __getitem__(self, rows):
        table = self.printer.session.threads.threads
        threads = list(map(table.__getitem__, self.tids[rows]))
        texts, odd = self.texts(rows, threads)
        for i in odd:
            texts[i] = self.one(rows.start + i, threads[i])
        return texts


class _IpColumn(_FrameColumn):
    """" %16x%s" of each sample's ip."""

    def __init__(self, owner, ips, modes, tids, f):
        super().__init__(owner, tids, f)
        self.ips = ips
        self.modes = modes

    def texts(self, rows, threads):
        space = self.owner.frame_lines.space_numbers(threads)
        return self.owner.frame_lines.ip_texts(self.f, self.ips[rows], self.modes[rows],
                                               space)

    def one(self, k, thread):
        _, text = self.printer._where(thread, int(self.modes[k]), int(self.ips[k]), self.f)
        return " %16x%s" % (int(self.ips[k]), text)


class _ChainColumn(_FrameColumn):
    """The callchain lines of each sample."""

    def __init__(self, owner, batch, sc, tids, f):
        super().__init__(owner, tids, f)
        self.batch = batch
        self.starts = sc["chain_start"]
        self.nrs = sc["chain_nr"]

    def texts(self, rows, threads):
        p = self.printer
        if p.o.stop_bt is not None:
            return [None] * len(threads), list(range(len(threads)))
        space = self.owner.frame_lines.space_numbers(threads)
        return self.owner.frame_lines.chain_texts(self.f, self.batch.words,
                                                  self.starts[rows] >> 3, self.nrs[rows],
                                                  space, p.o.max_stack)

    def one(self, k, thread):
        start, nr = int(self.starts[k]), int(self.nrs[k])
        session = self.printer.session
        ips = struct.unpack_from("%s%dQ" % (session.endian, nr), self.batch.buf, start)
        return self.printer.chain_text(ips, thread, self.f)
