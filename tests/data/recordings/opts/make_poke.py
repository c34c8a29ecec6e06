#!/usr/bin/env python3
"""Write poke.data: a kernel MMAP, a sample, two TEXT_POKE records (one inside the kernel
map, one inside a BPF program a KSYMBOL announced) and one in no map at all.

    python3 make_poke.py OUT
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
from synthetic import build_perf_data  # noqa: E402

EVENTS = [
    ("m", 0, 0xffffffff81000000, 0x1259b00, 0xffffffff81000000, b"[kernel.kallsyms]_text"),
    ("s", 100),
    ("p", 200, 0xffffffff81000010, bytes(range(5)), bytes(range(0xe8, 0xed))),
    ("k", 250, 0xffffffffc0001000, 64, 0, b"bpf_prog_x"),
    ("p", 300, 0xffffffffc0001004, bytes(range(20)), bytes(range(30, 48))),
    ("p", 350, 0x1234, b"", b""),
]

with open(sys.argv[1], "wb") as f:
    f.write(build_perf_data(EVENTS))
