"""Write metric.data: hand-made samples of event groups read with each sample
(`perf record -e '{...}:S'`), with hardware events this machine cannot count: a group led by
cpu-clock with cycles, instructions, stalls, branches, caches, TLBs and context-switches;
a second group {cycles:u, instructions:u} (another exclude context); task-clock in no
group. Counter values grow irregularly, some not at all in some samples (perf then skips
that member, which shifts its group counter), samples alternate between two cpus. The
samples' ips are in ./prog (MMAP2 copied from brbase.data).

    python3 make_metric.py      (from this directory; fuzz/model.py does the layout)
"""

import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", ".."))
from fuzz.model import Attr, PerfData, Record  # noqa: E402

PID = 23329
# IDENTIFIER | IP | TID | TIME | CPU | READ
SAMPLE_TYPE = (1 << 16) | 1 | 2 | 4 | 128 | 16
READ_FORMAT = 8 | 4                             # GROUP | ID
SAMPLE_ID_ALL, MMAP2_FLAG, COMM_FLAG = 1 << 18, 1 << 23, 1 << 9
EXCLUDE_KERNEL = 1 << 5
HW, SW, CACHE = 0, 1, 3
# (name, type, config, flags): group A, group B, then task-clock alone
EVENTS = [("cpu-clock", SW, 0, 0), ("cycles", HW, 0, 0), ("instructions", HW, 1, 0),
          ("stalled-cycles-frontend", HW, 7, 0), ("stalled-cycles-backend", HW, 8, 0),
          ("branches", HW, 4, 0), ("branch-misses", HW, 5, 0),
          ("cache-references", HW, 2, 0), ("cache-misses", HW, 3, 0),
          ("L1-dcache-loads", CACHE, 0, 0), ("L1-dcache-load-misses", CACHE, 0x10000, 0),
          ("L1-icache-loads", CACHE, 1, 0), ("L1-icache-load-misses", CACHE, 0x10001, 0),
          ("LLC-loads", CACHE, 2, 0), ("LLC-load-misses", CACHE, 0x10002, 0),
          ("dTLB-loads", CACHE, 3, 0), ("dTLB-load-misses", CACHE, 0x10003, 0),
          ("iTLB-loads", CACHE, 4, 0), ("iTLB-load-misses", CACHE, 0x10004, 0),
          ("context-switches", SW, 3, 0),
          ("cycles:u", HW, 0, EXCLUDE_KERNEL), ("instructions:u", HW, 1, EXCLUDE_KERNEL),
          ("task-clock", SW, 1, 0)]
GROUP_A, GROUP_B = (0, 20), (20, 2)             # (leader index, members)


def attr(n):
    _, kind, config, flags = EVENTS[n]
    raw = bytearray(128)
    flags |= SAMPLE_ID_ALL | (MMAP2_FLAG | COMM_FLAG if n == 0 else 0)
    struct.pack_into("<IIQQQQQ", raw, 0, kind, 128, config, 1000000, SAMPLE_TYPE,
                     READ_FORMAT, flags)
    return raw


def string(text):
    data = text.encode() + b"\0"
    data += bytes(-len(data) % 64)
    return struct.pack("<I", len(data)) + data


def event_desc(ids):
    out = struct.pack("<II", len(EVENTS), 128)
    for n, (name, _, _, _) in enumerate(EVENTS):
        out += bytes(attr(n)) + struct.pack("<I", 1) + string(name) + struct.pack("<Q", ids[n])
    return out


def group_desc():
    out = struct.pack("<I", 2)
    for leader, members in (GROUP_A, GROUP_B):
        out += string("{anon_group}") + struct.pack("<II", leader, members)
    return out


def trailer(ident, time, cpu=0):
    return struct.pack("<IIQIIQ", PID, PID, time, cpu, 0, ident)


def growth(n, k):
    """How much counter n grows by in sample k (0: it does not)."""
    name, kind, config, _ = EVENTS[n]
    if name in ("cpu-clock", "task-clock"):
        return 1000000 + 37 * ((k * 7919) % 1000) - 18000 * (k % 3)
    if name.startswith("cycles"):
        return 2400000 + 51 * ((k * 104729) % 1000)
    if name.startswith("instructions"):
        return 3100000 + 97 * ((k * 1299709) % 1000) if k % 5 else 0
    if name == "context-switches":
        return 1 if k % 4 == 1 else 0
    base = {7: 400000, 8: 900000, 4: 500000, 5: 7000, 2: 30000, 3: 3000}.get(config)
    if kind == HW:
        return base + 13 * ((k * 31 + n) % 100)
    if config & 0x10000:
        return 1000 + 17 * k if k % 6 else 0
    return 200000 + 101 * k


def build():
    base = PerfData.parse(open(os.path.join(HERE, "brbase.data"), "rb").read())
    mmap2 = next(r for r in base.records if r.type == 10 and b"/prog\0" in r.body)
    ids = [5000 + n for n in range(len(EVENTS))]
    attrs = [Attr(attr(n), [ids[n]]) for n in range(len(EVENTS))]
    t = 22245300000000
    records = [Record(3, 0, struct.pack("<II16s", PID, PID, b"prog") + trailer(ids[0], t)),
               Record(10, mmap2.misc, mmap2.body[:-24] + trailer(ids[0], t + 1))]
    totals = [0] * len(EVENTS)
    ips = [0x401028, 0x401054, 0x401081, 0x401048, 0x401066]
    for k in range(24):
        if k % 7 == 3:
            group = (22, 1)                     # task-clock's own sample
        else:
            group = GROUP_B if k % 4 == 2 else GROUP_A
        leader, members = group
        values = []
        for n in range(leader, leader + members):
            totals[n] += growth(n, k)
            values.append(struct.pack("<QQ", totals[n], ids[n]))
        body = struct.pack("<QQIIQII", ids[leader], ips[k % len(ips)], PID, PID,
                           t + 1000000 * (k + 1), k % 2, 0)
        body += struct.pack("<Q", members) + b"".join(values)
        records.append(Record(9, 2, body))
    features = {6: struct.pack("<I", 64) + b"x86_64".ljust(64, b"\0"),
                12: event_desc(ids), 17: group_desc()}
    return PerfData(False, 128 + 16, attrs, records, features).to_bytes()


if __name__ == "__main__":
    with open(os.path.join(HERE, "metric.data"), "wb") as f:
        f.write(build())
