#!/usr/bin/env python3
"""Ask the real `perf script` how it renders synthetic sample fields.

Writes a small perf.data (one software event per attr, chosen sample_type
bits, an optional ARCH header) holding the samples you describe, runs
``perf script -s probe.py`` on it and returns, per sample, what perf put in
perf_sample_dict: datasrc_decode, iregs, uregs, brstack, brstacksym.

Used to derive and check perfscript's names/regs.py, mem_info.py and
branch_flags.py against perf itself (tests/test_util_*.py use it when a
`perf` binary is installed).  Stdlib only.

    python3 tools/perf_oracle.py --selftest
"""

from __future__ import annotations

import ast
import os
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass, field

SAMPLE_IP = 1 << 0
SAMPLE_TID = 1 << 1
SAMPLE_TIME = 1 << 2
SAMPLE_PERIOD = 1 << 8
SAMPLE_BRANCH_STACK = 1 << 11
SAMPLE_REGS_USER = 1 << 12
SAMPLE_DATA_SRC = 1 << 15
SAMPLE_IDENTIFIER = 1 << 16
SAMPLE_REGS_INTR = 1 << 18

BRANCH_ANY = 1 << 3  # PERF_SAMPLE_BRANCH_ANY
HEADER_ARCH = 6
ATTR_SIZE = 128  # sizeof(struct perf_event_attr) in perf 6.1
HEADER_HOSTNAME = 3
_E = "<"  # byte order of the file being written

PROBE = r'''
import sys
def process_event(d):
    s = d["sample"]
    out = {
        "datasrc": s.get("datasrc"),
        "datasrc_decode": s.get("datasrc_decode"),
        "iregs": d.get("iregs"),
        "uregs": d.get("uregs"),
        "brstack": [dict(e) for e in d.get("brstack", [])],
        "brstacksym": [dict(e) for e in d.get("brstacksym", [])],
        "time": s.get("time"),
    }
    sys.stdout.write("SAMPLE " + repr(out) + "\n")
'''


@dataclass
class Sample:
    """One sample; fields not used by the attr's sample_type are ignored."""
    data_src: int = 0
    intr_regs: list[int] | None = None   # None: abi 0 (no registers)
    user_regs: list[int] | None = None
    branches: list[tuple[int, int, int]] = field(default_factory=list)  # from, to, flags


@dataclass
class Attr:
    sample_type: int = SAMPLE_IP | SAMPLE_TID | SAMPLE_TIME | SAMPLE_PERIOD
    regs_intr: int = 0
    regs_user: int = 0
    samples: list[Sample] = field(default_factory=list)


def _attr_bytes(a: Attr) -> bytes:
    buf = bytearray(ATTR_SIZE)
    struct.pack_into(_E + "IIQQQQ", buf, 0, 1, ATTR_SIZE, 0, 1, a.sample_type, 0)
    if a.sample_type & SAMPLE_BRANCH_STACK:
        struct.pack_into(_E + "Q", buf, 72, BRANCH_ANY)
    struct.pack_into(_E + "Q", buf, 80, a.regs_user)
    struct.pack_into(_E + "Q", buf, 96, a.regs_intr)
    return bytes(buf)


def _regs(abi_regs: list[int] | None, mask: int) -> bytes:
    if abi_regs is None:
        return struct.pack(_E + "Q", 0)
    if len(abi_regs) != bin(mask).count("1"):
        raise ValueError("one value per mask bit needed")
    return struct.pack(_E + "Q", 2) + b"".join(struct.pack(_E + "Q", v) for v in abi_regs)


def _sample_record(a: Attr, ident: int, s: Sample, t: int) -> bytes:
    st = a.sample_type
    body = b""
    if st & SAMPLE_IDENTIFIER:
        body += struct.pack(_E + "Q", ident)
    body += struct.pack(_E + "Q", 0x400000)            # ip
    body += struct.pack(_E + "II", 100, 100)           # pid, tid
    body += struct.pack(_E + "Q", t)                   # time
    body += struct.pack(_E + "Q", 1)                   # period
    if st & SAMPLE_BRANCH_STACK:
        body += struct.pack(_E + "Q", len(s.branches))
        for frm, to, flags in s.branches:
            body += struct.pack(_E + "QQQ", frm, to, flags)
    if st & SAMPLE_REGS_USER:
        body += _regs(s.user_regs, a.regs_user)
    if st & SAMPLE_DATA_SRC:
        body += struct.pack(_E + "Q", s.data_src)
    if st & SAMPLE_REGS_INTR:
        body += _regs(s.intr_regs, a.regs_intr)
    return struct.pack(_E + "IHH", 9, 2, 8 + len(body)) + body


def _header_string(text: str) -> bytes:
    raw = text.encode() + b"\0"
    raw += b"\0" * (-len(raw) % 64)
    return struct.pack(_E + "I", len(raw)) + raw


