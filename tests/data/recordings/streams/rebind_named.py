# Handlers rebound, deleted, made uncallable and swapped while events are delivered: perf
# looks the handler up before every call. Used on syscalls.data (test_script_streams.py).
import perf_trace_context

n = [0]


def count(what, *args):
    n[0] += 1
    print(what, n[0], *args)


def enter_second(event_name, context, common_cpu, common_secs, common_nsecs, common_pid,
                 common_comm, common_callchain, id, args):
    count("enter_second", common_secs, common_nsecs, id, perf_trace_context.common_pc(context),
          perf_trace_context.common_flags(context),
          perf_trace_context.common_lock_depth(context),
          perf_trace_context.perf_sample_insn(context))
    if n[0] >= 80:
        global raw_syscalls__sys_enter
        del raw_syscalls__sys_enter


def raw_syscalls__sys_enter(event_name, context, common_cpu, common_secs, common_nsecs,
                            common_pid, common_comm, common_callchain, id, args):
    count("enter", common_cpu, common_secs, common_nsecs, common_pid, common_comm, id,
          bytes(args).hex())
    if n[0] >= 40:
        global raw_syscalls__sys_enter
        raw_syscalls__sys_enter = enter_second


def exit_with_dict(event_name, context, common_cpu, common_secs, common_nsecs, common_pid,
                   common_comm, common_callchain, id, ret, perf_sample_dict):
    count("exit_with_dict", id, ret, perf_sample_dict["sample"]["time"])


def raw_syscalls__sys_exit(event_name, context, common_cpu, common_secs, common_nsecs,
                           common_pid, common_comm, common_callchain, id, ret):
    count("exit", common_secs, common_nsecs, id, ret)
    if n[0] >= 300:
        global raw_syscalls__sys_exit
        raw_syscalls__sys_exit = exit_with_dict


def second_unhandled(event_name, context, fields):
    count("second_unhandled", event_name, sorted(fields.items()))
    if n[0] >= 200:
        globals()["raw_syscalls__sys_enter"] = 5      # not callable: trace_unhandled again
    if n[0] >= 240:
        globals()["raw_syscalls__sys_enter"] = raw_syscalls__sys_exit


def trace_unhandled(event_name, context, fields):
    count("unhandled", event_name, fields["common_s"], fields["common_ns"], fields["id"])
    if n[0] >= 120:
        global trace_unhandled
        trace_unhandled = second_unhandled


def trace_end():
    print("end", n[0])
