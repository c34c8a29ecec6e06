"""C printf conversions as perf 6.1's libtraceevent feeds them to glibc.

libtraceevent hands each numeric conversion of a print_fmt to printf with the
value cast according to the h/l count it scanned ((char), (short), (int),
(long) or (long long) of the 64-bit value), and each string conversion with the
string (and the '*' argument, if any). This module turns one conversion spec
into a small formatter that reproduces glibc's output, in bytes (a C string is
bytes; widths and precisions count bytes).

Where Python's own `%` agrees with glibc (flags '-' and '0', a width, no
precision, no '#') it is used directly; other specs go through a slower
formatter written for the C rules (precision pads digits, '0' is ignored with a
precision, "%#x" of 0 is "0", "%#o" prefixes a single 0, negative '*' widths
left-justify, negative '*' precisions are ignored).
"""

import re

_U64 = (1 << 64) - 1
# Widths and precisions are capped here (glibc would try to print gigabytes).
_MAX_WIDTH = 1 << 20


def _clamp(value):
    if value is None:
        return None
    return max(-_MAX_WIDTH, min(_MAX_WIDTH, value))


# %[flags][width][.precision][length]conv, as printf parses a well-formed spec.
_SPEC = re.compile(
    r"%(?P<flags>[-0#]*)(?P<width>\*|\d*)(?:\.(?P<prec>\*|\d*))?"
    r"(?P<length>hh|h|ll|l|L|z|Z|q|j|t)?(?P<conv>[diuxXos])$")


class Spec:
    """One parsed conversion: flags, width/precision (int, None or '*'), conv."""

    __slots__ = ("flags", "width", "prec", "length", "conv", "star")

    def __init__(self, text):
        match = _SPEC.match(text)
        if match is None:
            match = _SPEC.match(_normalise(text))
        if match is None:  # pragma: no cover - _normalise always yields a valid spec
            raise ValueError(text)
        self.flags = match.group("flags")
        width = match.group("width")
        prec = match.group("prec")
        self.width = "*" if width == "*" else (_clamp(int(width)) if width else None)
        if prec is None:
            self.prec = None
        else:
            self.prec = "*" if prec == "*" else _clamp(int(prec or "0"))
        self.length = match.group("length") or ""
        self.conv = match.group("conv")
        self.star = self.width == "*" or self.prec == "*"


def _normalise(text):
    """A spec in an order printf would not parse the usual way ("%l5d"):
    keep the characters of each class in a canonical order."""
    body, conv = text[1:-1], text[-1]
    flags = "".join(ch for ch in body[:1] if ch in "-#")
    digits = "".join(ch for ch in body if ch.isdigit() or ch in ".*")
    if digits.count("*") > 1:
        digits = digits.replace("*", "", digits.count("*") - 1)
    if digits.count(".") > 1:
        first = digits.index(".")
        digits = digits[:first + 1] + digits[first + 1:].replace(".", "")
    hs, ls = body.count("h"), body.count("l")
    length = "L" if "L" in body else ("z" if ("z" in body or "Z" in body) else
                                      ("ll" if ls >= 2 else "l" if ls == 1 else
                                       "hh" if hs >= 2 else "h" if hs == 1 else ""))
    return "%" + flags + digits + length + conv


# ------------------------------------------------------------- integers


def _read_bits(spec):
    """How many bits printf takes from the argument for this spec."""
    return {"hh": 8, "h": 16, "": 32}.get(spec.length, 64)


def int_converter(spec, ls):
    """fn(u64) -> the Python int glibc prints for this spec, given that
    libtraceevent passed the value cast by `ls` (-2 char .. 2 long long)."""
    bits = _read_bits(spec)
    signed = spec.conv in "di"
    if ls >= 1:
        arg_mask, arg_sign = _U64, 0
    elif ls == 0:
        arg_mask, arg_sign = 0xFFFFFFFF, 0
    else:  # (char)/(short) promoted to int: sign-extended into 32 bits
        arg_sign = 8 if ls == -2 else 16
        arg_mask = 0xFFFFFFFF
    read_mask = (1 << bits) - 1
    top = 1 << (bits - 1)
    if not arg_sign:
        mask = arg_mask & read_mask
        if signed:
            def convert(value):
                value &= mask
                return value - (top << 1) if value & top else value
        else:
            def convert(value):
                return value & mask
        return convert
    small_top = 1 << (arg_sign - 1)
    small_mask = (1 << arg_sign) - 1

    def convert(value):
        value &= small_mask
        if value & small_top:
            value = (value - (small_top << 1)) & 0xFFFFFFFF
        value &= read_mask
        if signed and value & top:
            value -= top << 1
        return value
    return convert


