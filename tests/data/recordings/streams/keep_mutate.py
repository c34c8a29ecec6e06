# Every value a handler gets is its own: dicts and lists kept and changed by the script
# stay as the script left them, and later events get fresh ones (syscalls.data).
kept = []


def raw_syscalls__sys_exit(event_name, context, common_cpu, common_secs, common_nsecs,
                           common_pid, common_comm, common_callchain, id, ret):
    common_callchain.append(ret)
    kept.append(common_callchain)
    print("exit", common_secs, common_nsecs, common_pid, common_comm, id, ret,
          common_callchain)


def trace_unhandled(event_name, context, fields):
    fields["common_callchain"].append(len(kept))
    fields["seen"] = len(kept)
    del fields["common_cpu"]
    kept.append(fields)
    print(event_name, fields)


def trace_end():
    print(len(kept), kept[:3], kept[-3:])
    lists = [k if isinstance(k, list) else k["common_callchain"] for k in kept]
    print("shared lists", len(lists) - len({id(x) for x in lists}))
