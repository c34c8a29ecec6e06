"""`perf stat record` files in text mode: perf script's CPU/THREAD/VAL/ENA/RUN/TIME table,
printed at each STAT_ROUND for every counter, per thread and cpu of its maps."""

from perfscript.session.stat_records import StatRecords, s32


class StatPrinter(StatRecords):
    def __init__(self, session, write):
        super().__init__(session)
        self.write = write
        self.header_printed = False

    def round(self, time):
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
                for cpu in cpus:
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
                        cpu, s32(pid), c[0], c[1], c[2], time, ev.name))
        self.write("".join(out))
