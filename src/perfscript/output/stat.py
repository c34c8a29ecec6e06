"""`perf stat record` files in text mode: perf script's CPU/THREAD/VAL/ENA/RUN/TIME table,
printed at each STAT_ROUND for every counter, per thread and cpu of its maps."""

import struct

from perfscript.perfdata import constants as C
from perfscript.script.stat import (STAT_CONFIG_AGGR_MODE, STAT_CONFIG_INTERVAL,
                                    STAT_CONFIG_SCALE, _cpu_map, _s32)


class StatPrinter:
    def __init__(self, session, write):
        self.session = session
        self.write = write
        self.e = session.endian
        self.scale = True
        self.interval = 0
        self.cpus = None
        self.threads = None
        self.counts = {}          # evsel index -> {(cpu, thread idx): [val, ena, run]}
        self.header_printed = False

    def record(self, typ, misc, size, buf, off, where):
        e = self.e
        if typ == C.RECORD_STAT_CONFIG:
            nr = struct.unpack_from(e + "Q", buf, off + 8)[0]
            nr = min(nr, (size - 16) // 16)
            for k in range(nr):
                tag, val = struct.unpack_from(e + "QQ", buf, off + 16 + 16 * k)
                if tag == STAT_CONFIG_SCALE:
                    self.scale = bool(val)
                elif tag == STAT_CONFIG_INTERVAL:
                    self.interval = val
                elif tag == STAT_CONFIG_AGGR_MODE:
                    pass
        elif typ == C.RECORD_STAT:
            sid, cpu, thread, val, ena, run = struct.unpack_from(e + "QIIQQQ", buf, off + 8)
            ev = self.session.evsels.by_id.get(sid)
            if ev is not None:
                # perf finds the counter by its cpu number in the event's cpu map
                self.counts.setdefault(ev.index, {})[(_s32(cpu), thread)] = [val, ena, run]
        elif typ == C.RECORD_STAT_ROUND:
            _, time = struct.unpack_from(e + "QQ", buf, off + 8)
            self._round(time)
        elif typ == C.RECORD_THREAD_MAP:
            nr = struct.unpack_from(e + "Q", buf, off + 8)[0]
            nr = min(nr, (size - 16) // 24)
            self.threads = [struct.unpack_from(e + "Q", buf, off + 16 + 24 * k)[0]
                            for k in range(nr)]
        elif typ == C.RECORD_CPU_MAP:
            self.cpus = [c if c < 0xFFFF else -1 for c in (_cpu_map(buf, off, size, e) or [])]

    def _round(self, time):
        out = []
        if not self.header_printed:
            out.append("%3s %8s %15s %15s %15s %15s %s\n" % (
                "CPU", "THREAD", "VAL", "ENA", "RUN", "TIME", "EVENT"))
            self.header_printed = True
        threads = self.threads or [-1]
        cpus = self.cpus or [-1]
        for ev in self.session.evsels:
            counts = self.counts.setdefault(ev.index, {})
            for ti, pid in enumerate(threads):
                for ci, cpu in enumerate(cpus):
                    c = counts.get((cpu, ti))
                    if c is None:
                        c = counts[(cpu, ti)] = [0, 0, 0]
                    if self.scale:
                        # perf scales the stored counts in place at each round
                        if c[2] == 0:
                            c[0] = 0
                        elif c[2] < c[1]:
                            c[0] = int(c[0] * c[1] / c[2] + 0.5)
                    out.append("%3d %8d %15d %15d %15d %15d %s\n" % (
                        cpu, _s32(pid), c[0], c[1], c[2], time, ev.name))
        self.write("".join(out))
