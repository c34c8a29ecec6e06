#!/usr/bin/env python3
"""failed-syscalls-by-pid: failed system calls per command and task, by syscall and
error, optionally for one command name or one pid.

A standalone counterpart of perf 6.1's scripts/python/failed-syscalls-by-pid.py,
written for the `perf` module: same arguments and the same report.

    perfscript failed-syscalls-by-pid.py -i perf.data [comm|pid]

Record with: perf record -e raw_syscalls:sys_exit -a -- <workload>
"""

import argparse
import errno

import perf

EXIT_EVENTS = ("raw_syscalls:sys_exit", "syscalls:sys_exit")
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


def errno_label(ret):
    """The errno name of a negative return value, as perf 6.1's Util.strerror."""
    name = errno.errorcode.get(abs(ret))
    return name if name is not None else "Unknown %d errno" % ret


class FailedByPid:
    def __init__(self, for_comm, for_pid):
        self.for_comm = for_comm
        self.for_pid = for_pid
        # comm -> task -> syscall number -> return value -> count, in the order met
        self.errors = {}
        self.exit_events = {}       # str(evsel) -> whether it is a syscall exit
        self.session = None

    def sample(self, sample):
        key = str(sample.evsel)
        is_exit = self.exit_events.get(key)
        if is_exit is None:
            is_exit = self.exit_events[key] = tracepoint_name(sample.evsel) in EXIT_EVENTS
        if not is_exit:
            return
        thread = self.session.find_thread(sample.sample_pid, sample.sample_tid)
        comm = thread.comm() if thread is not None else ":%d" % sample.sample_tid
        pid = sample.common_pid         # the task as perf 6.1's handlers saw it
        if (self.for_comm and comm != self.for_comm) or \
                (self.for_pid and pid != self.for_pid):
            return
        ret = sample.ret
        if ret >= 0:
            return
        by_ret = self.errors.setdefault(comm, {}).setdefault(pid, {}) \
            .setdefault(sample.id, {})
        by_ret[ret] = by_ret.get(ret, 0) + 1

    def report(self):
        if self.for_comm is not None:
            print("\nsyscall errors for %s:\n" % self.for_comm)
        else:
            print("\nsyscall errors:\n")
        print("%-30s  %10s" % ("comm [pid]", "count"))
        print("%-30s  %10s" % ("-" * 30, "-" * 10))
        e_machine = self.session.e_machine
        for comm, by_pid in self.errors.items():
            for pid, by_nr in by_pid.items():
                print("\n%s [%d]" % (comm, pid))
                for nr, by_ret in by_nr.items():
                    print("  syscall: %-16s" % syscall_label(nr, e_machine))
                    for ret, n in sorted(by_ret.items(), key=lambda kv: (kv[1], kv[0]),
                                         reverse=True):
                        print("    err = %-20s  %10d" % (errno_label(ret), n))


def main():
    ap = argparse.ArgumentParser(description="Failed system calls, by command and pid.")
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
    failed = FailedByPid(for_comm, for_pid)
    print("Press control+C to stop and show the summary")
    session = perf.session(perf.data(args.input), sample=failed.sample)
    failed.session = session
    session.process_events()
    failed.report()


if __name__ == "__main__":
    main()
