"""One resolved symbol, shaped like the ``sym`` dict perf hands to scripts."""

STB_LOCAL = 0
STB_GLOBAL = 1
STB_WEAK = 2


class Symbol:
    """A symbol in its dso's address space; ``end`` is exclusive (perf's start + size).

    perf treats a zero-length symbol (start == end) as covering exactly its start address.
    """

    __slots__ = ("start", "end", "binding", "name")

    def __init__(self, start, end, binding, name):
        self.start = start
        self.end = end
        self.binding = binding
        self.name = name

    def as_dict(self):
        """The callchain ``sym`` value perf builds (fresh dict: scripts may mutate it)."""
        return {"start": self.start, "end": self.end, "binding": self.binding, "name": self.name}

    def __repr__(self):
        return "Symbol(%#x, %#x, %d, %r)" % (self.start, self.end, self.binding, self.name)

    def __eq__(self, other):
        return (isinstance(other, Symbol) and self.start == other.start and self.end == other.end
                and self.binding == other.binding and self.name == other.name)

    def __hash__(self):
        return hash((self.start, self.end, self.name))
