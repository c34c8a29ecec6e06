"""Symbol lookup where symbols overlap: perf answers with its rb-tree's first covering node.

The tree's shapes below are worked out by hand from the kernel's rb_insert_color/rb_erase
case analysis (written next to each test); the tables' answers from perf's symbols__find walk
over those shapes.  Then perf itself: the PLT recordings of tests/data/recordings/plt with
the text perf printed, and (when perf is installed) a sample at every symbol edge of some
system libraries compared live.
"""

import json
import lzma
import os
import random
import shutil
import subprocess

import pytest

from address_sweep import build_sweep, probe_offsets
from conftest import RECORDINGS, first_difference, same_status, script_env
from perfscript.symbols.dso import IdentityDso, load_perf_map
from perfscript.symbols.elffile import open_elf
from perfscript.symbols.elfsyms import load_elf_symbols
from perfscript.symbols.rbtree import NIL, SymbolTree, TreeHistory
from perfscript.symbols.resolver import SymbolResolver
from perfscript.symbols.symbol import STB_GLOBAL, STB_WEAK, Symbol
from perfscript.symbols.table import SymbolTable, fixup_duplicate, fixup_end, sort_stable

PLT = os.path.join(RECORDINGS, "plt")
PERF = shutil.which("perf", path="/usr/bin:/bin")


def S(start, size, name, binding=STB_GLOBAL):
    return Symbol(start, start + size, binding, name)


def shape(tree, at=None):
    """The tree as text: ``key`` + colour (b/r), then ``[left, right]`` when it has children."""
    if at is None:
        at = tree.root
    if at == NIL:
        return "-"
    me = "%d%s" % (tree.keys[at], "b" if tree.black[at] else "r")
    if tree.left[at] == NIL and tree.right[at] == NIL:
        return me
    return "%s[%s,%s]" % (me, shape(tree, tree.left[at]), shape(tree, tree.right[at]))


def tree_of(keys, erase=()):
    tree = SymbolTree()
    syms = {}
    for k in keys:
        syms[k] = Symbol(k, k + 1, STB_GLOBAL, str(k))
        tree.insert(syms[k])
    for k in erase:
        tree.erase(syms[k])
    return tree


def check_red_black(tree):
    """Root black, no red node with a red child, one black height, parents consistent."""
    left, right, parent, black = tree.left, tree.right, tree.parent, tree.black

    def walk(at):
        if at == NIL:
            return 1
        for kid in (left[at], right[at]):
            if kid != NIL:
                assert parent[kid] == at
                assert black[at] or black[kid], "red node %d with a red child" % at
        hl, hr = walk(left[at]), walk(right[at])
        assert hl == hr, "black heights differ below %d" % at
        return hl + black[at]

    if tree.root != NIL:
        assert black[tree.root] and parent[tree.root] == NIL
    walk(tree.root)


# the tree itself ---------------------------------------------------------------------------

def test_insert_cases():
    # 10,20,30: the third insert rotates left at the root (straight line, uncle missing)
    assert shape(tree_of([10, 20, 30])) == "20b[10r,30r]"
    # 40: red uncle, colours flip up to the root
    assert shape(tree_of([10, 20, 30, 40])) == "20b[10b,30b[-,40r]]"
    # 80 flips 50/70 red->black and 60 red, then rotates left at 20 (uncle 10 black)
    assert shape(tree_of(range(10, 90, 10))) == "40b[20r[10b,30b],60r[50b,70b[-,80r]]]"
    # an inner child (30 below 40's left, under 20's right) rotates twice
    assert shape(tree_of([20, 40, 30])) == "30b[20r,40r]"
    assert shape(tree_of([40, 20, 30])) == "30b[20r,40r]"


def test_erase_cases():
    # red leaf: nothing to rebalance
    assert shape(tree_of([10, 20, 30], erase=[10])) == "20b[-,30r]"
    # black leaf, far nephew red: rotate at the parent (case 4)
    assert shape(tree_of([10, 20, 30, 40], erase=[10])) == "30b[20b,40b]"
    # two children, successor is the right child; its red child turns black
    assert shape(tree_of([10, 20, 30, 40], erase=[20])) == "30b[10b,40b]"
    # two children, successor deeper (50 under 60): 50 replaces the root, then case 4 at 60
    assert (shape(tree_of(range(10, 90, 10), erase=[40]))
            == "50b[20r[10b,30b],70r[60b,80b]]")
    # case 2 (sibling black with black children) with a red parent, then a one-child node
    # and case 4 again
    assert (shape(tree_of(range(10, 90, 10), erase=[40, 10, 60]))
            == "50b[20b[-,30r],70b[-,80r]]")
    assert shape(tree_of(range(10, 90, 10), erase=[40, 10, 60, 20])) == "50b[30b,70b[-,80r]]"
    assert shape(tree_of(range(10, 90, 10), erase=[40, 10, 60, 20, 30])) == "70b[50b,80b]"
    # red sibling (case 1) then case 2
    assert shape(tree_of(range(10, 70, 10), erase=[10])) == "40b[20b[-,30r],50b[-,60r]]"


