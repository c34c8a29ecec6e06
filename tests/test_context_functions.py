"""perf_sample_insn / perf_sample_srcline / perf_sample_srccode of perf_trace_context.

The oracle test compiles a small C program with `gcc -g`, records it with the real perf and
compares what a script printing the three functions gets under perf 6.1 and perfscript
(user samples of the program and of ld.so/libc, kernel samples).  It needs gcc, perf and
the right to record; the decoder and line-table tests need less.
"""

import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import script_env
from perfscript.symbols.srcline import line_table, source_line
from perfscript.symbols.x86_insn import insn_length

PROGRAM = r"""#include <stdio.h>
static volatile long sink;
static long spin(long n)
{
	long s = 0;
	for (long i = 0; i < n; i++)
		s += i * 3 + (s >> 2);
	return s;
}
int main(void)
{
	sink = spin(20000000);
	printf("%ld\n", sink);
	return 0;
}
"""

SCRIPT = r"""from perf_trace_context import (perf_sample_insn, perf_sample_srcline,
                                perf_sample_srccode)
def process_event(param_dict):
    ctx = perf_script_context
    print(param_dict["sample"]["ip"], repr(perf_sample_insn(ctx)),
          repr(perf_sample_srcline(ctx)), repr(perf_sample_srccode(ctx)))
"""

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")


@pytest.mark.parametrize("code, is64, length", [
    ("f30f1efa", True, 4),                 # endbr64: prefix, 0F map, ModRM
    ("48b8" + "11" * 8, True, 10),         # mov rax, imm64 (REX.W)
    ("b8" + "11" * 4, True, 5),            # mov eax, imm32
    ("66b81111", True, 4),                 # mov ax, imm16
    ("e800000000", True, 5),               # call rel32
    ("c3", True, 1),
    ("488d0500000000", True, 7),           # lea rax, [rip+disp32]
    ("8b442408", True, 4),                 # mov eax, [rsp+8]: SIB, disp8
    ("8b0425" + "00" * 4, True, 7),        # mov eax, [disp32]: SIB without base
    ("f60001", True, 3),                   # test byte [rax], 1: group 3 immediate
    ("f618", True, 2),                     # neg byte [rax]: group 3 without
    ("c5fe6f06", True, 4),                 # vmovdqu ymm0, [rsi]: 2-byte VEX
    ("c4e37d18c101", True, 6),             # vinsertf128: 3-byte VEX, map 0F3A, imm8
    ("62f1fe486f06", True, 6),             # vmovdqu64 zmm0, [rsi]: EVEX
    ("660f3a22c001", True, 6),             # pinsrd xmm0, eax, 1
    ("0f8500000000", True, 6),             # jne rel32
    ("7500", True, 2),
    ("a1" + "00" * 8, True, 9),            # mov eax, moffs64
    ("40", False, 1),                      # inc eax (32-bit mode)
    ("a1" + "00" * 4, False, 5),           # mov eax, moffs32
    ("48b81111", True, None),              # cut short
])
def test_insn_length(code, is64, length):
    assert insn_length(bytes.fromhex(code), is64) == length


def _objdump_boundaries(path):
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "-w", path],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        m = re.match(r"\s+([0-9a-f]+):\t(.*)", line)
        if m:
            rows.append((int(m.group(1), 16), m.group(2)))
        elif line.strip() == "..." or line.startswith("Disassembly of section"):
            rows.append((None, ""))           # skipped zeros, a new section: a gap
    return rows