def _c_int(value, conv, flags, width, prec):
    """glibc's rendering of an integer already converted to its C value."""
    negative = value < 0
    magnitude = -value if negative else value
    if conv in "diu":
        digits = "%d" % magnitude
    elif conv == "x":
        digits = "%x" % magnitude
    elif conv == "X":
        digits = "%X" % magnitude
    else:
        digits = "%o" % magnitude
    if prec is not None:
        if prec == 0 and magnitude == 0:
            digits = ""
        elif len(digits) < prec:
            digits = "0" * (prec - len(digits)) + digits
    prefix = "-" if negative else ""
    if "#" in flags:
        if conv in "xX" and magnitude:
            prefix += "0" + conv
        elif conv == "o" and not digits.startswith("0"):
            digits = "0" + digits
    body_len = len(prefix) + len(digits)
    if width is not None and width < 0:
        flags += "-"
        width = -width
    if width is None or width <= body_len:
        return (prefix + digits).encode()
    pad = width - body_len
    if "-" in flags:
        return (prefix + digits + " " * pad).encode()
    if "0" in flags and prec is None:
        return (prefix + "0" * pad + digits).encode()
    return (" " * pad + prefix + digits).encode()


def _simple(spec):
    return spec.prec is None and "#" not in spec.flags and spec.width != "*"


def python_int_format(spec):
    """The bytes %-format equivalent to spec for a converted value, or None
    when only the slow formatter is exact."""
    if not _simple(spec):
        return None
    conv = "d" if spec.conv in "iu" else spec.conv
    width = "" if spec.width is None else str(spec.width)
    return ("%" + spec.flags + width + conv).encode()


def int_formatter(spec):
    """fn(value, star) -> bytes for a converted value (star is the '*' arg)."""
    flags, conv = spec.flags, spec.conv
    fmt = python_int_format(spec)
    if fmt is not None:
        return lambda value, star=None: fmt % value
    width, prec = spec.width, spec.prec

    def render(value, star=None):
        w = _clamp(star) if width == "*" else width
        p = prec
        if p == "*":
            p = _clamp(star) if star is not None and star >= 0 else None
        return _c_int(value, conv, flags, w, p)
    return render


# -------------------------------------------------------------- strings


def plain_string(text, star=None):
    """printf("%s", text)."""
    return text


def string_formatter(spec_text):
    """fn(bytes, star) -> bytes: printf of a C string with this %s spec."""
    match = re.match(r"%([-0#]*)(\*|\d*)(?:\.(\*|\d*))?[hlLzZqjt]*s$", spec_text)
    if match is None:
        match = re.match(r"%([-0#]*)(\*|\d*)(?:\.(\*|\d*))?[hlLzZqjt]*s$",
                         _normalise(spec_text))
    flags, width, prec = match.group(1), match.group(2), match.group(3)
    left = "-" in flags
    if width.isdigit() and int(width) > _MAX_WIDTH:
        width = str(_MAX_WIDTH)
    if prec and prec.isdigit() and int(prec) > _MAX_WIDTH:
        prec = str(_MAX_WIDTH)
    if width != "*" and prec != "*":
        if not width and prec is None:
            return plain_string
        fmt = ("%" + ("-" if left else "") + width
               + ("" if prec is None else "." + (prec or "0")) + "s").encode()
        return lambda text, star=None: fmt % text

    def render(text, star=None):
        w = _clamp(int(width)) if width and width != "*" else 0
        p = None if prec is None else (_clamp(int(prec or "0")) if prec != "*" else None)
        lj = left
        if width == "*":
            w = _clamp(star) if star is not None else 0
            if w < 0:
                lj, w = True, -w
        elif prec == "*" and star is not None and star >= 0:
            p = _clamp(star)
        if p is not None:
            text = text[:p]
        if len(text) >= w:
            return text
        pad = b" " * (w - len(text))
        return text + pad if lj else pad + text
    return render
