"""Demangling without binutils' libbfd: libstdc++'s __cxa_demangle, made to print what
libiberty's cplus_demangle(name, 0) prints (perf 6.1's names). The expected names are
libbfd's (binutils 2.40) output for each symbol."""

import pytest

from perfscript.symbols import demangle as dm

# mangled -> what perf 6.1 (libiberty, no DMGL_PARAMS) shows
PERF_NAMES = {
    "_Z4workRSt6vectorIlSaIlEEi": "work",
    "_ZN3foo3barEv": "foo::bar",
    "_Z1fIiEvT_": "f<int>",
    "_Z3maxIiET_S0_S0_": "max<int>",
    "_Z1hIiEN1A1BEv": "h<int>",
    "_ZN1A1fIiEEPKcv": "A::f<int>",
    "_ZNKSt6vectorIiSaIiEE4sizeEv": "std::vector<int, std::allocator<int> >::size",
    "_ZNSt6vectorIiSaIiEEixEm": "std::vector<int, std::allocator<int> >::operator[]",
    "_ZZ4mainENKUlvE_clEv": "main::{lambda()#1}::operator()",
    "_ZN1AcvmEv": "A::operator unsigned long",
    "_ZN1AplERKS_": "A::operator+",
    "_ZnwmPv": "operator new",
    "_ZN12_GLOBAL__N_13fooEv": "(anonymous namespace)::foo",
    "_ZThn8_N1B1fEv": "non-virtual thunk to B::f()",
    "_ZTv0_n24_N1B1fEv": "virtual thunk to B::f()",
    "_ZTV1A": "vtable for A",
    "_ZGVZ4mainE1x": "guard variable for main::x",
    "_ZN4core3fmt5write17h0123456789abcdefE": "core::fmt::write",
    "_ZN3std2rt10lang_start28_$u7b$$u7b$closure$u7d$$u7d$17h0f6ea8c1d8d1e2a3E":
        "std::rt::lang_start::{{closure}}",
    "_ZN4core3ptr85drop_in_place$LT$std..rt..lang_start$LT$$LP$$RP$$GT$..$u7b$$u7b$"
    "closure$u7d$$u7d$$GT$17h1234567890abcdefE":
        "core::ptr::drop_in_place<std::rt::lang_start<()>::{{closure}}>",
    "_ZN5alloc7raw_vec19RawVec$LT$T$C$A$GT$16reserve_for_push17h7e2f8f1a2b3c4d5eE":
        "alloc::raw_vec::RawVec<T,A>::reserve_for_push",
    "_ZN3foo17h0000000000000000E": "foo::h0000000000000000",   # not a Rust hash
    "main": "main",
}


def _use(monkeypatch, cplus, cxa):
    monkeypatch.setattr(dm, "_load_cplus", lambda: cplus)
    monkeypatch.setattr(dm, "_load_cxa", lambda: cxa)
    monkeypatch.setattr(dm, "_loaded", None)
    dm.demangle.cache_clear()


@pytest.fixture
def no_libbfd(monkeypatch):
    cxa = dm._load_cxa()
    if cxa is None:
        pytest.skip("no libstdc++ here")
    _use(monkeypatch, None, cxa)
    yield
    dm.demangle.cache_clear()


@pytest.mark.parametrize("mangled", sorted(PERF_NAMES))
def test_without_libbfd_names_are_perfs(no_libbfd, mangled):
    assert dm.demangle(mangled) == PERF_NAMES[mangled]


@pytest.mark.parametrize("mangled", sorted(PERF_NAMES))
def test_libbfd_gives_the_same_names(monkeypatch, mangled):
    cplus = dm._load_cplus()
    if cplus is None:
        pytest.skip("no libbfd here")
    _use(monkeypatch, cplus, None)
    try:
        assert dm.demangle(mangled) == PERF_NAMES[mangled]
    finally:
        dm.demangle.cache_clear()


def test_without_any_demangler_names_stay_mangled(monkeypatch):
    _use(monkeypatch, None, None)
    try:
        assert dm.demangle("_ZN3foo3barEv") == "_ZN3foo3barEv"
        assert dm.demangle("camlFoo__bar_12") == "Foo.bar_12"     # OCaml needs nothing
    finally:
        dm.demangle.cache_clear()


def test_rust_v0_needs_libbfd(no_libbfd):
    assert dm.demangle("_RNvCs1234_7mycrate3foo") == "_RNvCs1234_7mycrate3foo"
