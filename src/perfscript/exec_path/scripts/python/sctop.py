#!/usr/bin/env python3
"""sctop: system call totals, by syscall, shown again every few seconds (and reset)
while the events are read; optionally for one command.

A standalone counterpart of perf 6.1's scripts/python/sctop.py, written for the
`perf` module: same arguments ([comm] [interval], interval in seconds, 3 by default)
and the same display, printed by a background thread from the start of the
processing. As with perf's script, nothing more is printed when the events end.

    perfscript sctop.py -i perf.data [comm] [interval]
"""

import argparse
import sys
import threading
import time

import perf

ENTRY_EVENTS = ("raw_syscalls:sys_enter", "syscalls:sys_enter")
DEFAULT_INTERVAL = 3
C_INT_MIN, C_INT_MAX = -(1 << 31), (1 << 31) - 1
USAGE = "sctop.py [-i FILE] [comm] [interval]"


def tracepoint_name(evsel):
    """"sys:name" of an event, without modifiers: str(evsel) is "evsel(<name>)"."""
    return ":".join(str(evsel)[6:-1].split(":")[:2])


def syscall_label(nr, e_machine):
    """What perf 6.1's Util.syscall_name printed: the name, "None" for a number its
    table lacks, the number itself when it is no C int."""
    if not C_INT_MIN <= nr <= C_INT_MAX:
        return str(nr)
    return str(perf.syscall_name(nr, elf_machine=e_machine))


class SyscallTop:
    def __init__(self, for_comm, interval):
        self.for_comm = for_comm
        self.interval = interval
        self.counts = {}            # syscall number -> count since the last display
        self.entry_events = {}
        self.session = None

    def sample(self, sample):
        key = str(sample.evsel)
        is_entry = self.entry_events.get(key)
        if is_entry is None:
            is_entry = self.entry_events[key] = tracepoint_name(sample.evsel) in ENTRY_EVENTS
        if not is_entry:
            return
        if self.for_comm is not None:
            thread = self.session.find_thread(sample.sample_pid, sample.sample_tid)
            if thread is None or thread.comm() != self.for_comm:
                return
        nr = sample.id
        self.counts[nr] = self.counts.get(nr, 0) + 1

    def display_forever(self, e_machine):
        while True:
            print("\x1b[H\x1b[2J")
            if self.for_comm is not None:
                print("\nsyscall events for %s:\n" % self.for_comm)
            else:
                print("\nsyscall events:\n")
            print("%-40s  %10s" % ("event", "count"))
            print("%-40s  %10s" % ("-" * 40, "-" * 10))
            for nr, n in sorted(self.counts.items(), key=lambda kv: (kv[1], kv[0]),
                                reverse=True):
                print("%-40s  %10d" % (syscall_label(nr, e_machine), n))
            self.counts.clear()
            time.sleep(self.interval)


def parse_args():
    ap = argparse.ArgumentParser(description="System call top: totals per interval.",
                                 usage=USAGE)
    ap.add_argument("-i", "--input", default="perf.data", help="input file (perf.data)")
    ap.add_argument("rest", nargs="*", metavar="[comm] [interval]")
    args = ap.parse_args()
    rest = args.rest
    comm, interval = None, DEFAULT_INTERVAL
    if len(rest) > 2:
        sys.exit("usage: " + USAGE)
    if len(rest) == 2:
        comm = rest[0]
        interval = int(rest[1])
    elif len(rest) == 1:
        try:
            interval = int(rest[0])
        except ValueError:
            comm = rest[0]
    return args.input, comm, interval


def main():
    path, comm, interval = parse_args()
    top = SyscallTop(comm, interval)
    session = perf.session(perf.data(path), sample=top.sample)
    top.session = session
    threading.Thread(target=top.display_forever, args=(session.e_machine,),
                     daemon=True).start()
    session.process_events()


if __name__ == "__main__":
    main()
