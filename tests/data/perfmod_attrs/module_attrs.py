"""A standalone perf-module script printing, per sample, what legacy_attrs.py prints from
perf 6.1's legacy API, read from perf.sample_event attributes.

    perfscript module_attrs.py -i FILE [--kallsyms K] [--fields EVENT=f1,f2;...]

--fields names the tracepoint fields to print per event (the module has no field list:
scripts name the fields they read).
"""
import argparse
import sys

import perf

ap = argparse.ArgumentParser()
ap.add_argument("-i", "--input", default="perf.data")
ap.add_argument("--kallsyms")
ap.add_argument("--fields", default="")
args = ap.parse_args()
wanted = {}
for part in filter(None, args.fields.split(";")):
    ev, _, names = part.partition("=")
    wanted[ev] = names.split(",") if names else []


def _fmt(v):
    if isinstance(v, (bytes, bytearray)):
        return "%s:%s" % (type(v).__name__, bytes(v).hex())
    return "%s:%r" % (type(v).__name__, v)


def _chain(cc):
    if cc is None:
        return "[]"
    return "[" + " ".join("%x/%s/%s" % (n.ip, n.symbol, n.dso) for n in cc) + "]"


def sample(ev):
    name = str(ev.evsel)[len("evsel("):-1]
    legacy = name.replace(":", "__") if name in wanted else name
    parts = [legacy, "pid=%d" % ev.sample_pid, "tid=%d" % ev.sample_tid,
             "cpu=%d" % ev.sample_cpu, "time=%d" % ev.sample_time,
             "period=%d" % ev.sample_period, "ip=%x" % ev.sample_ip,
             "addr=%x" % ev.sample_addr, "dso=%s" % ev.dso, "symbol=%s" % ev.symbol,
             "symoff=%s" % ev.sym_offset, "raw=%s" % bytes(ev.raw_buf or b"").hex(),
             "callchain=%s" % _chain(ev.callchain)]
    for k in sorted(wanted.get(name, ())):
        parts.append("%s=%s" % (k, _fmt(getattr(ev, k))))
    sys.stdout.write("\t".join(parts) + "\n")


session = perf.session(perf.data(args.input), sample=sample, kallsyms=args.kallsyms)
session.process_events()
session = None
