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
from perfscript.session.filters import time_skips

NSEC_PER_SEC = 1000000000
U64_MAX = (1 << 64) - 1         # a sample's time when it has none
# sample fields at fixed places (read as columns) ...
_FIXED = (C.SAMPLE_IDENTIFIER | C.SAMPLE_IP | C.SAMPLE_TID | C.SAMPLE_TIME | C.SAMPLE_ADDR
          | C.SAMPLE_ID | C.SAMPLE_STREAM_ID | C.SAMPLE_CPU | C.SAMPLE_PERIOD)
# ... and at most one variable part after them
_ALLOWED = _FIXED | C.SAMPLE_RAW | C.SAMPLE_CALLCHAIN
# A batch's lines are built before they are written: an event whose print fmt alone is
# longer than this (a hostile format: every line would repeat it) is printed line by line.
MAX_BATCHED_PRINT_FMT = 1 << 12
CHAIN_ROWS = 2048
SEGMENT_ROWS = 8192
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
        sf = self.printer.filter
        if sf.active and (sf.order_check is not None or sf.symbols is not None
                          or sf.switch is not None or sf.on_resolve is not None):
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
        """A segment holds at most SEGMENT_ROWS samples (CHAIN_ROWS printed with their
        callchains, whose lines are long), so that a batch's text is not all in memory
        at once."""
        cuts = []
        for rows in plans:
            step = CHAIN_ROWS if rows.plan.frames == "chain" else SEGMENT_ROWS
            cuts += rows.sel[step::step].tolist()
        return cuts

    def event_columns(self, batch, ev, lines, sel):
        """(tids, pids, whether the comm comes first, argument columns after it, the
        line's %-format) or None: the rows go record by record."""
        sc = self._columns(batch, ev, lines, sel)
        if sc is None:
            return None
        misc = sc["misc"]
        modes = misc & C.MISC_CPUMODE_MASK
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
            body_fmt, body_cols = self._body(batch, plan.body, sc)
            fmt += body_fmt
            cols += body_cols
        tids = sc["tid"].tolist()
        if lines.frames == "chain":
            fmt += "\n%s"
            cols.append(_ChainColumn(self, batch, sc, plan.fields))
        elif lines.frames == "ip":
            fmt += "%s"
            cols.append(_IpColumn(self, sc, modes, plan.fields))
        return _Rows(tids, sc["pid"].tolist(), lines.comm, cols, fmt + "\n",
                     self._shown(sc, len(sel)))

    def _shown(self, sc, n):
        """The rows --time and -C let through (a bool array), None for all; the thread
        filters are applied per segment."""
        sf = self.printer.filter
        shown = None
        if sf.time_ranges:
            ranges = sf.time_ranges
            times = sc["time"].tolist() if sc["time"] is not None else [U64_MAX] * n
            shown = np.fromiter((not time_skips(ranges, t) for t in times), dtype=bool,
                                count=n)
        if sf.cpus is not None:
            # perf's filter_cpu: samples without a cpu pass
            cpu = sc["cpu"]
            passed = (cpu == -1) | np.isin(cpu, list(sf.cpus))
            shown = passed if shown is None else shown & passed
        return shown

    def _columns(self, batch, ev, lines, sel):
        """The fixed fields of samples `sel` and misc, or None when these rows go record
        by record (damage, no time, guest samples, payloads the body cannot take)."""
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
        misc = sc["misc"] = batch.misc_column(sel, little)
        if np.isin(misc & C.MISC_CPUMODE_MASK, _GUEST_MODES).any():
            return None         # perf drops guest samples: the per-record path does
        body = lines.plan.body
        if body is not None and len(sel):
            least = int(sc["raw_size"].min())
            if getattr(body, "batch", None) is not None:
                if least < body.need:
                    # payloads shorter than what the format reads: each record on its
                    # own (its own bytes), not every row gathered at the claimed width
                    return None
            elif not least:
                return None     # perf prints no body for an empty payload
        return sc

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
        """(%-format, columns) of tracepoint bodies."""
        start = sc["raw_start"]
        if getattr(body, "batch", None) is not None:
            # the body's own format joins the line's: one % per record
            return body.batch.columns(self._block(batch, start, body.need))
        buf = batch.buf
        raws = map(buf.__getitem__, map(slice, start.tolist(),
                                        (start + sc["raw_size"]).tolist()))
        return "%s", [list(map(body, raws))]

    def segment_parts(self, batch, spans, s, e):
        threads = self.session.threads
        sf = self.printer.filter
        parts = []
        for rows, lo, hi in spans:
            r = rows.cols
            tids, pids = r.tids[lo:hi], r.pids[lo:hi]
            shown = r.shown[lo:hi] if r.shown is not None else None
            if sf.thread_filtered:
                uniq, _, inv = segment_threads(threads, tids, pids, inverse=True)
                table = threads.threads
                passed = np.array([not sf.skip_thread(table[t]) for t in uniq.tolist()],
                                  dtype=bool)[inv.reshape(-1)]
                shown = passed if shown is None else shown & passed
            if shown is not None and shown.all():
                shown = None
            if shown is None:
                parts.append(self._lines(r, threads, lo, hi, tids, pids, comm_known=False))
                continue
            if not sf.thread_filtered:
                segment_threads(threads, tids, pids)    # also those of the rows dropped
            keep = np.flatnonzero(shown)
            lines = [""] * (hi - lo)
            if len(keep):
                idx = (keep + lo).tolist()
                got = self._lines(r, threads, lo, hi, list(map(r.tids.__getitem__, idx)),
                                  list(map(r.pids.__getitem__, idx)), idx=idx,
                                  comm_known=True)
                for i, line in zip(keep.tolist(), got):
                    lines[i] = line
            parts.append(lines)
        return parts

    @staticmethod
    def _lines(r, threads, lo, hi, tids, pids, idx=None, comm_known=False):
        """The lines of rows lo..hi (those of `idx` only, when given): an iterable.
        `comm_known`: the rows' threads exist already."""
        if r.comm:
            if comm_known:
                table = threads.threads
                args = [[table[t].comm for t in tids]]
            else:
                args = [segment_comms(threads, tids, pids)]
        else:
            if not comm_known:
                segment_threads(threads, tids, pids)
            args = []
        if idx is None:
            args += [c[lo:hi] for c in r.cols]
        else:
            args += [c.take(idx) if isinstance(c, _FrameColumn)
                     else list(map(c.__getitem__, idx)) for c in r.cols]
        if args:
            return map(r.fmt.__mod__, zip(*args))
        return [r.fmt % ()] * len(tids)

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


