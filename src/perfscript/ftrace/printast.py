"""The print_fmt argument tree: small immutable value classes.

Shapes follow what libtraceevent (perf 6.1) builds, so evaluating this tree the
C way gives perf's output; see printfmt for how it is parsed. The classes behave as
frozen dataclasses would (value_types.Frozen), each with its own `__init__`: formats
build many of them.
"""

from perfscript.value_types import Frozen

_set = object.__setattr__


class _Node(Frozen):
    """Immutable; equal when of one type with equal fields."""

    __slots__ = ()


class Null(_Node):
    """The empty operand on the left of a unary operator."""

    __slots__ = ()


class Atom(_Node):
    """A literal or bare word, as written. quote is '"', "'" or None (word/number)."""

    __slots__ = ("text", "quote")

    def __init__(self, text, quote=None):
        _set(self, "text", text)
        _set(self, "quote", quote)


class FieldRef(_Node):
    """REC->name"""

    __slots__ = ("name",)

    def __init__(self, name):
        _set(self, "name", name)


class Op(_Node):
    """Operator node. Unary: left is Null. '[': right is the index.
    '?': right is Op(':', when_true, when_false)."""

    __slots__ = ("op", "left", "right")

    def __init__(self, op, left, right):
        _set(self, "op", op)
        _set(self, "left", left)
        _set(self, "right", right)


class Cast(_Node):
    """(type) item"""

    __slots__ = ("type", "item")

    def __init__(self, type, item):
        _set(self, "type", type)
        _set(self, "item", item)


class FlagEntry(_Node):
    """{value, "text"} of __print_flags/__print_symbolic; value is the evaluated
    text libtraceevent stores (a literal as written, or a computed decimal)."""

    __slots__ = ("value", "text")

    def __init__(self, value, text):
        _set(self, "value", value)
        _set(self, "text", text)


class Flags(_Node):
    """__print_flags(value, delim, entries...); delim None if omitted."""

    __slots__ = ("value", "delim", "entries")

    def __init__(self, value, delim, entries):
        _set(self, "value", value)
        _set(self, "delim", delim)
        _set(self, "entries", entries)


class Symbolic(_Node):
    """__print_symbolic(value, entries...)"""

    __slots__ = ("value", "entries")

    def __init__(self, value, entries):
        _set(self, "value", value)
        _set(self, "entries", entries)


class Hex(_Node):
    """__print_hex(field, size): bytes as '%02x' separated by spaces."""

    __slots__ = ("field", "size")

    def __init__(self, field, size):
        _set(self, "field", field)
        _set(self, "size", size)


class HexStr(_Node):
    """__print_hex_str(field, size): bytes as '%02x' without separators."""

    __slots__ = ("field", "size")

    def __init__(self, field, size):
        _set(self, "field", field)
        _set(self, "size", size)


class IntArray(_Node):
    """__print_array(field, count, el_size)"""

    __slots__ = ("field", "count", "el_size")

    def __init__(self, field, count, el_size):
        _set(self, "field", field)
        _set(self, "count", count)
        _set(self, "el_size", el_size)


class StrRef(_Node):
    """__get_str(field) / __get_rel_str(field)"""

    __slots__ = ("func", "field")

    def __init__(self, func, field):
        _set(self, "func", func)
        _set(self, "field", field)


class Bitmask(_Node):
    """__get_bitmask(field) / __get_rel_bitmask(field)"""

    __slots__ = ("func", "field")

    def __init__(self, func, field):
        _set(self, "func", func)
        _set(self, "field", field)


class Cpumask(_Node):
    """__get_cpumask(field) (extended mode only; perf 6.1 does not know it)"""

    __slots__ = ("func", "field")

    def __init__(self, func, field):
        _set(self, "func", func)
        _set(self, "field", field)


class DynamicArray(_Node):
    """__get_dynamic_array(field) and relatives (also __get_sockaddr, extended)."""

    __slots__ = ("func", "field")

    def __init__(self, func, field):
        _set(self, "func", func)
        _set(self, "field", field)


class DynamicArrayLen(_Node):
    """__get_dynamic_array_len(field)"""

    __slots__ = ("func", "field")

    def __init__(self, func, field):
        _set(self, "func", func)
        _set(self, "field", field)


class Call(_Node):
    """A helper named in `functions=` (like a libtraceevent plugin function)."""

    __slots__ = ("name", "args")

    def __init__(self, name, args):
        _set(self, "name", name)
        _set(self, "args", args)


class PrintFmt(_Node):
    """Result of parsing the `print fmt:` line. error is None when it parsed."""

    __slots__ = ("format", "args", "error", "warnings")

    def __init__(self, format, args, error=None, warnings=()):
        _set(self, "format", format)
        _set(self, "args", args)
        _set(self, "error", error)
        _set(self, "warnings", warnings)


NULL = Null()
