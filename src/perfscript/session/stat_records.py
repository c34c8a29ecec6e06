"""`perf stat record` data: STAT_CONFIG, STAT, THREAD_MAP and CPU_MAP records collected
the way perf's session keeps them, and each STAT_ROUND handed to a consumer."""

import struct

from perfscript.perfdata import constants as C

AGGR_NONE, AGGR_GLOBAL = 0, 1
STAT_CONFIG_AGGR_MODE, STAT_CONFIG_INTERVAL, STAT_CONFIG_SCALE = 0, 1, 2


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

    def record(self, typ, misc, size, buf, off, where):
        e = self.endian
        if typ == C.RECORD_STAT_CONFIG:
            nr = min(struct.unpack_from(e + "Q", buf, off + 8)[0], (size - 16) // 16)
            for k in range(nr):
                tag, val = struct.unpack_from(e + "QQ", buf, off + 16 + 16 * k)
                if tag == STAT_CONFIG_AGGR_MODE:
                    self.aggr_mode = val
                elif tag == STAT_CONFIG_SCALE:
                    self.scale = bool(val)
                elif tag == STAT_CONFIG_INTERVAL:
                    self.interval = val
        elif typ == C.RECORD_STAT:
            sid, cpu, thread, val, ena, run = struct.unpack_from(e + "QIIQQQ", buf, off + 8)
            ev = self.session.evsels.by_id.get(sid)
            if ev is not None:
                self.counts.setdefault(ev.index, {})[(s32(cpu), thread)] = [val, ena, run]
        elif typ == C.RECORD_STAT_ROUND:
            _, time = struct.unpack_from(e + "QQ", buf, off + 8)
            self.round(time)
        elif typ == C.RECORD_THREAD_MAP:
            nr = min(struct.unpack_from(e + "Q", buf, off + 8)[0], (size - 16) // 24)
            self.threads = [struct.unpack_from(e + "Q", buf, off + 16 + 24 * k)[0]
                            for k in range(nr)]
        elif typ == C.RECORD_CPU_MAP:
            self.cpus = [c if c < 0xFFFF else -1 for c in (cpu_map(buf, off, size, e) or [])]

    def round(self, time):
        raise NotImplementedError


def cpu_map(buf, off, size, e):
    """The cpus of a PERF_RECORD_CPU_MAP: a list, a bitmask, or a range."""
    kind = struct.unpack_from(e + "H", buf, off + 8)[0]
    if kind == 0:
        nr = struct.unpack_from(e + "H", buf, off + 10)[0]
        nr = min(nr, (size - 12) // 2)
        return list(struct.unpack_from(e + "%dH" % nr, buf, off + 12))
    if kind == 1:
        nr, long_size = struct.unpack_from(e + "HH", buf, off + 10)
        code = "I" if long_size == 4 else "Q"
        step = 4 if long_size == 4 else 8
        start = off + 14 if long_size == 4 else off + 16
        cpus = []
        for k in range(nr):
            if start + step * (k + 1) > off + size:
                break
            word = struct.unpack_from(e + code, buf, start + step * k)[0]
            for b in range(step * 8):
                if word >> b & 1:
                    cpus.append(k * step * 8 + b)
        return cpus
    if kind == 2:
        any_cpu, _, start, end = struct.unpack_from(e + "BBHH", buf, off + 10)
        cpus = list(range(start, end + 1))
        return ([-1] + cpus) if any_cpu else cpus
    return None
