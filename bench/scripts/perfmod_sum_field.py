"""Benchmark: a standalone perf-module script that reads one tracepoint field of every
sample (raw_syscalls' `id`) and prints the sum."""
import argparse

import perf

ap = argparse.ArgumentParser()
ap.add_argument("-i", "--input", default="perf.data")
args = ap.parse_args()
total = 0


def sample(ev):
    global total
    total += ev.id


perf.session(perf.data(args.input), sample=sample).process_events()
print(total)
