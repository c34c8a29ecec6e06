"""perf stat recordings for a `perf.session`'s `stat` callback: each STAT record as
(stat_event, its event's name), each STAT_ROUND as (stat_round_event, None)."""

from perfscript.perfdata import constants as C
from perfscript.perfmod.other_events import stat_event, stat_round_event


class StatCallbacks:
    def __init__(self, consumer):
        self.consumer = consumer
        self.by_id = consumer.session.evsels.by_id

    def record(self, rec):
        cb = self.consumer.stat_cb
        if rec.type == C.RECORD_STAT:
            ev = self.by_id.get(rec.id)
            cb(stat_event(rec), ev.name if ev is not None else "unknown")
        elif rec.type == C.RECORD_STAT_ROUND:
            cb(stat_round_event(rec), None)
