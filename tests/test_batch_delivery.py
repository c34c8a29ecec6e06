"""The column-wise batch skeleton (session/batch_delivery.py): every record exactly once,
in batch order, column-wise rows merged with the records delivered one by one, and no
segment running past a record that changes comms (or maps, when the rows need them)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from perfscript.perfdata import constants as C
from perfscript.session.batch_delivery import (COMM_CHANGERS, MAP_CHANGERS, ColumnarDelivery,
                                               merge_in_order)

OTHER = 3   # a record type no skeleton cares about (PERF_RECORD_LOST)


class FakeBatch:
    def __init__(self, types, evidx):
        self.types = np.array(types, dtype=np.int64)
        self.evidx = np.array(evidx, dtype=np.int64)

    def __len__(self):
        return len(self.types)


class FakeSession:
    def __init__(self, nev):
        self.evsels = type("E", (), {"evsels": ["ev%d" % i for i in range(nev)]})()


class Recorder(ColumnarDelivery):
    """Takes the samples of `events` column-wise (all but `refused` rows' events)."""

    def __init__(self, events, refused=(), maps=False, keeps=False, cut_at=()):
        super().__init__(FakeSession(4))
        self.events, self.refused, self.maps, self.keeps = events, refused, maps, keeps
        self.cut_at = list(cut_at)
        self.out, self.segments = [], []

    def event_plan(self, ev):
        return ev if int(ev[2:]) in self.events else None

    def event_columns(self, batch, ev, plan, sel):
        return None if int(ev[2:]) in self.refused else sel.tolist()

    def uses_maps(self, plan):
        return self.maps

    def extra_cuts(self, plans):
        return self.cut_at

    def segment_parts(self, batch, spans, s, e):
        self.segments.append((s, e))
        if self.keeps:
            self.out.extend(("kept", p) for rows, lo, hi in spans for p in rows.cols[lo:hi])
            return None
        return [(("col", p) for p in rows.cols[lo:hi]) for rows, lo, hi in spans]

    def run(self, batch, entries, start):
        assert entries and entries[0][1] == start
        self.out.extend(entries)

    def deliver_records(self, batch, ks):
        self.out.extend(("rec", k) for k in ks)


_RECORDS = st.lists(st.tuples(st.sampled_from([C.RECORD_SAMPLE] * 4 + list(COMM_CHANGERS)
                                              + list(MAP_CHANGERS) + [OTHER]),
                              st.integers(-1, 3)), max_size=60)


@settings(max_examples=300, deadline=None)
@given(_RECORDS, st.sets(st.integers(0, 3)), st.sets(st.integers(0, 3)), st.booleans(),
       st.booleans(), st.lists(st.integers(0, 60), max_size=3))
def test_every_record_once_in_order(records, events, refused, maps, keeps, cut_at):
    types = [t for t, _ in records]
    evidx = [e if t == C.RECORD_SAMPLE else -1 for t, e in records]
    d = Recorder(events, refused, maps, keeps, cut_at)
    plans = d.deliver_batch(FakeBatch(types, evidx))
    taken = {p for rows in plans for p in rows.sel.tolist()}
    assert taken == {k for k, (t, e) in enumerate(zip(types, evidx))
                     if t == C.RECORD_SAMPLE and e in events - refused}
    if keeps:
        assert sorted(p for kind, p in d.out if kind == "kept") == sorted(taken)
        d.out = [x for x in d.out if x[0] != "kept"]
        assert [p for _, p in d.out] == sorted(set(range(len(types))) - taken)
    else:
        assert [p for _, p in d.out] == list(range(len(types)))
        assert all((kind == "col") == (p in taken) for kind, p in d.out)
    changers = COMM_CHANGERS + MAP_CHANGERS if maps else COMM_CHANGERS
    for s, e in d.segments:
        assert not any(types[k] in changers for k in range(s, e - 1))
        assert not any(s < c < e for c in cut_at)


def test_merge_in_order():
    parts = [iter("ac"), iter("bd")]
    assert merge_in_order(parts, [np.array([0, 2]), np.array([1, 5])]) == list("abcd")
    assert merge_in_order([iter("xy")], [np.array([3, 4])]) == ["x", "y"]
