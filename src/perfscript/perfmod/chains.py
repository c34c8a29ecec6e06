"""The sequence objects of a sample: `perf.callchain` of `perf.callchain_node`s and
`perf.branch_stack` of `perf.branch_entry`s."""

from perfscript.names.branch_flags import decode_branch_flags


class callchain_node:  # noqa: N801 - upstream's names
    """One frame: its address and, when resolved, its symbol, dso and offset."""

    __slots__ = ("ip", "symbol", "dso", "sym_offset")
    __module__ = "perf"

    def __init__(self, ip, symbol, dso, sym_offset):
        self.ip = ip
        self.symbol = symbol
        self.dso = dso
        self.sym_offset = sym_offset

    def __repr__(self):
        return "<perf.callchain_node ip=%#x symbol=%r dso=%r>" % (self.ip, self.symbol,
                                                                  self.dso)


class _Sequence:
    __slots__ = ("_items",)

    def __init__(self, items):
        self._items = items

    def __len__(self):
        return len(self._items)

    def __getitem__(self, index):
        return self._items[index]

    def __iter__(self):
        return iter(self._items)

    def __reversed__(self):
        return reversed(self._items)

    def __bool__(self):
        return True


class callchain(_Sequence):  # noqa: N801
    """A sample's frames, innermost first."""

    __slots__ = ()
    __module__ = "perf"

    def __repr__(self):
        return "<perf.callchain of %d frames>" % len(self._items)


class branch_entry:  # noqa: N801
    """One branch of a branch stack."""

    __slots__ = ("from_ip", "to_ip", "mispred", "predicted", "in_tx", "abort", "cycles",
                 "type")
    __module__ = "perf"

    def __init__(self, from_ip, to_ip, mispred, predicted, in_tx, abort, cycles, type):  # noqa: A002
        self.from_ip = from_ip
        self.to_ip = to_ip
        self.mispred = mispred
        self.predicted = predicted
        self.in_tx = in_tx
        self.abort = abort
        self.cycles = cycles
        self.type = type

    @classmethod
    def from_raw(cls, frm, to, flags, big_endian):
        f = decode_branch_flags(flags, big_endian)
        return cls(frm, to, f.mispred, f.predicted, f.in_tx, f.abort, f.cycles, f.type)

    def __repr__(self):
        return "<perf.branch_entry %#x -> %#x>" % (self.from_ip, self.to_ip)


class branch_stack(_Sequence):  # noqa: N801
    """A sample's branch stack, most recent branch first."""

    __slots__ = ()
    __module__ = "perf"

    def __repr__(self):
        return "<perf.branch_stack of %d entries>" % len(self._items)
