"""iregs/uregs strings (names/regs.py) against perf 6.1.

Expected strings were printed by the real perf 6.1 (corpus case
group_read_regs, and synthetic files from tools/perf_oracle.py); where perf
is installed the oracle test re-checks many random masks and architectures.
"""

from __future__ import annotations

import pathlib
import random
import re
import sys

import pytest

from perfscript.names import regs

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
sys.path.insert(0, str(ROOT / "tools"))
import perf_oracle  # noqa: E402

# Bits 0,7,13,24,31,32,33,46,58,63 with these values, as perf 6.1 printed them.
MASK = sum(1 << b for b in (0, 7, 13, 24, 31, 32, 33, 46, 58, 63))
VALUES = [0, 1, 0xff, 0xdead, 2**64 - 1, 16, 17, 0x7ffe90fb5368, 3, 4]
PERF_61 = {
    'x86_64': '   AX:0x0    SP:0x1    ES:0xff unknown:0xdead unknown:0xffffffffffffffff  XMM0:0x10  XMM0:0x11  XMM7:0x7ffe90fb5368 XMM13:0x3 XMM15:0x4 ',
    'i686': '   AX:0x0    SP:0x1    ES:0xff unknown:0xdead unknown:0xffffffffffffffff  XMM0:0x10  XMM0:0x11  XMM7:0x7ffe90fb5368 XMM13:0x3 XMM15:0x4 ',
    'aarch64': '   x0:0x0    x7:0x1   x13:0xff   x24:0xdead    sp:0xffffffffffffffff    pc:0x10 unknown:0x11    vg:0x7ffe90fb5368 unknown:0x3 unknown:0x4 ',
    'armv7l': '   r0:0x0    r7:0x1    sp:0xff unknown:0xdead unknown:0xffffffffffffffff unknown:0x10 unknown:0x11 unknown:0x7ffe90fb5368 unknown:0x3 unknown:0x4 ',
    'ppc64le': '   r0:0x0    r7:0x1   r13:0xff   r24:0xdead   r31:0xffffffffffffffff   nip:0x10   msr:0x11 mmcr1:0x7ffe90fb5368  siar:0x3 unknown:0x4 ',
    's390x': '   R0:0x0    R7:0x1   R13:0xff   FP8:0xdead  FP15:0xffffffffffffffff  MASK:0x10    PC:0x11 unknown:0x7ffe90fb5368 unknown:0x3 unknown:0x4 ',
    'mips64': '   PC:0x0    $7:0x1   $13:0xff   $24:0xdead   $31:0xffffffffffffffff unknown:0x10 unknown:0x11 unknown:0x7ffe90fb5368 unknown:0x3 unknown:0x4 ',
    'riscv64': 'unknown:0x0 unknown:0x1 unknown:0xff unknown:0xdead unknown:0xffffffffffffffff unknown:0x10 unknown:0x11 unknown:0x7ffe90fb5368 unknown:0x3 unknown:0x4 ',
    'csky': 'unknown:0x0    a1:0x1 regs3:0xff unknown:0xdead unknown:0xffffffffffffffff unknown:0x10 unknown:0x11 unknown:0x7ffe90fb5368 unknown:0x3 unknown:0x4 ',
}


@pytest.mark.parametrize("arch", sorted(PERF_61))
def test_names_per_arch(arch):
    assert regs.format_regs(arch, MASK, VALUES) == PERF_61[arch]


def test_group_read_regs_case():
    """The corpus recording (--intr-regs=ax,bx,cx --user-regs=sp,ip)."""
    i, u = regs.sample_regs_strings("x86_64", 0b111, [0x100, 0x240, 0],
                                    (1 << 7) | (1 << 8), [0x7ffe90fb5368, 0x7f675752f3e0])
    assert i == '   AX:0x100    BX:0x240    CX:0x0 '
    assert u == '   SP:0x7ffe90fb5368    IP:0x7f675752f3e0 '


def test_corpus_dump_strings_parse_back():
    dump = CORPUS / "cases/group_read_regs/ref/dump.txt"
    if not dump.exists():
        pytest.skip("corpus not available")
    text = dump.read_text()
    seen = 0
    for kind, s in re.findall(r"(iregs|uregs)=<str>'([^']*)'", text):
        names = re.findall(r"\s*(\w+):0x([0-9a-f]+) ", s)
        mask = (0b111 if kind == "iregs" else (1 << 7) | (1 << 8))
        values = [int(v, 16) for _, v in names]
        assert regs.format_regs("x86_64", mask, values) == s
        seen += 1
    assert seen > 100


def test_normalize_arch():
    cases = {"x86_64": "x86", "i386": "x86", "i686": "x86", "aarch64": "arm64",
             "aarch64_be": "arm64", "arm64": "arm64", "armv7l": "arm", "arm": "arm",
             "sa110": "arm", "s390x": "s390", "ppc64le": "powerpc", "powerpc": "powerpc",
             "mips64": "mips", "sh4": "sh", "sparc64": "sparc", "sun4u": "sparc",
             "parisc64": "parisc", "riscv64": "riscv64", "x86": "x86", "csky": "csky"}
    for uname, arch in cases.items():
        assert regs.normalize_arch(uname) == arch, uname
        assert regs.normalize_arch(arch) == arch  # idempotent


def test_no_registers_and_buffer_quirk():
    # abi 0 (no registers in the sample) -> ''
    assert regs.format_regs("x86_64", 0b11, None) == ""
    # perf 6.1 sizes both buffers from the interrupt mask: user-only -> ''
    assert regs.sample_regs_strings("x86_64", 0, None, 0b11, [1, 2]) == ("", "")
    # one interrupt register = 28 bytes, so uregs keeps 27 characters
    i, u = regs.sample_regs_strings("x86_64", 1, [5], 0b111, [2**64 - 1] * 3)
    assert i == "   AX:0x5 "
    assert u == "   AX:0xffffffffffffffff    BX:0xfff"[:27]
    assert len(u) == 27


def test_unknown_bits_everywhere():
    assert regs.reg_name(24, "x86_64") == "unknown"
    assert regs.reg_name(33, "x86_64") == "XMM0"
    assert regs.reg_name(46, "aarch64") == "vg"
    assert regs.reg_name(0, "bogus") == "unknown"


@pytest.mark.skipif(perf_oracle.perf_binary() is None, reason="perf not installed")
def test_against_real_perf():
    rng = random.Random(1234)
    full = (1 << 64) - 1
    for arch in ("x86_64", "i386", "aarch64", "armv7l", "ppc", "s390", "mips", "riscv",
                 "csky", "sparc64", None):
        attrs, cases = [], []
        for im, um in ((full, full), (0, 0b11), (1, full), (rng.getrandbits(64), rng.getrandbits(64))):
            a = perf_oracle.Attr(sample_type=perf_oracle.SAMPLE_REGS_INTR
                                 | perf_oracle.SAMPLE_REGS_USER, regs_intr=im, regs_user=um)
            for k in range(3):
                iv = None if k == 2 else [rng.getrandbits(rng.choice((8, 64)))
                                          for _ in range(bin(im).count("1"))]
                uv = None if k == 1 else [rng.getrandbits(rng.choice((8, 64)))
                                          for _ in range(bin(um).count("1"))]
                a.samples.append(perf_oracle.Sample(intr_regs=iv, user_regs=uv))
                cases.append((im, iv, um, uv))
            attrs.append(a)
        got = perf_oracle.run(attrs, arch=arch)
        for (im, iv, um, uv), r in zip(cases, got):
            assert (r["iregs"], r["uregs"]) == regs.sample_regs_strings(arch, im, iv, um, uv)
