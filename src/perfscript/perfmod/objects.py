"""The `perf` module's small objects read from a recording: `perf.evsel` (an event of
the file) and `perf.thread` (a task the session knows)."""

from perfscript.perfmod.live import live_only


class evsel:  # noqa: N801 - upstream's names
    """A recorded event. `str()` is `evsel(<name>)`, which scripts compare against."""

    __module__ = "perf"

    def __init__(self, *args, **kwargs):
        # built by scripts only to open a counter on a live system
        raise live_only("perf.evsel(...)")

    @classmethod
    def _of(cls, ev):
        self = object.__new__(cls)
        self._ev = ev
        self._str = None
        return self

    def __str__(self):
        # scripts compare str(sample.evsel) for every sample: made once
        s = self._str
        if s is None:
            s = self._str = "evsel(%s)" % self._ev.name
        return s

    __repr__ = __str__

    @property
    def ids(self):
        return list(self._ev.ids)

    tracking = False        # perf's in-memory flag: False for a recording's events

    @property
    def config(self):
        return self._ev.attr.config

    @property
    def read_format(self):
        return self._ev.attr.read_format

    @property
    def sample_period(self):
        return self._ev.attr.sample_period

    @property
    def sample_type(self):
        return self._ev.attr.sample_type

    @property
    def size(self):
        return self._ev.attr.size

    @property
    def type(self):
        return self._ev.attr.type

    @property
    def wakeup_events(self):
        return self._ev.attr.wakeup_events

    def open(self, *args, **kwargs):
        raise live_only("perf.evsel.open()")

    def read(self, *args, **kwargs):
        raise live_only("perf.evsel.read()")

    def cpus(self):
        raise live_only("perf.evsel.cpus()")

    def threads(self):
        raise live_only("perf.evsel.threads()")


class thread:  # noqa: N801
    """A task as the session knows it when asked."""

    __slots__ = ("_th", "cpu")
    __module__ = "perf"

    def __init__(self, th, cpu=-1):
        self._th = th
        self.cpu = cpu

    def comm(self):
        return self._th.comm

    @property
    def pid(self):
        return self._th.pid

    @property
    def tid(self):
        return self._th.tid

    @property
    def ppid(self):
        return self._th.ppid

    def __repr__(self):
        return "<perf.thread %d/%d %s>" % (self._th.pid, self._th.tid, self._th.comm)

