"""C library number parsing (strtoul, strtoll, atof) as glibc does it.

libtraceevent and perf read every number in a format file with these functions,
including their leniency (a prefix is enough: "0x400u" is 0x400, "abc" is 0) and
their clamping on overflow, so we reproduce them instead of using int().
"""

import re

_U64 = (1 << 64) - 1
_S64_MAX = (1 << 63) - 1
_S64_MIN = -(1 << 63)
_C_SPACE = " \t\n\v\f\r"
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _scan(text, base):
    """Return (negative, magnitude, parsed_any) for the leading integer of text."""
    n = len(text)
    i = n - len(text.lstrip(_C_SPACE))
    negative = False
    if i < n and text[i] in "+-":
        negative = text[i] == "-"
        i += 1
    if base == 0:
        if i + 1 < n and text[i] == "0" and text[i + 1] in "xX":
            base, i = 16, i + 2
        elif i < n and text[i] == "0":
            base = 8
        else:
            base = 10
    elif base == 16 and i + 1 < n and text[i] == "0" and text[i + 1] in "xX":
        i += 2
    run = _digit_run(base).match(text, i).group()
    significant = run.lstrip("0")
    if len(significant) > 64:       # beyond 2**64 in any base: every caller clamps
        return negative, _U64 + 1, True
    return negative, int(significant, base) if significant else 0, bool(run)


_RUNS = {}


def _digit_run(base):
    """A compiled pattern matching the longest run of ASCII digits of `base`."""
    pattern = _RUNS.get(base)
    if pattern is None:
        digits = _DIGITS[:base]
        pattern = _RUNS[base] = re.compile("[%s%s]*" % (digits, digits[10:].upper()))
    return pattern


def strtoull(text, base=0):
    """strtoull/strtoul (64-bit): clamps to 2**64-1, '-n' wraps modulo 2**64."""
    if base == 0 and 0 < len(text) < 20 and text.isdigit() and text.isascii() \
            and (text[0] != "0" or len(text) == 1):
        return int(text)        # the usual case: a plain decimal that fits
    negative, value, _ = _scan(text, base)
    if value > _U64:
        return _U64
    return (-value) & _U64 if negative else value


def strtoll(text, base=0):
    """strtoll: clamps to the signed 64-bit range."""
    negative, value, _ = _scan(text, base)
    value = -value if negative else value
    return max(_S64_MIN, min(_S64_MAX, value))


def atoi(text):
    """atoi: a C int (wrapped to 32 bits, as the long result is truncated)."""
    return to_s32(strtoll(text, 10))


def to_s32(value):
    """Reinterpret the low 32 bits as a signed C int."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def to_s64(value):
    """Reinterpret the low 64 bits as a signed C long long."""
    value &= _U64
    return value - (1 << 64) if value & (1 << 63) else value


def atof(text):
    """atof for the plain decimal forms version strings use; anything else is 0.0."""
    i, n = 0, len(text)
    while i < n and text[i] in _C_SPACE:
        i += 1
    start = i
    if i < n and text[i] in "+-":
        i += 1
    digits = 0
    while i < n and text[i].isascii() and text[i].isdigit():
        i, digits = i + 1, digits + 1
    if i < n and text[i] == ".":
        i += 1
        while i < n and text[i].isascii() and text[i].isdigit():
            i, digits = i + 1, digits + 1
    if not digits:
        return 0.0
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if j < n and text[j].isascii() and text[j].isdigit():
            while j < n and text[j].isascii() and text[j].isdigit():
                j += 1
            i = j
    try:
        return float(text[start:i])
    except (ValueError, OverflowError):
        return 0.0
