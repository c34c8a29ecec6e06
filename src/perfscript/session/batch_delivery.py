"""The shape every column-wise `deliver_batch` has, written once.

A consumer handles the samples of some events a batch at a time: their fields are read
as NumPy columns and turned into its output by C-level maps and zips. Everything else
in the batch goes through the session's per-record path, in place, so that the thread
state each sample sees is the one perf has at that sample:

- selection: per event with samples in the batch, the consumer says whether it takes
  them column-wise (`event_plan`) and reads their columns (`event_columns`; None sends
  them the per-record way, e.g. a damaged record the per-record path must report), or
  drops them unread (SKIPPED: an event not asked for);
- segments: the batch is cut after every record that changes a comm (COMM/FORK/EXIT)
  and, for consumers that look up callchains, an address space (MMAP/MMAP2), and where
  the consumer asks (`extra_cuts`). Within a segment the comms and maps are fixed, so
  each is looked up once per distinct thread (`segment_threads`, `segment_comms`);
- per segment, the consumer turns each event's rows into entries (`segment_parts`), the
  entries are merged in batch order (`merge_in_order`) and handed over in stretches
  (`run`), each record not covered delivered in its place between them. A consumer
  that keeps its rows itself (the columnar collector) has no entries: only the records
  not covered are delivered.
"""

import gc
from itertools import chain
from operator import attrgetter

import numpy as np

from perfscript.perfdata import constants as C
from perfscript.session.batched import present_values

# records after which a thread's comm may differ
COMM_CHANGERS = (C.RECORD_COMM, C.RECORD_FORK, C.RECORD_EXIT)
# records after which an address space may differ (callchain lookups)
MAP_CHANGERS = (C.RECORD_MMAP, C.RECORD_MMAP2)


class EventRows:
    """The samples of one event a batch delivers column-wise."""

    __slots__ = ("ev", "plan", "sel", "cols")

    def __init__(self, ev, plan, sel, cols):
        self.ev = ev
        self.plan = plan        # the consumer's, from event_plan
        self.sel = sel          # positions in the batch, ascending
        self.cols = cols        # the consumer's, from event_columns


class _Skipped:
    """The plan of samples a consumer drops unread (`event_plan` says which): covered,
    so never delivered record by record, and in no segment."""

    def __repr__(self):
        return "SKIPPED"


SKIPPED = _Skipped()


