"""Kernel function lookup from a trace.dat's kallsyms, with libtraceevent's rules:
absolute symbols ('A'/'a') and ARM's '$' mapping symbols are left out; an address
belongs to the symbol at or below it only if a higher symbol follows (nothing
matches past the last symbol but the last symbol itself); of symbols sharing an
address the first one listed wins.

A trace.dat carries the whole /proc/kallsyms (100k+ lines) and a report looks up a
handful of addresses, so the usual layout (every line "<16 lowercase hex digits> <type>
<name>...") is indexed without a Python step per line: its addresses sort as text.
Anything else is read line by line with the general pattern."""

import bisect
import re
from operator import itemgetter

_LINE = re.compile(rb"^([0-9a-fA-F]{1,16})\s+(\S)\s+(\S+)", re.M)
# the usual line start, and a line (after the first) that does not have it; the same
# for the usual lines of symbols that are not left out
_USUAL = re.compile(rb"[0-9a-f]{16} \S \S")
_UNUSUAL = re.compile(rb"\n(?![0-9a-f]{16} \S \S)")
_KEPT = re.compile(rb"[0-9a-f]{16} [^\sAa] [^\s$]")
_NOT_KEPT = re.compile(rb"\n(?![0-9a-f]{16} [^\sAa] [^\s$])")
_KEY = itemgetter(slice(0, 16))


class KernelSymbols:
    def __init__(self, text):
        index = _usual_layout(text)
        if index is None:
            index = _any_layout(text)
        self._keys, self._lines = index   # sorted 16-digit keys; the line of each
        self._size = None

    def __len__(self):
        if self._size is None:
            self._size = len(set(self._keys))
        return self._size

    def lookup(self, addr):
        """(name, offset) of the function holding addr, or None."""
        keys = self._keys
        if not 0 <= addr < 1 << 64:
            return None
        key = b"%016x" % addr
        index = bisect.bisect_right(keys, key) - 1
        if index < 0:
            return None
        start = keys[index]
        if start != key and bisect.bisect_right(keys, start) >= len(keys):
            return None
        line = self._lines[bisect.bisect_left(keys, start)]
        return _name(line), addr - int(start, 16)


def _name(line):
    if isinstance(line, str):
        return line
    return line[19:].split(None, 1)[0].decode("utf-8", "surrogateescape")


def _usual_layout(text):
    """(keys, lines) sorted by address, first listed first, the left-out symbols
    gone; None unless every line has the usual layout."""
    if not text:
        return [], []
    end = len(text) - 1 if text.endswith(b"\n") else len(text)
    all_kept = _KEPT.match(text) and not _NOT_KEPT.search(text, 0, end)
    if not all_kept and (not _USUAL.match(text) or _UNUSUAL.search(text, 0, end)):
        return None
    lines = text.split(b"\n")
    if not lines[-1]:
        lines.pop()
    if not all_kept:
        lines = [line for line in lines
                 if line[17:18] not in (b"A", b"a") and line[19:20] != b"$"]
    keys = list(map(_KEY, lines))
    order = sorted(range(len(keys)), key=keys.__getitem__)     # stable: first listed first
    return list(map(keys.__getitem__, order)), list(map(lines.__getitem__, order))


def _any_layout(text):
    """(keys, names) the general way: every line the pattern matches."""
    entries = {}
    for match in _LINE.finditer(text):
        kind, name = match.group(2), match.group(3)
        if kind in (b"A", b"a") or name.startswith(b"$"):
            continue
        entries.setdefault(int(match.group(1), 16), name.decode("utf-8", "surrogateescape"))
    addrs = sorted(entries)
    return [b"%016x" % a for a in addrs], [entries[a] for a in addrs]
