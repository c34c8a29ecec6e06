# Events without any handler (perf calls nothing for them) until one is defined from
# another handler: sys_enter first has neither its handler nor trace_unhandled
# (syscalls.data).
n = [0]


def raw_syscalls__sys_exit(event_name, context, common_cpu, common_secs, common_nsecs,
                           common_pid, common_comm, common_callchain, id, ret):
    n[0] += 1
    if n[0] == 60:
        globals()["raw_syscalls__sys_enter"] = enter
    if n[0] == 120:
        globals()["trace_unhandled"] = unhandled
        del globals()["raw_syscalls__sys_enter"]
    if n[0] == 160:
        globals()["trace_unhandled"] = "not callable"
    print("exit", common_secs, common_nsecs, id, ret)


def enter(*args):
    print("enter", args[2:])


def unhandled(event_name, context, fields):
    print("unhandled", event_name, fields)
