"""A dso's symbols sorted by address, with perf's end and duplicate fix-ups, found by bisect."""

from bisect import bisect_right

from .symbol import STB_GLOBAL, STB_WEAK

PAGE = 4096


def _roundup(value, step=PAGE):
    return (value + step - 1) // step * step


def fixup_end(symbols, is_kallsyms=False, in_module=None):
    """Give zero-length symbols the next symbol's start as end (perf's symbols__fixup_end).

    ``symbols`` is sorted by start.  For kallsyms, the last symbol before a switch between
    kernel and module symbols ends on the next page instead (so the kernel map does not swallow
    the gap up to the modules); ``in_module(sym)`` tells which side a symbol is on.  The last
    symbol, if still empty, ends one page past its start rounded up.
    """
    if not symbols:
        return
    curr = symbols[0]
    for nxt in symbols[1:]:
        prev, curr = curr, nxt
        if prev.end == prev.start:
            if is_kallsyms and in_module(prev) != in_module(curr):
                prev.end = _roundup(prev.end + PAGE)
            else:
                prev.end = curr.start
    if curr.end == curr.start:
        curr.end = _roundup(curr.start) + PAGE


def _leading_underscores(name):
    return len(name) - len(name.lstrip("_"))


def prefer_first(a, b):
    """True when perf keeps ``a`` over ``b`` for two symbols at one address (choose_best_symbol).

    In order: non-empty over empty, non-weak over weak, global over non-global, fewer leading
    underscores, longer name; on a full tie the first one, unless it is a ``SyS`` alias.
    """
    a_len = a.end - a.start
    b_len = b.end - b.start
    if b_len == 0 and a_len > 0:
        return True
    if a_len == 0 and b_len > 0:
        return False
    a_weak = a.binding == STB_WEAK
    b_weak = b.binding == STB_WEAK
    if a_weak != b_weak:
        return b_weak
    a_glob = a.binding == STB_GLOBAL
    b_glob = b.binding == STB_GLOBAL
    if a_glob != b_glob:
        return a_glob
    a_us = _leading_underscores(a.name)
    b_us = _leading_underscores(b.name)
    if a_us != b_us:
        return a_us < b_us
    if len(a.name) != len(b.name):
        return len(a.name) > len(b.name)
    return not (a.name.startswith("SyS") or a.name.startswith("compat_SyS"))


def fixup_duplicate(symbols):
    """Keep one symbol per start address, the one perf prefers (symbols__fixup_duplicate)."""
    out = []
    for sym in symbols:
        if out and out[-1].start == sym.start:
            if not prefer_first(out[-1], sym):
                out[-1] = sym
        else:
            out.append(sym)
    symbols[:] = out


def sort_stable(symbols):
    """Order by start; equal starts keep insertion order, as perf's rb-tree does."""
    symbols.sort(key=lambda s: s.start)


class SymbolTable:
    """Symbols sorted by start; ``find`` answers like perf's symbols__find.

    Exact when symbols do not overlap (the usual case).  Where they do (a zero-size ``_init``
    stretched over the PLT), perf's answer depends on its rb-tree's shape; we return the last
    symbol starting at or before the address if it covers it, which is what perf gave in every
    PLT sample checked.
    """

    __slots__ = ("symbols", "_starts", "_cache_addr", "_cache_sym")

    def __init__(self, symbols):
        self.symbols = symbols
        self._starts = [s.start for s in symbols]
        self._cache_addr = None
        self._cache_sym = None

    def __len__(self):
        return len(self.symbols)

    def __iter__(self):
        return iter(self.symbols)

    def find(self, addr):
        if addr == self._cache_addr:
            return self._cache_sym
        sym = self._find(addr)
        self._cache_addr = addr
        self._cache_sym = sym
        return sym

    def _find(self, addr):
        i = bisect_right(self._starts, addr) - 1
        if i < 0:
            return None
        sym = self.symbols[i]
        if addr < sym.end or addr == sym.start:
            return sym
        return None

    @property
    def first(self):
        return self.symbols[0] if self.symbols else None

    @property
    def last(self):
        return self.symbols[-1] if self.symbols else None
