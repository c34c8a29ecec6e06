"""The printf-style format of print_fmt, cut into literal text and conversions.

libtraceevent (perf 6.1) scans the format once, binds each conversion to the
next print argument, and marks the event FAILED when a conversion finds no
argument left or has an impossible length; perf then prints "[FAILED TO
PARSE]" for it. We reproduce that scan, including its oddities:

- only d u i x X o s p (with # . z Z - digits h l L *) are conversions; any
  other letter, flag or %c becomes the literal text ">c<" and takes no argument;
- literal text has its backslash escapes applied (\\n \\t \\r \\\\, \\x -> x)
  and %% becomes %;
- %p takes perf's suffixes (S s F f, M m [R F], I i [4 6 S...], U, h [C D N]).
"""

from perfscript.value_types import Frozen

_set = object.__setattr__

TEXT, NUMBER, POINTER, STRING = "text", "number", "pointer", "string"

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\"}


class PrintItem(Frozen):
    """One piece of the output: literal text, or a conversion bound to an arg.

    spec is the conversion as written ('%08lx', cut to 31 chars); length is the
    h/l count (-2 hh, -1 h, 0, 1 l, 2 ll or L); width_arg is bound by '*'."""

    __slots__ = ("kind", "text", "arg", "width_arg", "length")

    def __init__(self, kind, text, arg=None, width_arg=None, length=0):
        _set(self, "kind", kind)
        _set(self, "text", text)
        _set(self, "arg", arg)
        _set(self, "width_arg", width_arg)
        _set(self, "length", length)


class _Scan:
    def __init__(self, fmt, args):
        self.fmt = fmt
        self.args = args
        self.next_arg = 0
        self.items = []
        self.problems = []

    def at(self, index):
        return self.fmt[index] if index < len(self.fmt) else ""

    def take_arg(self):
        if self.next_arg >= len(self.args):
            return None
        arg = self.args[self.next_arg]
        self.next_arg += 1
        return arg

    def literal(self, pos):
        """Text up to the next single '%'; returns the number of chars used."""
        out, used, fmt = [], 0, self.fmt
        while pos < len(fmt):
            ch = fmt[pos]
            if ch == "\\":
                pos += 1
                used += 1
                if pos >= len(fmt):
                    break
                out.append(_ESCAPES.get(fmt[pos], fmt[pos]))
            elif ch == "%":
                if self.at(pos + 1) != "%":
                    break
                out.append("%")
                pos += 1
                used += 1
            else:
                out.append(ch)
            used += 1
            pos += 1
        self.items.append(PrintItem(TEXT, "".join(out)))
        return used

    def conversion(self, start):
        """One '%...' conversion; returns the number of chars used."""
        fmt = self.fmt
        pos, used, length, width_arg = start + 1, 1, 0, None
        while pos < len(fmt):
            ch = fmt[pos]
            if ch == "h":
                length -= 1
            elif ch == "l":
                length += 1
            elif ch == "L":
                length = 2
            elif ch in "#.zZ-0123456789":
                pass
            elif ch == "*":
                if self.next_arg >= len(self.args):
                    self.problems.append("no argument match")
                    return used
                if width_arg is not None:
                    self.problems.append("argument already matched")
                    return used
                width_arg = self.take_arg()
            elif ch in "pduixXos":
                arg = self.take_arg()
                if arg is None:
                    self.problems.append("no matching argument" if ch == "s"
                                         else "no argument match")
                    return used
                if ch == "p":
                    extra = self.pointer_suffix(pos + 1)
                    pos += extra
                    used += extra
                spec = fmt[start:pos + 1]
                if len(spec) > (30 if ch in "duixXo" else 31):
                    self.problems.append("bad format!")
                    spec = spec[:31]
                if ch in "duixXo" and not -2 <= length <= 2:
                    self.problems.append("bad count (%d)" % length)
                kind = POINTER if ch == "p" else (STRING if ch == "s" else NUMBER)
                self.items.append(PrintItem(kind, spec, arg, width_arg,
                                            0 if ch == "s" else length))
                return used + 1
            else:
                self.items.append(PrintItem(TEXT, ">%s<" % ch))
                return used + 1
            used += 1
            pos += 1
        return used

    def pointer_suffix(self, pos):
        """How many chars after %p belong to it (perf's parse_arg_format_pointer)."""
        at = self.at
        first = at(pos)
        if first in ("F", "S", "f", "s"):
            return 1
        if first in ("M", "m"):
            return 2 if at(pos + 1) in ("R", "F") else 1
        if first in ("U",):
            return 2 if at(pos + 1) in ("L", "l", "B", "b") else 1
        if first == "h":
            return 2 if at(pos + 1) in ("C", "D", "N") else 1
        if first not in ("I", "i"):
            return 0
        kind, index, count = at(pos + 1), 2, 0
        if kind == "S":
            while at(pos + index) in ("p", "f", "s"):
                count += 1
                index += 1
        if kind in ("S", "4"):
            if at(pos + index) in ("h", "n", "l", "b"):
                count += 1
                index += 1
            if kind == "4":
                return count + 2
        if kind in ("S", "6"):
            if at(pos + index) == "c":
                count += 1
            count += 1
        return count + 1


def scan_print_format(fmt, args):
    """(items, problems) for a raw print_fmt string and its parsed args.

    A non-empty problems list means libtraceevent marks the event FAILED.
    """
    scan = _Scan(fmt, list(args))
    remaining = len(fmt)
    pos = 0
    while pos < len(fmt):
        if fmt[pos] == "%" and scan.at(pos + 1) != "%":
            used = scan.conversion(pos)
        else:
            used = scan.literal(pos)
        remaining -= used
        if remaining <= 0:
            break
        pos += used
    return tuple(scan.items), tuple(scan.problems)
