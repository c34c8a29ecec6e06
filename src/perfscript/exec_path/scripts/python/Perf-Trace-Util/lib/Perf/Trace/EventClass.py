# perfscript's stand-in for perf's Perf-Trace-Util EventClass.py.
#
# Used by event_analyzing_sample.py: wraps a sample's raw_buf in a small
# class chosen by the buffer's size (Intel PEBS records are 144 bytes, PEBS
# with load-latency data 176 bytes).  Same names, attributes and per-class
# counters as perf's module.
# Written for perfscript (MIT); not derived from perf's GPL source text.
"""Event classes decoding raw PEBS sample buffers."""
from __future__ import print_function

import struct

EVTYPE_GENERIC = 0
EVTYPE_PEBS = 1     # PEBS record without load-latency data
EVTYPE_PEBS_LL = 2  # PEBS record with load-latency data
EVTYPE_IBS = 3

_PEBS_SIZE = 144
_PEBS_LL_SIZE = 176


def create_event(name, comm, dso, symbol, raw_buf):
    """Pick the event class from len(raw_buf) and build it."""
    size = len(raw_buf)
    if size == _PEBS_SIZE:
        cls = PebsEvent
    elif size == _PEBS_LL_SIZE:
        cls = PebsNHM
    else:
        cls = PerfEvent
    return cls(name, comm, dso, symbol, raw_buf)


class PerfEvent(object):
    """Any sample: names plus the raw buffer; counts instances in event_num."""

    event_num = 0

    def __init__(self, name, comm, dso, symbol, raw_buf, ev_type=EVTYPE_GENERIC):
        self.name = name
        self.comm = comm
        self.dso = dso
        self.symbol = symbol
        self.raw_buf = raw_buf
        self.ev_type = ev_type
        PerfEvent.event_num += 1

    def show(self):
        """Print a one-line summary."""
        print("PMU event: name=%12s, symbol=%24s, comm=%8s, dso=%12s" %
              (self.name, self.symbol, self.comm, self.dso))


class PebsEvent(PerfEvent):
    """Intel PEBS record: flags, ip and eight general registers (native u64s)."""

    pebs_num = 0

    def __init__(self, name, comm, dso, symbol, raw_buf, ev_type=EVTYPE_PEBS):
        (self.flags, self.ip, self.ax, self.bx, self.cx, self.dx,
         self.si, self.di, self.bp, self.sp) = struct.unpack('QQQQQQQQQQ', raw_buf[0:80])
        PerfEvent.__init__(self, name, comm, dso, symbol, raw_buf, ev_type)
        PebsEvent.pebs_num += 1


class PebsNHM(PebsEvent):
    """PEBS record with Nehalem/Westmere load-latency words after byte 144."""

    pebs_nhm_num = 0

    def __init__(self, name, comm, dso, symbol, raw_buf, ev_type=EVTYPE_PEBS_LL):
        self.status, self.dla, self.dse, self.lat = struct.unpack('QQQQ', raw_buf[144:176])
        PebsEvent.__init__(self, name, comm, dso, symbol, raw_buf, ev_type)
        PebsNHM.pebs_nhm_num += 1
