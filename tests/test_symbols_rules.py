"""perf 6.1's symbol rules on small synthetic inputs (fix-ups, kallsyms, demangling, perf maps)."""

import os

import pytest

from perfscript.symbols import STB_GLOBAL, STB_LOCAL, STB_WEAK, Symbol, SymbolResolver, SymbolTable
from perfscript.symbols.buildid import build_ids_equal
from perfscript.symbols.demangle import demangle, ocaml_demangle
from perfscript.symbols.kallsyms import module_name, parse_kallsyms, read_kallsyms, split_kallsyms
from perfscript.symbols.table import fixup_duplicate, fixup_end, prefer_first


def S(start, end, name, binding=STB_GLOBAL):
    return Symbol(start, end, binding, name)


def test_fixup_end_uses_next_start_and_pads_the_last():
    syms = [S(0x1000, 0x1000, "a"), S(0x1010, 0x1018, "b"), S(0x1020, 0x1020, "c")]
    fixup_end(syms)
    assert [(s.start, s.end) for s in syms] == [(0x1000, 0x1010), (0x1010, 0x1018),
                                                (0x1020, 0x3000)]


def test_fixup_end_kallsyms_does_not_bridge_kernel_to_modules():
    syms = [S(0xffffffff81000000, 0xffffffff81000000, "k"),
            S(0xffffffffc0001000, 0xffffffffc0001000, "m\t[mod]")]
    fixup_end(syms, is_kallsyms=True, in_module=lambda s: "[" in s.name)
    assert syms[0].end == 0xffffffff81001000
    assert syms[1].end == 0xffffffffc0002000


@pytest.mark.parametrize("a, b, first", [
    (S(0, 8, "x"), S(0, 0, "y"), True),                       # non-empty wins
    (S(0, 0, "x"), S(0, 8, "y"), False),
    (S(0, 8, "x", STB_WEAK), S(0, 8, "y", STB_LOCAL), False),  # non-weak over weak
    (S(0, 8, "x", STB_LOCAL), S(0, 8, "y", STB_GLOBAL), False),  # global over local
    (S(0, 8, "__x"), S(0, 8, "_y"), False),                   # fewer leading underscores
    (S(0, 8, "__GI___lll_lock_wait", STB_LOCAL), S(0, 8, "__lll_lock_wait", STB_LOCAL), True),
    (S(0, 8, "abc"), S(0, 8, "abd"), True),                   # full tie: the first
    (S(0, 8, "SyS_read"), S(0, 8, "sys_read"), False),        # ... unless a SyS alias
])
def test_choose_best_symbol(a, b, first):
    assert prefer_first(a, b) is first


def test_fixup_duplicate_keeps_one_per_address():
    syms = [S(0, 8, "b", STB_WEAK), S(0, 8, "a"), S(0, 8, "aa", STB_LOCAL), S(8, 9, "c")]
    fixup_duplicate(syms)
    assert [s.name for s in syms] == ["a", "c"]


def test_find_bounds():
    table = SymbolTable([S(0x10, 0x20, "a"), S(0x30, 0x30, "empty"), S(0x40, 0x48, "b")])
    assert table.find(0x10).name == "a"
    assert table.find(0x1f).name == "a"
    assert table.find(0x20) is None            # end is exclusive
    assert table.find(0x30).name == "empty"    # an empty symbol covers its start
    assert table.find(0x31) is None
    assert table.find(0x5) is None
    assert table.find(0x48) is None


KALLSYMS = """\
ffffffff81000000 T _stext
ffffffff81000000 T _text
ffffffff81000010 T entry_a
ffffffff81000020 t local_b
ffffffff81000030 W weak_c
ffffffff81000040 R rodata_skipped
ffffffff81000050 D data_d
ffffffff81000060 b bss_e
ffffffff81000070 A abs_skipped
ffffffff81000080 T $arm_mapping_skipped
ffffffff81000090 T __entry_SYSCALL_64_trampoline
ffffffff810000a0 T last_kernel
ffffffffc0001000 t mod_a\t[mod_x]
ffffffffc0001040 T mod_b\t[mod_x]
ffffffffc0002000 t ftrace_trampoline\t[__builtin__ftrace]
"""


@pytest.fixture
def kallsyms(tmp_path):
    path = tmp_path / "kallsyms"
    path.write_text(KALLSYMS)
    return str(path)


def test_kallsyms_types_bindings_and_ends(kallsyms):
    parsed = parse_kallsyms(read_kallsyms(kallsyms))
    syms = parsed.cols.symbols(parsed.order.tolist())
    by = {s.name.split("\t")[0]: s for s in syms}
    assert "rodata_skipped" not in by and "abs_skipped" not in by
    assert "$arm_mapping_skipped" not in by
    # same address: the last one in the file has the length, so it wins
    assert "_text" in by and "_stext" not in by
    assert by["_text"].end == 0xffffffff81000010
    assert (by["entry_a"].binding, by["local_b"].binding, by["weak_c"].binding) == (
        STB_GLOBAL, STB_LOCAL, STB_WEAK)
    assert by["data_d"].binding == STB_GLOBAL and by["bss_e"].binding == STB_LOCAL
    assert by["last_kernel"].end == 0xffffffff81002000  # page after, not up to the module
    assert by["mod_a"].end == 0xffffffffc0001040