class _Rows(NamedTuple):
    """An event's rows in a batch, ready to print."""
    tids: list
    pids: list
    comm: bool          # the line starts with the thread's comm
    cols: list          # the other arguments of the line's format, per row
    fmt: str            # the line's %-format
    shown: object       # bool array: the rows --time and -C let through (None: all)


class _FrameColumn:
    """A column of frame text worked out a segment at a time (when the segment is
    formatted, its address spaces are the ones its samples saw); rows frame_lines leaves
    are printed by the printer's per-record code."""

    def __init__(self, owner, sc, f):
        self.owner = owner
        self.printer = owner.printer
        self.tids = sc["tid"]
        self.f = f

    def __getitem__(self, rows):
        return self.take(np.arange(rows.start, rows.stop))

    def take(self, idx):
        """The texts of rows `idx` (a sequence of row numbers)."""
        idx = np.asarray(idx, dtype=np.int64)
        table = self.printer.session.threads.threads
        threads = list(map(table.__getitem__, self.tids[idx].tolist()))
        texts, odd = self.texts(idx, threads)
        for i in odd:
            texts[i] = self.one(int(idx[i]), threads[i])
        return texts


class _IpColumn(_FrameColumn):
    """" %16x%s" of each sample's ip."""

    def __init__(self, owner, sc, modes, f):
        super().__init__(owner, sc, f)
        self.ips = sc["ip"]
        self.modes = modes

    def texts(self, idx, threads):
        return self.owner.frame_lines.ip_texts(self.f, self.ips[idx], self.modes[idx],
                                               threads)

    def one(self, k, thread):
        ip = int(self.ips[k])
        _, text = self.printer._where(thread, int(self.modes[k]), ip, self.f)
        return " %16x%s" % (ip, text)


class _ChainColumn(_FrameColumn):
    """The callchain lines of each sample."""

    def __init__(self, owner, batch, sc, f):
        super().__init__(owner, sc, f)
        self.batch = batch
        self.starts = sc["chain_start"]
        self.nrs = sc["chain_nr"]

    def texts(self, idx, threads):
        p = self.printer
        if p.o.stop_bt is not None:
            return [None] * len(threads), list(range(len(threads)))
        return self.owner.frame_lines.chain_texts(self.f, self.batch.words,
                                                  self.starts[idx] >> 3, self.nrs[idx],
                                                  threads, p.o.max_stack)

    def one(self, k, thread):
        start, nr = int(self.starts[k]), int(self.nrs[k])
        session = self.printer.session
        ips = struct.unpack_from("%s%dQ" % (session.endian, nr), self.batch.buf, start)
        return self.printer.chain_text(ips, thread, self.f)
