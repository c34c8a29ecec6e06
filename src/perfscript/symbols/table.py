"""A dso's symbols sorted by address, with perf's end and duplicate fix-ups, found by bisect."""

from bisect import bisect_right
from itertools import compress, count
from operator import eq, lt

import numpy as np

from .rbtree import IndexHistory, TreeEntry, TreeHistory
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


def first_wins(a_len, b_len, a_binding, b_binding, names):
    """perf's choose_best_symbol for two symbols at one address, from their sizes and
    bindings and, only when those tie, ``names()`` -> (a's name, b's name).

    In order: non-empty over empty, non-weak over weak, global over non-global, fewer leading
    underscores, longer name; on a full tie the first one, unless it is a ``SyS`` alias.
    """
    if b_len == 0 and a_len > 0:
        return True
    if a_len == 0 and b_len > 0:
        return False
    a_weak = a_binding == STB_WEAK
    b_weak = b_binding == STB_WEAK
    if a_weak != b_weak:
        return b_weak
    a_glob = a_binding == STB_GLOBAL
    b_glob = b_binding == STB_GLOBAL
    if a_glob != b_glob:
        return a_glob
    a_name, b_name = names()
    a_us = _leading_underscores(a_name)
    b_us = _leading_underscores(b_name)
    if a_us != b_us:
        return a_us < b_us
    if len(a_name) != len(b_name):
        return len(a_name) > len(b_name)
    return not (a_name.startswith("SyS") or a_name.startswith("compat_SyS"))


def prefer_first(a, b):
    """True when perf keeps Symbol ``a`` over ``b`` at one address (first_wins)."""
    return first_wins(a.end - a.start, b.end - b.start, a.binding, b.binding,
                      lambda: (a.name, b.name))


def fixup_duplicate(symbols):
    """Keep one symbol per start address, the one perf prefers (symbols__fixup_duplicate);
    returns the dropped ones in the order perf erases them from its tree."""
    out = []
    dropped = []
    for sym in symbols:
        if out and out[-1].start == sym.start:
            if prefer_first(out[-1], sym):
                dropped.append(sym)
            else:
                dropped.append(out[-1])
                out[-1] = sym
        else:
            out.append(sym)
    symbols[:] = out
    return dropped


def sort_stable(symbols):
    """Order by start; equal starts keep insertion order, as perf's rb-tree does."""
    symbols.sort(key=lambda s: s.start)


def _overlapping(starts, ends):
    """Do two of these symbols (sorted by start) cover a common address?  With sorted starts
    it is enough to look at neighbours: one starting where the previous one starts (each
    covers at least its start) or before it ends."""
    following = starts[1:]
    return any(map(eq, following, starts)) or any(map(lt, following, ends))


def _covered_ends(starts, ends):
    """Where each symbol stops answering perf's lookup: its end, or one past its start when
    it is empty."""
    return [e if e > s else s + 1 for s, e in zip(starts, ends)]


class _Unsettled:
    """Owner of a run of overlapping symbols until perf's tree has been rebuilt."""

    __slots__ = ()


_UNSETTLED = _Unsettled()


def _runs(starts, ends):
    """(first, past the last, reach) of each run of overlapping symbols (``ends`` as
    _covered_ends gives them).  A run starts where a symbol overlaps its neighbour and goes on
    while the next one starts before the run's furthest end."""
    runs = []
    n = len(starts)
    past = 0
    for first in compress(count(), map(lt, starts[1:], ends)):
        if first < past:
            continue
        reach = ends[first]
        past = first + 1
        while past < n and starts[past] < reach:
            if ends[past] > reach:
                reach = ends[past]
            past += 1
        runs.append((first, past, reach))
    return runs


def _intervals(symbols, starts, ends, tree=None):
    """(starts, ends, owners) of the intervals ``find`` bisects.

    A symbol that overlaps nothing keeps its own interval.  A run of overlapping symbols is
    one _UNSETTLED interval without ``tree``; with it, the run is cut at every start and end
    inside it and each piece gets the tree's answer at its first address (the walk's
    comparisons cannot change inside a piece).  Neighbouring pieces with one owner merge;
    pieces the tree answers None for are left out.
    """
    out_starts, out_ends, owners = [], [], []
    done = 0
    for first, past, reach in _runs(starts, ends):
        out_starts += starts[done:first]
        out_ends += ends[done:first]
        owners += symbols[done:first]
        done = past
        if tree is None:
            out_starts.append(starts[first])
            out_ends.append(reach)
            owners.append(_UNSETTLED)
            continue
        cuts = sorted(set(starts[first:past]) | set(ends[first:past]))
        merged = False      # may the next piece extend the last one?
        for lo, hi in zip(cuts, cuts[1:]):
            sym = tree.find(lo)
            if sym is None:
                merged = False
            elif merged and owners[-1] is sym:
                out_ends[-1] = hi
            else:
                out_starts.append(lo)
                out_ends.append(hi)
                owners.append(sym)
                merged = True
    out_starts += starts[done:]
    out_ends += ends[done:]
    owners += symbols[done:]
    return out_starts, out_ends, owners


