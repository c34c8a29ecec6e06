"""When each thread began and ended, noted from the FORK and EXIT records of a pass.

The session's thread table (session.threads) is perf's: a tid reused by a new task
replaces the old thread there, and the table says nothing of when. The threads table
(frames.derived.tasks) needs every thread the pass knew, with its times, so the
collector hands the task records here as it receives them."""

from perfscript.perfdata import constants as C

TASK_RECORDS = frozenset((C.RECORD_FORK, C.RECORD_EXIT))


class ThreadSpan:
    """A thread of the pass, its FORK (time, parent tid) and EXIT time when seen."""

    __slots__ = ("thread", "start_time", "parent_tid", "end_time")

    def __init__(self, thread):
        self.thread = thread
        self.start_time = self.parent_tid = self.end_time = None


class TaskLog:
    """Spans of the threads that had task records, and the threads replaced by a new
    task with the same tid (which the session's table no longer holds)."""

    def __init__(self, threads):
        self.threads = threads          # the session's ThreadTable
        self.spans = {}                 # id(Thread) -> ThreadSpan (it holds the Thread)
        self.replaced = []              # Threads a FORK took the tid of

    def _span(self, thread):
        span = self.spans.get(id(thread))
        if span is None:
            span = self.spans[id(thread)] = ThreadSpan(thread)
        return span

    def record(self, rec):
        """A FORK or EXIT record, after the session applied it."""
        if rec.type == C.RECORD_FORK:
            old = rec.replaced
            if old is not None and old is not rec.thread:
                self.replaced.append(old)
            span = self._span(rec.thread)
            span.start_time, span.parent_tid = rec.time, rec.ptid
        else:
            thread = self.threads.get(rec.tid)
            if thread is not None:
                self._span(thread).end_time = rec.time

    def all_threads(self):
        """(Thread, ThreadSpan or None) for every thread of the pass: the table's and
        the replaced ones."""
        seen = set()
        out = []
        for th in list(self.threads.threads.values()) + self.replaced:
            if id(th) not in seen:
                seen.add(id(th))
                out.append((th, self.spans.get(id(th))))
        return out