def test_mirrored_cases():
    """The other side's case analysis: the same operations on mirrored keys give the mirror
    (inserts, and erases of nodes with at most one child: a node with two is replaced by its
    successor, which has no mirror image)."""
    def mirror(text):
        out = []
        for part in text.replace("[", " [ ").replace("]", " ] ").replace(",", " , ").split():
            if part[0].isdigit():
                part = "%d%s" % (100 - int(part[:-1]), part[-1])
            out.append(part)
        flat = "".join(out)
        return _swap_children(flat)

    rng = random.Random(7)
    for _ in range(300):
        keys = rng.sample(range(1, 100), rng.randrange(1, 40))
        tree = tree_of(keys)
        gone = []
        for _ in range(rng.randrange(len(keys) + 1)):
            node = rng.choice([n for n in range(len(keys))
                               if n in tree._node_of.values()
                               and NIL in (tree.left[n], tree.right[n])])
            gone.append(keys[node])
            tree.erase(tree.syms[node])
        assert shape(tree_of([100 - k for k in keys], [100 - k for k in gone])) == \
            mirror(shape(tree))


def _swap_children(text):
    """Swap left and right everywhere in a shape() text."""
    if "[" not in text:
        return text
    head, rest = text.split("[", 1)
    body = rest[:-1]
    depth = 0
    for i, ch in enumerate(body):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            return "%s[%s,%s]" % (head, _swap_children(body[i + 1:]),
                                  _swap_children(body[:i]))
    raise AssertionError(text)


def test_random_operations_keep_a_red_black_tree():
    rng = random.Random(11)
    for _ in range(40):
        tree = SymbolTree()
        live = []
        for _ in range(300):
            if live and rng.random() < 0.35:
                tree.erase(live.pop(rng.randrange(len(live))))
            else:
                sym = Symbol(rng.randrange(50), 0, STB_GLOBAL, "")
                sym.end = sym.start
                tree.insert(sym)
                live.append(sym)
            check_red_black(tree)
        order = tree.in_order()
        assert sorted(map(id, order)) == sorted(map(id, live))
        assert [s.start for s in order] == sorted(s.start for s in live)


def test_equal_starts_stay_in_insertion_order():
    a, b, c = (Symbol(5, 6, STB_GLOBAL, n) for n in "abc")
    tree = SymbolTree()
    for s in (a, b, c):
        tree.insert(s)
    assert tree.in_order() == [a, b, c]


# tables with overlapping symbols ------------------------------------------------------------

def elf_like(passes, plt):
    """Symbols and history as elfsyms builds them: each pass inserted in order then fixed up
    (ends, duplicates), then the PLT entries."""
    out = []
    history = TreeHistory()
    for syms in passes:
        history.inserted(list(syms))
        out.extend(syms)
        sort_stable(out)
        fixup_end(out)
        history.erased(fixup_duplicate(out))
    history.inserted(list(plt))
    out.extend(plt)
    sort_stable(out)
    return out, history


def answers(table, addrs):
    return [getattr(table.find(a), "name", None) for a in addrs]


def test_init_high_in_the_tree_shadows_the_plt():
    # inserts s0, _init, _start, main: _init ends up the root (its end stretched to 0x1080)
    #   _init(b)[s0(b), _start(b)[-, main(r)]]
    # x@plt goes left of _start (red under black); y@plt right of x, colour flip:
    #   _init(b)[s0(b), _start(r)[x(b)[-, y(r)], main(b)]]
    # every address of _init's range meets _init at the root first.
    syms, history = elf_like(
        [[S(0x500, 0, "s0"), S(0x1000, 0, "_init"), S(0x1080, 0x26, "_start"),
          S(0x1100, 0x50, "main")]],
        [S(0x1020, 0x10, "x@plt"), S(0x1030, 0x10, "y@plt")])
    assert shape(history.replay()) == "4096b[1280b,4224r[4128b[-,4144r],4352b]]"
    table = SymbolTable(syms, history)
    assert answers(table, [0x4ff, 0x500, 0xfff, 0x1000, 0x1020, 0x102f, 0x1030, 0x107f,
                           0x1080, 0x10a5, 0x10a6, 0x10ff, 0x1100, 0x114f, 0x1150]) == [
        None, "s0", "s0", "_init", "_init", "_init", "_init", "_init",
        "_start", "_start", None, None, "main", "main", None]