def test_kallsyms_split_and_kernel_extent(kallsyms):
    found = split_kallsyms(parse_kallsyms(read_kallsyms(kallsyms)))
    assert "__entry_SYSCALL_64_trampoline" not in [s.name for s in found.table]
    mod = found.modules["[mod_x]"]
    assert [s.name for s in mod.symbols(range(len(mod)))] == ["mod_a", "mod_b"]
    r = SymbolResolver(kallsyms=kallsyms)
    k = r.kernel("ab" * 20, ("_text", 0xffffffff81000000))
    sym, off = k.find(0xffffffff81000015)
    assert (sym.name, off, sym.start) == ("entry_a", 5, 0xffffffff81000010)
    assert k.map_extent(0xffffffff81000000, 0xffffffff81000100) == (
        0xffffffff81000000, 0xffffffff81002000)
    assert k.name == "[kernel.kallsyms]" and k.build_id == "ab" * 20


def test_kallsyms_relocation_delta(kallsyms):
    # recorded _text 0x1000 lower than in this kallsyms: symbols shift down
    k = SymbolResolver(kallsyms=kallsyms).kernel(None, ("_text", 0xffffffff80fff000))
    sym, off = k.find(0xffffffff80fff015)
    assert (sym.name, off) == ("entry_a", 5)
    # a reference symbol the file lacks means no kernel symbols, as in perf
    assert SymbolResolver(kallsyms=kallsyms).kernel(None, ("_nope", 1)).find(0xffffffff81000015) is None


def test_module_symbols_are_relative_to_the_module_map(kallsyms):
    r = SymbolResolver(kallsyms=kallsyms)
    k = r.kernel(None)
    m = r.module("/lib/modules/6.1.0/kernel/net/mod-x.ko.xz", "cd" * 20, k)
    assert m.name == "[mod_x]"
    assert m.long_name == "/lib/modules/6.1.0/kernel/net/mod-x.ko.xz"
    sym, off = m.find(0xffffffffc0001044, 0xffffffffc0000000, 0)
    assert (sym.name, off, sym.start, sym.end) == ("mod_b", 4, 0x1040, 0x2000)
    # a "module" perf has no map for (ftrace trampolines) resolves nowhere
    assert k.find(0xffffffffc0002000) is None


def test_module_name():
    assert module_name("/lib/modules/x/kernel/fs/ext4/ext4.ko") == "[ext4]"
    assert module_name("/lib/modules/x/nf-tables.ko.zst") == "[nf_tables]"
    assert module_name("[nf_tables]") == "[nf_tables]"


def test_kallsyms_choice(tmp_path, kallsyms):
    notes = tmp_path / "notes"
    bid = "11" * 20
    # a GNU build-id note as in /sys/kernel/notes
    notes.write_bytes((4).to_bytes(4, "little") + (20).to_bytes(4, "little") +
                      (3).to_bytes(4, "little") + b"GNU\0" + bytes.fromhex(bid))
    debug = tmp_path / "debug"
    cached = debug / "[kernel.kallsyms]" / ("22" * 20)
    cached.mkdir(parents=True)
    (cached / "kallsyms").write_text(KALLSYMS)
    r = SymbolResolver(debug_dir=str(debug), proc_kallsyms="/proc-kallsyms",
                       kernel_notes=str(notes))
    assert r.kallsyms_path(None) == "/proc-kallsyms"           # no build id: running kernel
    assert r.kallsyms_path(bid) == "/proc-kallsyms"            # same kernel as recorded
    assert r.kallsyms_path("22" * 20) == str(cached / "kallsyms")  # build-id cache
    assert r.kallsyms_path("33" * 20) is None                  # nothing that matches
    assert SymbolResolver(kallsyms=kallsyms).kallsyms_path("33" * 20) == kallsyms
    assert SymbolResolver(symfs=str(tmp_path)).kallsyms_path(None) is None


def test_build_id_trailing_zeros():
    assert build_ids_equal("ab" * 10 + "00" * 10, "ab" * 10)
    assert not build_ids_equal("ab" * 20, "ab" * 10)
    assert not build_ids_equal("ab" * 20, None)


@pytest.mark.parametrize("mangled, shown", [
    ("_Z4workRSt6vectorIlSaIlEEi", "work"),
    ("_ZNSt6vectorIlSaIlEEixEm", "std::vector<long, std::allocator<long> >::operator[]"),
    ("_ZN2rs5inner1W4spin17h0123456789abcdefE", "rs::inner::W::spin"),
    ("_RNvMNtCs1234_2rs5innerNtB2_1W4spin", "<rs::inner::W>::spin"),
    ("camlFoo__bar_123", "Foo.bar_123"),
    ("main", "main"),
    ("caml_lowercase", "caml_lowercase"),
])
def test_demangle(mangled, shown):
    assert demangle(mangled) == shown


def test_ocaml_hex_escape():
    assert ocaml_demangle("camlA__b$2bc") == "A.b+c"


def test_perf_map(tmp_path):
    path = tmp_path / "perf-123.map"
    path.write_text("7f0000001000 40 jitted one\n7f0000002000 10 two\nbad line\n")
    r = SymbolResolver()
    dso = r.dso("/tmp/perf-123.map")
    dso.long_name = str(path)  # the recorded name points into /tmp; read our copy
    sym, off = dso.find(0x7f0000001004, 0x7f0000000000, 0)
    assert (sym.name, off) == ("jitted one", 4)
    assert dso.find(0x7f0000001040, 0, 0) is None


def test_pseudo_files_have_no_symbols():
    r = SymbolResolver()
    for name in ("[heap]", "[stack]", "//anon", "[vsyscall]"):
        assert r.dso(name).find(0x1000, 0, 0) is None
    assert r.dso("[heap]") is r.dso("[heap]")
