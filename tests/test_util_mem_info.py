"""datasrc_decode text (names/mem_info.py) against perf 6.1.

Expected strings were printed by the real perf 6.1 for synthetic samples
(tools/perf_oracle.py) or found in the corpus references; where perf is
installed, thousands of random values are re-checked, including the ones on
which perf overflows its buffer (stack-smashing abort) -- datasrc_overflows()
must predict exactly those.
"""

from __future__ import annotations

import pathlib
import random
import re
import sys

import pytest
from hypothesis import given, settings, strategies as st

from perfscript.names import mem_info

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
sys.path.insert(0, str(ROOT / "tools"))
import perf_oracle  # noqa: E402

# data_src -> what perf 6.1 printed.
PERF_61 = {
    0x5080021: '|OP N/A|LVL N/A|SNP N/A|TLB N/A|LCK N/A|BLK  N/A',
    0x1e05080021: '|OP N/A|LVL N/A or N/A|SNP N/A|TLB N/A|LCK N/A|BLK  N/A',
    0x0: '|OP No|LVL N/A|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x1: '|OP N/A|LVL N/A|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x2: '|OP LOAD|LVL N/A|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x4: '|OP STORE|LVL N/A|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x8: '|OP PFETCH|LVL N/A|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x10: '|OP EXEC|LVL N/A|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0xf80000: '|OP No|LVL N/A|SNP N/A or None or Hit or Miss or HitM|TLB N/A|LCK No|BLK  N/A',
    0x1fc000000: '|OP No|LVL N/A|SNP N/A|TLB N/A or L1 or L2 or Walker or Fault hit miss|LCK No|BLK  N/A',
    0x3000000: '|OP No|LVL N/A|SNP N/A|TLB N/A|LCK N/A|BLK  N/A',
    0x2000000: '|OP No|LVL N/A|SNP N/A|TLB N/A|LCK Yes|BLK  N/A',
    0x70000000000: '|OP No|LVL N/A|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x20000000000: '|OP No|LVL N/A|SNP N/A|TLB N/A|LCK No|BLK  Data',
    0x40000000000: '|OP No|LVL N/A|SNP N/A|TLB N/A|LCK No|BLK  Addr',
    0x60000000000: '|OP No|LVL N/A|SNP N/A|TLB N/A|LCK No|BLK  Data Addr',
    0x2000000000: '|OP No|LVL Remote |SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x80000000040: '|OP No|LVL core, same node  hit|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x100000000000: '|OP No|LVL node, same socket |SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x180000000000: '|OP No|LVL socket, same board |SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x200000000000: '|OP No|LVL board |SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x280000000040: '|OP No|LVL (null)  hit|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x380000000040: '|OP No|LVL (null)  hit|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x200000040: '|OP No|LVL L1 hit|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x800000040: '|OP No|LVL L4 hit|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x1000000000: '|OP No|LVL L8|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x1200000000: '|OP No|LVL CXL|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x1400000000: '|OP No|LVL I/O|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x1600000000: '|OP No|LVL Any cache|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x1800000000: '|OP No|LVL LFB/MAB|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x1a00000000: '|OP No|LVL RAM|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x1c00000000: '|OP No|LVL PMEM|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x1e00000000: '|OP No|LVL N/A|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x4000000000: '|OP No|LVL N/A|SNP Fwd|TLB N/A|LCK No|BLK  N/A',
    0x8000000000: '|OP No|LVL N/A|SNP Peer|TLB N/A|LCK No|BLK  N/A',
    0xc000000000: '|OP No|LVL N/A|SNP Fwd or Peer|TLB N/A|LCK No|BLK  N/A',
    0xe0: '|OP No|LVL N/A hit miss|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x240: '|OP No|LVL LFB/MAB hit|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x20000: '|OP No|LVL I/O|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x40000: '|OP No|LVL Uncached|SNP N/A|TLB N/A|LCK No|BLK  N/A',
    0x82000000020: '|OP No|LVL Remote core, same node |SNP N/A|TLB N/A|LCK No|BLK  N/A',
    # overflowing perf's 100-byte buffer without reaching its stack canary
    0x17b664ac5db9: '|OP N/A|LVL Remote node, same socket Any cache miss|SNP N/A or Hit or HitM or Peer|TLB N/A or L1 o|',
    0x12ec749e828f: '|OP N/A|LVL Remote node, same socket L6 miss|SNP N/A or None or HitM or Fwd or Peer|TLB N/A or L1 |',
    0x6e882283d15: '|OP N/A|LVL Remote L1 or L2 or L3 or Local RAM or Remote RAM (1 hop) or L4|SNP N/A or Hit or Fwd o',
    0x74e79490eab: '|OP N/A|LVL N/A or LFB/MAB or L2 or L3 or Remote Cache (2 hops) or L7 miss|SNP N/A or Miss or Fwd||',
}

