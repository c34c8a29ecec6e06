# dbexport_calls.py - the corpus' dbexport.py dumper with perf_db_export_calls set, so
# perf (6.1) also calls call_return_table() for its thread stack.  With the argument
# "nocallchains", perf_db_export_callchains is off (call paths then come only from the
# thread stack).
# Every call is printed as   <n> <function>(<arg>, <arg>, ...)   with each
# argument rendered as <typename>repr.  Tracepoint samples are not exported
# by perf; they still reach trace_unhandled(), which prints a short line.

from __future__ import print_function

import sys

perf_db_export_mode = True
perf_db_export_calls = True
perf_db_export_callchains = "nocallchains" not in sys.argv[1:]

_out = sys.stdout
_n = [0]


def fmt(v):
    if isinstance(v, (bool, int, str, bytes, bytearray, float, type(None))):
        return "<%s>%r" % (type(v).__name__, v)
    if isinstance(v, (list, tuple)):
        return "<%s>[%s]" % (type(v).__name__, ", ".join(fmt(x) for x in v))
    if isinstance(v, dict):
        return "<dict>{%s}" % ", ".join("%s: %s" % (k, fmt(v[k]))
                                        for k in sorted(v))
    return "<%s>" % type(v).__name__


def _call(name, args):
    _n[0] += 1
    _out.write("%d %s(%s)\n" % (_n[0], name, ", ".join(fmt(a) for a in args)))


def trace_begin():
    _call("trace_begin", ())


def trace_end():
    _call("trace_end", ())
    _out.flush()


def trace_unhandled(event_name, context, event_fields_dict):
    keys = ("common_cpu", "common_s", "common_ns", "common_pid", "common_comm")
    _call("trace_unhandled", [event_name] +
          [event_fields_dict.get(k) for k in keys])


def _make(name):
    def handler(*args):
        _call(name, args)
    handler.__name__ = name
    return handler


for _name in ("evsel_table", "machine_table", "thread_table", "comm_table",
              "comm_thread_table", "dso_table", "symbol_table",
              "branch_type_table", "sample_table", "call_path_table",
              "call_return_table", "context_switch_table", "synth_data",
              "ptwrite", "cbr", "mwait", "pwre", "exstop", "pwrx"):
    globals()[_name] = _make(_name)
del _name
