# perf 6.1 `perf script -s` script: one line per sample with what the legacy API hands
# over, in the format module_attrs.py prints from perf module objects. Made to be run by
# the real perf (the expected outputs beside it); see README.md.
import sys


def _fmt(v):
    if isinstance(v, (bytes, bytearray)):
        return "%s:%s" % (type(v).__name__, bytes(v).hex())
    return "%s:%r" % (type(v).__name__, v)


def _chain(cc):
    out = []
    for f in cc:
        sym = f.get("sym")
        out.append("%x/%s/%s" % (f["ip"], sym["name"] if sym else None, f.get("dso")))
    return "[" + " ".join(out) + "]"


def _line(name, sd, fields):
    s = sd["sample"]
    parts = [name, "pid=%d" % s["pid"], "tid=%d" % s["tid"], "cpu=%d" % s["cpu"],
             "time=%d" % s["time"], "period=%d" % s["period"], "ip=%x" % s["ip"],
             "addr=%x" % s["addr"], "dso=%s" % sd.get("dso"), "symbol=%s" % sd.get("symbol"),
             "symoff=%s" % sd.get("symoff"), "raw=%s" % bytes(sd.get("raw_buf") or b"").hex(),
             "callchain=%s" % _chain(sd.get("callchain") or [])]
    for k in sorted(fields):
        parts.append("%s=%s" % (k, _fmt(fields[k])))
    sys.stdout.write("\t".join(parts) + "\n")


def trace_unhandled(event_name, context, event_fields_dict, perf_sample_dict):
    _line(event_name, perf_sample_dict, event_fields_dict)


def process_event(param_dict):
    _line(param_dict["ev_name"], param_dict, {})
