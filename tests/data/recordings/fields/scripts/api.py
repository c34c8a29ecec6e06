# perf_trace_context's functions for every sample: perf_sample_insn, perf_sample_srcline,
# perf_sample_srccode, and perf_set_itrace_options before, during and after the samples.
from perf_trace_context import (perf_sample_insn, perf_sample_srccode, perf_sample_srcline,
                                perf_script_context, perf_set_itrace_options)


def trace_begin():
    for options in ("i100ns", "", "garbage"):
        print("begin", repr(options), perf_set_itrace_options(perf_script_context, options))


def _show(what):
    ctx = perf_script_context
    print(what, perf_sample_insn(ctx), perf_sample_srcline(ctx), perf_sample_srccode(ctx),
          perf_set_itrace_options(ctx, "cr"))


def process_event(param_dict):
    _show("%s %x" % (param_dict["ev_name"], param_dict["sample"]["ip"]))


def trace_unhandled(event_name, context, event_fields_dict, perf_sample_dict):
    _show(event_name)


def trace_end():
    print("end", perf_set_itrace_options(perf_script_context, "i"))
