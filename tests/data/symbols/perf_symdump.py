# Run by real perf: perf script -i FILE -s perf_symdump.py > out.jsonl
# Writes one JSON line per resolved address (sample ip and callchain frames) with
# what perf resolved: dso, build id, map extent, symbol dict and offset.
import json
import sys

seen = set()


def emit(rec):
    key = json.dumps(rec, sort_keys=True)
    if key not in seen:
        seen.add(key)
        sys.stdout.write(key + "\n")


def process_event(d):
    s = d["sample"]
    pid = s["pid"]
    rec = {"kind": "sample", "pid": pid, "ip": s["ip"], "cpumode": s["cpumode"]}
    for k in ("dso", "dso_bid", "dso_map_start", "dso_map_end", "symbol", "symoff"):
        if k in d:
            rec[k] = d[k]
    emit(rec)
    for fr in d["callchain"]:
        rec = {"kind": "frame", "pid": pid, "ip": fr["ip"]}
        for k in ("dso", "sym", "sym_off"):
            if k in fr:
                rec[k] = fr[k]
        emit(rec)


def trace_unhandled(event_name, context, common_fields, perf_sample_dict):
    process_event(perf_sample_dict)
