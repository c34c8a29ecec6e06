# perf_set_itrace_options with the options given as the script's argument: perf's parse
# result the first time, 1 after (the options are set).
import sys

from perf_trace_context import perf_script_context, perf_set_itrace_options


def trace_begin():
    print(perf_set_itrace_options(perf_script_context, sys.argv[1]))
    print(perf_set_itrace_options(perf_script_context, sys.argv[1]))
