"""The printed frames of many samples at once: callchain lines and the ip column.

A frame prints the same wherever the same address is looked up in the same address
space, so its line is kept per (address space, address). Kernel frames share one space
(the kernel's maps, whatever the process); a user frame's space is its process's maps
at their current version. Both go into one u64 key, so that a whole segment's frames
are looked up by a C-level map over a NumPy column:

- a kernel address (bit 63 set) is its own key;
- a user address below 2**48 is keyed with its space's number in bits 48..62.

`chain_texts` is the column-wise form of perfdata.callchain.chain_entries (callee
order), checked against it by tests/test_frame_lines.py. Rows that do not fit (another
context marker, a user address above 2**48, a kernel one below 2**63) are left to the
printer's per-record code, which the caller runs for them.
"""

import numpy as np

from perfscript.perfdata import constants as C
from perfscript.perfdata.callchain import CONTEXT_KERNEL, CONTEXT_USER

USER_BITS = 48
USER_LIMIT = 1 << USER_BITS
KERNEL_BIT = 1 << 63
_LOW = USER_LIMIT - 1
_MAX_SPACES = (1 << 15) - 1     # space numbers fit bits 48..62
MAX_FRAMES = 1 << 19            # frame lines kept before all are dropped
_KERNEL_BIT = np.uint64(KERNEL_BIT)
_U_LIMIT = np.uint64(USER_LIMIT)
_CMAX = np.uint64(C.CONTEXT_MAX)
_CK = np.uint64(CONTEXT_KERNEL)
_CU = np.uint64(CONTEXT_USER)


class SpaceView:
    """What a lookup needs of a thread: its process's maps (a space's maps object, kept
    apart from the thread, which may later be given another)."""

    __slots__ = ("maps",)

    def __init__(self, maps):
        self.maps = maps


class FrameTexts(dict):
    """key -> printed frame of one field set; a missing key is looked up (the printer's
    `_where`) and kept. `chain`: callchain lines ("\\t%16x%s\\n", the map-relative
    address), else the ip column (" %16x%s", the address itself)."""

    __slots__ = ("owner", "f", "chain")

    def __init__(self, owner, f, chain):
        super().__init__()
        self.owner = owner
        self.f = f
        self.chain = chain

    def __missing__(self, key):
        owner = self.owner
        if key >> 63:
            view, mode, ip = None, C.MISC_KERNEL, key
        else:
            view, mode, ip = owner.views[key >> USER_BITS], C.MISC_USER, key & _LOW
        addr, text = owner.printer._where(view, mode, ip, self.f, keep=False)
        line = "\t%16x%s\n" % (addr, text) if self.chain else " %16x%s" % (ip, text)
        owner.check_kernel()
        self[key] = line
        owner.count += 1
        return line


