#!/usr/bin/env python3
"""syscall-counts-by-pid: system call counts per command and task, optionally for
one command name or one pid.

A standalone counterpart of perf 6.1's scripts/python/syscall-counts-by-pid.py,
written for the `perf` module: same arguments and the same report.

    perfscript syscall-counts-by-pid.py -i perf.data [comm|pid]

Record with: perf record -e raw_syscalls:sys_enter -a -- <workload>
"""

import argparse

import perf

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


class CountsByPid:
    def __init__(self, for_comm, for_pid):
        self.for_comm = for_comm
        self.for_pid = for_pid
        # comm -> task -> syscall number -> count, each level in the order first met
        self.counts = {}
        self.entry_events = {}      # str(evsel) -> whether it is a syscall entry
        self.session = None

    def sample(self, sample):
        key = str(sample.evsel)
        is_entry = self.entry_events.get(key)
        if is_entry is None:
            is_entry = self.entry_events[key] = tracepoint_name(sample.evsel) in ENTRY_EVENTS
        if not is_entry:
            return
        thread = self.session.find_thread(sample.sample_pid, sample.sample_tid)
        comm = thread.comm() if thread is not None else ":%d" % sample.sample_tid
        # the task as perf 6.1's handlers saw it: the record's common_pid (the tid)
        pid = sample.common_pid
        # (a filter of "" or 0 filters nothing, as in perf's script)
        if (self.for_comm and comm != self.for_comm) or \
                (self.for_pid and pid != self.for_pid):
            return
        by_nr = self.counts.setdefault(comm, {}).setdefault(pid, {})
        nr = sample.id
        by_nr[nr] = by_nr.get(nr, 0) + 1

    def report(self):
        if self.for_comm is not None:
            print("\nsyscall events for %s:\n" % self.for_comm)
        else:
            print("\nsyscall events by comm/pid:\n")
        print("%-40s  %10s" % ("comm [pid]/syscalls", "count"))
        print("%-40s  %10s" % ("-" * 40, "-" * 10))
        e_machine = self.session.e_machine
        for comm, by_pid in self.counts.items():
            for pid, by_nr in by_pid.items():
                print("\n%s [%d]" % (comm, pid))
                for nr, n in sorted(by_nr.items(), key=lambda kv: (kv[1], kv[0]),
                                    reverse=True):
                    print("  %-38s  %10d" % (syscall_label(nr, e_machine), n))


def main():
    ap = argparse.ArgumentParser(description="System call counts, by command and pid.")
    ap.add_argument("-i", "--input", default="perf.data", help="input file (perf.data)")
    ap.add_argument("filter", nargs="?", metavar="comm|pid",
                    help="count only the syscalls of this command or pid")
    args = ap.parse_args()

    for_comm = for_pid = None
    if args.filter is not None:
        try:
            for_pid = int(args.filter)
        except ValueError:
            for_comm = args.filter
    counts = CountsByPid(for_comm, for_pid)
    print("Press control+C to stop and show the summary")
    session = perf.session(perf.data(args.input), sample=counts.sample)
    counts.session = session
    session.process_events()
    counts.report()


if __name__ == "__main__":
    main()