@pytest.mark.skipif(shutil.which("objdump") is None, reason="objdump is not installed")
def test_insn_lengths_agree_with_objdump():
    """Every instruction of a real binary: objdump's boundaries are the decoder's lengths
    (except where objdump folds fwait into the next instruction or pads after a ret)."""
    from elftools.elf.elffile import ELFFile
    path = "/usr/bin/ls"
    if not os.path.exists(path):
        pytest.skip("no /usr/bin/ls")
    with open(path, "rb") as f:
        data = f.read()
        loads = [(s["p_vaddr"], s["p_offset"], s["p_filesz"])
                 for s in ELFFile(f).iter_segments() if s["p_type"] == "PT_LOAD"]
    rows = _objdump_boundaries(path)
    checked = 0
    for (a, text), (b, _) in zip(rows, rows[1:]):
        if a is None or b is None or b - a > 15 or "(bad)" in text \
                or text.startswith(("ret", "fwait")):
            continue
        off = next(a - va + o for va, o, sz in loads if va <= a < va + sz)
        assert insn_length(data[off:off + 16]) == b - a, (hex(a), text)
        checked += 1
    assert checked > 10000


@needs_gcc
def test_line_table_and_source_line(tmp_path):
    src = tmp_path / "t.c"
    src.write_text(PROGRAM)
    exe = tmp_path / "t"
    subprocess.run(["gcc", "-g", "-O1", "-o", str(exe), str(src)], check=True, cwd=tmp_path)
    table = line_table(str(exe))
    files = {w[0] for seq in table.seqs for w in seq[3]}
    assert files == {str(src)}
    lines = {w[1] for seq in table.seqs for w in seq[3]}
    assert {6, 7, 12} <= lines
    assert table.find(0) is None
    assert source_line(str(src), 7) == "\t\ts += i * 3 + (s >> 2);"
    assert source_line(str(src), 99) is None
    assert source_line(str(tmp_path / "absent.c"), 1) is None


@needs_gcc
@pytest.mark.skipif(shutil.which("perf", path=script_env()["PATH"]) is None,
                    reason="perf is not installed")
def test_sample_insn_srcline_srccode_as_perf(tmp_path):
    (tmp_path / "t.c").write_text(PROGRAM)
    (tmp_path / "ctx.py").write_text(SCRIPT)
    subprocess.run(["gcc", "-g", "-O1", "-o", "t", "t.c"], check=True, cwd=tmp_path)
    env = script_env()
    rec = subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-c", "100000", "-o",
                          "c.data", "./t"], cwd=tmp_path, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if rec.returncode != 0 or not (tmp_path / "c.data").exists():
        pytest.skip("perf record failed here: %s" % rec.stderr.decode()[-300:])
    ref = subprocess.run(["perf", "script", "-i", "c.data", "-s", "ctx.py"], cwd=tmp_path,
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    got = subprocess.run([sys.executable, "-m", "perfscript", "-i", "c.data", "-s",
                          "ctx.py"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    assert got.returncode == ref.returncode == 0, got.stderr.decode()[-2000:]
    want = ref.stdout.decode().splitlines()
    # the program's own samples have bytes, a line and its text
    assert any("t.c', 7, '\\t\\ts += i * 3" in line for line in want)
    assert got.stdout.decode().splitlines() == want


@pytest.mark.skipif(shutil.which("perf", path=script_env()["PATH"]) is None,
                    reason="perf is not installed")
def test_context_functions_on_system_binaries_as_perf(tmp_path, recordings_kallsyms):
    """callchain.data samples dd, dash, libc, ld.so and python3.11: lines from installed
    debug files, ("??", 0) where addr2line names a function but has no line (python3.11
    has only .dynsym), None where it cannot even do that, kernel samples None."""
    from conftest import RECORDINGS
    (tmp_path / "ctx.py").write_text(SCRIPT)
    data = os.path.join(RECORDINGS, "callchain.data")
    args = ["--kallsyms", recordings_kallsyms, "-i", data, "-s", "ctx.py"]
    env = script_env()
    ref = subprocess.run(["perf", "script"] + args, cwd=tmp_path, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    got = subprocess.run([sys.executable, "-m", "perfscript"] + args, cwd=tmp_path, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert got.returncode == ref.returncode == 0, got.stderr.decode()[-2000:]
    assert b"('??', 0)" in ref.stdout and b"None (None, 0) (None, 0, None)" in ref.stdout
    assert got.stdout.decode().splitlines() == ref.stdout.decode().splitlines()
