"""perf's symbol tree, shape and all: a red-black tree as the kernel's lib/rbtree.c builds it.

perf 6.1 keeps a dso's symbols in an rb-tree keyed by start address (equal starts go right) and
``symbols__find`` walks it from the root, answering with the first node that covers the address.
When symbols overlap, which of them that is depends on the tree's shape, so the shape has to
come out as perf's: the same inserts and erases in the same order, rebalanced by the same
case analysis as the kernel's ``rb_insert_color``/``rb_erase`` (a textbook red-black tree that
erases a two-child node by moving its in-order successor into its place).

Nodes are indexes into parallel lists (cheaper than objects for the ~10^4 symbols of a libc
debug file); ``NIL`` is -1.
"""

NIL = -1


class SymbolTree:
    """The rb-tree of one dso's symbols; ``insert``/``erase`` take the Symbol objects."""

    __slots__ = ("root", "syms", "keys", "left", "right", "parent", "black", "_node_of")

    def __init__(self):
        self.root = NIL
        self.syms = []
        self.keys = []
        self.left = []
        self.right = []
        self.parent = []
        self.black = []
        self._node_of = {}

    # building --------------------------------------------------------------------------

    def insert(self, sym):
        """Link ``sym`` below the last node of its search path (``start < key`` goes left,
        else right) and rebalance."""
        self.insert_all((sym,))

    def insert_all(self, syms):
        """``insert`` each of ``syms`` in turn."""
        first = len(self.syms)
        self.syms.extend(syms)
        self.keys.extend([s.start for s in syms])
        added = len(self.syms) - first
        self.left.extend([NIL] * added)
        self.right.extend([NIL] * added)
        self.parent.extend([NIL] * added)
        self.black.extend([False] * added)
        self._node_of.update(zip(map(id, syms), range(first, first + added)))
        keys, left, right, parent, black = self.keys, self.left, self.right, self.parent, self.black
        for node in range(first, first + added):
            at = self.root
            if at == NIL:
                self.root = node
                black[node] = True
                continue
            key = keys[node]
            while True:
                if key < keys[at]:
                    below = left[at]
                    if below == NIL:
                        left[at] = node
                        break
                else:
                    below = right[at]
                    if below == NIL:
                        right[at] = node
                        break
                at = below
            parent[node] = at
            if not black[at]:
                self._rebalance_insert(node)

    def erase(self, sym):
        """Unlink ``sym`` (which must be in the tree) and rebalance."""
        self._erase(self._node_of.pop(id(sym)))

    def _relink(self, old, new, up):
        """Make ``new`` take ``old``'s place as a child of ``up`` (or as the root)."""
        if up == NIL:
            self.root = new
        elif self.left[up] == old:
            self.left[up] = new
        else:
            self.right[up] = new

    def _rotate_parents(self, old, new, black):
        """After a rotation that lifted ``new`` over ``old``: ``new`` takes ``old``'s parent
        and colour, ``old`` hangs below ``new`` with the given colour."""
        parent, colour = self.parent, self.black
        up = parent[old]
        parent[new] = up
        colour[new] = colour[old]
        parent[old] = new
        colour[old] = black
        self._relink(old, new, up)

    def _rebalance_insert(self, node):
        parent, left, right, black = self.parent, self.left, self.right, self.black
        up = parent[node]
        while True:
            if up == NIL:
                black[node] = True
                return
            if black[up]:
                return
            grand = parent[up]
            if up != right[grand]:
                uncle = right[grand]
                if uncle != NIL and not black[uncle]:
                    black[uncle] = True
                    black[up] = True
                    node = grand
                    up = parent[node]
                    black[node] = False
                    continue
                inner = right[up]
                if node == inner:
                    inner = left[node]
                    right[up] = inner
                    left[node] = up
                    if inner != NIL:
                        parent[inner] = up
                        black[inner] = True
                    parent[up] = node
                    black[up] = False
                    up = node
                    inner = right[node]
                left[grand] = inner
                right[up] = grand
                if inner != NIL:
                    parent[inner] = grand
                    black[inner] = True
                self._rotate_parents(grand, up, False)
                return
            uncle = left[grand]
            if uncle != NIL and not black[uncle]:
                black[uncle] = True
                black[up] = True
                node = grand
                up = parent[node]
                black[node] = False
                continue
            inner = left[up]
            if node == inner:
                inner = right[node]
                left[up] = inner
                right[node] = up
                if inner != NIL:
                    parent[inner] = up
                    black[inner] = True
                parent[up] = node
                black[up] = False
                up = node
                inner = left[node]
            right[grand] = inner
            left[up] = grand
            if inner != NIL:
                parent[inner] = grand
                black[inner] = True
            self._rotate_parents(grand, up, False)
            return

    def _erase(self, node):
        parent, left, right, black = self.parent, self.left, self.right, self.black
        child = right[node]
        lchild = left[node]
        if lchild == NIL:
            up = parent[node]
            self._relink(node, child, up)
            if child != NIL:
                parent[child] = up
                black[child] = black[node]
                rebalance = NIL
            else:
                rebalance = up if black[node] else NIL
        elif child == NIL:
            up = parent[node]
            parent[lchild] = up
            black[lchild] = black[node]
            self._relink(node, lchild, up)
            rebalance = NIL
        else:
            successor = child
            below = left[child]
            if below == NIL:
                hang = successor
                orphan = right[successor]
            else:
                while below != NIL:
                    hang = successor
                    successor = below
                    below = left[below]
                orphan = right[successor]
                left[hang] = orphan
                right[successor] = child
                parent[child] = successor
            left[successor] = lchild
            parent[lchild] = successor
            up = parent[node]
            self._relink(node, successor, up)
            if orphan != NIL:
                parent[orphan] = hang
                black[orphan] = True
                rebalance = NIL
            else:
                rebalance = hang if black[successor] else NIL
            parent[successor] = up
            black[successor] = black[node]
        if rebalance != NIL:
            self._rebalance_erase(rebalance)

    def _rebalance_erase(self, up):
        """Restore the black height below ``up``, one of whose sides lost a black node."""
        parent, left, right, black = self.parent, self.left, self.right, self.black
        node = NIL
        while True:
            sibling = right[up]
            if node != sibling:
                if not black[sibling]:
                    near = left[sibling]
                    right[up] = near
                    left[sibling] = up
                    parent[near] = up
                    black[near] = True
                    self._rotate_parents(up, sibling, False)
                    sibling = near
                far = right[sibling]
                if far == NIL or black[far]:
                    near = left[sibling]
                    if near == NIL or black[near]:
                        parent[sibling] = up
                        black[sibling] = False
                        if not black[up]:
                            black[up] = True
                        else:
                            node = up
                            up = parent[node]
                            if up != NIL:
                                continue
                        return
                    inner = right[near]
                    left[sibling] = inner
                    right[near] = sibling
                    right[up] = near
                    if inner != NIL:
                        parent[inner] = sibling
                        black[inner] = True
                    far = sibling
                    sibling = near
                near = left[sibling]
                right[up] = near
                left[sibling] = up
                parent[far] = sibling
                black[far] = True
                if near != NIL:
                    parent[near] = up
                self._rotate_parents(up, sibling, True)
                return
            sibling = left[up]
            if not black[sibling]:
                near = right[sibling]
                left[up] = near
                right[sibling] = up
                parent[near] = up
                black[near] = True
                self._rotate_parents(up, sibling, False)
                sibling = near
            far = left[sibling]
            if far == NIL or black[far]:
                near = right[sibling]
                if near == NIL or black[near]:
                    parent[sibling] = up
                    black[sibling] = False
                    if not black[up]:
                        black[up] = True
                    else:
                        node = up
                        up = parent[node]
                        if up != NIL:
                            continue
                    return
                inner = left[near]
                right[sibling] = inner
                left[near] = sibling
                left[up] = near
                if inner != NIL:
                    parent[inner] = sibling
                    black[inner] = True
                far = sibling
                sibling = near
            near = right[sibling]
            left[up] = near
            right[sibling] = up
            parent[far] = sibling
            black[far] = True
            if near != NIL:
                parent[near] = up
            self._rotate_parents(up, sibling, True)
            return

    # reading ---------------------------------------------------------------------------

    def find(self, addr):
        """The symbol perf's symbols__find answers for ``addr``: the first node on the search
        path that covers it (``start <= addr < end``, or ``addr == start`` when empty)."""
        keys, left, right, syms = self.keys, self.left, self.right, self.syms
        at = self.root
        while at != NIL:
            if addr < keys[at]:
                at = left[at]
                continue
            sym = syms[at]
            end = sym.end
            if addr > end or (addr == end and addr != keys[at]):
                at = right[at]
                continue
            return sym
        return None

    def in_order(self):
        """The symbols in tree order (by start; equal starts in insertion order)."""
        left, right, syms = self.left, self.right, self.syms
        out = []
        stack = []
        at = self.root
        while stack or at != NIL:
            while at != NIL:
                stack.append(at)
                at = left[at]
            at = stack.pop()
            out.append(syms[at])
            at = right[at]
        return out

    def __len__(self):
        return len(self._node_of)


