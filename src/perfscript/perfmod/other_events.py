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
    vcpu = 0xFFFFFFFF


class context_switch_event(_Event):  # noqa: N801 - upstream's names
    """PERF_RECORD_SWITCH / SWITCH_CPU_WIDE: a task switched in or out (exported as
    perf.switch_event, as upstream does). The task is sample_pid/sample_tid; the other
    one is next_prev_pid/tid, None unless the record is CPU-wide."""

    __slots__ = ("misc", "next_prev_pid", "next_prev_tid")

    def __init__(self, rec, pyevsel):
        self._init(rec.type, rec.sample, pyevsel)
        self.misc = rec.misc
        if rec.cpu_wide:
            self.next_prev_pid = rec.next_prev_pid
            self.next_prev_tid = rec.next_prev_tid
        else:
            self.next_prev_pid = self.next_prev_tid = None

    def __repr__(self):
        out = 1 if self.misc & C.MISC_SWITCH_OUT else 0
        if self.next_prev_pid is None:
            return "{ type: context_switch, switch_out: %u }" % out
        return ("{ type: context_switch, next_prev_pid: %u, next_prev_tid: %u, "
                "switch_out: %u }" % (self.next_prev_pid & 0xFFFFFFFF,
                                      self.next_prev_tid & 0xFFFFFFFF, out))


switch_event = context_switch_event


class _Zeroed(_Event):
    """Stat events: no sample_id trailer (every sample_* member 0), no evsel; made
    empty (all 0) when a script constructs one."""

    __slots__ = ()

    def _init(self, typ, trailer, pyevsel):
        self.type = typ
        self.evsel = None
        self._s = None

    sample_pid = sample_tid = sample_time = sample_id = sample_stream_id = 0
    sample_period = sample_cpu = vcpu = 0


class stat_event(_Zeroed):  # noqa: N801
    """PERF_RECORD_STAT: one counter's value on a cpu and thread (index)."""

    __slots__ = ("id", "cpu", "thread", "val", "ena", "run")

    def __init__(self, rec=None):
        self._init(C.RECORD_STAT if rec is not None else 0, None, None)
        self.id = self.cpu = self.thread = self.val = self.ena = self.run = 0
        if rec is not None:
            self.id, self.cpu, self.thread = rec.id, rec.cpu & 0xFFFFFFFF, rec.thread
            self.val, self.ena, self.run = rec.val, rec.ena, rec.run

    def __repr__(self):
        return ("{ type: stat, id: %d, cpu: %d, thread: %d, val: %d, ena: %d, run: %d }"
                % (self.id, self.cpu, self.thread, self.val, self.ena, self.run))


class stat_round_event(_Zeroed):  # noqa: N801
    """PERF_RECORD_STAT_ROUND: the counts so far are reported (round type 0: interval,
    1: final)."""

    __slots__ = ("stat_round_type", "time")

    def __init__(self, rec=None):
        self._init(C.RECORD_STAT_ROUND if rec is not None else 0, None, None)
        self.stat_round_type = rec.round_type if rec is not None else 0
        self.time = rec.time if rec is not None else 0

    def __repr__(self):
        return "{ type: stat_round, type: %d, time: %d }" % (self.stat_round_type, self.time)


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
