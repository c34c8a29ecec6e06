"""perf 6.1's text for a sample's data_src (perf_sample_dict 'datasrc_decode').

perf builds the text with C string helpers into a 100-byte stack buffer, and
two of its quirks show in the output: the LVL part is given the whole buffer
size instead of what is left, and the " or " joins are unbounded strcat()s.
Ordinary values (one level, one snoop, a TLB result) fit easily and read like
``|OP LOAD|LVL L1 hit|SNP None|TLB L1 or L2 hit|LCK No|BLK  N/A``.  Values
with many level bits overflow the buffer; perf 6.1 then dies with
"*** stack smashing detected ***" (SIGABRT).  To reproduce that exactly the
text is built here the same way, on a simulated buffer: :func:`datasrc_decode`
returns what perf would print, and :func:`datasrc_overflows` tells when perf
would have aborted instead.

Field layout (union perf_mem_data_src, little-endian bit numbering):
op 0-4, lvl 5-18, snoop 19-23, lock 24-25, dtlb 26-32, lvl_num 33-36,
remote 37, snoopx 38-39, blk 40-42, hops 43-45.
"""

from __future__ import annotations

from functools import lru_cache

# --- uapi perf_event.h values -------------------------------------------------
PERF_MEM_OP_NA, PERF_MEM_OP_LOAD, PERF_MEM_OP_STORE = 0x01, 0x02, 0x04
PERF_MEM_OP_PFETCH, PERF_MEM_OP_EXEC = 0x08, 0x10
PERF_MEM_LVL_NA, PERF_MEM_LVL_HIT, PERF_MEM_LVL_MISS = 0x01, 0x02, 0x04
PERF_MEM_SNOOP_NA = 0x01
PERF_MEM_SNOOPX_FWD, PERF_MEM_SNOOPX_PEER = 0x01, 0x02
PERF_MEM_LOCK_NA, PERF_MEM_LOCK_LOCKED = 0x01, 0x02
PERF_MEM_TLB_NA, PERF_MEM_TLB_HIT, PERF_MEM_TLB_MISS = 0x01, 0x02, 0x04
PERF_MEM_BLK_NA, PERF_MEM_BLK_DATA, PERF_MEM_BLK_ADDR = 0x01, 0x02, 0x04
PERF_MEM_LVLNUM_NA = 0x0f

PERF_MEM_OP_SHIFT = 0
PERF_MEM_LVL_SHIFT = 5
PERF_MEM_SNOOP_SHIFT = 19
PERF_MEM_LOCK_SHIFT = 24
PERF_MEM_TLB_SHIFT = 26
PERF_MEM_LVLNUM_SHIFT = 33
PERF_MEM_REMOTE_SHIFT = 37
PERF_MEM_SNOOPX_SHIFT = 38
PERF_MEM_BLK_SHIFT = 40
PERF_MEM_HOPS_SHIFT = 43

#: perf 6.1's default data_src (samples without PERF_SAMPLE_DATA_SRC):
#: OP, LVL, SNOOP, LOCK and TLB "N/A" -- 0x5080021.  (Later perf versions
#: also set LVLNUM_NA, giving 0x1e05080021.)
PERF_MEM_DATA_SRC_NONE = (
    (PERF_MEM_OP_NA << PERF_MEM_OP_SHIFT)
    | (PERF_MEM_LVL_NA << PERF_MEM_LVL_SHIFT)
    | (PERF_MEM_SNOOP_NA << PERF_MEM_SNOOP_SHIFT)
    | (PERF_MEM_LOCK_NA << PERF_MEM_LOCK_SHIFT)
    | (PERF_MEM_TLB_NA << PERF_MEM_TLB_SHIFT)
)

# --- perf 6.1's name tables ----------------------------------------------------
# Bit i of the (hit/miss-masked) LVL field -> name.
_LVL_NAMES = ("N/A", "HIT", "MISS", "L1", "LFB/MAB", "L2", "L3", "Local RAM",
              "Remote RAM (1 hop)", "Remote RAM (2 hops)", "Remote Cache (1 hop)",
              "Remote Cache (2 hops)", "I/O", "Uncached")
# lvl_num -> name; missing numbers print as "L<n>".
_LVLNUM_NAMES = {0x09: "CXL", 0x0a: "I/O", 0x0b: "Any cache", 0x0c: "LFB/MAB",
                 0x0d: "RAM", 0x0e: "PMEM", 0x0f: "N/A"}
# hops -> name; perf 6.1 reads past its 5-entry table for 5..7 and finds a
# NULL pointer, which glibc's printf renders as "(null)".
_HOPS_NAMES = ("N/A", "core, same node", "node, same socket", "socket, same board",
               "board", "(null)", "(null)", "(null)")
