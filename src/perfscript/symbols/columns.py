"""A dso's symbols as NumPy columns, fixed up as perf does, turned into objects on lookup.

A kallsyms file or a large library holds 10^4-10^5 symbols of which a run looks up a few
hundred: the loaders read them in bulk into columns (start, end, binding, where the name is),
apply perf's sort and end/duplicate fix-ups on the arrays, and a ``Symbol`` is made (its name
decoded, demangled) only when a lookup lands on it.  Columns are also what the on-disk symbol
cache stores.
"""

import numpy as np

from .symbol import Symbol
from .table import PAGE, first_wins

# How a name's bytes become the name perf shows.
NAME_LITERAL = 0      # as is (kallsyms, perf maps)
NAME_ELF = 1          # an ELF symbol name: demangled unless --no-demangle
NAME_PLT = 2          # an ELF name shown with "@plt" after it, cut to perf's buffer

U64 = np.uint64


def _as_is(name):
    return name


class SymbolColumns:
    """Every symbol a loader created, in creation order (the "universe" the history and the
    tables index into): ``start``/``end`` (uint64), ``binding`` (uint8), and the name as
    ``name_off``/``name_len`` bytes of ``blob`` with a ``name_kind``.  ``symbol(i)`` makes the
    object for entry ``i`` once; later calls return the same one (perf's tree and the tables
    compare symbols by identity)."""

    __slots__ = ("start", "end", "binding", "name_off", "name_len", "name_kind", "blob",
                 "shown", "name_limit", "_made")

    def __init__(self, start, end, binding, name_off, name_len, name_kind, blob, shown=None,
                 name_limit=None):
        self.start = start
        self.end = end
        self.binding = binding
        self.name_off = name_off
        self.name_len = name_len
        self.name_kind = name_kind
        self.blob = blob
        self.shown = shown or _as_is
        self.name_limit = name_limit    # characters kept of a literal name (kallsyms' buffer)
        self._made = {}

    def __len__(self):
        return len(self.start)

    def raw_name(self, i):
        off = int(self.name_off[i])
        return self.blob[off:off + int(self.name_len[i])].decode("utf-8", "surrogateescape")

    def name(self, i):
        """The name perf shows for entry ``i``."""
        raw = self.raw_name(i)
        kind = self.name_kind[i]
        if kind == NAME_ELF:
            return self.shown(raw)
        if kind == NAME_PLT:
            return plt_name(self.shown(raw))
        if self.name_limit is not None:
            return raw[:self.name_limit]
        return raw

    def symbol(self, i):
        sym = self._made.get(i)
        if sym is None:
            sym = self._made[i] = Symbol(int(self.start[i]), int(self.end[i]),
                                         int(self.binding[i]), self.name(i))
        return sym

    def symbols(self, order):
        return [self.symbol(i) for i in order]

    def subset(self, order, name_len=None):
        """New columns holding entries ``order`` (a module's symbols), optionally with
        shorter names."""
        order = np.asarray(order, dtype=np.int64)
        return SymbolColumns(self.start[order].copy(), self.end[order].copy(),
                             self.binding[order].copy(), self.name_off[order].copy(),
                             (self.name_len if name_len is None else name_len)[order].copy(),
                             self.name_kind[order].copy(), self.blob, self.shown,
                             self.name_limit)


PLT_NAME_BYTES = 1023     # perf formats "%s@plt" into a 1024-byte buffer


def plt_name(name):
    """``name@plt``, cut to the bytes perf's buffer holds (long C++ names lose the suffix)."""
    raw = (name + "@plt").encode("utf-8", "surrogateescape")
    if len(raw) <= PLT_NAME_BYTES:
        return name + "@plt"
    return raw[:PLT_NAME_BYTES].decode("utf-8", "surrogateescape")


