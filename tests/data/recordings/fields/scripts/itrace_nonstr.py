# A non-string argument: perf parses its defaults, marks the options set and raises.
from perf_trace_context import perf_script_context, perf_set_itrace_options


def trace_begin():
    try:
        perf_set_itrace_options(perf_script_context, 5)
    except SystemError as e:
        print("SystemError", e)
    print(perf_set_itrace_options(perf_script_context, "i"))
