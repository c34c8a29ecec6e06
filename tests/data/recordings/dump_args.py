# dump_args.py - print every callback `perf script -s` makes, with every argument and its type.
#
# Written for perfscript's end-to-end tests: the same script runs under the real perf 6.1 (whose
# output is stored next to the recordings) and under perfscript, and the outputs must be equal.
#
# Output rules, chosen to be deterministic and easy to diff:
#   * one line "== #<n> <callback> [<event name>]" per call, then one line per argument;
#   * a scalar is printed as <type>repr(value) (bool, int, str, bytes, bytearray, float, None);
#   * dicts keep the order perf built them in (a script iterating them sees that order) and are
#     expanded one key per line; lists/tuples of scalars stay on one line;
#   * objects whose repr holds an address (the context capsule) are printed as <type> only;
#   * the perf_event_attr bytes ("attr") are printed in full the first time each value is seen,
#     later as "same-as-#<n>"; sys.argv[0] (the script path) is never printed.
#
# What it exercises, besides the plain arguments:
#   * named tracepoint handlers with the exact field list, with and without the trailing
#     perf_sample_dict (passed only when the handler takes exactly one more parameter), and a
#     *args handler (never gets the dict);
#   * trace_unhandled with 4 parameters (gets perf_sample_dict) for the other tracepoints;
#   * the perf_trace_context functions on the handler's context and on perf_script_context;
#   * the define_* callbacks (printed, then forwarded to Core.py) and Core's flag_str/symbol_str
#     fed by them;
#   * process_event, context_switch, throttle/unthrottle, auxtrace_error;
#   * stat__<event> handlers (installed through globals(), as their names hold '-') and
#     stat__interval.

from __future__ import print_function

import os
import sys

sys.path.append(os.environ['PERF_EXEC_PATH'] + '/scripts/python/Perf-Trace-Util/lib/Perf/Trace')

from perf_trace_context import *  # noqa: F401,F403  (common_pc, perf_script_context, ...)
import perf_trace_context
import Core

SCALARS = (bool, int, str, bytes, bytearray, float, type(None))
_n = [0]
_calls = {}
_attr_seen = {}


def w(line):
    sys.stdout.write(line + "\n")


def fmt(v):
    t = type(v)
    if t in SCALARS:
        return "<%s>%r" % (t.__name__, v)
    if isinstance(v, dict):
        return "<%s>{%s}" % (t.__name__, ", ".join("%s: %s" % (fmt(k), fmt(x))
                                                  for k, x in v.items()))
    if isinstance(v, (list, tuple)):
        return "<%s>[%s]" % (t.__name__, ", ".join(fmt(x) for x in v))
    return "<%s>" % t.__name__


def emit(name, v, depth=1):
    pad = "  " * depth
    if name == "attr" and isinstance(v, bytes):
        if v in _attr_seen:
            w("%sattr=<bytes>same-as-#%d" % (pad, _attr_seen[v]))
            return
        _attr_seen[v] = _n[0]
    if isinstance(v, dict) and v:
        w("%s%s=<%s>{" % (pad, name, type(v).__name__))
        for k, x in v.items():
            emit(k if isinstance(k, str) else fmt(k), x, depth + 1)
        w("%s}" % pad)
    elif isinstance(v, (list, tuple)) and any(isinstance(x, (dict, list, tuple)) for x in v):
        w("%s%s=<%s>[" % (pad, name, type(v).__name__))
        for i, x in enumerate(v):
            emit("[%d]" % i, x, depth + 1)
        w("%s]" % pad)
    else:
        w("%s%s=%s" % (pad, name, fmt(v)))


def header(callback, extra=None):
    _n[0] += 1
    _calls[callback] = _calls.get(callback, 0) + 1
    w("== #%d %s%s" % (_n[0], callback, "" if extra is None else " " + extra))


def context_calls(ctx):
    for name in ("common_pc", "common_flags", "common_lock_depth"):
        try:
            val = getattr(perf_trace_context, name)(ctx)
        except Exception as e:
            w("  %s(context)=<raised %s>" % (name, type(e).__name__))
        else:
            w("  %s(context)=%s" % (name, fmt(val)))


def common(event_name, context, cpu, secs, nsecs, pid, comm, callchain):
    header(event_name, "(named)")
    emit("context", context)
    context_calls(context)
    for k, v in (("common_cpu", cpu), ("common_secs", secs), ("common_nsecs", nsecs),
                 ("common_pid", pid), ("common_comm", comm), ("common_callchain", callchain)):
        emit(k, v)


# ------------------------------------------------------------------------ begin / end

def trace_begin():
    header("trace_begin")
    emit("argv[1:]", sys.argv[1:])
    emit("perf_script_context", perf_trace_context.perf_script_context)
    w("  perf_script_context is global: %r" % (
        globals().get("perf_script_context") is perf_trace_context.perf_script_context))


def trace_end():
    header("trace_end")
    for k in sorted(_calls):
        w("  calls[%s]=%d" % (k, _calls[k]))


# ------------------------------------------------------------------- define_* callbacks

