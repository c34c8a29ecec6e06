# Syscall counts per process: raw_syscalls:sys_enter counted by (comm, pid, syscall nr).
# Runs under `perf script -s` and `perfscript -s` alike.
from collections import defaultdict

counts = defaultdict(int)


def raw_syscalls__sys_enter(event_name, context, common_cpu, common_secs, common_nsecs,
                            common_pid, common_comm, common_callchain, id, args):
    counts[(common_comm, common_pid, id)] += 1


def trace_end():
    for (comm, pid, nr), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print("%s\t%d\t%d\t%d" % (comm, pid, nr, n))