def concat(parts, shown=None, name_limit=None):
    """One SymbolColumns from several (entries keep their order: the first part's, then the
    next...); names from each part's blob are copied into one."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_columns(shown, name_limit)
    if len(parts) == 1 and parts[0].shown is (shown or _as_is):
        return parts[0]
    blobs, offs = [], []
    base = 0
    for p in parts:
        blobs.append(p.blob)
        offs.append(p.name_off + U64(base))
        base += len(p.blob)
    return SymbolColumns(np.concatenate([p.start for p in parts]),
                         np.concatenate([p.end for p in parts]),
                         np.concatenate([p.binding for p in parts]),
                         np.concatenate(offs),
                         np.concatenate([p.name_len for p in parts]),
                         np.concatenate([p.name_kind for p in parts]),
                         b"".join(blobs), shown, name_limit)


def empty_columns(shown=None, name_limit=None):
    return SymbolColumns(np.zeros(0, U64), np.zeros(0, U64), np.zeros(0, np.uint8),
                         np.zeros(0, U64), np.zeros(0, np.uint32), np.zeros(0, np.uint8),
                         b"", shown, name_limit)


def sort_stable(cols, order):
    """``order`` (entry indexes) sorted by start, equal starts keeping their order."""
    order = np.asarray(order, dtype=np.int64)
    return order[np.argsort(cols.start[order], kind="stable")]


def fixup_end(cols, order, in_module=None):
    """perf's symbols__fixup_end on the entries ``order`` (sorted by start), in place: an
    empty symbol ends where the next starts, or with kallsyms (``in_module``: a bool per
    entry) on the next page when the next one is on the other side of the kernel/module
    divide; the last one, if empty, a page past its start rounded up."""
    if not len(order):
        return
    start = cols.start[order]
    end = cols.end[order]
    empty = end == start
    new_end = end.copy()
    if len(order) > 1:
        nxt = start[1:]
        fill = nxt.copy()
        if in_module is not None:
            side = in_module[order]
            switch = side[:-1] != side[1:]
            rounded = (end[:-1] + U64(PAGE) + U64(PAGE - 1)) // U64(PAGE) * U64(PAGE)
            fill = np.where(switch, rounded, fill)
        new_end[:-1] = np.where(empty[:-1], fill, end[:-1])
    if empty[-1]:
        last = int(start[-1])
        new_end[-1] = ((last + PAGE - 1) // PAGE * PAGE + PAGE) & 0xFFFFFFFFFFFFFFFF
    cols.end[order] = new_end


# names whose shown form may differ from the bytes (demangled, cut, "SyS" aliases)
_MAY_CHANGE = (b"_", b"caml", b"SyS", b"compat_SyS")


def fixup_duplicate(cols, order, name_of):
    """perf's symbols__fixup_duplicate on ``order`` (sorted, ends fixed up): (kept order,
    dropped entries in the order perf erases them).  Only runs of equal starts are looked
    at one by one, with perf's choose_best_symbol (table.first_wins); ``name_of(i)`` is
    the name perf compares there, asked for only when sizes and bindings tie."""
    if len(order) < 2:
        return order, []
    start = cols.start[order]
    same = np.flatnonzero(start[1:] == start[:-1]) + 1   # positions equal to the previous
    if not len(same):
        return order, []
    keep = np.ones(len(order), dtype=bool)
    dropped = []
    at = np.unique(np.concatenate((same - 1, same)))
    entries = order[at].tolist()
    sizes = (cols.end[order[at]] - start[at]).tolist()
    bindings = cols.binding[order[at]].tolist()
    row = dict(zip(at.tolist(), range(len(at))))
    names = {}

    def name(i):
        if i not in names:
            names[i] = name_of(i)
        return names[i]

    picked = order[at]
    offs = cols.name_off[picked].tolist()
    lens = cols.name_len[picked].tolist()
    kinds = cols.name_kind[picked].tolist()
    blob = cols.blob

    def same_as_is(x, y):
        """Do both entries have one name that shows as its bytes?"""
        if kinds[x] != kinds[y] or lens[x] != lens[y]:
            return False
        a, b = offs[x], offs[y]
        return (blob[a:a + lens[x]] == blob[b:b + lens[y]]
                and not blob.startswith(_MAY_CHANGE, a))

    def wins(x, y):
        if sizes[x] == sizes[y] and bindings[x] == bindings[y] and same_as_is(x, y):
            return True         # a full tie that is not a SyS alias: the first stays
        return first_wins(sizes[x], sizes[y], bindings[x], bindings[y],
                          lambda: (name(entries[x]), name(entries[y])))

    pos = 0
    n_same = len(same)
    while pos < n_same:
        first = int(same[pos]) - 1
        last = first + 1
        while pos < n_same and int(same[pos]) == last:
            pos += 1
            last += 1
        # the run order[first:last] shares one start: fold it as perf's walk does
        held = first
        for k in range(first + 1, last):
            if wins(row[held], row[k]):
                dropped.append(entries[row[k]])
                keep[k] = False
            else:
                dropped.append(entries[row[held]])
                keep[held] = False
                held = k
    return order[keep], dropped


_COLUMN_NAMES = ("start", "end", "binding", "name_off", "name_len", "name_kind")


def to_arrays(cols, order, history):
    """({name: array}, meta) of columns, a table's order and its IndexHistory (the names'
    blob as it is: gathering only the names back to back cost more than writing it)."""
    arrays = {name: getattr(cols, name) for name in _COLUMN_NAMES}
    arrays["blob"] = cols.blob
    arrays["order"] = np.asarray(order, dtype=np.int64)
    steps = history.steps if history is not None else []
    arrays["history"] = (np.concatenate([np.asarray(o, dtype=np.int64) for _, o in steps])
                         if steps else np.zeros(0, np.int64))
    arrays["history_steps"] = np.array([len(o) if insert else -len(o) for insert, o in steps],
                                       dtype=np.int64)
    return arrays, {"name_limit": cols.name_limit}


def from_arrays(arrays, meta, shown=None):
    """(columns, order, IndexHistory) back from to_arrays' output; ValueError when the
    arrays do not fit together."""
    from .rbtree import IndexHistory
    n = len(arrays["start"])
    if any(len(arrays[name]) != n for name in _COLUMN_NAMES):
        raise ValueError("columns of different lengths")
    blob = arrays["blob"]
    if n and int((arrays["name_off"] + arrays["name_len"].astype(U64)).max()) > len(blob):
        raise ValueError("names past the blob")
    order = arrays["order"]
    history_ix = arrays["history"]
    for ix in (order, history_ix):
        if len(ix) and (int(ix.min()) < 0 or int(ix.max()) >= n):
            raise ValueError("entry numbers out of range")
    steps = []
    at = 0
    for count in arrays["history_steps"].tolist():
        size = abs(count)
        if at + size > len(history_ix):
            raise ValueError("history past its entries")
        steps.append((count > 0, history_ix[at:at + size]))
        at += size
    limit = meta.get("name_limit")
    cols = SymbolColumns(*(arrays[name] for name in _COLUMN_NAMES), blob, shown,
                         limit if isinstance(limit, int) else None)
    return cols, order, IndexHistory(steps)
