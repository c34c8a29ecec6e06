"""Turn what real perf 6.1 resolved in a recording into a fixture for tests/test_symbols_*.py.

Usage: python make_fixture.py perf.data out.json.xz
Runs ``perf script -s perf_symdump.py`` (perf's own dicts) and ``perf script
--show-mmap-events`` (map start/len/pgoff per file) and writes, per distinct address, what perf
put in the dicts together with the map it came from.  Needs perf 6.1 (the arbiter) on PATH.
"""

import json
import lzma
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ENV = dict(os.environ, PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           LC_ALL="C")
ENV.pop("PYTHONUNBUFFERED", None)
MMAP_RE = re.compile(r"^\s*\S.*?\s(\d+)/(\d+)\s+PERF_RECORD_MMAP2? (-?\d+)/(-?\d+): "
                     r"\[0x([0-9a-f]+)\(0x([0-9a-f]+)\) @ (0x[0-9a-f]+|\d+)[^\]]*\]: \S+ (.*)$")


def mmaps(data):
    out = subprocess.run(["perf", "script", "-i", data, "--show-mmap-events", "-F", "comm,pid,tid"],
                         capture_output=True, text=True, env=ENV).stdout
    maps = []
    for line in out.splitlines():
        m = MMAP_RE.match(line)
        if not m:
            continue
        pid = int(m.group(3))
        start = int(m.group(5), 16)
        length = int(m.group(6), 16)
        pgoff = int(m.group(7), 0)
        maps.append((pid, start, start + length, pgoff, m.group(8).strip()))
    return maps


def main(data, out_path):
    dump = subprocess.run(["perf", "script", "-i", data, "-s", os.path.join(HERE, "perf_symdump.py")],
                          capture_output=True, text=True, env=ENV).stdout
    maps = mmaps(data)
    kernel_mmap = [m for m in maps if m[4].startswith("[kernel.kallsyms]")]
    ref_reloc = None
    if kernel_mmap:
        name = kernel_mmap[0][4][len("[kernel.kallsyms]"):]
        ref_reloc = [name, kernel_mmap[0][3]] if name and kernel_mmap[0][3] else None
    bids = {}
    recs = [json.loads(line) for line in dump.splitlines() if line.startswith("{")]
    for r in recs:
        if "dso_bid" in r:
            bids[r["dso"]] = r["dso_bid"]

    def find_map(pid, fname, ip, start=None):
        best = None
        for m in maps:
            if m[4] != fname or not (m[1] <= ip < m[2]):
                continue
            if start is not None and m[1] != start:
                continue
            if m[0] == pid:
                best = m
            elif best is None:
                best = m
        return best

    entries = {}
    for r in recs:
        dso = r.get("dso")
        if dso is None:
            continue
        if r["kind"] == "sample":
            m = find_map(r["pid"], dso, r["ip"], r.get("dso_map_start"))
            ent = {"dso": dso, "bid": r.get("dso_bid", ""), "ip": r["ip"],
                   "map_start": r.get("dso_map_start"), "map_end": r.get("dso_map_end"),
                   "pgoff": m[3] if m else None,
                   "symbol": r.get("symbol"), "symoff": r.get("symoff")}
        else:
            m = find_map(r["pid"], dso, r["ip"])
            sym = r.get("sym")
            ent = {"dso": dso, "bid": bids.get(dso, ""), "ip": r["ip"],
                   "map_start": m[1] if m else None, "pgoff": m[3] if m else None,
                   "symbol": sym["name"] if sym else None, "symoff": r.get("sym_off"),
                   "sym": sym}
        if dso == "[kernel.kallsyms]":
            ent["map_start"] = ent.get("map_start") or None
        key = (ent["kind"] if "kind" in ent else r["kind"], dso, ent["ip"], ent.get("map_start"))
        ent["kind"] = r["kind"]
        entries[key] = ent
    fixture = {"source": os.path.basename(os.path.dirname(os.path.abspath(data))) + "/" +
               os.path.basename(data), "ref_reloc": ref_reloc,
               "entries": sorted(entries.values(), key=lambda e: (e["dso"], e["ip"], e["kind"]))}
    with lzma.open(out_path, "wt") as f:
        json.dump(fixture, f, sort_keys=True)
    print("%s: %d entries" % (out_path, len(fixture["entries"])))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
