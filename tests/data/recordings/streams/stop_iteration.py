# A handler that raises StopIteration: perf prints its traceback and aborts, like any other
# exception (syscalls.data).
n = [0]


def raw_syscalls__sys_enter(event_name, context, common_cpu, common_secs, common_nsecs,
                            common_pid, common_comm, common_callchain, id, args):
    n[0] += 1
    print("enter", n[0], id)
    if n[0] == 30:
        next(iter(()))


def trace_end():
    print("not reached")
