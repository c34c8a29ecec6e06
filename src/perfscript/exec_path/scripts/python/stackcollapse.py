#!/usr/bin/env python3
"""stackcollapse: one line per distinct call stack with the number of samples that had
it, the input of flame graph tools:

    swapper;start_kernel;rest_init;cpu_idle;default_idle;native_safe_halt 2

The first field is the command (and optionally its pid/tid) followed by the stack's
functions, outermost first, separated by semicolons; lines are sorted by it.

A standalone counterpart of perf 6.1's scripts/python/stackcollapse.py (after Brendan
Gregg's stackcollapse-perf.pl), written for the `perf` module: same options and the
same output. Tracepoint samples are left out, as perf's script never saw them.

    perfscript stackcollapse.py -i perf.data [--include-tid] [--include-pid]
        [--no-comm] [--tidy-java] [--kernel]

Record with: perf record -a -g -F 99 sleep 60
"""

import argparse

import perf

KERNEL_DSO = "[kernel.kallsyms]"


def is_kernel(dso):
    """Whether a frame's dso is the kernel: upstream's perf module names it by its
    vmlinux path when it read one (perf script 6.1 always said "[kernel.kallsyms]")."""
    return dso is not None and (dso == KERNEL_DSO or dso.endswith("/vmlinux"))


def parse_args():
    ap = argparse.ArgumentParser(description="Fold call stacks, one line per stack.")
    ap.add_argument("-i", "--input", default="perf.data", help="input file (perf.data)")
    ap.add_argument("--include-tid", dest="include_tid", action="store_true",
                    help="include thread id in stack")
    ap.add_argument("--include-pid", dest="include_pid", action="store_true",
                    help="include process id in stack")
    ap.add_argument("--no-comm", dest="include_comm", action="store_false",
                    help="do not separate stacks according to comm")
    ap.add_argument("--tidy-java", dest="tidy_java", action="store_true",
                    help="beautify Java signatures")
    ap.add_argument("--kernel", dest="annotate_kernel", action="store_true",
                    help="annotate kernel functions with _[k]")
    args = ap.parse_args()
    if args.include_tid and not args.include_comm:
        ap.error("requesting tid but not comm is invalid")
    if args.include_pid and not args.include_comm:
        ap.error("requesting pid but not comm is invalid")
    return args


class StackCollapse:
    def __init__(self, opts):
        self.opts = opts
        self.session = None
        self.counts = {}            # folded stack -> samples
        self.tracepoints = {}       # str(evsel) -> whether it is a tracepoint

    def function_name(self, sym, dso):
        if sym is None:
            sym = "[unknown]"
        sym = sym.replace(";", ":")
        if self.opts.tidy_java:
            # Lorg/mozilla/javascript/MemberBox;.<init>(Ljava/lang/reflect/Method;)V
            # becomes org/mozilla/javascript/MemberBox:.init
            sym = sym.replace("<", "").replace(">", "")
            if sym[0] == "L" and sym.find("/"):
                sym = sym[1:]
            paren = sym.find("(")
            if paren >= 0:
                sym = sym[:paren]
        if self.opts.annotate_kernel and is_kernel(dso):
            return sym + "_[k]"
        return sym

    def sample(self, sample):
        key = str(sample.evsel)
        tracepoint = self.tracepoints.get(key)
        if tracepoint is None:
            tracepoint = self.tracepoints[key] = sample.evsel.type == perf.TYPE_TRACEPOINT
        if tracepoint:
            return
        names = []
        chain = sample.callchain
        if chain is not None:
            # outermost frame first
            names = [self.function_name(node.symbol, node.dso) for node in reversed(chain)]
        opts = self.opts
        if opts.include_comm:
            thread = self.session.find_thread(sample.sample_pid, sample.sample_tid)
            comm = (thread.comm() if thread is not None
                    else ":%d" % sample.sample_tid).replace(" ", "_")
            sep = "-"
            if opts.include_pid:
                comm += sep + str(sample.sample_pid & 0xFFFFFFFF)
                sep = "/"
            if opts.include_tid:
                comm += sep + str(sample.sample_tid & 0xFFFFFFFF)
            names.insert(0, comm)
        folded = ";".join(names)
        self.counts[folded] = self.counts.get(folded, 0) + 1

    def report(self):
        for folded in sorted(self.counts):
            print("%s %d" % (folded, self.counts[folded]))


def main():
    opts = parse_args()
    collapse = StackCollapse(opts)
    session = perf.session(perf.data(opts.input), sample=collapse.sample)
    collapse.session = session
    session.process_events()
    collapse.report()


if __name__ == "__main__":
    main()
