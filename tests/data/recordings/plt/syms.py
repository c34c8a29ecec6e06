# perf script -s: the symbol and offset perf hands to scripts for a sample and its callchain
# (perf's get_offset), one line per sample.
def process_event(param_dict):
    s = param_dict["sample"]
    frames = ["%s+%s" % (f["sym"]["name"], f.get("sym_off")) if "sym" in f else "?"
              for f in s.get("callchain", [])]
    print("%x %s %s %s" % (s["ip"], param_dict.get("symbol"), param_dict.get("symoff"),
                          " ".join(frames)))
