"""A recording being processed: perf's time order, id -> event mapping, threads, comms,
memory maps and address lookup, and the contract with what consumes it (consumer.py).

A consumer overrides the parts of `Consumer` it needs; the session applies every record
to its state first, so a sample's thread has the comm perf would show:

>>> from collections import Counter
>>> from perfscript.session.consumer import Consumer
>>> from perfscript.session.session import Session
>>> class CommsPerEvent(Consumer):
...     def __init__(self):
...         self.seen = Counter()
...     def sample(self, ev, sample, thread):
...         self.seen[ev.name, thread.comm] += 1
>>> session = Session("examples/sched.data")
>>> comms = CommsPerEvent()
>>> session.process(comms)
>>> comms.seen.most_common(2)
[(('sched:sched_switch', 'sh'), 7), (('sched:sched_process_exec', 'ls'), 2)]
"""
