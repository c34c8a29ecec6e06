"""The print_fmt argument tree: plain frozen dataclasses.

Shapes follow what libtraceevent (perf 6.1) builds, so evaluating this tree the
C way gives perf's output; see printfmt for how it is parsed.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Null:
    """The empty operand on the left of a unary operator."""


@dataclass(frozen=True, slots=True)
class Atom:
    """A literal or bare word, as written. quote is '"', "'" or None (word/number)."""

    text: str
    quote: str | None = None


@dataclass(frozen=True, slots=True)
class FieldRef:
    """REC->name"""

    name: str


@dataclass(frozen=True, slots=True)
class Op:
    """Operator node. Unary: left is Null. '[': right is the index.
    '?': right is Op(':', when_true, when_false)."""

    op: str
    left: object
    right: object


@dataclass(frozen=True, slots=True)
class Cast:
    """(type) item"""

    type: str
    item: object


@dataclass(frozen=True, slots=True)
class FlagEntry:
    """{value, "text"} of __print_flags/__print_symbolic; value is the evaluated
    text libtraceevent stores (a literal as written, or a computed decimal)."""

    value: str
    text: str


@dataclass(frozen=True, slots=True)
class Flags:
    """__print_flags(value, delim, entries...); delim None if omitted."""

    value: object
    delim: str | None
    entries: tuple


@dataclass(frozen=True, slots=True)
class Symbolic:
    """__print_symbolic(value, entries...)"""

    value: object
    entries: tuple


@dataclass(frozen=True, slots=True)
class Hex:
    """__print_hex(field, size): bytes as '%02x' separated by spaces."""

    field: object
    size: object


@dataclass(frozen=True, slots=True)
class HexStr:
    """__print_hex_str(field, size): bytes as '%02x' without separators."""

    field: object
    size: object


@dataclass(frozen=True, slots=True)
class IntArray:
    """__print_array(field, count, el_size)"""

    field: object
    count: object
    el_size: object


@dataclass(frozen=True, slots=True)
class StrRef:
    """__get_str(field) / __get_rel_str(field)"""

    func: str
    field: str


@dataclass(frozen=True, slots=True)
class Bitmask:
    """__get_bitmask(field) / __get_rel_bitmask(field)"""

    func: str
    field: str


@dataclass(frozen=True, slots=True)
class Cpumask:
    """__get_cpumask(field) (extended mode only; perf 6.1 does not know it)"""

    func: str
    field: str


@dataclass(frozen=True, slots=True)
class DynamicArray:
    """__get_dynamic_array(field) and relatives (also __get_sockaddr, extended)."""

    func: str
    field: str


@dataclass(frozen=True, slots=True)
class DynamicArrayLen:
    """__get_dynamic_array_len(field)"""

    func: str
    field: str


@dataclass(frozen=True, slots=True)
class Call:
    """A helper named in `functions=` (like a libtraceevent plugin function)."""

    name: str
    args: tuple


@dataclass(frozen=True, slots=True)
class PrintFmt:
    """Result of parsing the `print fmt:` line. error is None when it parsed."""

    format: str | None
    args: tuple
    error: str | None = None
    warnings: tuple = ()


NULL = Null()
