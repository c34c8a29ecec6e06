"""itrace sample flags and branch-stack flag words (names/branch_flags.py).

flags/flags_disp expectations follow perf 6.1's perf_sample__sprintf_flags()
(they cannot be produced without an instruction-trace decoder); brstack and
brstacksym entries are re-checked against the real perf when installed,
for little- and big-endian files.
"""

from __future__ import annotations

import pathlib
import random
import sys

import pytest
from hypothesis import given, strategies as st

from perfscript.names import branch_flags as bf

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import perf_oracle  # noqa: E402

B, CALL, RET, COND = bf.PERF_IP_FLAG_BRANCH, bf.PERF_IP_FLAG_CALL, bf.PERF_IP_FLAG_RETURN, \
    bf.PERF_IP_FLAG_CONDITIONAL
SYSC, ASYNC, INTR = bf.PERF_IP_FLAG_SYSCALLRET, bf.PERF_IP_FLAG_ASYNC, bf.PERF_IP_FLAG_INTERRUPT
TXA, TB, TE, INTX = bf.PERF_IP_FLAG_TX_ABORT, bf.PERF_IP_FLAG_TRACE_BEGIN, \
    bf.PERF_IP_FLAG_TRACE_END, bf.PERF_IP_FLAG_IN_TX
VMENT, VMEXIT = bf.PERF_IP_FLAG_VMENTRY, bf.PERF_IP_FLAG_VMEXIT
D, T = bf.PERF_IP_FLAG_INTR_DISABLE, bf.PERF_IP_FLAG_INTR_TOGGLE


@pytest.mark.parametrize("flags,chars,disp", [
    (B | CALL, "bc", "call" + " " * 17),
    (B | RET, "br", "return" + " " * 15),
    (B | COND, "bo", "jcc" + " " * 18),
    (B, "b", "jmp" + " " * 18),
    (B | CALL | INTR, "bci", "int" + " " * 18),
    (B | RET | INTR, "bri", "iret" + " " * 17),
    (B | CALL | SYSC, "bcs", "syscall" + " " * 14),
    (B | RET | SYSC, "brs", "sysret" + " " * 15),
    (B | ASYNC, "by", "async" + " " * 16),
    (B | CALL | ASYNC | INTR, "bcyi", "hw int" + " " * 15),
    (B | TXA, "bA", "tx abrt" + " " * 14),
    (B | TB, "bB", "tr strt" + " " * 14),
    (B | TE, "bE", "tr end" + " " * 15),
    (B | CALL | VMENT, "bcg", "vmentry" + " " * 14),
    (B | CALL | VMEXIT, "bch", "vmexit" + " " * 15),
    # state bits become a right-aligned "(xDt)" suffix
    (B | COND | INTX, "box", "jcc" + " " * 12 + "   (x)"),
    (B | CALL | INTX | D | T, "bcxDt", "call" + " " * 11 + " (xDt)"),
    (B | RET | D, "brD", "return" + " " * 9 + "   (D)"),
    # trace begin/end around a known kind
    (B | CALL | TB, "bcB", "tr strt call   " + " " * 6),
    (B | RET | TE, "brE", "tr end  return " + " " * 6),
    (B | COND | TE | INTX, "boEx", "tr end  jcc    " + "   (x)"),
    (B | RET | SYSC | TB, "brsB", "tr strt sysret " + " " * 6),
    # "tr strt"/"tr end" alone are names in the table, so no prefix doubling
    (B | TB | INTX, "bBx", "tr strt" + " " * 8 + "   (x)"),
    # no name: the letters, '?' for bits without one
    (CALL, "c", "c"),
    (B | CALL | RET, "bcr", "bcr"),
    (INTX, "x", "x"),
    (B | TB | TE, "bBE", "tr strt tr end " + " " * 6),  # begin around the "tr end" name
    (B | CALL | TB | TE, "bcBE", "bcBE"),
    (1 << 15 | B, "b", "b?"),
    (1 << 31 | 1 << 20 | B | CALL, "bc", "bc??"),
    (0, "", ""),
])
def test_flags(flags, chars, disp):
    assert bf.sample_flags_str(flags) == chars
    assert bf.sample_flags_disp(flags) == disp


@given(st.integers(0, 2**32 - 1))
def test_flags_properties(flags):
    chars = bf.sample_flags_str(flags)
    assert len(chars) == bin(flags & 0x7fff).count("1")
    disp = bf.sample_flags_disp(flags)
    assert len(disp) <= bf.SAMPLE_FLAGS_BUF_SIZE - 1
    if disp and not disp[0].isupper() and " " not in disp:
        # fallback: letters then '?' per bit 15..31
        assert disp == chars + "?" * bin(flags >> 15).count("1")


def test_decode_branch_flags_little_endian():
    value = 1 | 1 << 2 | 1234 << 4 | 5 << 20 | 2 << 24 | 9 << 26 | 3 << 30
    f = bf.decode_branch_flags(value)
    assert f == bf.BranchFlags(True, False, True, False, 1234, 5, 2, 9, 3)
    assert bf.brstack_flag_items(value) == {"mispred": True, "predicted": False,
                                            "in_tx": True, "abort": False, "cycles": 1234}
    assert bf.brstacksym_flag_items(value) == {"pred": "M", "in_tx": "X", "abort": "-"}
    assert bf.brstacksym_flag_items(2 | 8) == {"pred": "P", "in_tx": "-", "abort": "A"}
    assert bf.brstacksym_flag_items(3) == {"pred": "M", "in_tx": "-", "abort": "-"}
    assert bf.brstacksym_flag_items(0) == {"pred": "-", "in_tx": "-", "abort": "-"}


def test_decode_branch_flags_big_endian():
    value = 1 << 63 | 1 << 60 | 0xabcd << 44 | 0xf << 40
    f = bf.decode_branch_flags(value, big_endian=True)
    assert (f.mispred, f.predicted, f.in_tx, f.abort, f.cycles, f.type) == \
        (True, False, False, True, 0xabcd, 0xf)


@pytest.mark.skipif(perf_oracle.perf_binary() is None, reason="perf not installed")
@pytest.mark.parametrize("big_endian", [False, True])
def test_brstack_against_real_perf(big_endian):
    rng = random.Random(7 + big_endian)
    attr = perf_oracle.Attr(sample_type=perf_oracle.SAMPLE_BRANCH_STACK)
    stacks = []
    for _ in range(150):
        br = [(rng.getrandbits(48), rng.getrandbits(48),
               rng.getrandbits(64) if rng.random() < .5 else rng.getrandbits(8))
              for _ in range(rng.randint(0, 4))]
        attr.samples.append(perf_oracle.Sample(branches=br))
        stacks.append(br)
    got = perf_oracle.run([attr], arch="ppc64" if big_endian else "x86_64",
                          big_endian=big_endian)
    for br, r in zip(stacks, got):
        want = [dict({"from": f, "to": t}, **bf.brstack_flag_items(fl, big_endian),
                     from_dsoname="[unknown]", to_dsoname="[unknown]") for f, t, fl in br]
        want_sym = [dict({"from": "[unknown]", "to": "[unknown]"},
                         **bf.brstacksym_flag_items(fl, big_endian)) for f, t, fl in br]
        assert r["brstack"] == want
        assert [list(e) for e in r["brstack"]] == [list(e) for e in want]  # key order
        assert r["brstacksym"] == want_sym
