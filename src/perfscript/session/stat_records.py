"""`perf stat record` data: STAT_CONFIG, STAT, THREAD_MAP and CPU_MAP records collected
the way perf's session keeps them, and each STAT_ROUND handed to a consumer."""

from perfscript.perfdata import constants as C
from perfscript.perfdata.record_types import StatConfigRecord

AGGR_NONE, AGGR_GLOBAL = 0, 1
# the records `perf stat record` writes, which a StatRecords takes
STAT_RECORDS = frozenset((C.RECORD_STAT_CONFIG, C.RECORD_STAT, C.RECORD_STAT_ROUND,
                          C.RECORD_THREAD_MAP, C.RECORD_CPU_MAP))


def s32(v):
    """A u32 field as the C int perf prints or passes."""
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


class StatRecords:
    """The counts of a stat recording; subclasses implement `round(time)`.

    `counts[evsel index][(cpu, thread index)]` is [val, ena, run]: perf finds a STAT
    record's counter by the cpu *number* (looked up in the event's cpu map) and the
    thread *index*.
    """

    def __init__(self, session):
        self.session = session
        self.endian = session.endian
        self.aggr_mode = AGGR_GLOBAL
        self.scale = True
        self.interval = 0
        self.cpus = None          # from CPU_MAP; -1 for "any cpu"
        self.threads = None       # pids from THREAD_MAP
        self.counts = {}

    def record(self, rec):
        """Take one stat record (a perfdata.record_types view)."""
        typ = rec.type
        if typ == C.RECORD_STAT_CONFIG:
            for tag, val in rec.entries:
                if tag == StatConfigRecord.AGGR_MODE:
                    self.aggr_mode = val
                elif tag == StatConfigRecord.SCALE:
                    self.scale = bool(val)
                elif tag == StatConfigRecord.INTERVAL:
                    self.interval = val
        elif typ == C.RECORD_STAT:
            ev = self.session.evsels.by_id.get(rec.id)
            if ev is not None:
                self.counts.setdefault(ev.index, {})[(rec.cpu, rec.thread)] = \
                    [rec.val, rec.ena, rec.run]
        elif typ == C.RECORD_STAT_ROUND:
            self.round(rec.time)
        elif typ == C.RECORD_THREAD_MAP:
            self.threads = rec.pids
        elif typ == C.RECORD_CPU_MAP:
            self.cpus = [c if c < 0xFFFF else -1 for c in (rec.cpus or [])]

    def round(self, time):
        raise NotImplementedError
