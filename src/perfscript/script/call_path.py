"""perf's call-path tree: one node per (parent, symbol, address), shared by exported
callchains and the thread stack's call/return pairs, so both name a path by one id."""


class CallPath:
    """A node of the tree; `ip` is 0 when the symbol is known (perf keys on the symbol)."""

    __slots__ = ("parent", "sym", "ip", "in_kernel", "db_id", "children")

    def __init__(self, parent, sym, ip, in_kernel=False):
        self.parent = parent
        self.sym = sym
        self.ip = ip
        self.in_kernel = in_kernel
        self.db_id = 0
        self.children = {}

    def findnew(self, sym, ip, kernel_start):
        """The child for (sym, ip); whether it is kernel code is judged by the address
        given when the child is first made, before a known symbol zeroes it."""
        in_kernel = ip >= kernel_start
        if sym is not None:
            ip = 0
        key = (id(sym), ip)
        cp = self.children.get(key)
        if cp is None:
            cp = self.children[key] = CallPath(self, sym, ip, in_kernel)
        return cp
