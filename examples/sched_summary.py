# sched_summary.py - a perf script: context switches and exits per task.
#
# Runs unchanged under `perf script -s` and `perfscript -s`:
#   perfscript -i examples/sched.data -s examples/sched_summary.py
import os
import sys

sys.path.append(os.environ['PERF_EXEC_PATH'] +
                '/scripts/python/Perf-Trace-Util/lib/Perf/Trace')

from perf_trace_context import *  # noqa: E402,F401,F403
from Core import *                # noqa: E402,F401,F403

switches = autodict()
exits = []


def trace_begin():
    print("Context switches by previous task and state:")


def sched__sched_switch(event_name, context, common_cpu, common_secs, common_nsecs,
                        common_pid, common_comm, common_callchain, prev_comm, prev_pid,
                        prev_prio, prev_state, next_comm, next_pid, next_prio):
    key = (prev_comm, prev_pid)
    try:
        switches[key] += 1
    except TypeError:
        switches[key] = 1


def sched__sched_process_exit(event_name, context, common_cpu, common_secs, common_nsecs,
                              common_pid, common_comm, common_callchain, *fields):
    exits.append("%5d.%09d %-16s exited" % (common_secs, common_nsecs, common_comm))


def trace_end():
    for (comm, pid), n in sorted(switches.items(), key=lambda kv: (-kv[1], kv[0])):
        print("  %-16s %6d %5d" % (comm, pid, n))
    print("Exits:")
    for line in exits:
        print("  " + line)
