"""Kernel function lookup from a trace.dat's kallsyms, with libtraceevent's rules:
absolute symbols ('A'/'a') and ARM's '$' mapping symbols are left out; an address
belongs to the symbol at or below it only if a higher symbol follows (nothing
matches past the last symbol but the last symbol itself); of symbols sharing an
address the first one listed wins."""

import bisect
import re

_LINE = re.compile(rb"^([0-9a-fA-F]{1,16})\s+(\S)\s+(\S+)", re.M)


class KernelSymbols:
    def __init__(self, text):
        entries = {}
        for match in _LINE.finditer(text):
            kind, name = match.group(2), match.group(3)
            if kind in (b"A", b"a") or name.startswith(b"$"):
                continue
            entries.setdefault(int(match.group(1), 16),
                               name.decode("utf-8", "surrogateescape"))
        self.addrs = sorted(entries)
        self.names = [entries[a] for a in self.addrs]

    def __len__(self):
        return len(self.addrs)

    def lookup(self, addr):
        """(name, offset) of the function holding addr, or None."""
        index = bisect.bisect_right(self.addrs, addr) - 1
        if index < 0:
            return None
        start = self.addrs[index]
        if addr != start and index + 1 >= len(self.addrs):
            return None
        return self.names[index], addr - start
