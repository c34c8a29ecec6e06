"""perf's delivery order: the NumPy window path must equal the record-by-record queue.

Synthetic perf.data files (one attr: TID|TIME, sample_id_all) hold samples, COMM records
(time in the sample_id trailer), untimed samples and FINISHED_ROUND markers in any order;
both paths must deliver the same records in the same order and count the same late ones.
The record-by-record path is perf's algorithm written out (session/ordering.py).
"""

import glob
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfscript.session import batched
from perfscript.session.session import Session
from perfscript.session.consumer import Consumer

from synthetic import build_perf_data  # noqa: E402


class Recorder(Consumer):
    """A consumer that notes which record (by its tid) arrives, in order."""

    def __init__(self):
        self.seen = []

    def sample(self, ev, s, thread):
        self.seen.append(("s", s.tid))

    def comm(self, thread, misc, s):
        self.seen.append(("c", thread.tid))


def deliveries(path, batched_path):
    session = Session(str(path))
    rec = Recorder()
    session.process(rec, batched=batched_path)
    return rec.seen, session.queue.out_of_order


U64_MAX = (1 << 64) - 1
# small times collide (ties keep reading order); perf's "no time" (-1) and times too far
# apart for one sort key beside the release group take the other paths
times = st.one_of(st.integers(min_value=0, max_value=40),
                  st.sampled_from([U64_MAX, U64_MAX - 1, 1 << 62, 1 << 63]))
event = st.one_of(st.tuples(st.just("s"), times), st.tuples(st.just("c"), times),
                  st.just(("r",)))


@settings(max_examples=300, deadline=None)
@given(st.lists(event, max_size=60), st.integers(min_value=1, max_value=8))
def test_window_order_equals_queue_order(tmp_path_factory, events, window):
    path = tmp_path_factory.mktemp("order") / "perf.data"
    path.write_bytes(build_perf_data(events))
    want = deliveries(path, False)
    old = batched.WINDOW_RECORDS
    batched.WINDOW_RECORDS = window
    try:
        got = deliveries(path, True)
    finally:
        batched.WINDOW_RECORDS = old
    assert got == want


def test_late_records_are_counted(tmp_path):
    # round 1 queues t=10; the first marker releases nothing, the second releases t=10,
    # then t=5 arrives late
    events = [("s", 10), ("r",), ("r",), ("s", 5), ("r",)]
    path = tmp_path / "perf.data"
    path.write_bytes(build_perf_data(events))
    for mode in (False, True):
        seen, late = deliveries(path, mode)
        assert seen == [("s", 1), ("s", 4)]
        assert late == 1


def test_time_all_ones_is_no_time(tmp_path):
    # perf (6.1, on this very file) delivers a sample whose time is -1 when it reads it,
    # like one without a time: tids 2, 1, 4, 6 and nothing out of order
    events = [("s", 10), ("s", U64_MAX), ("r",), ("s", 20), ("r",), ("s", 30)]
    path = tmp_path / "perf.data"
    path.write_bytes(build_perf_data(events))
    for mode in (False, True):
        seen, late = deliveries(path, mode)
        assert seen == [("s", 2), ("s", 1), ("s", 4), ("s", 6)]
        assert late == 0


CORPUS = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "corpus")
REAL = sorted(glob.glob(os.path.join(CORPUS, "*", "*", "perf.data")) +
              glob.glob(os.path.join(os.path.dirname(__file__), "data", "recordings", "*.data")))


@pytest.mark.parametrize("path", REAL, ids=lambda p: os.path.relpath(p, CORPUS))
def test_real_recordings_same_order(path):
    try:
        want = deliveries(path, False)
    except Exception as e:  # damaged files: both paths must fail alike
        with pytest.raises(type(e)):
            deliveries(path, True)
        return
    assert deliveries(path, True) == want
