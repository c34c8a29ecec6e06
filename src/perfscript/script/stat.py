"""`perf stat record` files: stat__<event> and stat__interval calls at each STAT_ROUND."""

import struct

from perfscript.perfdata import constants as C

AGGR_NONE, AGGR_GLOBAL = 0, 1
STAT_CONFIG_AGGR_MODE, STAT_CONFIG_INTERVAL, STAT_CONFIG_SCALE = 0, 1, 2


def handler_name(ev_name):
    """perf names the handler "stat__" + event name with every ':' made '_'."""
    return "stat__" + ev_name.replace(":", "_")


class StatDispatcher:
    """Collects STAT counts and replays them to the script at each round."""

    def __init__(self, engine):
        self.engine = engine
        self.session = engine.session
        self.endian = self.session.endian
        self.aggr_mode = AGGR_GLOBAL
        self.scale = True
        self.cpus = None
        self.threads = None
        self.counts = {}   # evsel index -> {(cpu idx, thread idx): (val, ena, run)}
        self.interval = 0
        self.previous = {}  # interval mode: last (val, ena, run) per counter, for deltas

    def record(self, typ, misc, size, buf, off, where):
        e = self.endian
        if typ == C.RECORD_STAT_CONFIG:
            nr = struct.unpack_from(e + "Q", buf, off + 8)[0]
            nr = min(nr, (size - 16) // 16)
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
                self.counts.setdefault(ev.index, {})[(cpu, thread)] = (val, ena, run)
        elif typ == C.RECORD_STAT_ROUND:
            _, time = struct.unpack_from(e + "QQ", buf, off + 8)
            self._round(time)
        elif typ == C.RECORD_THREAD_MAP:
            nr = struct.unpack_from(e + "Q", buf, off + 8)[0]
            nr = min(nr, (size - 16) // 24)
            self.threads = [struct.unpack_from(e + "Q", buf, off + 16 + 24 * k)[0]
                            for k in range(nr)]
        elif typ == C.RECORD_CPU_MAP:
            self.cpus = _cpu_map(buf, off, size, e)
        elif typ == C.RECORD_AUXTRACE_ERROR:
            pass

    def _scaled(self, val, ena, run):
        if self.scale:
            if run == 0:
                return 0
            if run < ena:
                return int(val * ena / run + 0.5)
        return val

    def _delta(self, key, val, ena, run):
        """In interval mode perf reports each counter's growth since the last round."""
        if not self.interval:
            return val, ena, run
        pv, pe, pr = self.previous.get(key, (0, 0, 0))
        self.previous[key] = (val, ena, run)
        return val - pv, ena - pe, run - pr

    def _round(self, time):
        engine = self.engine
        g = engine.globals
        for ev in self.session.evsels:
            fn = g.get(handler_name(ev.name))
            counts = self.counts.get(ev.index, {})
            if fn is None or not callable(fn):
                continue
            if self.aggr_mode == AGGR_GLOBAL:
                val = sum(c[0] for c in counts.values())
                ena = sum(c[1] for c in counts.values())
                run = sum(c[2] for c in counts.values())
                val, ena, run = self._delta((ev.index, None), val, ena, run)
                engine._invoke(fn, (-1, -1, time, self._scaled(val, ena, run), ena, run))
                continue
            threads = self.threads or [-1]
            cpus = self.cpus or [-1]
            for ti, pid in enumerate(threads):
                for ci, cpu in enumerate(cpus):
                    val, ena, run = counts.get((ci, ti), (0, 0, 0))
                    val, ena, run = self._delta((ev.index, ci, ti), val, ena, run)
                    engine._invoke(fn, (cpu, _s32(pid), time, val, ena, run))
        fn = g.get("stat__interval")
        if fn is not None and callable(fn):
            engine._invoke(fn, (time,))


def _s32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def _cpu_map(buf, off, size, e):
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
