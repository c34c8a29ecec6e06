"""ELF symbol loading on real files of this image: debug files, PLT, build ids, damage."""

import os
import shutil
import subprocess

import pytest

from perfscript.symbols import SymbolResolver
from perfscript.symbols.elffile import open_elf

LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6"
LIBC_BID = "93ac61ec5a8eb1396f9fbd350e3169a558528a40"
LIBC_DEBUG = "/usr/lib/debug/.build-id/93/ac61ec5a8eb1396f9fbd350e3169a558528a40.debug"


def _bid(path):
    img = open_elf(path) if os.path.isfile(path) else None
    return img.build_id if img else None


needs_libc = pytest.mark.skipif(
    _bid(LIBC) != LIBC_BID or not os.path.isfile(LIBC_DEBUG),
    reason="needs Debian 12's libc 2.36 (93ac61ec...) and libc6-dbg")


@pytest.fixture
def resolver(tmp_path):
    """A resolver that ignores the user's build-id cache."""
    return SymbolResolver(debug_dir=str(tmp_path / "no-cache"))


@needs_libc
def test_libc_uses_the_debug_file(resolver):
    dso = resolver.dso(LIBC, LIBC_BID)
    # perf's callchain dict in cpu_clock_callchain: _int_malloc start=619360 end=623116 binding=0
    sym, off = dso.find(0x7f0000000000 + 619360 + 5, 0x7f0000000000, 0)
    assert sym.as_dict() == {"start": 619360, "end": 623116, "binding": 0, "name": "_int_malloc"}
    assert off == 5
    assert dso.symsrc == LIBC_DEBUG
    assert dso.symtab_file == LIBC_DEBUG          # what perf's addr2line is given
    # two local aliases of one size: the longer name wins
    assert dso.find(0x86100, 0, 0)[0].name == "__GI___lll_lock_wait"


@needs_libc
def test_libc_map_offset_space(resolver):
    """perf maps ip -> ip - map.start + pgoff; a text map of libc starts at file offset 0x26000."""
    dso = resolver.dso(LIBC, LIBC_BID)
    base = 0x7f1234500000
    sym, off = dso.find(base + (619360 - 0x26000) + 2, base, 0x26000)
    assert (sym.name, off) == ("_int_malloc", 2)


@needs_libc
def test_libc_plt_symbols(resolver):
    names = [s.name for s in resolver.dso(LIBC, LIBC_BID).table if s.name.endswith("@plt")]
    assert names and "@plt" in names  # IRELATIVE slots have no symbol: perf prints "@plt"


def test_build_id_mismatch_gives_no_symbols(resolver):
    dso = resolver.dso("/usr/bin/ls", "00" * 20)
    assert len(dso.table) == 0
    assert dso.build_id == "00" * 20


def test_missing_build_id_is_read_from_the_file(resolver):
    if not os.path.isfile("/usr/bin/ls"):
        pytest.skip("no /usr/bin/ls")
    dso = resolver.dso("/usr/bin/ls", None)
    dso.table
    assert dso.build_id == _bid("/usr/bin/ls")


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "header-only"])
def test_damaged_files_mean_no_symbols(tmp_path, damage):
    src = "/usr/bin/ls"
    if not os.path.isfile(src):
        pytest.skip("no /usr/bin/ls")
    symfs = tmp_path / "symfs"
    target = symfs / "usr/bin/ls"
    target.parent.mkdir(parents=True)
    data = open(src, "rb").read()
    target.write_bytes({"truncated": data[:len(data) // 3], "garbage": os.urandom(5000),
                        "empty": b"", "header-only": data[:64]}[damage])
    r = SymbolResolver(symfs=str(symfs), debug_dir=str(tmp_path / "no-cache"))
    dso = r.dso("/usr/bin/ls", None)
    assert dso.find(0x5000, 0, 0) is None or damage == "truncated"


def test_truncated_symbol_table_does_not_crash(tmp_path):
    src = LIBC_DEBUG if os.path.isfile(LIBC_DEBUG) else "/usr/bin/ls"
    if not os.path.isfile(src):
        pytest.skip("no ELF to damage")
    data = bytearray(open(src, "rb").read())
    for cut in (len(data) - 100, len(data) // 2, 200):
        path = tmp_path / ("cut%d" % cut)
        path.write_bytes(bytes(data[:cut]))
        r = SymbolResolver(debug_dir=str(tmp_path / "no-cache"))
        r.dso(str(path), None).find(0x1000, 0, 0)


@pytest.fixture
def built(tmp_path):
    """A stripped binary whose symbols live in a .gnu_debuglink file under .debug/."""
    if not (shutil.which("gcc") and shutil.which("objcopy")):
        pytest.skip("needs gcc and objcopy")
    src = tmp_path / "p.c"
    src.write_text("static int __attribute__((noinline)) hidden_fn(int x) { return x * 7; }\n"
                   "int main(int c, char **v) { return hidden_fn(c); }\n")
    exe = tmp_path / "bin" / "prog"
    exe.parent.mkdir()
    subprocess.run(["gcc", "-O1", "-g", "-o", str(exe), str(src)], check=True)
    dbg = tmp_path / "bin" / ".debug" / "prog.debug"
    dbg.parent.mkdir()
    subprocess.run(["objcopy", "--only-keep-debug", str(exe), str(dbg)], check=True)
    subprocess.run(["objcopy", "--strip-all", "--add-gnu-debuglink=" + str(dbg), str(exe)],
                   check=True, cwd=str(dbg.parent))
    return exe


def test_debuglink(built, tmp_path):
    r = SymbolResolver(debug_dir=str(tmp_path / "no-cache"))
    dso = r.dso(str(built), _bid(str(built)))
    names = {s.name for s in dso.table}
    assert "hidden_fn" in names and "main" in names
    assert dso.symsrc.endswith(".debug/prog.debug")


def test_symfs_prefix(built, tmp_path):
    symfs = tmp_path / "root"
    shutil.copytree(built.parent, symfs / "opt")  # the binary and its .debug/ directory
    r = SymbolResolver(symfs=str(symfs), debug_dir=str(tmp_path / "no-cache"))
    dso = r.dso("/opt/prog", _bid(str(built)))
    assert dso.name == "/opt/prog"
    assert "hidden_fn" in {s.name for s in dso.table}
    assert dso.symsrc == str(symfs / "opt" / ".debug" / "prog.debug")
