# process_event's param_dict: its dicts and lists are new for every sample; the script
# keeps, changes and rebinds (callchain.data).
import perf_trace_context

kept = []
n = [0]


def other(param_dict):
    n[0] += 1
    print("other", n[0], param_dict["sample"]["time"], param_dict.get("symbol"),
          perf_trace_context.perf_sample_insn(perf_script_context))
    if n[0] >= 120:
        global process_event
        del process_event


def process_event(param_dict):
    n[0] += 1
    chain = param_dict["callchain"]
    print(n[0], sorted((k, v) for k, v in param_dict.items() if k not in ("attr",)))
    if chain:
        chain[0].setdefault("sym", {})["name"] = "changed"
        chain[-1].pop("dso", None)
        chain.append({"made": n[0]})
    param_dict["sample"]["values"].append((1, 2, 3))
    param_dict["brstack"].append(n[0])
    kept.append(param_dict)
    if n[0] >= 90:
        global process_event
        process_event = other


def trace_end():
    print("kept", len(kept), len({id(k["callchain"]) for k in kept}),
          len({id(k["sample"]["values"]) for k in kept}))
    print(kept[0])
    print(kept[-1])
