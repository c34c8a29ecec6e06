# perf 6.1 `perf script -s` script: context switches and stat counts as the legacy API
# hands them, printed as module_sideband.py prints them from the perf module.
import sys
def context_switch(ts, cpu, pid, tid, np_pid, np_tid, machine_pid, out, out_preempt, *x):
    print("switch", ts, cpu, pid, tid, np_pid, np_tid, int(out))
def stat__interval(time):
    print("round", time)
def trace_unhandled(*a): pass
def process_event(d): pass
def _mk(name):
    def h(cpu, thread, time, val, ena, run):
        print("stat", name, cpu, thread, val, ena, run)
    return h
for n in ("task_clock", "context_switches", "page_faults", "cpu_clock", "cycles", "instructions"):
    globals()["stat__" + n] = _mk(n)
