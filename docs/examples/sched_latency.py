# Scheduling latency per task: from sched_wakeup of a task to the sched_switch that
# runs it (the latest wakeup counts; a switch-in without a wakeup before it is skipped).
from collections import defaultdict

woken = {}                          # pid -> time of its latest wakeup (ns)
stats = defaultdict(lambda: [0, 0, 0])   # (comm, pid) -> [count, total ns, max ns]


def sched__sched_wakeup(event_name, context, common_cpu, common_secs, common_nsecs,
                        common_pid, common_comm, common_callchain, comm, pid, *rest):
    woken[pid] = common_secs * 1000000000 + common_nsecs


def sched__sched_switch(event_name, context, common_cpu, common_secs, common_nsecs,
                        common_pid, common_comm, common_callchain, prev_comm, prev_pid,
                        prev_prio, prev_state, next_comm, next_pid, next_prio):
    t = woken.pop(next_pid, None)
    if t is None:
        return
    lat = common_secs * 1000000000 + common_nsecs - t
    s = stats[(next_comm, next_pid)]
    s[0] += 1
    s[1] += lat
    s[2] = max(s[2], lat)


def trace_end():
    for (comm, pid), (n, total, worst) in sorted(stats.items(),
                                                 key=lambda kv: (-kv[1][1], kv[0])):
        print("%s\t%d\t%d\t%d\t%d" % (comm, pid, n, total, worst))