class TreeHistory:
    """The inserts and erases perf made on one dso's symbol tree, in its order.

    Loaders note them as they go (cheap: lists they already have); the tree itself is built
    from them only when the final symbols overlap, the one case where its shape shows.
    """

    __slots__ = ("steps",)

    def __init__(self):
        self.steps = []

    def inserted(self, syms):
        if syms:
            self.steps.append((True, syms))

    def erased(self, syms):
        if syms:
            self.steps.append((False, syms))

    def replay(self):
        tree = SymbolTree()
        for insert, syms in self.steps:
            if insert:
                tree.insert_all(syms)
            else:
                for sym in syms:
                    tree.erase(sym)
        return tree


class TreeEntry:
    """What the tree needs of a symbol (its start and end) and which column entry it is."""

    __slots__ = ("start", "end", "index")

    def __init__(self, start, end, index):
        self.start = start
        self.end = end
        self.index = index


class IndexHistory:
    """TreeHistory's steps as entry numbers of a SymbolColumns: a loader that keeps its
    symbols as columns notes perf's inserts and erases without making any objects."""

    __slots__ = ("steps",)

    def __init__(self, steps=None):
        self.steps = steps if steps is not None else []

    def inserted(self, order):
        if len(order):
            self.steps.append((True, order))

    def erased(self, order):
        if len(order):
            self.steps.append((False, order))

    def replay(self, cols):
        """perf's tree over stand-ins whose ``index`` is the column entry (no names made)."""
        made = {}
        history = TreeHistory()
        starts, ends = cols.start, cols.end
        for insert, order in self.steps:
            entries = []
            for i in map(int, order):
                entry = made.get(i)
                if entry is None:
                    entry = made[i] = TreeEntry(int(starts[i]), int(ends[i]), i)
                entries.append(entry)
            if insert:
                history.inserted(entries)
            else:
                history.erased(entries)
        return history.replay()
