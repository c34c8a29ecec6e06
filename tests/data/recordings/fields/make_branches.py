"""Write branches.data / branches_hwidx.data (and branches_pie.data from pie_base.data, the
same for ./prog_pie): brbase.data (a real `perf record` of ./prog, no branch stacks: this
machine has no LBR) with a branch stack added to every sample, as
`perf record -b` would have written it. The entries are branches ./prog really takes
(addresses from `objdump -d prog`), chosen per sample ip, with varied flags; a few samples
get odd stacks (empty, ending at the sample ip, aborted, through the kernel, unmapped).

    python3 make_branches.py      (from this directory; fuzz/model.py does the layout)
"""

import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", ".."))
from fuzz.model import PerfData  # noqa: E402

SAMPLE_BRANCH_STACK = 1 << 11
BRANCH_USER, BRANCH_ANY, BRANCH_HW_INDEX = 1 << 0, 1 << 3, 1 << 17
COND, UNCOND, CALL = 1, 2, 4

# taken branches of work()'s loop: B at an even i, A at an odd one
B = (0x401054, 0x401028, COND)
A = (0x401081, 0x401048, UNCOND)
START = [(0x401081, 0x401048, UNCOND), (0x401054, 0x401028, COND),
         (0x401026, 0x401051, UNCOND), (0x401090, 0x401000, CALL),
         (0x4010a5, 0x40108c, CALL)]


def flags(i, kind, mispred=False, abort=False, in_tx=False):
    """An entry's flags word: predicted or mispredicted, cycles, type."""
    word = 1 if mispred else (2 if i % 3 else 0)
    word |= (4 if in_tx else 0) | (8 if abort else 0)
    word |= (i * 7 % 40) << 4 | kind << 20
    return word


def stack_for(n, ip):
    """(entries, most recent first) for sample number n at `ip`."""
    if n == 0:
        return [(f, t, flags(k, kind)) for k, (f, t, kind) in enumerate(START)]
    if n == 1:
        return []
    if n == 2:                              # entries[0] ends at the sample ip
        return [(ip, 0x401048, flags(1, UNCOND)), (0x401054, 0x401028, flags(2, COND))]
    if n == 3:                              # aborted last branch
        return [(B[0], B[1], flags(0, COND, abort=True, in_tx=True)),
                (A[0], A[1], flags(4, UNCOND))]
    if n == 4:                              # target past the sample ip: 128 bytes scanned
        return [(0x401026, 0x401051, flags(5, UNCOND, mispred=True)),
                (0x401054, 0x401028, flags(6, COND))]
    if n == 5:                              # kernel entries: syscall and return
        return [(B[0], B[1], flags(1, COND)),
                (0xffffffff81000100, 0x401048, flags(2, 6)),
                (0x4010b5, 0xffffffff81000000, flags(3, 7)),
                (A[0], A[1], flags(4, UNCOND))]
    if n == 6:                              # an address no map holds
        return [(B[0], B[1], flags(1, COND)), (0x1234, 0x5678, flags(2, UNCOND))]
    if n == 7:                              # a block into the kernel (ring filtered)
        return [(B[0], B[1], flags(1, COND)),
                (0xffffffff81000100, 0x401048, flags(2, 6)),
                (A[0], A[1], flags(3, UNCOND))]
    if n == 8:                              # a source inside an instruction; type 0
        return [(B[0], B[1], flags(1, 0)), (0x401052, 0x401048, flags(2, 0)),
                (A[0], A[1], flags(3, UNCOND))]
    if n == 9:                              # one entry, its target unmapped
        return [(B[0], 0x5678, flags(4, COND))]
    if n == 10:                             # IPC of 1/8 cycles, rounded as a float
        return [(B[0], B[1], 0x80 | COND << 20), (A[0], A[1], 0x30 | UNCOND << 20)]
    if n == 11:                             # every extended (EXTEND_ABI) type
        return [(A[0], A[1], 15 << 20 | t << 26 | (t % 4) << 24) for t in range(8)]
    if n == 12:                             # the other types
        return [(A[0], A[1], t << 20 | (t % 8) << 30) for t in range(3, 15)]
    if 0x401048 <= ip <= 0x401054:
        order = [A, B, A, B]
    else:
        order = [B, A, B, A]
    return [(f, t, flags(n + k, kind, mispred=(n + k) % 5 == 0)) for k, (f, t, kind)
            in enumerate(order)]


def exec_base(pd):
    """Where a PIE's link address 0 was loaded (its MMAP2 record), else None."""
    for rec in pd.records:
        if rec.type == 10 and b"/prog_pie\0" in rec.body:
            start, _, pgoff = struct.unpack_from("<QQQ", rec.body, 8)
            return start - pgoff
    return None


def build(base_name, hw_index):
    pd = PerfData.parse(open(os.path.join(HERE, base_name), "rb").read())
    base = exec_base(pd)
    # ./prog's addresses are link-time ones (0x401000...); ./prog_pie's are offsets
    reloc = (lambda a: a - 0x400000 + base if 0x401000 <= a < 0x402000 else a) \
        if base is not None else (lambda a: a)
    unreloc = (lambda a: a - base + 0x400000) if base is not None else (lambda a: a)
    attr = pd.attrs[0]
    st = attr.sample_type
    assert st == 0x87, hex(st)              # IP|TID|TIME|CPU: the stack goes last
    attr.set_u64(24, st | SAMPLE_BRANCH_STACK)
    attr.set_u64(72, BRANCH_USER | BRANCH_ANY | (BRANCH_HW_INDEX if hw_index else 0))
    n = 0
    for rec in pd.records:
        if rec.type != 9:
            continue
        ip = struct.unpack_from("<Q", rec.body, 0)[0]
        entries = [(reloc(f), reloc(t), w) for f, t, w in stack_for(n, unreloc(ip))]
        body = struct.pack("<Q", len(entries))
        if hw_index:
            body += struct.pack("<Q", 0xffffffffffffffff)
        for f, t, w in entries:
            body += struct.pack("<QQQ", f, t, w)
        rec.body = rec.body + body
        n += 1
    return pd.to_bytes()


if __name__ == "__main__":
    for name, base_name, hw in (("branches.data", "brbase.data", False),
                                ("branches_hwidx.data", "brbase.data", True),
                                ("branches_pie.data", "pie_base.data", True)):
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(build(base_name, hw))