# perf 6.1 aborts with "*** stack smashing detected ***" on these.
PERF_61_ABORTS = [0x7ffe0, 0x7ff60, 0x7ffff, 0xffe0, 0x7fe0, 0x242257e8454, 0x31a7b3fa7aa7,
                  0x18f2d5f4b3b2, 0x1757deb8fc4c, 0x3ca08b5f7f8]


@pytest.mark.parametrize("value", sorted(PERF_61))
def test_known_outputs(value):
    assert mem_info.datasrc_decode(value) == PERF_61[value]
    assert not mem_info.datasrc_overflows(value)


@pytest.mark.parametrize("value", PERF_61_ABORTS)
def test_known_aborts(value):
    assert mem_info.datasrc_overflows(value)


def test_none_constant():
    assert mem_info.PERF_MEM_DATA_SRC_NONE == 0x5080021 == 84410401


def test_corpus_references():
    cases = CORPUS / "cases"
    if not cases.exists():
        pytest.skip("corpus not available")
    pat = re.compile(r"datasrc=<int>(\d+)\n\s*datasrc_decode=<str>'([^']*)'")
    seen = set()
    for dump in cases.glob("*/ref/dump.txt"):
        for value, text in pat.findall(dump.read_text()):
            seen.add((int(value), text))
    assert len(seen) >= 2
    for value, text in seen:
        assert mem_info.datasrc_decode(value) == text


@settings(max_examples=2000, deadline=None)
@given(st.integers(0, 2**64 - 1) | st.integers(0, 2**46 - 1))
def test_total_and_bounded(value):
    """Every u64 decodes; text never longer than perf's buffer allows."""
    text = mem_info.datasrc_decode(value)
    assert isinstance(text, str)
    assert text.startswith("|OP ")
    assert len(text) <= 99 or mem_info.datasrc_overflows(value)
    # bits above 45 are reserved and ignored
    assert text == mem_info.datasrc_decode(value & (2**46 - 1))


@pytest.mark.skipif(perf_oracle.perf_binary() is None, reason="perf not installed")
def test_against_real_perf():
    rng = random.Random(99)
    values = set()
    for _ in range(3000):
        v = rng.getrandbits(46)
        # mostly sparse values, like hardware produces, plus some dense ones
        for shift, width in ((5, 14), (19, 5), (26, 7), (33, 4), (38, 2), (40, 3), (43, 3)):
            if rng.random() < 0.7:
                keep = rng.getrandbits(width) & rng.getrandbits(width)
                v = (v & ~(((1 << width) - 1) << shift)) | (keep << shift)
        values.add(v)
    safe = sorted(v for v in values if not mem_info.datasrc_overflows(v))
    attr = perf_oracle.Attr(sample_type=perf_oracle.SAMPLE_DATA_SRC,
                            samples=[perf_oracle.Sample(data_src=v) for v in safe])
    got = perf_oracle.run([attr])
    mismatches = [(hex(v), r["datasrc_decode"], mem_info.datasrc_decode(v))
                  for v, r in zip(safe, got) if r["datasrc_decode"] != mem_info.datasrc_decode(v)]
    assert not mismatches[:5]
    assert len(safe) > 1500
    # a few predicted aborts, one perf run each
    aborting = sorted(v for v in values if mem_info.datasrc_overflows(v))[:4]
    for v in aborting:
        with pytest.raises(RuntimeError, match="stack smashing"):
            perf_oracle.run([perf_oracle.Attr(sample_type=perf_oracle.SAMPLE_DATA_SRC,
                                              samples=[perf_oracle.Sample(data_src=v)])])
