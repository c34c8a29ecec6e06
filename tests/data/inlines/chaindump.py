# prints each sample's callchain entries as perf hands them to scripts
def process_event(param_dict):
    s = param_dict["sample"]
    print("%d %d.%09d" % (s["tid"], s["time"] // 1000000000, s["time"] % 1000000000))
    for e in param_dict.get("callchain", []):
        keys = sorted(e.keys())
        sym = e.get("sym")
        print("  %x %s off=%s srcline=%s dso=%s keys=%s" % (e["ip"], sym["name"] if sym else None,
              e.get("sym_off"), e.get("sym_srcline"), e.get("dso"), ",".join(keys)))
        if sym:
            print("     start=%x end=%x binding=%d" % (sym["start"], sym["end"], sym["binding"]))