class FrameLines:
    """The printer's frame lines by space, and the numbering of spaces. Everything is
    dropped when the kernel's maps change (not only loaded lazily), when the numbers run
    out, or past MAX_FRAMES lines."""

    def __init__(self, printer):
        self.printer = printer
        self.kernel_maps = printer.session.kernel_maps
        self._reset()

    def _reset(self):
        self.ids = {}               # (maps serial, version) -> space number
        self.views = [None]         # space number -> SpaceView
        self.texts = {}             # (f, chain) -> FrameTexts
        self.count = 0              # frame lines kept
        self.kversion = self.kernel_maps.version

    def check_kernel(self):
        """A lookup may load the kernel's symbols, which moves its maps: lines kept
        before then are forgotten."""
        if self.kernel_maps.version != self.kversion:
            for t in self.texts.values():
                t.clear()
            self.kversion = self.kernel_maps.version

    def table(self, f, chain):
        """The FrameTexts of a field set (checked at the start of each segment)."""
        if self.count > MAX_FRAMES or len(self.ids) >= _MAX_SPACES:
            self._reset()
        self.check_kernel()
        t = self.texts.get((f, chain))
        if t is None:
            t = self.texts[(f, chain)] = FrameTexts(self, f, chain)
        return t

    def space_numbers(self, threads):
        """The space number of each thread (a list of them), after `table`."""
        ids = self.ids
        views = self.views
        out = []
        for th in threads:
            maps = th.maps
            key = (maps.serial, maps.version)
            sid = ids.get(key)
            if sid is None:
                sid = ids[key] = len(views)
                views.append(SpaceView(maps))
            out.append(sid)
        return out

    def frame_key(self, thread, f, chain):
        """For one sample's frames: (FrameTexts, the key bits of the thread's space)."""
        table = self.table(f, chain)
        return table, self.space_numbers((thread,))[0] << USER_BITS

    # ------------------------------------------------------------ a segment's rows

    def ip_texts(self, f, ips, modes, threads):
        """The ip column (" %16x%s") of rows with addresses `ips` (uint64), cpumodes
        `modes` and threads `threads`: (texts, rows left to the caller) where the texts
        of those rows are None."""
        table = self.table(f, False)
        row_space = _shifted(self.space_numbers(threads))
        kernel = modes == C.MISC_KERNEL
        user = modes == C.MISC_USER
        ok = (kernel & (ips >= _KERNEL_BIT)) | (user & (ips < _U_LIMIT))
        keys = np.where(kernel, ips, ips | row_space)
        texts = list(map(table.__getitem__, keys[ok].tolist()))
        odd = np.flatnonzero(~ok)
        if len(odd):
            texts = _spread(texts, ok)
        return texts, odd.tolist()

    def chain_texts(self, f, words, starts, nrs, threads, max_stack):
        """The callchain lines of rows whose chains are the u64 `words` at `starts`
        (word indices, int64) with `nrs` entries, of threads `threads`: (texts, rows left
        to the caller) as `ip_texts`."""
        table = self.table(f, True)
        row_space = _shifted(self.space_numbers(threads))
        n = len(starts)
        total = int(nrs.sum())
        if not total:
            return [""] * n, []
        ends = np.cumsum(nrs)
        firsts = ends - nrs
        row = np.repeat(np.arange(n), nrs)
        pos = np.arange(total, dtype=np.int64)
        e = words[starts[row] + (pos - firsts[row])]
        marker = e >= _CMAX
        # each entry's mode: that of the last marker before it in its row (user space
        # when there is none); a row start that is no marker counts as a user one
        head = np.zeros(total, dtype=bool)
        head[firsts[nrs > 0]] = True
        at = np.where(marker | head, pos, 0)
        np.maximum.accumulate(at, out=at)
        last = e[at]
        in_kernel = last == _CK
        frame = ~marker
        # perf stops at --max-stack frames: markers after the last frame kept are not
        # read, and a marker it does not know discards the chain (the row is left over)
        seen = np.cumsum(frame)
        lead = np.minimum(firsts, total - 1)      # (rows without entries have no use)
        seen -= (seen[lead] - frame[lead])[row]
        keep = frame & (seen <= max_stack)
        bad = marker & (seen < max_stack) & (e != _CK) & (e != _CU)
        bad |= keep & np.where(in_kernel, e < _KERNEL_BIT, e >= _U_LIMIT)
        odd_row = np.zeros(n, dtype=bool)
        odd_row[row[bad]] = True
        keep &= ~odd_row[row]
        keys = np.where(in_kernel, e, e | row_space[row])[keep]
        lines = list(map(table.__getitem__, keys.tolist()))
        counts = np.bincount(row[keep], minlength=n)
        cut = np.cumsum(counts)
        texts = list(map("".join, map(lines.__getitem__,
                                      map(slice, (cut - counts).tolist(), cut.tolist()))))
        return texts, np.flatnonzero(odd_row).tolist()


def _shifted(spaces):
    """Space numbers as key bits."""
    return np.array(spaces, dtype=np.uint64) << np.uint64(USER_BITS)


def _spread(texts, ok):
    """`texts` of the rows where `ok`, placed among None for the others."""
    out = [None] * len(ok)
    for i, t in zip(np.flatnonzero(ok).tolist(), texts):
        out[i] = t
    return out
