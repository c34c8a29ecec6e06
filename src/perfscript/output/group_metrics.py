"""The `metric` field: perf stat's derived metrics ("insn per cycle", "K/sec" ...) printed
after the samples of an event group read with the sample (perf record -e '{a,b}:S'),
as perf 6.1's perf_sample__fprint_metric computes them, quirks included:

* one sample counter and one value for all events (perf script shares one evsel_script
  among them): the counter restarts the shadow statistics when it is 0 and, when it
  reaches the sample's group leader's member count, every member but the leader prints its
  metric from that one value -- the value of the sample that got there;
* a value is the sample's period times the event's scale (1e-6 for cpu-clock and
  task-clock) cut to an integer; statistics are kept per sample cpu;
* clock events print nothing (perf script has no wall-clock time for "CPUs utilized").
"""

from perfscript.output.fields import output_type
from perfscript.perfdata import constants as C

FEAT_GROUP_DESC = 17
U64 = (1 << 64) - 1

# PERF_COUNT_HW_*
HW_CPU_CYCLES, HW_INSTRUCTIONS, HW_CACHE_REFERENCES, HW_CACHE_MISSES = 0, 1, 2, 3
HW_BRANCH_INSTRUCTIONS, HW_BRANCH_MISSES = 4, 5
HW_STALLED_FRONTEND, HW_STALLED_BACKEND = 7, 8
SW_CPU_CLOCK, SW_TASK_CLOCK = 0, 1
# hardware-cache events perf stat relates, by their config (cache | op << 8 | result << 16)
_CACHE_ACCESS = {0: "L1_DCACHE", 1: "L1_ICACHE", 2: "LL_CACHE", 3: "DTLB_CACHE",
                 4: "ITLB_CACHE"}
_CACHE_MISS = {0x10000: ("L1_DCACHE", "of all L1-dcache accesses"),
               0x10001: ("L1_ICACHE", "of all L1-icache accesses"),
               0x10003: ("DTLB_CACHE", "of all dTLB cache accesses"),
               0x10004: ("ITLB_CACHE", "of all iTLB cache accesses"),
               0x10002: ("LL_CACHE", "of all LL-cache accesses")}
_HW_STATS = {HW_CPU_CYCLES: "CYCLES", HW_STALLED_FRONTEND: "STALLED_FRONT",
             HW_STALLED_BACKEND: "STALLED_BACK", HW_BRANCH_INSTRUCTIONS: "BRANCHES",
             HW_CACHE_REFERENCES: "CACHEREFS"}


def _is_clock(attr):
    return attr.type == C.TYPE_SOFTWARE and attr.config in (SW_CPU_CLOCK, SW_TASK_CLOCK)


def _context(attr):
    """evsel_context: the exclude_{kernel,user,hv,host,idle} bits of the attr."""
    flags = attr.flags
    ctx = 0
    for bit, ctx_bit in ((5, 1), (4, 2), (6, 4), (19, 8), (7, 16)):
        if flags >> bit & 1:
            ctx |= ctx_bit
    return ctx


def _unit_double(value):
    """convert_unit_double: (value, unit letter) in G, M, K or as it is."""
    for limit, unit in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if value > limit:
            return value / limit, unit
    return value, " "


class _Stats:
    """perf's struct stats: count and running mean, updated as perf updates them."""

    __slots__ = ("n", "mean")

    def __init__(self):
        self.n = 0.0
        self.mean = 0.0

    def update(self, val):
        self.n += 1
        self.mean += (float(val) - self.mean) / self.n