def write_perf_data(path: str, attrs: list[Attr], arch: str | None,
                    big_endian: bool = False) -> list[tuple[int, int]]:
    """Write the file; returns (attr index, sample index) in record order.

    big_endian writes the file as a big-endian machine would (perf byte-swaps
    it on reading, remapping bit fields such as branch flags).
    """
    global _E
    _E = ">" if big_endian else "<"
    multi = len(attrs) > 1
    for a in attrs:
        a.sample_type |= SAMPLE_IP | SAMPLE_TID | SAMPLE_TIME | SAMPLE_PERIOD
        if multi:
            a.sample_type |= SAMPLE_IDENTIFIER
    ids_off = 104
    ids = b"".join(struct.pack(_E + "Q", 1000 + i) for i in range(len(attrs)))
    attrs_off = ids_off + len(ids)
    entry = ATTR_SIZE + 16
    attrs_blob = b""
    for i, a in enumerate(attrs):
        attrs_blob += _attr_bytes(a) + struct.pack(_E + "QQ", ids_off + 8 * i, 8)
    data_off = attrs_off + len(attrs_blob)
    records = b""
    order = []
    t = 1_000_000
    for i, a in enumerate(attrs):
        for j, s in enumerate(a.samples):
            t += 1000
            records += _sample_record(a, 1000 + i, s, t)
            order.append((i, j))
    # Features: HOSTNAME (perf needs it to trust a byte-swapped feature
    # bitmap) and, if given, ARCH.  Index {offset, size} pairs, then payloads.
    feat_payloads = [(HEADER_HOSTNAME, _header_string("perf-oracle"))]
    if arch is not None:
        feat_payloads.append((HEADER_ARCH, _header_string(arch)))
    feat_bits = [0, 0, 0, 0]
    index_off = data_off + len(records)
    off = index_off + 16 * len(feat_payloads)
    index = payloads = b""
    for bit, payload in feat_payloads:
        feat_bits[0] |= 1 << bit
        index += struct.pack(_E + "QQ", off, len(payload))
        payloads += payload
        off += len(payload)
    feats = index + payloads
    header = struct.pack(_E + "Q", 0x32454C4946524550)  # "PERFILE2" in this byte order
    header += struct.pack(_E + "QQ", 104, entry)
    header += struct.pack(_E + "QQ", attrs_off, len(attrs_blob))
    header += struct.pack(_E + "QQ", data_off, len(records))
    header += struct.pack(_E + "QQ", 0, 0)
    header += struct.pack(_E + "4Q", *feat_bits)
    with open(path, "wb") as f:
        f.write(header + ids + attrs_blob + records + feats)
    return order


def perf_binary() -> str | None:
    return shutil.which("perf", path=os.environ.get("PATH", "") + ":/usr/bin")


def run(attrs: list[Attr], arch: str | None = "x86_64", perf: str | None = None,
        big_endian: bool = False) -> list[dict]:
    """Per sample (attrs' order, then samples' order): perf's dict fields."""
    perf = perf or perf_binary()
    if perf is None:
        raise RuntimeError("perf is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        probe = os.path.join(tmp, "probe.py")
        order = write_perf_data(data, attrs, arch, big_endian)
        with open(probe, "w") as f:
            f.write(PROBE)
        env = dict(os.environ)
        env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        env.pop("PYTHONPATH", None)
        env.pop("PYTHONHOME", None)
        proc = subprocess.run([perf, "script", "-i", data, "-s", probe],
                              capture_output=True, text=True, env=env, cwd=tmp)
        if proc.returncode != 0:
            raise RuntimeError(f"perf failed ({proc.returncode}): {proc.stderr[-2000:]}")
    got = [ast.literal_eval(line[7:]) for line in proc.stdout.splitlines()
           if line.startswith("SAMPLE ")]
    if len(got) != len(order):
        raise RuntimeError(f"perf printed {len(got)} samples, wrote {len(order)}:\n"
                           + proc.stdout[-2000:] + proc.stderr[-2000:])
    return got


def _selftest() -> None:
    a = Attr(sample_type=SAMPLE_DATA_SRC | SAMPLE_REGS_INTR | SAMPLE_REGS_USER
             | SAMPLE_BRANCH_STACK, regs_intr=0b111, regs_user=(1 << 7) | (1 << 8))
    a.samples = [Sample(data_src=0x5080021, intr_regs=[0x100, 0x240, 0],
                        user_regs=[0x7ffe90fb5368, 0x7f675752f3e0],
                        branches=[(0x1000, 0x2000, 0b0101 | (7 << 4))])]
    for r in run([a]):
        print(r)


if __name__ == "__main__":
    import sys
    if "--selftest" in sys.argv:
        _selftest()
    else:
        print(__doc__)
