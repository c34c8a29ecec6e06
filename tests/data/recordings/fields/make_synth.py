"""Write synth.data: a hand-made recording of events this machine cannot record: a
bpf-output event (PERF_COUNT_SW_BPF_OUTPUT, raw payloads a BPF program would send) and the
nine PERF_TYPE_SYNTH events Intel PT decoding synthesizes (ptwrite, mwait, pwre, exstop,
pwrx, cbr, psb, evt, iflag), with payloads of each kind (and too short ones). The samples'
ips are in ./prog (its MMAP2 record is copied from brbase.data's), so they resolve.

    python3 make_synth.py      (from this directory; fuzz/model.py does the layout)
"""

import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", ".."))
from fuzz.model import Attr, PerfData, Record  # noqa: E402

PID = 23329
TYPE_SYNTH = 0x80000000
# IDENTIFIER | IP | TID | TIME | CPU | PERIOD | RAW
SAMPLE_TYPE = (1 << 16) | 1 | 2 | 4 | 128 | 256 | 1024
SAMPLE_ID_ALL, MMAP2_FLAG, COMM_FLAG = 1 << 18, 1 << 23, 1 << 9
NAMES = ["bpf-output", "ptwrite", "mwait", "pwre", "exstop", "pwrx", "cbr", "psb", "evt",
         "iflag"]


def attr(kind, config, n):
    raw = bytearray(128)
    flags = SAMPLE_ID_ALL | (MMAP2_FLAG | COMM_FLAG if n == 0 else 0)
    struct.pack_into("<IIQQQQQ", raw, 0, kind, 128, config, 1, SAMPLE_TYPE, 0, flags)
    return raw


def trailer(ident, time, cpu=1):
    """sample_id_all trailer of this layout: tid, time, cpu, identifier."""
    return struct.pack("<IIQIIQ", PID, PID, time, cpu, 0, ident)


def sample(ident, time, ip, raw, cpu=1):
    raw_field = struct.pack("<I", len(raw)) + raw
    raw_field += bytes(-len(raw_field) % 8)
    return Record(9, 2, struct.pack("<QQIIQIIQ", ident, ip, PID, PID, time, cpu, 0, 1)
                  + raw_field)


def synth(payload):
    """A synth payload is its struct without the first 4 bytes; raw sizes are 4 short of
    a multiple of 8 (the raw size word makes up the rest)."""
    return payload


def payloads():
    """(attr index, raw payload) of every sample, in time order."""
    out = []
    # bpf-output: a string, binary, an empty one, a string then junk, 8 and 17 bytes
    for raw in (b"hello, bpf\0\0", bytes(range(0, 40, 3)), b"", b"ab\0cd\0\0\0",
                b"12345678", b"0123456789abcdef\x7f", b"\0\0\0\0"):
        out.append((0, raw))
    out += [
        (1, struct.pack("<IQ", 1, 0x6f6c6c6568)),          # ptwrite, ip set
        (1, struct.pack("<IQ", 0, 0)),                      # payload 0
        (1, struct.pack("<IQ", 0, 0x1122334455667788)),
        (1, struct.pack("<I", 1)),                          # too short: nothing
        (2, struct.pack("<IQ", 0, 0x3 << 32 | 0x21)),       # mwait hints, extensions
        (2, struct.pack("<IQ", 0, 0)),
        (3, struct.pack("<IQ", 0, 1 << 7 | 3 << 8 | 5 << 12)),   # pwre
        (4, struct.pack("<I", 1)),                          # exstop
        (4, struct.pack("<I", 0)),
        (5, struct.pack("<IQ", 0, 2 | 7 << 4 | 9 << 8)),    # pwrx
        (6, struct.pack("<III", 0x18 << 16 | 0x20, 3199600, 0)),  # cbr, max non-turbo
        (6, struct.pack("<III", 0x08, 800499, 0)),          # cbr without max
        (7, struct.pack("<IQ", 0, 0x12340)),                # psb
        (8, struct.pack("<I", 1 | 1 << 7 | 0x20 << 8 | 2 << 16)
         + struct.pack("<QQQQ", 0, 0xdead, 0x41, 0x77)),    # evt INTR + 2 evd
        (8, struct.pack("<I", 11 | 3 << 16) + struct.pack("<QQQQQQ", 1, 1, 2, 0, 5, 0)),
        (8, struct.pack("<I", 12 | 0 << 7)),                # cfe 12 (named later)
        (9, struct.pack("<IQ", 1 | 2, 0x401054)),           # iflag via branch
        (9, struct.pack("<IQ", 0, 0)),
    ]
    return out


def event_desc(ids):
    """HEADER_EVENT_DESC: every event's attr, name and ids."""
    out = struct.pack("<II", len(NAMES), 128)
    for n, name in enumerate(NAMES):
        raw = attr(1 if n == 0 else TYPE_SYNTH, 10 if n == 0 else n - 1, n)
        text = name.encode() + b"\0"
        text += bytes(-len(text) % 64)
        out += bytes(raw) + struct.pack("<I", 1) + struct.pack("<I", len(text)) + text
        out += struct.pack("<Q", ids[n])
    return out


def build():
    base = PerfData.parse(open(os.path.join(HERE, "brbase.data"), "rb").read())
    mmap2 = next(r for r in base.records if r.type == 10 and b"/prog\0" in r.body)
    ids = [1000 + n for n in range(len(NAMES))]
    attrs = [Attr(attr(1 if n == 0 else TYPE_SYNTH, 10 if n == 0 else n - 1, n), [ids[n]])
             for n in range(len(NAMES))]
    t = 22245300000000
    comm = Record(3, 0, struct.pack("<II16s", PID, PID, b"prog") + trailer(ids[0], t))
    fixed = mmap2.body[:-24]                # its own trailer replaced by this layout's
    records = [comm, Record(10, mmap2.misc, fixed + trailer(ids[0], t + 1))]
    ips = [0x401028, 0x401054, 0x401081, 0x401090, 0x4010b5]
    for k, (n, raw) in enumerate(payloads()):
        records.append(sample(ids[n], t + 1000 * (k + 1), ips[k % len(ips)], raw))
    features = {6: struct.pack("<I", 64) + b"x86_64".ljust(64, b"\0"),
                12: event_desc(ids)}
    pd = PerfData(False, 128 + 16, attrs, records, features)
    return pd.to_bytes()


if __name__ == "__main__":
    with open(os.path.join(HERE, "synth.data"), "wb") as f:
        f.write(build())