class GroupMetrics:
    """One run's shadow statistics and group counter."""

    def __init__(self, printer):
        self.printer = printer
        self.session = printer.session
        self.gnum = 0
        self.val = 0
        self.stats = {}             # (stat, cpu, ctx) -> _Stats
        self.groups = self._groups()

    def _groups(self):
        """evsel index -> (leader index, the leader's member count), from GROUP_DESC;
        an event in no group leads itself with no members."""
        out = {}
        evsels = list(self.session.evsels)
        for g in self.session.features.get(FEAT_GROUP_DESC) or ():
            leader = g.leader_idx
            for idx in range(leader, min(leader + max(g.nr_members, 1), len(evsels))):
                out[idx] = (leader, g.nr_members)
        return out

    def _stat(self, name, cpu, ctx):
        return self.stats.get((name, cpu, 0 if name == "NSECS" else ctx))

    def _n(self, name, cpu, ctx):
        st = self._stat(name, cpu, ctx)
        return st.n if st is not None else 0.0

    def _avg(self, name, cpu, ctx):
        st = self._stat(name, cpu, ctx)
        return st.mean if st is not None else 0.0

    def _update(self, attr, val, cpu):
        """perf_stat__update_shadow_stats."""
        name = None
        if _is_clock(attr):
            name = "NSECS"
        elif attr.type == C.TYPE_HARDWARE:
            name = _HW_STATS.get(attr.config)
        elif attr.type == C.TYPE_HW_CACHE:
            name = _CACHE_ACCESS.get(attr.config)
        if name is None:
            return
        key = (name, cpu, 0 if name == "NSECS" else _context(attr))
        st = self.stats.get(key)
        if st is None:
            st = self.stats[key] = _Stats()
        st.update(val)

    def text(self, ev, s, thread):
        """The metric lines the sample's event adds (perf_sample__fprint_metric)."""
        if self.gnum == 0:
            for st in self.stats.values():
                st.n = st.mean = 0.0
        self.gnum += 1
        attr = ev.attr
        period = s.period if s.period is not None else attr.sample_period
        scale = 1e-6 if _is_clock(attr) else 1.0
        val = int(period * scale) & U64
        cpu = s.cpu
        self._update(attr, val, cpu)
        self.val = val
        leader, members = self.groups.get(ev.index, (ev.index, 0))
        if self.gnum != members:
            return ""
        out = []
        evsels = list(self.session.evsels)
        for idx in range(leader + 1, min(leader + members, len(evsels))):
            out.extend(self._metric(evsels[idx], float(self.val), cpu, ev, s, thread))
        self.gnum = 0
        return "".join(out)

    def _line(self, ev, s, thread, fmt, unit, value):
        """script_print_metric: the sample's line start, then the metric."""
        return self._start(ev, s, thread) + "\tmetric: " + (fmt % value) + " %s\n" % unit

    def _start(self, ev, s, thread):
        p = self.printer
        return p.metric_line_start(ev, s, thread, p.spec.fields[output_type(ev.attr.type)])

    def _metric(self, member, avg, cpu, ev, s, thread):
        """perf_stat__print_shadow_stats for one member: its lines."""
        attr = member.attr
        ctx = _context(attr)

        def line(fmt, unit, value):
            return self._line(ev, s, thread, fmt, unit, value)

        hw = attr.type == C.TYPE_HARDWARE
        if hw and attr.config == HW_INSTRUCTIONS:
            out = []
            total = self._avg("CYCLES", cpu, ctx)
            if total:
                out.append(line("%7.2f ", "insn per cycle", avg / total))
            total = max(self._avg("STALLED_FRONT", cpu, ctx),
                        self._avg("STALLED_BACK", cpu, ctx))
            if total and avg:
                out.append(self._start(ev, s, thread) + "\tmetric: ")      # new_line
                out.append(line("%7.2f ", "stalled cycles per insn", total / avg))
            return out
        if hw and attr.config == HW_BRANCH_MISSES:
            return self._miss_ratio(line, "BRANCHES", "of all branches", avg, cpu, ctx)
        if attr.type == C.TYPE_HW_CACHE and attr.config in _CACHE_MISS:
            stat, unit = _CACHE_MISS[attr.config]
            return self._miss_ratio(line, stat, unit, avg, cpu, ctx)
        if hw and attr.config == HW_CACHE_MISSES:
            total = self._avg("CACHEREFS", cpu, ctx)
            ratio = avg * 100 / total if total else 0.0
            if self._n("CACHEREFS", cpu, ctx):
                return [line("%8.3f %%", "of all cache refs", ratio)]
            return []
        if hw and attr.config in (HW_STALLED_FRONTEND, HW_STALLED_BACKEND):
            total = self._avg("CYCLES", cpu, ctx)
            ratio = avg / total * 100.0 if total else 0.0
            if attr.config == HW_STALLED_FRONTEND:
                return [line("%7.2f%%", "frontend cycles idle", ratio)] if ratio else []
            return [line("%7.2f%%", "backend cycles idle", ratio)]
        if hw and attr.config == HW_CPU_CYCLES:
            total = self._avg("NSECS", cpu, ctx)
            return [line("%8.3f", "GHz", avg / total)] if total else []
        if _is_clock(attr):
            return []               # "CPUs utilized" needs wall-clock time
        if self._n("NSECS", cpu, ctx):
            total = self._avg("NSECS", cpu, ctx)
            ratio, unit = _unit_double(1e9 * avg / total) if total else (0.0, " ")
            return [line("%8.3f", "/sec" if unit == " " else unit + "/sec", ratio)]
        return []

    def _miss_ratio(self, line, stat, unit, avg, cpu, ctx):
        if not self._n(stat, cpu, ctx):
            return []
        total = self._avg(stat, cpu, ctx)
        return [line("%7.2f%%", unit, avg / total * 100.0 if total else 0.0)]
