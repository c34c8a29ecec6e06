"""The on-disk symbol cache: same answers as a fresh load, never reused for another file,
damaged entries ignored and rebuilt, safe for concurrent runs, and off when asked."""

import multiprocessing
import os
import shutil

import pytest

from conftest import RECORDINGS
from perfscript.symbols.cache import SymbolCache, file_stamp
from perfscript.symbols.elffile import open_elf
from perfscript.symbols.resolver import SymbolResolver

import numpy as np

PLT = os.path.join(RECORDINGS, "plt")
PROG = os.path.join(PLT, "symfs", "tmp", "plt", "prog_plt")
LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6"


def _answers(dso, step=7):
    """(name, start, end, offset) at addresses across the dso's symbols."""
    table = dso.table
    out = []
    for sym in table:
        for addr in range(sym.start, max(sym.end, sym.start + 1), step):
            found = dso.find(addr)
            out.append(None if found is None else (found[0].name, found[0].start,
                                                   found[0].end, found[1]))
    return out


def _resolver(cache_dir, **kw):
    return SymbolResolver(cache=SymbolCache(str(cache_dir)), debug_dir="/nonexistent", **kw)


def test_entry_round_trip_and_mismatches(tmp_path):
    cache = SymbolCache(str(tmp_path))
    arrays = {"a": np.arange(5, dtype=np.uint64), "b": b"names", "c": np.array([1, 0], bool)}
    cache.store(["k", 1], [["f", 1, 2]], {"x": "y"}, arrays)
    meta, got = cache.load(["k", 1], [["f", 1, 2]])
    assert meta == {"x": "y"} and got["b"] == b"names"
    assert got["a"].tolist() == [0, 1, 2, 3, 4] and got["c"].tolist() == [True, False]
    assert got["a"].flags.writeable
    assert cache.load(["k", 1], [["f", 1, 3]]) is None        # another stamp: a miss
    assert cache.load(["k", 2], [["f", 1, 2]]) is None        # another key
    assert (cache.hits, cache.misses) == (1, 2)


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage", "empty", "header"])
def test_damaged_entry_is_a_miss(tmp_path, damage):
    cache = SymbolCache(str(tmp_path))
    cache.store(["k"], [], {}, {"a": np.arange(1000, dtype=np.uint64)})
    (path,) = [os.path.join(d, f) for d, _, fs in os.walk(tmp_path) for f in fs]
    data = bytearray(open(path, "rb").read())
    if damage == "flip":
        data[-100] ^= 0x40
    elif damage == "truncate":
        data = data[:len(data) // 2]
    elif damage == "garbage":
        data = bytearray(os.urandom(len(data)))
    elif damage == "empty":
        data = bytearray()
    else:
        at = data.index(b'"arrays"')
        data[at:at + 8] = b'"arrayz"'
    with open(path, "wb") as f:
        f.write(data)
    assert cache.load(["k"], []) is None


def test_second_load_comes_from_the_cache_with_the_same_answers(tmp_path):
    first = _resolver(tmp_path / "c").dso(PROG)
    want = _answers(first)
    assert want and any(a is not None and a[0].endswith("@plt") for a in want)
    again = _resolver(tmp_path / "c")
    dso = again.dso(PROG)
    assert _answers(dso) == want
    assert again.cache.hits == 1
    assert (dso.symsrc, dso.symtab_file, dso.runtime) == (
        first.symsrc, first.symtab_file, first.runtime)


@pytest.mark.skipif(not os.path.isfile(LIBC), reason="no system libc")
def test_demangling_and_no_demangle_are_kept_apart(tmp_path):
    lib = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"
    if not os.path.isfile(lib):
        pytest.skip("no libstdc++")
    for demangle in (True, False, True, False):
        r = _resolver(tmp_path / "c", demangle=demangle)
        names = [s.name for s in r.dso(lib).table]
        assert any("::" in n for n in names) is demangle


def _rewrite_a_symbol_name(path):
    """The same file (same build id) with one byte of a symbol name changed."""
    img = open_elf(path)
    strtab = img.section_by_name(".strtab")
    data = bytearray(open(path, "rb").read())
    at = data.index(b"main\0", strtab.offset)
    data[at:at + 4] = b"mein"
    return bytes(data), img.build_id


def test_same_build_id_in_another_file_is_not_reused(tmp_path):
    work = tmp_path / "prog"
    shutil.copy(PROG, work)
    cached = _resolver(tmp_path / "c")
    assert "main" in [s.name for s in cached.dso(str(work)).table]
    changed, bid = _rewrite_a_symbol_name(str(work))
    new = tmp_path / "prog.new"
    new.write_bytes(changed)
    os.replace(new, work)                         # perf's path, same build id, new file
    assert open_elf(str(work)).build_id == bid
    again = _resolver(tmp_path / "c")
    names = [s.name for s in again.dso(str(work), bid).table]
    assert "mein" in names and "main" not in names
    assert again.cache.hits == 0


def test_rewritten_in_place_is_not_reused(tmp_path):
    work = tmp_path / "prog"
    shutil.copy(PROG, work)
    _resolver(tmp_path / "c").dso(str(work)).table
    changed, _ = _rewrite_a_symbol_name(str(work))
    st = os.stat(work)
    with open(work, "r+b") as f:                  # same inode, same size
        f.write(changed)
    os.utime(work, ns=(st.st_atime_ns, st.st_mtime_ns + 1000))
    again = _resolver(tmp_path / "c")
    assert "mein" in [s.name for s in again.dso(str(work)).table]


def test_corrupt_entry_is_ignored_and_rebuilt(tmp_path):
    want = _answers(_resolver(tmp_path / "c").dso(PROG))
    entries = [os.path.join(d, f) for d, _, fs in os.walk(tmp_path / "c") for f in fs]
    assert len(entries) == 1
    with open(entries[0], "r+b") as f:
        f.seek(-50, 2)
        f.write(b"\xff" * 50)
    broken = _resolver(tmp_path / "c")
    assert _answers(broken.dso(PROG)) == want
    assert broken.cache.hits == 0
    healed = _resolver(tmp_path / "c")
    assert _answers(healed.dso(PROG)) == want
    assert healed.cache.hits == 1


def test_a_candidate_appearing_later_changes_the_stamp(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"x")
    before = file_stamp([str(a), str(b)])
    b.write_bytes(b"y")
    assert file_stamp([str(a), str(b)]) != before


def test_kallsyms_parse_is_cached(tmp_path):
    kallsyms = tmp_path / "kallsyms"
    kallsyms.write_text("ffffffff81000000 T _text\nffffffff81000100 T do_one\n"
                        "ffffffff81000200 t do_two\nffffffffc0001000 t mod_a\t[mod_x]\n")
    answers = []
    for _ in range(2):
        r = _resolver(tmp_path / "c", kallsyms=str(kallsyms))
        k = r.kernel(None, ("_text", 0xffffffff80fff000))
        sym, off = k.find(0xffffffff80fff150)
        m = r.module("[mod_x]", None, k)
        answers.append((sym.name, off, m.find(0xffffffffc0001004, 0xffffffffc0000000, 0)[0].name,
                        r.cache.hits))
    assert answers == [("do_one", 0x50, "mod_a", 0), ("do_one", 0x50, "mod_a", 1)]


def _hammer(directory, rounds):
    cache = SymbolCache(directory)
    arrays = {"a": np.arange(20000, dtype=np.uint64)}
    for _ in range(rounds):
        cache.store(["same"], [], {}, arrays)
        got = cache.load(["same"], [])
        if got is None or got[1]["a"].tolist() != list(range(20000)):
            return False
    return True


def test_concurrent_writers_never_leave_a_broken_entry(tmp_path):
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.starmap(_hammer, [(str(tmp_path), 25)] * 4)
    assert all(results)
    leftovers = [f for _, _, fs in os.walk(tmp_path) for f in fs if f.startswith(".tmp-")]
    assert leftovers == []


@pytest.mark.parametrize("how", ["--no-cache", "PERFSCRIPT_NO_CACHE"])
def test_cli_cache_off_writes_nothing(perfscript, tmp_path, how):
    cache = tmp_path / "cache"
    args = ["-i", os.path.join(PLT, "plt.data"), "--symfs", os.path.join(PLT, "symfs")]
    env = {"PERFSCRIPT_CACHE_DIR": str(cache), "HOME": str(tmp_path)}
    if how == "--no-cache":
        args.append("--no-cache")
    else:
        env["PERFSCRIPT_NO_CACHE"] = "1"
    off = perfscript(args, env=env)
    assert off.returncode == 0 and not cache.exists()
    env.pop("PERFSCRIPT_NO_CACHE", None)
    cold = perfscript(args[:4], env=env)
    assert cache.exists() and any(fs for _, _, fs in os.walk(cache))
    warm = perfscript(args[:4], env=env)
    assert off.stdout == cold.stdout == warm.stdout and b"@plt" in warm.stdout


def test_settled_tree_answers_are_kept(tmp_path):
    """_init stretched over the PLT: the first run rebuilds perf's tree, later runs read
    its answers from the cache and answer the same without a tree."""
    first = _resolver(tmp_path / "c").dso(PROG)
    want = _answers(first, step=1)
    assert first.table._history is None            # the lookups settled the overlap
    again = _resolver(tmp_path / "c").dso(PROG)
    assert again.table._history is None            # settled from the start: no tree
    assert _answers(again, step=1) == want