def test_plt_entries_above_init():
    # inserts _init, _start, main: _start(b)[_init(r), main(r)]; the PLT entries then climb:
    #   p1 flips colours, p2 rotates left at _init, p3 flips, p4 rotates left at p2:
    #   _start(b)[p1(r)[_init(b), p3(b)[p2(r), p4(r)]], main(b)]
    # 0x1060..0x107f (in _init, past the PLT) walks _start, p1, p3, p4 and falls off: None.
    syms, history = elf_like(
        [[S(0x1000, 0, "_init"), S(0x1080, 0x26, "_start"), S(0x1100, 0x50, "main")]],
        [S(0x1020 + 16 * i, 16, "p%d" % (i + 1)) for i in range(4)])
    assert shape(history.replay()) == "4224b[4128r[4096b,4160b[4144r,4176r]],4352b]"
    table = SymbolTable(syms, history)
    assert answers(table, [0x1000, 0x101f, 0x1020, 0x1030, 0x103f, 0x1040, 0x1050, 0x105f,
                           0x1060, 0x107f, 0x1080]) == [
        "_init", "_init", "p1", "p2", "p2", "p3", "p4", "p4", None, None, "_start"]


def test_erased_duplicate_reshapes_the_tree():
    # inserts X, Yweak, Y, Z: Y(weak)(b)[X(b), Y(b)[-, Z(r)]] (Y at 0x200 goes right of Yweak).
    # fix-ups: X ends at 0x200, Yweak stays empty (Y starts where it does), Y ends at 0x300;
    # the duplicate pass erases Yweak (empty loses): Y, the successor, takes the root:
    #   Y(b)[X(b), Z(b)]
    # P (0x180..0x280) then hangs right of X and is never reached: X and Y cover its range.
    syms, history = elf_like(
        [[S(0x100, 0, "X"), S(0x200, 0, "Yweak", STB_WEAK), S(0x200, 0, "Y"),
          S(0x300, 0x10, "Z")]],
        [S(0x180, 0x100, "P")])
    assert [s.name for s in syms] == ["X", "P", "Y", "Z"]
    assert shape(history.replay()) == "512b[256b[-,384r],768b]"
    table = SymbolTable(syms, history)
    assert answers(table, [0x100, 0x17f, 0x180, 0x1ff, 0x200, 0x27f, 0x280, 0x2ff, 0x300]) == [
        "X", "X", "X", "X", "Y", "Y", "Y", "Y", "Z"]


def test_no_overlap_needs_no_tree():
    syms = [S(0x10, 0x10, "a"), S(0x20, 0, "empty"), S(0x30, 0x8, "b")]
    history = TreeHistory()
    history.inserted(list(syms))
    table = SymbolTable(syms, history)
    assert table._history is None
    assert answers(table, [0xf, 0x10, 0x1f, 0x20, 0x21, 0x30, 0x37, 0x38]) == [
        None, "a", "a", "empty", None, "b", "b", None]


def test_tree_is_built_on_the_first_lookup_in_an_overlap():
    syms, history = elf_like([[S(0x1000, 0, "_init"), S(0x1080, 0x10, "_start"),
                               S(0x2000, 0x10, "far")]],
                             [S(0x1020, 0x10, "x@plt")])
    table = SymbolTable(syms, history)
    assert table.find(0x2008).name == "far"
    assert table._history is history            # not built: no overlap hit yet
    table.find(0x1024)
    assert table._history is None


def test_jit_map_keeps_file_order(tmp_path):
    # perf inserts a perf-PID.map's lines in file order, fixing nothing: b goes right of a,
    # c right of b, and the rotation makes b the root: b(b)[a(r), c(r)].  Past c's end the
    # walk goes right from b and c and never comes back to a, which covers 0x8..0x47.
    path = tmp_path / "perf-1.map"
    path.write_text("8 40 a\n10 20 b\n30 8 c\n")
    table = load_perf_map(IdentityDso(str(path)))
    assert answers(table, [0x8, 0xf, 0x10, 0x2f, 0x30, 0x37, 0x38, 0x47, 0x48]) == [
        "a", "a", "b", "b", "c", "c", None, None, None]