def define_flag_field(event_name, field_name, delim):
    header("define_flag_field")
    emit("event_name", event_name)
    emit("field_name", field_name)
    emit("delim", delim)
    Core.define_flag_field(event_name, field_name, delim)


def define_flag_value(event_name, field_name, value, field_str):
    header("define_flag_value")
    emit("event_name", event_name)
    emit("field_name", field_name)
    emit("value", value)
    emit("field_str", field_str)
    Core.define_flag_value(event_name, field_name, value, field_str)


def define_symbolic_field(event_name, field_name):
    header("define_symbolic_field")
    emit("event_name", event_name)
    emit("field_name", field_name)
    Core.define_symbolic_field(event_name, field_name)


def define_symbolic_value(event_name, field_name, value, field_str):
    header("define_symbolic_value")
    emit("event_name", event_name)
    emit("field_name", field_name)
    emit("value", value)
    emit("field_str", field_str)
    Core.define_symbolic_value(event_name, field_name, value, field_str)


# ------------------------------------------------------- named tracepoint handlers

def sched__sched_switch(event_name, context, common_cpu, common_secs, common_nsecs,
                        common_pid, common_comm, common_callchain, prev_comm, prev_pid,
                        prev_prio, prev_state, next_comm, next_pid, next_prio,
                        perf_sample_dict):
    common(event_name, context, common_cpu, common_secs, common_nsecs, common_pid,
           common_comm, common_callchain)
    for k, v in (("prev_comm", prev_comm), ("prev_pid", prev_pid), ("prev_prio", prev_prio),
                 ("prev_state", prev_state), ("next_comm", next_comm),
                 ("next_pid", next_pid), ("next_prio", next_prio)):
        emit(k, v)
    emit("flag_str(prev_state)", Core.flag_str(event_name, "prev_state", prev_state))
    emit("perf_sample_dict", perf_sample_dict)


def sched__sched_wakeup(*args):
    # a *args handler: perf passes the common args and the fields, never the sample dict
    header(args[0] if args else "sched__sched_wakeup", "(*args)")
    emit("nargs", len(args))
    for i, a in enumerate(args):
        emit("args[%d]" % i, a)


def raw_syscalls__sys_enter(event_name, context, common_cpu, common_secs, common_nsecs,
                            common_pid, common_comm, common_callchain, id, args):
    common(event_name, context, common_cpu, common_secs, common_nsecs, common_pid,
           common_comm, common_callchain)
    emit("id", id)
    emit("args", args)


def raw_syscalls__sys_exit(event_name, context, common_cpu, common_secs, common_nsecs,
                           common_pid, common_comm, common_callchain, id, ret,
                           perf_sample_dict):
    common(event_name, context, common_cpu, common_secs, common_nsecs, common_pid,
           common_comm, common_callchain)
    emit("id", id)
    emit("ret", ret)
    emit("perf_sample_dict", perf_sample_dict)


def kmem__kmalloc(event_name, context, common_cpu, common_secs, common_nsecs, common_pid,
                  common_comm, common_callchain, call_site, ptr, bytes_req, bytes_alloc,
                  gfp_flags, node, perf_sample_dict):
    common(event_name, context, common_cpu, common_secs, common_nsecs, common_pid,
           common_comm, common_callchain)
    for k, v in (("call_site", call_site), ("ptr", ptr), ("bytes_req", bytes_req),
                 ("bytes_alloc", bytes_alloc), ("gfp_flags", gfp_flags), ("node", node)):
        emit(k, v)
    emit("flag_str(gfp_flags)", Core.flag_str(event_name, "gfp_flags", gfp_flags))
    emit("perf_sample_dict", perf_sample_dict)


def irq__softirq_entry(event_name, context, common_cpu, common_secs, common_nsecs,
                       common_pid, common_comm, common_callchain, vec):
    common(event_name, context, common_cpu, common_secs, common_nsecs, common_pid,
           common_comm, common_callchain)
    emit("vec", vec)
    emit("symbol_str(vec)", Core.symbol_str(event_name, "vec", vec))


# ------------------------------------------------------------ everything else

def trace_unhandled(event_name, context, event_fields_dict, perf_sample_dict):
    header("trace_unhandled", event_name)
    emit("context", context)
    context_calls(context)
    emit("event_fields_dict", event_fields_dict)
    emit("perf_sample_dict", perf_sample_dict)


def process_event(param_dict):
    header("process_event", param_dict.get("ev_name"))
    emit("param_dict", param_dict)


def _positional(callback):
    def handler(*args):
        header(callback)
        for i, a in enumerate(args):
            emit("arg%d" % i, a)
    handler.__name__ = callback
    return handler


context_switch = _positional("context_switch")
throttle = _positional("throttle")
unthrottle = _positional("unthrottle")
auxtrace_error = _positional("auxtrace_error")
stat__interval = _positional("stat__interval")

for _ev in ("task-clock", "context-switches", "page-faults", "cpu-clock", "cpu-migrations"):
    globals()["stat__" + _ev] = _positional("stat__" + _ev)
del _ev