_SNOOP_NAMES = ("N/A", "None", "Hit", "Miss", "HitM")
_TLB_NAMES = ("N/A", "HIT", "MISS", "L1", "L2", "Walker", "Fault")

#: Size of perf's buffer for the text (char decode[100]).
DECODE_BUF_SIZE = 100
#: First byte past the buffer that perf's stack canary covers (found with the
#: real perf 6.1 binary: writes up to here are harmless padding).
_CANARY_OFFSET = 104

_U64 = (1 << 64) - 1


def _signed(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


class _CBuffer:
    """A byte arena standing in for perf's stack, for C string semantics.

    Offsets are relative to the start of perf's decode[] buffer; the arena
    has room on both sides because perf's pointer arithmetic can wander.
    """

    PAD = 512

    def __init__(self) -> None:
        self.mem = bytearray(b"\xaa" * (2 * self.PAD + DECODE_BUF_SIZE))
        self.hi = -1          # highest offset written
        self.hi_nonzero = -1  # highest offset that received a non-NUL byte

    def _put(self, off: int, data: bytes) -> None:
        if not data:
            return
        base = off + self.PAD
        if base < 0 or base + len(data) > len(self.mem):
            raise _Runaway()
        self.mem[base:base + len(data)] = data
        self.hi = max(self.hi, off + len(data) - 1)
        nz = [i for i, b in enumerate(data) if b]
        if nz:
            self.hi_nonzero = max(self.hi_nonzero, off + nz[-1])

    def strlen(self, off: int) -> int:
        base = off + self.PAD
        end = self.mem.find(0, base)
        if end < 0:
            raise _Runaway()
        return end - base

    def cstr(self, off: int) -> str:
        return bytes(self.mem[off + self.PAD:off + self.PAD + self.strlen(off)]).decode("latin-1")

    def set_nul(self, off: int) -> None:
        self._put(off, b"\0")

    def scnprintf(self, off: int, size: int, text: str) -> int:
        """tools/lib scnprintf(): vsnprintf then clamp; returns a C int."""
        size &= _U64
        data = text.encode("latin-1")
        if size:
            n = min(len(data), size - 1)
            self._put(off, data[:n] + b"\0")
        ssize = _signed(size, 64)
        ret = ssize - 1 if len(data) >= ssize else len(data)
        return _signed(ret, 32)

    def strcat(self, off: int, text: str) -> None:
        self._put(off + self.strlen(off), text.encode("latin-1") + b"\0")


class _Runaway(Exception):
    """The simulated C code wandered off the arena (perf would crash)."""


def _op(buf: _CBuffer, out: int, sz: int, op: int) -> int:
    if op & PERF_MEM_OP_NA:
        text = "N/A"
    elif op & PERF_MEM_OP_LOAD:
        text = "LOAD"
    elif op & PERF_MEM_OP_STORE:
        text = "STORE"
    elif op & PERF_MEM_OP_PFETCH:
        text = "PFETCH"
    elif op & PERF_MEM_OP_EXEC:
        text = "EXEC"
    else:
        text = "No"
    return buf.scnprintf(out, sz, text)


def _lvl(buf: _CBuffer, out: int, sz: int, ds: int) -> int:
    m = (ds >> PERF_MEM_LVL_SHIFT) & 0x3fff
    remote = (ds >> PERF_MEM_REMOTE_SHIFT) & 1
    hops = (ds >> PERF_MEM_HOPS_SHIFT) & 7
    lvl_num = (ds >> PERF_MEM_LVLNUM_SHIFT) & 0xf
    sz = (sz - 1) & _U64
    l = 0  # size_t
    printed = 0
    buf.set_nul(out)
    hit, miss = m & PERF_MEM_LVL_HIT, m & PERF_MEM_LVL_MISS
    m &= ~(PERF_MEM_LVL_HIT | PERF_MEM_LVL_MISS)

    def put(text: str) -> None:
        nonlocal l
        l = (l + buf.scnprintf(out + _signed(l, 64), sz - l, text)) & _U64

    def sep() -> None:
        nonlocal l, printed
        printed += 1
        if printed > 1:
            buf.strcat(out, " or ")
            l = (l + 4) & _U64

    if remote:
        buf.strcat(out, "Remote ")
        l = (l + 7) & _U64
    if hops:
        put(_HOPS_NAMES[hops] + " ")
    else:
        for name in _LVL_NAMES:
            if not m:
                break
            if m & 1:
                sep()
                put(name)
            m >>= 1
    if lvl_num:
        sep()
        put(_LVLNUM_NAMES.get(lvl_num, "L%d" % lvl_num))
    if l == 0:
        put("N/A")
    if hit:
        put(" hit")
    if miss:
        put(" miss")
    return _signed(l, 32)


def _snp(buf: _CBuffer, out: int, sz: int, ds: int) -> int:
    m = (ds >> PERF_MEM_SNOOP_SHIFT) & 0x1f
    mx = (ds >> PERF_MEM_SNOOPX_SHIFT) & 0x3
    sz = (sz - 1) & _U64
    l = 0
    buf.set_nul(out)
    names = [n for i, n in enumerate(_SNOOP_NAMES) if m >> i & 1]
    if mx & PERF_MEM_SNOOPX_FWD:
        names.append("Fwd")
    if mx & PERF_MEM_SNOOPX_PEER:
        names.append("Peer")
    for name in names:
        if l:
            buf.strcat(out, " or ")
            l = (l + 4) & _U64
        l = (l + buf.scnprintf(out + _signed(l, 64), sz - l, name)) & _U64
    if buf.strlen(out) == 0:
        l = (l + buf.scnprintf(out, sz - l, "N/A")) & _U64
    return _signed(l, 32)


def _tlb(buf: _CBuffer, out: int, sz: int, ds: int) -> int:
    m = (ds >> PERF_MEM_TLB_SHIFT) & 0x7f
    sz = (sz - 1) & _U64
    l = 0
    buf.set_nul(out)
    hit, miss = m & PERF_MEM_TLB_HIT, m & PERF_MEM_TLB_MISS
    m &= ~(PERF_MEM_TLB_HIT | PERF_MEM_TLB_MISS)
    for i, name in enumerate(_TLB_NAMES):
        if not m >> i:
            break
        if not m >> i & 1:
            continue
        if l:
            buf.strcat(out, " or ")
            l = (l + 4) & _U64
        l = (l + buf.scnprintf(out + _signed(l, 64), sz - l, name)) & _U64
    if buf.strlen(out) == 0:
        l = (l + buf.scnprintf(out, sz - l, "N/A")) & _U64
    if hit:
        l = (l + buf.scnprintf(out + _signed(l, 64), sz - l, " hit")) & _U64
    if miss:
        l = (l + buf.scnprintf(out + _signed(l, 64), sz - l, " miss")) & _U64
    return _signed(l, 32)


def _lck(buf: _CBuffer, out: int, sz: int, ds: int) -> int:
    mask = (ds >> PERF_MEM_LOCK_SHIFT) & 0x3
    if mask & PERF_MEM_LOCK_NA:
        text = "N/A"
    elif mask & PERF_MEM_LOCK_LOCKED:
        text = "Yes"
    else:
        text = "No"
    return buf.scnprintf(out, sz, text)


def _blk(buf: _CBuffer, out: int, sz: int, ds: int) -> int:
    mask = (ds >> PERF_MEM_BLK_SHIFT) & 0x7
    sz = (sz - 1) & _U64
    l = 0
    buf.set_nul(out)
    if not mask or mask & PERF_MEM_BLK_NA:
        parts = [" N/A"]
    else:
        parts = [p for bit, p in ((PERF_MEM_BLK_DATA, " Data"), (PERF_MEM_BLK_ADDR, " Addr"))
                 if mask & bit]
    for p in parts:
        l = (l + buf.scnprintf(out + _signed(l, 64), sz - l, p)) & _U64
    return _signed(l, 32)


@lru_cache(maxsize=4096)
def _render(data_src: int) -> tuple[str, bool]:
    """(text, overflowed) for one data_src, following perf 6.1 step by step."""
    ds = data_src & _U64
    buf = _CBuffer()
    sz = DECODE_BUF_SIZE
    try:
        i = 0  # C int
        i = _signed(i + buf.scnprintf(0, sz, "|OP "), 32)
        i = _signed(i + _op(buf, i, sz - i, ds & 0x1f), 32)
        i = _signed(i + buf.scnprintf(i, sz - i, "|LVL "), 32)
        i = _signed(i + _lvl(buf, i, sz, ds), 32)   # perf passes sz, not sz - i
        for label, part in (("|SNP ", _snp), ("|TLB ", _tlb), ("|LCK ", _lck), ("|BLK ", _blk)):
            i = _signed(i + buf.scnprintf(i, sz - i, label), 32)
            i = _signed(i + part(buf, i, sz - i, ds), 32)
        text = buf.cstr(0)
    except _Runaway:
        return "", True
    overflow = buf.hi_nonzero >= _CANARY_OFFSET or buf.hi > _CANARY_OFFSET
    return text, overflow


def datasrc_decode(data_src: int) -> str:
    """perf 6.1's datasrc_decode text for data_src.

    For values where perf would overflow its buffer (see datasrc_overflows)
    this is the text perf had built when its stack check fired.
    """
    return _render(data_src)[0]


def datasrc_overflows(data_src: int) -> bool:
    """True when perf 6.1 aborts ("stack smashing detected") on data_src.

    Happens only for data_src values with many level bits set, which real
    hardware does not produce; callers imitating perf may abort there too.
    """
    return _render(data_src)[1]
