"""Benchmark: a standalone perf-module script whose sample callback does nothing."""
import argparse

import perf

ap = argparse.ArgumentParser()
ap.add_argument("-i", "--input", default="perf.data")
args = ap.parse_args()


def sample(ev):
    pass


perf.session(perf.data(args.input), sample=sample).process_events()
