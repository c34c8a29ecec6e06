#!/usr/bin/env python3
"""check-perf-trace: a smoke test of tracepoint scripting. Prints each softirq entry
and kmalloc with its common fields and symbolic values, then counts every other
tracepoint event.

A standalone counterpart of perf 6.1's scripts/python/check-perf-trace.py, written
for the `perf` module, with the same report. (perf 6.1's script fails at the first
kmem:kmalloc of kernels whose kmalloc has more fields than it expects, such as a
`node`; this one prints it.)

    perfscript check-perf-trace.py -i perf.data
"""

import argparse

import perf

from tracepoint_strings import gfp_flag_str, softirq_name, trace_flag_str

NSEC_PER_SEC = 1000000000
U32_MAX = 0xFFFFFFFF


def handler_name(evsel):
    """perf's name for a tracepoint's handler: "<system>__<event>"."""
    return "__".join(str(evsel)[6:-1].split(":")[:2])


class CheckPerfTrace:
    def __init__(self):
        self.session = None
        self.unhandled = {}         # handler name -> events, in the order first met
        self.handlers = {"irq__softirq_entry": self.softirq_entry,
                         "kmem__kmalloc": self.kmalloc}
        self.names = {}             # str(evsel) -> handler name, None: not a tracepoint

    def sample(self, sample):
        key = str(sample.evsel)
        try:
            name = self.names[key]
        except KeyError:
            tracepoint = sample.evsel.type == perf.TYPE_TRACEPOINT
            name = self.names[key] = handler_name(sample.evsel) if tracepoint else None
        if name is None:
            return
        handler = self.handlers.get(name)
        if handler is None:
            self.unhandled[name] = self.unhandled.get(name, 0) + 1
            return
        self.print_header(name, sample)
        handler(sample)

    def print_header(self, name, sample):
        t = sample.sample_time
        cpu = sample.sample_cpu
        thread = self.session.find_thread(sample.sample_pid, sample.sample_tid)
        comm = thread.comm() if thread is not None else ":%d" % sample.sample_tid
        print("%-20s %5d %05d.%09d %8d %-20s  common_preempt_count=%d, common_flags=%s, "
              "common_lock_depth=%d, " % (
                  name, -1 if cpu == U32_MAX else cpu, t // NSEC_PER_SEC, t % NSEC_PER_SEC,
                  sample.common_pid, comm, getattr(sample, "common_preempt_count", 0),
                  trace_flag_str(getattr(sample, "common_flags", 0)),
                  getattr(sample, "common_lock_depth", 0)))

    def softirq_entry(self, sample):
        print("vec=%s" % softirq_name(sample.vec))

    def kmalloc(self, sample):
        print("call_site=%u, ptr=%u, bytes_req=%u, bytes_alloc=%u, gfp_flags=%s" % (
            sample.call_site, sample.ptr, sample.bytes_req, sample.bytes_alloc,
            gfp_flag_str(sample.gfp_flags)))

    def report(self):
        if not self.unhandled:
            return
        print("\nunhandled events:\n")
        print("%-40s  %10s" % ("event", "count"))
        print("%-40s  %10s" % ("-" * 40, "-" * 11))
        for name, n in self.unhandled.items():
            print("%-40s  %10d\n" % (name, n))


def main():
    ap = argparse.ArgumentParser(description="Check tracepoint scripting.")
    ap.add_argument("-i", "--input", default="perf.data", help="input file (perf.data)")
    args = ap.parse_args()

    check = CheckPerfTrace()
    print("trace_begin")
    session = perf.session(perf.data(args.input), sample=check.sample)
    check.session = session
    session.process_events()
    check.report()


if __name__ == "__main__":
    main()