def test_empty_symbol_offset_takes_the_map_start_off(tmp_path):
    path = tmp_path / "perf-2.map"
    path.write_text("1000 0 empty\n1010 10 full\n")
    dso = IdentityDso(str(path), loader=load_perf_map)
    sym, off = dso.find(0x1000, 0x800, 0)
    assert (sym.name, off) == ("empty", (0x1000 - 0x800 - 0x1000) & 0xFFFFFFFFFFFFFFFF)
    sym, off = dso.find(0x1014, 0x800, 0)
    assert (sym.name, off) == ("full", 4)


# perf's own answers -------------------------------------------------------------------------

def _plt_checks():
    with open(os.path.join(PLT, "expected", "checks.json")) as f:
        return json.load(f)


def _perfscript_args(check, sweep_path):
    data = os.path.join(PLT, check["recording"]) if check["recording"] else sweep_path
    args = [os.path.join(PLT, a) if a.endswith(".py") else a for a in check["args"]]
    return ["-i", data, "--symfs", os.path.join(PLT, "symfs")] + args


@pytest.mark.parametrize("check", _plt_checks(), ids=lambda c: c["name"])
def test_plt_recordings_like_perf(check, perfscript, tmp_path):
    """Samples in PLT stubs of gcc -O2 binaries (lazy PLT, -fno-plt, -z now), with and without
    callchains, and a sample at each of their first 0x1400 file offsets: what perf printed
    with only the binaries to read (--symfs, an empty HOME)."""
    sweep = tmp_path / "sweep.data"
    if check["recording"] is None:
        import importlib.util
        spec = importlib.util.spec_from_file_location("plt_mkrefs",
                                                      os.path.join(PLT, "mkrefs.py"))
        mkrefs = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mkrefs)
        sweep.write_bytes(mkrefs.sweep_bytes())
    home = tmp_path / "home"
    home.mkdir()
    got = perfscript(_perfscript_args(check, str(sweep)), env={"HOME": str(home)})
    with lzma.open(os.path.join(PLT, "expected", check["expected"]), "rb") as f:
        want = f.read()
    assert same_status(got.returncode, check["status"]), got.stderr.decode()[-2000:]
    assert got.stdout == want, first_difference(got.stdout, want)


def test_plt_recordings_hit_stubs_perf_gives_to_init():
    """The recordings hold what they are for: perf names some PLT samples _init+..."""
    with lzma.open(os.path.join(PLT, "expected", "plt.out.xz"), "rt") as f:
        text = f.read()
    assert " _init+0x" in text and "@plt+0x" in text


SYSTEM_LIBS = ["/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6",
               "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
               "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"]


def _system_libs():
    return [p for p in SYSTEM_LIBS if os.path.isfile(p)]


def test_history_replays_to_the_loaded_symbols():
    """The tree rebuilt from a loader's history holds exactly its symbols, in its order."""
    resolver = SymbolResolver()
    paths = _system_libs() + [os.path.join(PLT, "symfs", "tmp", "plt", p)
                              for p in ("prog_plt", "prog_noplt", "prog_now")]
    for path in paths:
        dso = resolver.dso(path)
        dso.table
        cols, order, history = load_elf_symbols(open_elf(dso.symsrc), open_elf(dso.runtime))
        tree = history.replay(cols)
        check_red_black(tree)
        assert [e.index for e in tree.in_order()] == order.tolist(), path


@pytest.mark.skipif(PERF is None, reason="perf is not installed")
def test_symbol_edges_of_system_libraries_like_perf(perfscript, tmp_path):
    """A sample at each symbol start and end (and their neighbours) and at every address of
    each overlapping run, in libc, libm, ld.so and libstdc++: compared live with perf."""
    resolver = SymbolResolver()
    files = [(p, os.path.getsize(p), probe_offsets(list(resolver.dso(p).table)))
             for p in _system_libs()]
    if not files:
        pytest.skip("none of the libraries is here")
    data = tmp_path / "edges.data"
    data.write_bytes(build_sweep(files))
    args = ["-i", str(data), "-F", "ip,sym,symoff,dso"]
    want = subprocess.run([PERF, "script"] + args, capture_output=True, env=script_env(),
                          cwd=str(tmp_path))
    got = perfscript(args)
    assert got.returncode == want.returncode
    assert got.stdout == want.stdout, first_difference(got.stdout, want.stdout)
