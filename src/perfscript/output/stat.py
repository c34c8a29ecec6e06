"""`perf stat record` files in text mode: perf script's CPU/THREAD/VAL/ENA/RUN/TIME table,
printed at each STAT_ROUND for every counter, per thread and cpu of its maps, with the
values perf_stat_process_counter leaves there (perfdata/stat_counts.py)."""

from perfscript.perfdata.stat_counts import process_counter
from perfscript.session.stat_records import StatRecords, s32


class StatPrinter(StatRecords):
    def __init__(self, session, write):
        super().__init__(session)
        self.write = write
        self.header_printed = False
        self.bases = {}             # evsel index -> the last round's raw values

    def round(self, time):
        out = []
        if not self.header_printed:
            out.append("%3s %8s %15s %15s %15s %15s %s\n" % (
                "CPU", "THREAD", "VAL", "ENA", "RUN", "TIME", "EVENT"))
            self.header_printed = True
        threads = self.threads or [-1]
        cpus = self.cpus or [-1]
        keys = [(cpu, ti) for ti in range(len(threads)) for cpu in cpus]
        for ev in self.session.evsels:
            counts = self.counts.setdefault(ev.index, {})
            process_counter(counts, self.bases.setdefault(ev.index, {}), keys,
                            self.aggr_mode, self.scale)
            for cpu, ti in keys:
                c = counts[(cpu, ti)]
                out.append("%3d %8d %15d %15d %15d %15d %s\n" % (
                    cpu, s32(threads[ti]), c[0], c[1], c[2], time, ev.name))
        self.write("".join(out))
