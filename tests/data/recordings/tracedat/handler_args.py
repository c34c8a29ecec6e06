# What perf script hands a handler for each tracepoint record but the time (a trace.dat
# and a perf.data recorded at once differ in it: different clocks) and the raw payload
# (perf pads it to 8 bytes and its probe runs with preemption disabled):
# trace_unhandled's fields and the sample's comm, tid, cpu, period and callchain.
def trace_unhandled(event_name, context, event_fields_dict, perf_sample_dict):
    d = dict(event_fields_dict)
    del d["common_s"], d["common_ns"]
    s = perf_sample_dict["sample"]
    print(event_name, sorted(d.items()), perf_sample_dict["comm"], s["tid"], s["cpu"],
          s["period"], perf_sample_dict["callchain"])