class ColumnarDelivery:
    """`deliver_batch` for a consumer; subclasses give the consumer's parts."""

    def __init__(self, session):
        self.session = session
        self.covered = None     # the batch positions delivered column-wise, ascending

    # ------------------------------------------------------------ the consumer's parts

    def event_plan(self, ev):
        """How this batch's samples of `ev` go column-wise; None: record by record;
        SKIPPED: dropped unread."""
        return None


    def event_columns(self, batch, ev, plan, sel):
        """The columns of the samples at `sel` (one event), or None: record by record."""
        return None

    def uses_maps(self, plan):
        """Whether these rows look addresses up (the segments then end at MMAPs too)."""
        return False

    def extra_cuts(self, plans):
        """Further positions a segment must start at."""
        return ()

    def segment_parts(self, batch, spans, s, e):
        """The entries of segment s..e's column-wise rows, one iterable per (rows, lo,
        hi) of `spans` (EventRows, rows lo..hi of them), each in order; or None when the
        consumer keeps these rows itself."""
        return None

    def run(self, batch, entries, start):
        """Hand over consecutive entries, the first that of batch position `start`."""

    def deliver_records(self, batch, ks):
        """Records `ks` (ascending positions) through the session's per-record path."""
        deliver = batch.deliver
        for k in ks:
            deliver(k)

    # ------------------------------------------------------------ the skeleton

    def deliver_batch(self, batch):
        """Deliver a batch; returns the EventRows it delivered column-wise (SKIPPED
        ones left out)."""
        plans = self.select(batch)
        if plans:
            self.deliver_segments(batch, plans)
        else:
            self.deliver_records(batch, range(len(batch)))
        return [rows for rows in plans if rows.plan is not SKIPPED]

    def select(self, batch):
        """EventRows of the events whose samples go column-wise, in event order."""
        evsels = self.session.evsels.evsels
        sample_pos = np.flatnonzero(batch.types == C.RECORD_SAMPLE)
        sample_ev = batch.evidx[sample_pos]
        plans = []
        for e in present_values(sample_ev):
            if e < 0:
                continue
            ev = evsels[e]
            plan = self.event_plan(ev)
            if plan is None:
                continue
            sel = sample_pos[sample_ev == e]
            if plan is SKIPPED:
                plans.append(EventRows(ev, SKIPPED, sel, None))
                continue
            cols = self.event_columns(batch, ev, plan, sel)
            if cols is not None:
                plans.append(EventRows(ev, plan, sel, cols))
        return plans

    def deliver_segments(self, batch, plans):
        """Cut the batch into segments and deliver each, `plans` column-wise."""
        n = len(batch)
        skipped = [rows for rows in plans if rows.plan is SKIPPED]
        plans = [rows for rows in plans if rows.plan is not SKIPPED]
        changers = COMM_CHANGERS
        if any(self.uses_maps(rows.plan) for rows in plans):
            changers = COMM_CHANGERS + MAP_CHANGERS
        cuts = set((np.flatnonzero(np.isin(batch.types, changers)) + 1).tolist())
        cuts.update(self.extra_cuts(plans))
        bounds = [0] + sorted(c for c in cuts if 0 < c < n) + [n]
        covered = np.zeros(n, dtype=bool)
        for rows in plans:
            covered[rows.sel] = True
        self.covered = np.flatnonzero(covered)
        for rows in skipped:
            covered[rows.sel] = True
        rest = np.flatnonzero(~covered)
        try:
            for s, e in zip(bounds, bounds[1:]):
                self._segment(batch, plans, rest, s, e)
        finally:
            self.covered = None

    def _segment(self, batch, plans, rest, s, e):
        spans = []
        for rows in plans:
            lo, hi = np.searchsorted(rows.sel, [s, e]).tolist()
            if lo < hi:
                spans.append((rows, lo, hi))
        parts = self.segment_parts(batch, spans, s, e) if spans else None
        a, b = np.searchsorted(rest, [s, e]).tolist()
        if parts is None:
            if a < b:
                self.deliver_records(batch, rest[a:b].tolist())
            return
        entries = merge_in_order(parts, [rows.sel[lo:hi] for rows, lo, hi in spans])
        if a == b:
            self.run(batch, entries, s)
            return
        # records not covered, in runs of consecutive ones; before the run starting at
        # rest[i] = k come k - s - i entries
        rest = rest[a:b].tolist()
        done, start = 0, s
        i = 0
        while i < len(rest):
            k = rest[i]
            upto = k - s - i
            if upto > done:
                self.run(batch, entries[done:upto], start)
                done = upto
            j = i + 1
            while j < len(rest) and rest[j] == rest[j - 1] + 1:
                j += 1
            self.deliver_records(batch, rest[i:j])
            start = rest[j - 1] + 1
            i = j
        if done < len(entries):
            self.run(batch, entries[done:], start)


def merge_in_order(parts, places):
    """One list of the items of iterables `parts`, ordered by their batch positions
    `places` (arrays, one per part, each ascending). The cyclic collector is paused: the
    entries are a burst of small acyclic objects it would rescan again and again."""
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        entries = list(chain.from_iterable(parts))
        if len(places) > 1:
            order = np.argsort(np.concatenate(places), kind="stable")
            entries = list(map(entries.__getitem__, order.tolist()))
    finally:
        if gc_was_on:
            gc.enable()
    return entries


def segment_threads(threads, tids, pids, inverse=False):
    """np.unique of a segment's tids (with the first row of each, and the inverse if
    asked), once each has the thread perf would create for an unknown tid."""
    table = threads.threads
    got = np.unique(np.asarray(tids), return_index=True, return_inverse=inverse)
    for tid, i in zip(got[0].tolist(), got[1].tolist()):
        th = table.get(tid)
        if th is None or th.pid == -1:
            threads.findnew(int(pids[i]), tid)
    return got


_comm_of = attrgetter("comm")


def segment_comms(threads, tids, pids):
    """The comm of each row's thread (tids: a list) within a segment."""
    segment_threads(threads, tids, pids)
    table = threads.threads
    return map(_comm_of, map(table.__getitem__, tids))
