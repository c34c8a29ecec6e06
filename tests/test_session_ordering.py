"""perf's delivery order: the NumPy window path must equal the record-by-record queue.

Synthetic perf.data files (one attr: TID|TIME, sample_id_all) hold samples, COMM records
(time in the sample_id trailer), untimed samples and FINISHED_ROUND markers in any order;
both paths must deliver the same records in the same order and count the same late ones.
The record-by-record path is perf's algorithm written out (session/ordering.py).
"""

import glob
import os
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfscript.session import batched
from perfscript.session.session import Session

SAMPLE_TID, SAMPLE_TIME = 1 << 1, 1 << 2
SAMPLE_ID_ALL = 1 << 18


def build_perf_data(events):
    """events: ('s', time) sample, ('c', time) COMM, ('r',) FINISHED_ROUND."""
    attr = bytearray(64)
    struct.pack_into("<IIQQQQQ", attr, 0, 1, 64, 0, 1, SAMPLE_TID | SAMPLE_TIME, 0,
                     SAMPLE_ID_ALL)
    data = bytearray()
    for tid, ev in enumerate(events, start=1):
        if ev[0] == "s":
            data += struct.pack("<IHHIIQ", 9, 2, 24, 1, tid, ev[1])
        elif ev[0] == "c":
            data += struct.pack("<IHHII8sIIQ", 3, 0, 40, 1, tid, b"c%d" % tid, 1, tid, ev[1])
        else:
            data += struct.pack("<IHH", 68, 0, 8)
    attrs_off = 104
    data_off = attrs_off + 80
    head = struct.pack("<8sQQQQQQQQ", b"PERFILE2", 104, 80, attrs_off, 80, data_off,
                       len(data), 0, 0) + bytes(32)
    return head + bytes(attr) + struct.pack("<QQ", 0, 0) + bytes(data)


class Recorder:
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


times = st.integers(min_value=0, max_value=40)
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
