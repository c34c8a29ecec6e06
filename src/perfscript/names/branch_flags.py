"""Branch-related sample fields as perf 6.1 hands them to Python scripts.

Two unrelated flag words share this module because both describe branches:

* ``sample.flags`` -- synthesized by instruction-trace decoders (Intel PT,
  CoreSight, ...).  perf_sample_dict gets ``flags`` (one letter per set bit)
  and ``flags_disp`` (perf script's name for the branch kind) when non-zero.
* the ``flags`` u64 of each PERF_SAMPLE_BRANCH_STACK entry -- hardware LBR
  bits.  perf's ``brstack`` / ``brstacksym`` dict entries are derived from it.
"""

from __future__ import annotations

from typing import NamedTuple

# --- itrace sample flags (perf 6.1 util/event.h) -------------------------------
PERF_IP_FLAG_BRANCH = 1 << 0
PERF_IP_FLAG_CALL = 1 << 1
PERF_IP_FLAG_RETURN = 1 << 2
PERF_IP_FLAG_CONDITIONAL = 1 << 3
PERF_IP_FLAG_SYSCALLRET = 1 << 4
PERF_IP_FLAG_ASYNC = 1 << 5
PERF_IP_FLAG_INTERRUPT = 1 << 6
PERF_IP_FLAG_TX_ABORT = 1 << 7
PERF_IP_FLAG_TRACE_BEGIN = 1 << 8
PERF_IP_FLAG_TRACE_END = 1 << 9
PERF_IP_FLAG_IN_TX = 1 << 10
PERF_IP_FLAG_VMENTRY = 1 << 11
PERF_IP_FLAG_VMEXIT = 1 << 12
PERF_IP_FLAG_INTR_DISABLE = 1 << 13
PERF_IP_FLAG_INTR_TOGGLE = 1 << 14

#: Letter per flag bit, lowest bit first (perf 6.1 has 15; later perfs add 'm').
PERF_IP_FLAG_CHARS = "bcrosyiABExghDt"

#: Size of perf's flags_disp buffer (SAMPLE_FLAGS_BUF_SIZE).
SAMPLE_FLAGS_BUF_SIZE = 64

_B = PERF_IP_FLAG_BRANCH
# perf 6.1's names for exact flag combinations, in its lookup order.
_FLAG_NAMES = (
    (_B | PERF_IP_FLAG_CALL, "call"),
    (_B | PERF_IP_FLAG_RETURN, "return"),
    (_B | PERF_IP_FLAG_CONDITIONAL, "jcc"),
    (_B, "jmp"),
    (_B | PERF_IP_FLAG_CALL | PERF_IP_FLAG_INTERRUPT, "int"),
    (_B | PERF_IP_FLAG_RETURN | PERF_IP_FLAG_INTERRUPT, "iret"),
    (_B | PERF_IP_FLAG_CALL | PERF_IP_FLAG_SYSCALLRET, "syscall"),
    (_B | PERF_IP_FLAG_RETURN | PERF_IP_FLAG_SYSCALLRET, "sysret"),
    (_B | PERF_IP_FLAG_ASYNC, "async"),
    (_B | PERF_IP_FLAG_CALL | PERF_IP_FLAG_ASYNC | PERF_IP_FLAG_INTERRUPT, "hw int"),
    (_B | PERF_IP_FLAG_TX_ABORT, "tx abrt"),
    (_B | PERF_IP_FLAG_TRACE_BEGIN, "tr strt"),
    (_B | PERF_IP_FLAG_TRACE_END, "tr end"),
    (_B | PERF_IP_FLAG_CALL | PERF_IP_FLAG_VMENTRY, "vmentry"),
    (_B | PERF_IP_FLAG_CALL | PERF_IP_FLAG_VMEXIT, "vmexit"),
)
# State bits shown as a "(xDt)" suffix rather than being part of the name.
_STATE_BITS = PERF_IP_FLAG_IN_TX | PERF_IP_FLAG_INTR_DISABLE | PERF_IP_FLAG_INTR_TOGGLE


def _flag_name(flags: int) -> str | None:
    for value, name in _FLAG_NAMES:
        if value == flags:
            return name
    return None


def sample_flags_str(flags: int) -> str:
    """perf_sample_dict['sample']['flags']: the letter of each set bit.

    Bits above the 15 that perf 6.1 names are ignored.
    """
    flags &= 0xFFFFFFFF
    return "".join(c for i, c in enumerate(PERF_IP_FLAG_CHARS) if flags >> i & 1)


