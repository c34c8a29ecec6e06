"""The `perf` module's event objects other than samples: context switches and perf
stat's counts reach callbacks; the side-band kinds (mmap, comm, task, lost, throttle,
read) are defined for scripts that test types, as upstream defines them."""

from perfscript.perfdata import constants as C
from perfscript.perfdata.sample import Sample

U64_MAX = (1 << 64) - 1


def _c_int(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


class _Event:
    """The sample_id members every event has (from the record's trailer)."""

    __slots__ = ("type", "evsel", "_s")
    __module__ = "perf"

    def _init(self, typ, trailer, pyevsel):
        self.type = typ
        self.evsel = pyevsel
        self._s = trailer if trailer is not None else Sample()

    @property
    def sample_pid(self):
        return _c_int(self._s.pid)

    @property
    def sample_tid(self):
        return _c_int(self._s.tid)

    @property
    def sample_time(self):
        return self._s.time

    @property
    def sample_id(self):
        return self._s.id

    @property
    def sample_stream_id(self):
        return self._s.stream_id

    @property
    def sample_period(self):
        p = self._s.period
        return 0 if p is None else p

    @property
    def sample_cpu(self):
        return self._s.cpu

    machine_pid = 0
    vcpu = 0

    def __repr__(self):
        return "<perf.%s type=%d>" % (type(self).__name__, self.type)


class switch_event(_Event):  # noqa: N801 - upstream's names
    """PERF_RECORD_SWITCH / SWITCH_CPU_WIDE: a task switched in or out."""

    __slots__ = ("misc", "next_prev_pid", "next_prev_tid")

    def __init__(self, rec, pyevsel):
        self._init(rec.type, rec.sample, pyevsel)
        self.misc = rec.misc
        if rec.cpu_wide:
            self.next_prev_pid = rec.next_prev_pid
            self.next_prev_tid = rec.next_prev_tid
        else:
            self.next_prev_pid = self.next_prev_tid = None


context_switch_event = switch_event


class stat_event(_Event):  # noqa: N801
    """PERF_RECORD_STAT: one counter's value on a cpu and thread (index)."""

    __slots__ = ("id", "cpu", "thread", "val", "ena", "run")

    def __init__(self, rec, pyevsel=None):
        self._init(rec.type, None, pyevsel)
        self.id = rec.id
        self.cpu = rec.cpu
        self.thread = rec.thread
        self.val = rec.val
        self.ena = rec.ena
        self.run = rec.run


class stat_round_event(_Event):  # noqa: N801
    """PERF_RECORD_STAT_ROUND: the counts so far are reported."""

    __slots__ = ("stat_round_type", "time")

    def __init__(self, rec, pyevsel=None):
        self._init(rec.type, None, pyevsel)
        self.stat_round_type = rec.round_type
        self.time = rec.time


def _record_event(name, doc, fields):
    """A side-band event type with upstream's members (copied from a record view)."""
    def __init__(self, rec, pyevsel=None):
        self._init(rec.type, rec.sample, pyevsel)
        for attr, src in fields:
            setattr(self, attr, getattr(rec, src))
    return type(name, (_Event,), {"__slots__": tuple(a for a, _ in fields), "__doc__": doc,
                                  "__init__": __init__, "__module__": "perf"})


mmap_event = _record_event("mmap_event", "PERF_RECORD_MMAP.", (
    ("misc", "misc"), ("pid", "pid"), ("tid", "tid"), ("start", "start"), ("len", "length"),
    ("pgoff", "pgoff"), ("filename", "filename")))
mmap2_event = _record_event("mmap2_event", "PERF_RECORD_MMAP2.", (
    ("misc", "misc"), ("pid", "pid"), ("tid", "tid"), ("start", "start"), ("len", "length"),
    ("pgoff", "pgoff"), ("prot", "prot"), ("flags", "flags"), ("filename", "filename"),
    ("maj", "maj"), ("min", "min"), ("ino", "ino"), ("ino_generation", "ino_generation"),
    ("build_id", "build_id")))
comm_event = _record_event("comm_event", "PERF_RECORD_COMM.", (
    ("pid", "pid"), ("tid", "tid"), ("comm", "comm")))
task_event = _record_event("task_event", "PERF_RECORD_FORK / EXIT.", (
    ("pid", "pid"), ("ppid", "ppid"), ("tid", "tid"), ("ptid", "ptid"), ("time", "time")))
lost_event = _record_event("lost_event", "PERF_RECORD_LOST.", (("id", "id"), ("lost", "lost")))
throttle_event = _record_event("throttle_event", "PERF_RECORD_THROTTLE / UNTHROTTLE.", (
    ("time", "time"), ("id", "id"), ("stream_id", "stream_id")))
read_event = _record_event("read_event", "PERF_RECORD_READ.", (("pid", "pid"), ("tid", "tid")))

STAT_TYPES = (C.RECORD_STAT, C.RECORD_STAT_ROUND)
