#!/usr/bin/env python3
"""syscall-counts: how many times each system call was entered, system wide or for
one command.

A standalone counterpart of perf 6.1's scripts/python/syscall-counts.py, written for
the `perf` module: same arguments (an optional command name) and the same report.

    perfscript syscall-counts.py -i perf.data [comm]

Record with: perf record -e raw_syscalls:sys_enter -a -- <workload>
"""

import argparse

import perf

# the tracepoints the report counts (the second is the pre-2.6.35 name)
ENTRY_EVENTS = ("raw_syscalls:sys_enter", "syscalls:sys_enter")
C_INT_MIN, C_INT_MAX = -(1 << 31), (1 << 31) - 1


def tracepoint_name(evsel):
    """"sys:name" of an event, without modifiers: str(evsel) is "evsel(<name>)"."""
    return ":".join(str(evsel)[6:-1].split(":")[:2])


def syscall_label(nr, e_machine):
    """What perf 6.1's Util.syscall_name printed: the name, "None" for a number its
    table lacks, the number itself when it is no C int."""
    if not C_INT_MIN <= nr <= C_INT_MAX:
        return str(nr)
    return str(perf.syscall_name(nr, elf_machine=e_machine))


class SyscallCounts:
    def __init__(self, for_comm):
        self.for_comm = for_comm
        self.counts = {}            # syscall number -> times entered
        self.entry_events = {}      # str(evsel) -> whether it is a syscall entry
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

    def report(self):
        if self.for_comm is not None:
            print("\nsyscall events for %s:\n" % self.for_comm)
        else:
            print("\nsyscall events:\n")
        print("%-40s  %10s" % ("event", "count"))
        print("%-40s  %10s" % ("-" * 40, "-" * 11))
        e_machine = self.session.e_machine
        for nr, n in sorted(self.counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True):
            print("%-40s  %10d" % (syscall_label(nr, e_machine), n))


def main():
    ap = argparse.ArgumentParser(description="System call counts, by syscall.")
    ap.add_argument("-i", "--input", default="perf.data", help="input file (perf.data)")
    ap.add_argument("comm", nargs="?", help="count only the syscalls of this command")
    args = ap.parse_args()

    counts = SyscallCounts(args.comm)
    print("Press control+C to stop and show the summary")
    session = perf.session(perf.data(args.input), sample=counts.sample)
    counts.session = session
    session.process_events()
    counts.report()


if __name__ == "__main__":
    main()
