"""What a session hands to the code that consumes a recording, and when.

`Session.process(consumer)` reads the records in perf's order, applies each to its own
state (threads, comms, maps, lost counts) and then tells the consumer, through the
methods below and nothing else. A consumer subclasses `Consumer` and overrides what it
needs; every default does nothing (or the simplest correct thing). In order:

1. `prepare_evsel(ev)` for each event as it becomes known (the header's attrs before
   any record; pipe mode: each HEADER_ATTR, and again when its tracepoint format
   arrives), then `sample_handler(ev)`: a per-event fast path, or None.
2. `feature(feat, value)` for header features met in the stream (pipe mode).
3. Records in perf's order:
   - samples: through the event's fast path if it has one, else parsed and handed to
     `sample(ev, sample, thread)`; on mapped files the session first offers each run
     of ordered records to `deliver_batch(batch)`, whose default sends each record back
     through the per-record path (`batch.deliver(k)`); a batched consumer handles the
     records it can column-wise and delivers the rest in place;
   - other records of the types in `sideband_types`, as typed views
     (perfdata/record_types.py) with their `sample` trailer, after the session has
     applied them: `sideband(record)`.
4. `end()` once the input is over, also when it ended in a PerfDataError (which the
   session raises after `end()` returns).
"""

from perfscript.session.batched import deliver_each


class Consumer:
    """The consumer contract, with its defaults."""

    #: record types (perfdata.constants.RECORD_*) handed to `sideband`
    sideband_types = frozenset()

    def prepare_evsel(self, ev):
        """An event became known (or got its tracepoint format): set up for it."""

    def sample_handler(self, ev):
        """A callable `(buf, off, size, misc, where)` the session calls for each sample
        of `ev` instead of parsing it (it may call `session.deliver_sample_general` to
        fall back); None: parse the sample and call `sample`."""
        return None

    def sample(self, ev, sample, thread):
        """One parsed sample (perfdata.sample.Sample) of event `ev`, and its thread."""

    def deliver_batch(self, batch):
        """A run of records in perf's order (session.batched.RecordBatch)."""
        deliver_each(batch)

    def sideband(self, record):
        """A non-sample record of a type in `sideband_types`, already applied."""

    def feature(self, feat, value):
        """A header feature met in the stream (pipe mode)."""

    def end(self):
        """The input is over."""
