"""symbols/cfi.py reads call-frame information as binutils does: for every row of every FDE
`readelf --debug-dump=frames-interp` prints, the CFA rule and the saved registers agree.

Checked on the committed test program (tests/data/dwarf/prog) and, when present, on the
system's libc and ld.so (hand-written assembly, signal trampolines, PLT expressions)."""

import os
import re
import shutil
import subprocess

import pytest

from conftest import TESTS
from perfscript.symbols.cfi import CFA_EXPR, CFA_REG, CFAREL, UNDEF, SAME, CfiFile

REGS = {"rax": 0, "rdx": 1, "rcx": 2, "rbx": 3, "rsi": 4, "rdi": 5, "rbp": 6, "rsp": 7,
        "r8": 8, "r9": 9, "r10": 10, "r11": 11, "r12": 12, "r13": 13, "r14": 14, "r15": 15,
        "ra": 16, "rip": 16}
FILES = [os.path.join(TESTS, "data", "dwarf", "prog"),
         "/usr/lib/x86_64-linux-gnu/libc.so.6",
         "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"]

_FDE = re.compile(r"^\S+ \S+ \S+ FDE cie=\S+ pc=([0-9a-f]+)\.\.([0-9a-f]+)")


def readelf_rows(path):
    """(fde start, row address, {column: text}) for every row readelf interprets."""
    out = subprocess.run(["readelf", "--debug-dump=frames-interp", path],
                         capture_output=True, text=True).stdout
    start = cols = None
    in_eh = False
    for line in out.splitlines():
        if line.startswith("Contents of the "):
            in_eh = line.startswith("Contents of the .eh_frame section")
            start = None
            continue
        if not in_eh:
            continue
        m = _FDE.match(line)
        if m:
            start = int(m.group(1), 16)
            cols = None
            continue
        if start is None:
            continue
        if line.strip().startswith("LOC"):
            cols = line.split()[1:]
            continue
        parts = re.findall(r"\S+ \(\S+\)|\S+", line)
        if cols and parts and re.fullmatch(r"[0-9a-f]{8,16}", parts[0]):
            yield start, int(parts[0], 16), dict(zip(cols, parts[1:]))
        elif not line.strip():
            start = cols = None


@pytest.mark.skipif(shutil.which("readelf") is None, reason="binutils' readelf is absent")
@pytest.mark.parametrize("path", FILES, ids=os.path.basename)
def test_rules_agree_with_readelf(path):
    if not os.path.exists(path):
        pytest.skip("%s is absent" % path)
    cfi = CfiFile(path)
    checked = 0
    for fde_start, loc, row in readelf_rows(path):
        rules = cfi.eh_rules(loc, loc)
        assert rules is not None, "no FDE for %#x" % loc
        cfa = row["CFA"]
        if cfa == "exp":
            assert rules.cfa[0] == CFA_EXPR, "%#x: %s" % (loc, rules.cfa)
        else:
            reg, off = re.fullmatch(r"(\w+)([+-]\d+)", cfa).groups()
            assert rules.cfa == (CFA_REG, REGS[reg], int(off)), "%#x: %s vs %s" % (
                loc, rules.cfa, cfa)
        for col, text in row.items():
            if col == "CFA" or col not in REGS:
                continue
            where, val = rules.regs[REGS[col]]
            if text.startswith("c"):
                assert (where, val) == (CFAREL, int(text[1:])), "%#x %s" % (loc, col)
            elif text == "u":
                assert where in (UNDEF, SAME), "%#x %s" % (loc, col)
        checked += 1
    assert checked > 10