def sample_flags_disp(flags: int, bufsize: int = SAMPLE_FLAGS_BUF_SIZE) -> str:
    """perf_sample_dict['sample']['flags_disp'] (perf_sample__sprintf_flags).

    A known branch kind gives its name padded to 15 columns plus the state
    suffix right-aligned in 6 (e.g. ``"call" + 11 + 6 spaces``, ``"jcc" ...
    "(x)"``); trace begin/end prefix a kind (``"tr strt call   ..."``);
    anything else falls back to the flag letters, with '?' for unnamed bits.
    """
    flags &= 0xFFFFFFFF
    xs = ""
    if flags & _STATE_BITS:
        xs = "(%s%s%s)" % ("x" if flags & PERF_IP_FLAG_IN_TX else "",
                           "D" if flags & PERF_IP_FLAG_INTR_DISABLE else "",
                           "t" if flags & PERF_IP_FLAG_INTR_TOGGLE else "")
    name = _flag_name(flags & ~_STATE_BITS)
    if name is not None:
        return ("%-15s%6s" % (name, xs))[:bufsize - 1]
    for bit, fmt in ((PERF_IP_FLAG_TRACE_BEGIN, "tr strt %-7s%6s"),
                     (PERF_IP_FLAG_TRACE_END, "tr end  %-7s%6s")):
        if flags & bit:
            name = _flag_name(flags & ~(_STATE_BITS | bit))
            if name is not None:
                return (fmt % (name, xs))[:bufsize - 1]
    chars = [PERF_IP_FLAG_CHARS[i] if i < len(PERF_IP_FLAG_CHARS) else "?"
             for i in range(32) if flags >> i & 1]
    return "".join(chars)[:bufsize]


# --- branch stack entries (struct branch_flags, perf 6.1) -----------------------
# Field name -> (first bit, width) in the u64, little-endian bit-field order.
_BRANCH_FIELDS = (
    ("mispred", 0, 1),
    ("predicted", 1, 1),
    ("in_tx", 2, 1),
    ("abort", 3, 1),
    ("cycles", 4, 16),
    ("type", 20, 4),
    ("spec", 24, 2),
    ("new_type", 26, 4),
    ("priv", 30, 3),
)


class BranchFlags(NamedTuple):
    """The bit fields of one branch stack entry's flags word."""
    mispred: bool
    predicted: bool
    in_tx: bool
    abort: bool
    cycles: int
    type: int
    spec: int
    new_type: int
    priv: int


def decode_branch_flags(value: int, big_endian: bool = False) -> BranchFlags:
    """Split a branch entry's flags u64 into its fields.

    value is the u64 as read in the file's byte order.  Files written on a
    big-endian machine allocate the bit fields from the top bit down (perf
    remaps them the same way when reading such a file).
    """
    value &= 0xFFFFFFFFFFFFFFFF
    out = []
    for name, start, width in _BRANCH_FIELDS:
        shift = 64 - start - width if big_endian else start
        field = (value >> shift) & ((1 << width) - 1)
        out.append(bool(field) if width == 1 and name in ("mispred", "predicted", "in_tx", "abort")
                   else field)
    return BranchFlags(*out)


def brstack_flag_items(value: int, big_endian: bool = False) -> dict:
    """The flag keys of a perf_sample_dict['brstack'] entry.

    {'mispred', 'predicted', 'in_tx', 'abort': bool, 'cycles': int}; the
    caller adds 'from', 'to', 'from_dsoname', 'to_dsoname' (perf's key order
    is from, to, mispred, predicted, in_tx, abort, cycles, from_dsoname,
    to_dsoname).
    """
    f = decode_branch_flags(value, big_endian)
    return {"mispred": f.mispred, "predicted": f.predicted, "in_tx": f.in_tx,
            "abort": f.abort, "cycles": f.cycles}


def brstacksym_flag_items(value: int, big_endian: bool = False) -> dict:
    """The flag keys of a perf_sample_dict['brstacksym'] entry.

    {'pred': 'M' (mispredicted) / 'P' (predicted) / '-', 'in_tx': 'X'/'-',
    'abort': 'A'/'-'}; the caller adds 'from' and 'to' (perf's key order is
    from, to, pred, in_tx, abort).
    """
    f = decode_branch_flags(value, big_endian)
    pred = "M" if f.mispred else ("P" if f.predicted else "-")
    return {"pred": pred, "in_tx": "X" if f.in_tx else "-", "abort": "A" if f.abort else "-"}
