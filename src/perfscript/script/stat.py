"""`perf stat record` files: stat__<event> and stat__interval calls at each STAT_ROUND, with
the values perf_stat_process_counter leaves (perfdata/stat_counts.py): per cpu and thread,
or, aggregated globally, their sum as cpu -1, thread -1."""

from perfscript.perfdata.stat_counts import AGGR_GLOBAL, process_counter
from perfscript.session.stat_records import StatRecords, s32


def handler_name(ev_name):
    """perf names the handler "stat__" + event name with every ':' made '_'."""
    return "stat__" + ev_name.replace(":", "_")


class StatDispatcher(StatRecords):
    """Replays the collected counts to the script at each round."""

    def __init__(self, engine):
        super().__init__(engine.session)
        self.engine = engine
        self.bases = {}             # evsel index -> the last round's raw values

    def round(self, time):
        engine = self.engine
        g = engine.globals
        threads = self.threads or [-1]
        cpus = self.cpus or [-1]
        keys = [(cpu, ti) for ti in range(len(threads)) for cpu in cpus]
        for ev in self.session.evsels:
            counts = self.counts.setdefault(ev.index, {})
            aggr = process_counter(counts, self.bases.setdefault(ev.index, {}), keys,
                                   self.aggr_mode, self.scale)
            fn = g.get(handler_name(ev.name))
            if fn is None or not callable(fn):
                continue
            if self.aggr_mode == AGGR_GLOBAL:
                engine.invoke(fn, (-1, -1, time, aggr[0], aggr[1], aggr[2]))
                continue
            for cpu, ti in keys:
                val, ena, run = counts[(cpu, ti)]
                engine.invoke(fn, (cpu, s32(threads[ti]), time, val, ena, run))
        fn = g.get("stat__interval")
        if fn is not None and callable(fn):
            engine.invoke(fn, (time,))