class SymbolTable:
    """Symbols sorted by start; ``find`` answers exactly like perf's symbols__find.

    Where no symbols overlap, the last one starting at or before an address is the only
    candidate and a bisect finds it.  Where they overlap (a zero-size ``_init`` stretched over
    the PLT entries added after it, overlapping data objects, a JIT map's reused addresses),
    perf answers with the first covering node on its rb-tree's search path.  The first lookup
    that lands in such a run rebuilds the tree from ``history`` (perf's inserts and erases;
    without one, the symbols inserted in order) and flattens its answers into intervals, so
    lookups stay one bisect and a dso whose overlaps are never hit never builds a tree.

    A table made ``from_columns`` holds entry numbers until a lookup needs the object; its
    settled intervals can be kept (``on_settle((starts, ends, entry numbers))`` is called
    once the tree has answered) and given back (``settled``) to skip the tree next time.
    """

    __slots__ = ("_symbols", "_cols", "_order", "_history", "_starts", "_ends", "_owners",
                 "_cache_addr", "_cache_sym", "on_settle")

    def __init__(self, symbols, history=None):
        self._symbols = symbols
        self._cols = None
        self._order = None
        self.on_settle = None
        self._index(symbols, [s.start for s in symbols], [s.end for s in symbols], history)

    @classmethod
    def from_columns(cls, cols, order, history=None, settled=None):
        """The table of entries ``order`` (sorted by start) of a SymbolColumns; ``history``
        an IndexHistory over the same columns; ``settled`` what ``on_settle`` got for the
        same table."""
        table = cls.__new__(cls)
        table._symbols = None
        table._cols = cols
        table.on_settle = None
        order = np.asarray(order, dtype=np.int64)
        if settled is not None:
            starts, ends, owners = settled
            table._order = order.tolist()
            table._history = None
            table._starts = starts.tolist()
            table._ends = ends.tolist()
            table._owners = owners.tolist()
            table._cache_addr = table._cache_sym = None
            return table
        starts = cols.start[order]
        ends = cols.end[order]
        overlap = len(order) > 1 and bool((starts[1:] == starts[:-1]).any()
                                          or (starts[1:] < ends[:-1]).any())
        table._order = order = order.tolist()
        table._index(list(order), starts.tolist(), ends.tolist(), history, overlap)
        return table

    def _index(self, owners, starts, ends, history, overlap=None):
        self._history = None
        if overlap is None:
            overlap = _overlapping(starts, ends)
        if overlap:
            if history is None and self._cols is not None:
                history = IndexHistory()
                history.inserted(self._order)
            elif history is None:
                history = TreeHistory()
                history.inserted(self._symbols)
            self._history = history
            starts, ends, owners = _intervals(owners, starts, _covered_ends(starts, ends))
        self._starts = starts
        self._ends = ends
        self._owners = owners
        self._cache_addr = None
        self._cache_sym = None

    @property
    def symbols(self):
        """All symbols, sorted (made from the columns when the table has them)."""
        if self._symbols is None:
            self._symbols = self._cols.symbols(self._order)
        return self._symbols

    def _settle(self):
        """Replace the _UNSETTLED runs by perf's tree's answers."""
        history, self._history = self._history, None
        if self._cols is not None:
            owners = self._order
            starts = self._cols.start[owners].tolist()
            ends = self._cols.end[owners].tolist()
            if isinstance(history, IndexHistory):
                tree = history.replay(self._cols)     # answers entry numbers
            else:
                tree = history.replay()
        else:
            owners = self._symbols
            starts = [s.start for s in owners]
            ends = [s.end for s in owners]
            tree = history.replay()
        self._starts, self._ends, owners = _intervals(
            owners, starts, _covered_ends(starts, ends), tree)
        self._owners = [o.index if o.__class__ is TreeEntry else o for o in owners]
        if self.on_settle is not None and self._cols is not None:
            self.on_settle((np.array(self._starts, dtype=np.uint64),
                            np.array(self._ends, dtype=np.uint64),
                            np.array(self._owners, dtype=np.int64)))

    def __len__(self):
        return len(self._order if self._cols is not None else self._symbols)

    def __iter__(self):
        return iter(self.symbols)

    def find(self, addr):
        if addr == self._cache_addr:
            return self._cache_sym
        starts = self._starts
        i = bisect_right(starts, addr) - 1
        if i >= 0 and (addr < self._ends[i] or addr == starts[i]):
            sym = self._owners[i]
            if sym.__class__ is int:
                sym = self._owners[i] = self._cols.symbol(sym)
            elif sym is _UNSETTLED:
                self._settle()
                return self.find(addr)
        else:
            sym = None
        self._cache_addr = addr
        self._cache_sym = sym
        return sym

    def _entry(self, k):
        if self._cols is not None:
            return self._cols.symbol(self._order[k])
        return self._symbols[k]

    @property
    def first(self):
        return self._entry(0) if len(self) else None

    @property
    def last(self):
        return self._entry(-1) if len(self) else None
