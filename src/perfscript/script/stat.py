"""`perf stat record` files: stat__<event> and stat__interval calls at each STAT_ROUND."""

from perfscript.session.stat_records import AGGR_GLOBAL, StatRecords, s32


def handler_name(ev_name):
    """perf names the handler "stat__" + event name with every ':' made '_'."""
    return "stat__" + ev_name.replace(":", "_")


class StatDispatcher(StatRecords):
    """Replays the collected counts to the script at each round."""

    def __init__(self, engine):
        super().__init__(engine.session)
        self.engine = engine
        self.previous = {}  # interval mode: last (val, ena, run) per counter, for deltas

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

    def round(self, time):
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
                engine.invoke(fn, (-1, -1, time, self._scaled(val, ena, run), ena, run))
                continue
            for ti, pid in enumerate(self.threads or [-1]):
                for cpu in self.cpus or [-1]:
                    val, ena, run = counts.get((cpu, ti), (0, 0, 0))
                    val, ena, run = self._delta((ev.index, cpu, ti), val, ena, run)
                    engine.invoke(fn, (cpu, s32(pid), time, val, ena, run))
        fn = g.get("stat__interval")
        if fn is not None and callable(fn):
            engine.invoke(fn, (time,))
