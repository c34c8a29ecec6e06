#!/usr/bin/env python3
"""futex-contention: how long tasks waited on each contended futex (FUTEX_WAIT calls
and their return), per task and lock.

A standalone counterpart of perf 6.1's scripts/python/futex-contention.py (itself a
translation of SystemTap's WSFutexContention), written for the `perf` module, with
the same report.

    perfscript futex-contention.py -i perf.data

Record with:
    perf record -e syscalls:sys_enter_futex -e syscalls:sys_exit_futex -a -- <workload>
"""

import argparse

import perf

FUTEX_WAIT = 0
FUTEX_PRIVATE_FLAG = 128
FUTEX_CLOCK_REALTIME = 256
FUTEX_CMD_MASK = ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)


def tracepoint_name(evsel):
    """"sys:name" of an event, without modifiers: str(evsel) is "evsel(<name>)"."""
    return ":".join(str(evsel)[6:-1].split(":")[:2])


class LockStats:
    """min, max, count and perf's running "average" of one task's waits on one lock:
    each new value is averaged with the previous average (a float), as perf 6.1's
    Util.add_stats does."""

    __slots__ = ("min", "max", "avg", "count")

    def __init__(self, value):
        self.min = self.max = self.avg = value
        self.count = 1

    def add(self, value):
        if value < self.min:
            self.min = value
        if value > self.max:
            self.max = value
        self.avg = (self.avg + value) / 2
        self.count += 1


class FutexContention:
    def __init__(self):
        self.session = None
        self.kinds = {}             # str(evsel) -> "enter", "exit" or None
        self.comms = {}             # task -> its command at its last FUTEX_WAIT
        self.waiting = {}           # task -> (lock address, wait start time)
        self.waits = {}             # (task, lock) -> LockStats, in the order first met

    def kind(self, evsel):
        key = str(evsel)
        got = self.kinds.get(key, False)
        if got is False:
            name = tracepoint_name(evsel)
            got = self.kinds[key] = {"syscalls:sys_enter_futex": "enter",
                                     "syscalls:sys_exit_futex": "exit"}.get(name)
        return got

    def sample(self, sample):
        kind = self.kind(sample.evsel)
        if kind is None:
            return
        tid = sample.common_pid         # the task as perf 6.1's handlers saw it
        if kind == "enter":
            if sample.op & FUTEX_CMD_MASK != FUTEX_WAIT:
                return                  # wakers are not of interest
            thread = self.session.find_thread(sample.sample_pid, sample.sample_tid)
            self.comms[tid] = thread.comm() if thread is not None \
                else ":%d" % sample.sample_tid
            self.waiting[tid] = (sample.uaddr, sample.sample_time)
            return
        started = self.waiting.pop(tid, None)
        if started is None:
            return
        lock, start = started
        elapsed = sample.sample_time - start
        stats = self.waits.get((tid, lock))
        if stats is None:
            self.waits[(tid, lock)] = LockStats(elapsed)
        else:
            stats.add(elapsed)

    def report(self):
        for (tid, lock), st in self.waits.items():
            print("%s[%d] lock %x contended %d times, %d avg ns [max: %d ns, min %d ns]"
                  % (self.comms[tid], tid, lock, st.count, st.avg, st.max, st.min))


def main():
    ap = argparse.ArgumentParser(description="Futex contention per task and lock.")
    ap.add_argument("-i", "--input", default="perf.data", help="input file (perf.data)")
    args = ap.parse_args()

    futexes = FutexContention()
    print("Press control+C to stop and show the summary")
    session = perf.session(perf.data(args.input), sample=futexes.sample)
    futexes.session = session
    session.process_events()
    futexes.report()


if __name__ == "__main__":
    main()
