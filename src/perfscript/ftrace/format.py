"""Event `format` files: the field layout and the print_fmt of one tracepoint.

The grammar and the field classification follow libtraceevent as bundled with
perf 6.1, because perf's Python conversions key off those flags (an ARRAY whose
type mentions char/u8/s8 is a STRING, `__data_loc` is DYNAMIC, ...). Fields are
plain attribute records so a columnar decoder can use offsets and sizes directly.

A format that does not parse is not an exception: like perf, the event is kept,
marked `failed` (perf prints "[FAILED TO PARSE]" for it) with the fields that
were read completely before the error.
"""

import re

from perfscript.value_types import fields_repr

from . import lexer as lx
from .cnum import strtoull, to_s32
from .printast import FieldRef
from .printfmt import parse_print_fmt
from .printitems import scan_print_format

# Element sizes libtraceevent knows for the "type[] name" (dynamic array) form.
_DYNAMIC_ELEMENT_SIZE = {
    "u8": 1, "u16": 2, "u32": 4, "u64": 8,
    "s8": 1, "s16": 2, "s32": 4, "s64": 8, "char": 1,
}

# No record is longer than this: a perf.data record's size is 16 bits (and a
# trace-cmd record lies in one page). A field that ends beyond it can never be
# read from a record: decoders treat it as absent, whatever size it claims.
MAX_RECORD = 1 << 16

_U32 = 0xFFFFFFFF


def in_reach(field):
    """Whether the field's bytes can lie inside a record at all."""
    return field.offset + field.size <= MAX_RECORD


_NUMBERS = {}
_FLAGS = {"0": False, "1": True}


def _flag(text):
    """signed: as libtraceevent reads it (any non-zero strtoul)."""
    value = _FLAGS.get(text)
    return value if value is not None else strtoull(text) != 0


def _number(text):
    """strtoul of a number in a field line, kept in 32 bits as libtraceevent
    keeps offset, size and array length (cached: a format repeats a few)."""
    value = _NUMBERS.get(text)
    if value is None:
        if len(_NUMBERS) >= 4096:
            _NUMBERS.clear()
        value = _NUMBERS[text] = strtoull(text) & _U32
    return value


class Field:
    """One field of a tracepoint record, with libtraceevent's classification.

    `is_string` is cleared by the Python-API decoder the first time a value of
    this field is not a printable string, exactly as perf clears the STRING flag
    for the rest of the run. `offset` and `size` are as libtraceevent keeps them:
    32 bits (unsigned here: what perf would read as negative is far away).
    """

    __slots__ = ("name", "type", "offset", "size", "is_signed", "is_array", "arraylen",
                 "elementsize", "is_string", "is_dynamic", "is_relative", "is_pointer",
                 "is_long", "is_flag", "is_symbolic")

    def __init__(self, name, type, offset, size, is_signed=False, is_array=False,
                 arraylen=0, elementsize=0, is_string=False, is_dynamic=False,
                 is_relative=False, is_pointer=False, is_long=False, is_flag=False,
                 is_symbolic=False):
        self.name = name
        self.type = type
        self.offset = offset
        self.size = size
        self.is_signed = is_signed
        self.is_array = is_array
        self.arraylen = arraylen
        self.elementsize = elementsize
        self.is_string = is_string
        self.is_dynamic = is_dynamic
        self.is_relative = is_relative
        self.is_pointer = is_pointer
        self.is_long = is_long
        self.is_flag = is_flag
        self.is_symbolic = is_symbolic

    __repr__ = fields_repr


class EventFormat:
    """A parsed format file.

    print_args is the libtraceevent-shaped AST of the print arguments and
    print_items the format string cut into text and conversions bound to them
    (both empty or partial when `failed`; `error` says why).
    """

    __slots__ = ("system", "name", "id", "common_fields", "fields", "print_fmt",
                 "print_args", "print_items", "failed", "error", "warnings", "long_size",
                 "big_endian", "is_ftrace", "is_bprint", "_by_name")

    def __init__(self, system, name, id, common_fields=(), fields=(), print_fmt=None,
                 print_args=(), print_items=(), failed=False, error=None, warnings=(),
                 long_size=8, big_endian=False, is_ftrace=False, is_bprint=False):
        self.system = system
        self.name = name
        self.id = id
        self.common_fields = common_fields
        self.fields = fields
        self.print_fmt = print_fmt
        self.print_args = print_args
        self.print_items = print_items
        self.failed = failed
        self.error = error
        self.warnings = warnings
        self.long_size = long_size
        self.big_endian = big_endian
        self.is_ftrace = is_ftrace
        self.is_bprint = is_bprint
        self._by_name = ()

    __repr__ = fields_repr

    @property
    def handler_name(self):
        """The name perf looks up in the script: '<system>__<name>'."""
        return "%s__%s" % (self.system, self.name)

    @property
    def all_fields(self):
        """Common fields followed by the event's own fields."""
        return self.common_fields + self.fields

    def _names(self):
        """(common fields by name, event fields by name), the first of a name
        winning as in libtraceevent's linear search; rebuilt when the field
        tuples are replaced (a format may name 100000s of fields)."""
        index = self._by_name
        if not index or index[0] is not self.common_fields or index[1] is not self.fields:
            common, own = {}, {}
            for f in reversed(self.common_fields):
                common[f.name] = f
            for f in reversed(self.fields):
                own[f.name] = f
            index = self._by_name = (self.common_fields, self.fields, common, own)
        return index[2], index[3]

    def find_field(self, name):
        """Event (non-common) field by name, or None (tep_find_field)."""
        return self._names()[1].get(name)

    def find_any_field(self, name):
        """Common field first, then event field (tep_find_any_field)."""
        common, own = self._names()
        f = common.get(name)
        return f if f is not None else own.get(name)


class _FormatError(Exception):
    """Internal: the format text stops matching the grammar."""


def _expect(lexer, kind, text=None, *, newline_ok=True):
    tok_kind, tok = lexer.token() if newline_ok else lexer.token_item()
    if tok_kind != kind or (text is not None and tok != text):
        want = text if text is not None else kind
        raise _FormatError("expected %r but read %r" % (want, tok if tok is not None else tok_kind))
    return tok


def _read_header(lexer):
    """name: and ID: lines. A bad ID drops the event (perf cannot index it)."""
    _expect(lexer, lx.ITEM, "name")
    _expect(lexer, lx.OP, ":")
    name = _expect(lexer, lx.ITEM)
    _expect(lexer, lx.ITEM, "ID", newline_ok=False)
    _expect(lexer, lx.OP, ":")
    event_id = to_s32(strtoull(_expect(lexer, lx.ITEM)))
    if event_id < 0:
        raise _FormatError("bad event ID")
    return name, event_id


# The usual header, read in one match: what _read_header's tokens would read.
_PLAIN_HEADER = re.compile(r"name: ([A-Za-z0-9_]+)\nID: ([0-9]+)(?![A-Za-z0-9_])")


def read_header(text):
    """(name, id, end) of a format text (str), end being where its header stops;
    None when perf could not index the event (no name, or a bad ID)."""
    match = _PLAIN_HEADER.match(text)
    if match is not None and match.group(1) not in lx.FORCED:
        event_id = to_s32(strtoull(match.group(2)))
        return (match.group(1), event_id, match.end()) if event_id >= 0 else None
    lexer = lx.Lexer(text)
    try:
        name, event_id = _read_header(lexer)
    except _FormatError:
        return None
    return name, event_id, lexer.pos


class _FieldReader:
    """Reads one blank-line-terminated list of `field:` lines.

    `delim` survives from field to field on purpose: libtraceevent keeps it in
    one variable, which changes how a type after __attribute__((...)) is joined.
    """

    def __init__(self, lexer, is_ftrace, long_size):
        self.lexer = lexer
        self.is_ftrace = is_ftrace
        self.long_size = long_size
        self.delim = " "

    def read_list(self, out):
        """Append complete fields to `out` until the blank line; raise on error."""
        lexer = self.lexer
        plain_lines = not self.is_ftrace
        while True:
            if plain_lines:
                line = _PLAIN_FIELD.match(lexer.text, lexer.pos)
                if line is not None:
                    f = self._plain_field(line)
                    if f is not None:
                        out.append(f)
                        lexer.pos = line.end()
                        continue
            kind, tok = lexer.token()
            if kind == lx.NEWLINE:
                return
            if kind != lx.ITEM or tok != "field":
                raise _FormatError("expected 'field' but read %r" % (tok,))
            out.append(self._read_field())

    def _plain_field(self, line):
        """The field of a line _PLAIN_FIELD matched, read as the tokens would
        read it, or None for a shape left to _read_field (the rare ones)."""
        type_text, name, array, decl, offset, size, signed = line.group(
            "type", "name", "array", "decl", "offset", "size", "signed")
        if "_PR_FMT" in line.group():
            return None     # a macro name the lexer turns into a string
        signed = None if signed is None else _flag(signed)
        if decl is None:    # words separated by one space, maybe one [...]
            arraylen = 0
            if array is not None:
                type_text += array
                if len(array) > 2:
                    arraylen = _number(array[1:-1])
            self.delim = " "
            return self._field(name, type_text, _number(offset), _number(size),
                               array is not None, arraylen, False, 0, signed)
        words = _DECL_TOKEN.findall(decl)
        if "[" in decl:
            name_at = words.index("[")
            rest = words[name_at + 1:]
            inside = rest[:rest.index("]")] if "]" in rest else ["*"]
            if len(inside) > 1 or inside[:1] == ["*"] or inside[:1] == ["["]:
                return None
            after = rest[len(inside) + 1:]
            if len(after) > 1 or after and after[0] in ("*", "[", "]"):
                return None
        else:
            name_at, inside, after = len(words), None, ()
        if name_at < 2 or words[0] == "*":
            return None
        type_text = " ".join(words[:name_at - 1])
        name = words[name_at - 1]
        arraylen = size_dynamic = 0
        if inside is not None:
            brackets = "[%s]" % "".join(inside)
            if inside:
                arraylen = _number(inside[0])
            if not after:
                type_text += brackets
            else:
                type_text += " " + name + brackets
                size_dynamic = _DYNAMIC_ELEMENT_SIZE.get(name, 0)
                name = after[0]
        self.delim = " "
        return self._field(name, type_text, _number(offset), _number(size),
                           inside is not None, arraylen, "*" in words[1:name_at],
                           size_dynamic, signed)

    def _field(self, name, type_text, offset, size, is_array, arraylen, is_pointer,
               size_dynamic, is_signed):
        """A Field classified as libtraceevent classifies it (is_signed None
        when the line has no signed:)."""
        is_string = is_array and ("char" in type_text or "u8" in type_text
                                  or "s8" in type_text)
        is_relative = type_text.startswith("__rel_loc")
        is_dynamic = is_relative or type_text.startswith("__data_loc")
        is_long = "long" in type_text
        if is_dynamic and size == 2:
            # Pre-dynamic-array kernels: a 2-byte offset to a NUL-terminated string.
            is_string = is_array = True
        if not is_array:
            elementsize = size
        elif arraylen:
            elementsize = size // arraylen
        elif is_dynamic:
            elementsize = size_dynamic
        elif is_string:
            elementsize = 1
        elif is_long:
            elementsize = self.long_size
        else:
            elementsize = 0
        return Field(name, type_text, offset, size, bool(is_signed), is_array, arraylen,
                     elementsize, is_string, is_dynamic, is_relative, is_pointer, is_long)

    def _read_field(self):
        lexer = self.lexer
        kind, tok = lexer.token()
        if self.is_ftrace and kind == lx.ITEM and tok == "special":
            kind, tok = lexer.token()
        if kind != lx.OP or tok != ":":
            raise _FormatError("expected ':' after 'field'")
        last = _expect(lexer, lx.ITEM)
        type_text = None
        is_pointer = False
        while True:
            kind, tok = lexer.token()
            if kind == lx.ITEM or (kind == lx.OP and tok == "*") or (
                    self.is_ftrace and kind == lx.OP and tok == "."):
                if tok == "*":
                    is_pointer = True
                type_text = last if type_text is None else type_text + self.delim + last
                last = tok
                self.delim = " "
                continue
            if kind == lx.DELIM and tok == "(" and last == "__attribute__":
                if type_text is None:
                    raise _FormatError("__attribute__ without a type")
                type_text += " " + last + "("
                self.delim = " "
                depth = 1
                while True:
                    kind, tok = lexer.token()
                    if kind == lx.NONE:
                        break
                    if kind == lx.DELIM:
                        depth += 1 if tok == "(" else (-1 if tok == ")" else 0)
                        if not depth:
                            break
                        type_text += tok
                        self.delim = ""
                    else:
                        type_text += self.delim + tok
                        self.delim = " "
                    last = tok
                continue
            break
        if type_text is None:
            raise _FormatError("no type found")
        name = last
        if kind != lx.OP:
            raise _FormatError("expected an operator after field %r" % name)
        is_array = False
        arraylen = 0
        size_dynamic = 0
        if tok == "[":
            is_array = True
            last_kind = kind
            kind, tok = lexer.token()
            brackets = "["
            while tok != "]":
                if kind == lx.NONE:
                    raise _FormatError("failed to find token")
                sep = " " if last_kind == lx.ITEM and kind == lx.ITEM else ""
                last_kind = kind
                brackets += sep + (tok or "")
                arraylen = _number(tok or "")
                kind, tok = lexer.token()
            brackets += "]"
            kind, tok = lexer.token()
            if kind == lx.ITEM:
                type_text += " " + name + brackets
                size_dynamic = _DYNAMIC_ELEMENT_SIZE.get(name, 0)
                name = tok
                kind, tok = lexer.token()
            else:
                type_text += brackets
        if kind != lx.OP or tok != ";":
            raise _FormatError("expected ';' after field %r" % name)
        _expect(lexer, lx.ITEM, "offset")
        _expect(lexer, lx.OP, ":")
        offset = _number(_expect(lexer, lx.ITEM))
        _expect(lexer, lx.OP, ";")
        _expect(lexer, lx.ITEM, "size")
        _expect(lexer, lx.OP, ":")
        size = _number(_expect(lexer, lx.ITEM))
        _expect(lexer, lx.OP, ";")
        is_signed = None
        kind, tok = lexer.token()
        if kind != lx.NEWLINE:
            if kind != lx.ITEM or tok != "signed":
                raise _FormatError("expected 'signed' or end of line in field %r" % name)
            _expect(lexer, lx.OP, ":")
            is_signed = _flag(_expect(lexer, lx.ITEM))
            _expect(lexer, lx.OP, ";")
            _expect(lexer, lx.NEWLINE)
        return self._field(name, type_text, offset, size, is_array, arraylen, is_pointer,
                           size_dynamic, is_signed)


# The usual field line, read in one match (_FieldReader._plain_field): a
# declaration of words, '*' and one [..] (no macros, attributes or strings),
# then offset:, size: and an optional signed: with their numbers.
_S = r"[ \t\v\f\r]*"
_W = r"[A-Za-z0-9_]+"
_PLAIN_FIELD = re.compile(
    _S + "field" + _S + ":" + _S
    + "(?:(?P<type>" + _W + "(?: " + _W + ")*) (?P<name>" + _W + r")(?P<array>\[[A-Za-z0-9_]*\])?"
    + r"|(?P<decl>[A-Za-z0-9_ \t\v\f\r*\[\]]+));"
    + _S + "offset" + _S + ":" + _S + "(?P<offset>" + _W + ")" + _S + ";"
    + _S + "size" + _S + ":" + _S + "(?P<size>" + _W + ")" + _S + ";"
    + "(?:" + _S + "signed" + _S + ":" + _S + "(?P<signed>" + _W + ")" + _S + ";)?"
    + _S + "\n")
_DECL_TOKEN = re.compile(r"[A-Za-z0-9_]+|[*\[\]]")


def _to_text(text):
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text).decode("utf-8", "surrogateescape")
    return text


def parse_format(text, system, *, long_size=8, big_endian=False, extended=False,
                 functions=(), _flag_state=None):
    """Parse one event format file into an EventFormat.

    Returns None only when the name or ID cannot be read (perf drops such an
    event). Any later problem gives an EventFormat with `failed` set.
    `extended` accepts helpers newer than perf 6.1 (sizeof, __get_cpumask,
    __get_sockaddr, "(REC)->"); `functions` names extra helpers to keep as
    generic calls (like libtraceevent plugins); both change results vs perf 6.1.
    """
    text = _to_text(text)
    header = read_header(text)
    if header is None:
        return None
    name, event_id, lexer = header[0], header[1], lx.Lexer(text)
    lexer.pos = header[2]
    event = EventFormat(system=system, name=name, id=event_id, long_size=long_size,
                        big_endian=big_endian)
    event.is_ftrace = system == "ftrace"
    event.is_bprint = event.is_ftrace and name == "bprint"
    common, own = [], []
    try:
        _expect(lexer, lx.ITEM, "format", newline_ok=False)
        _expect(lexer, lx.OP, ":")
        _expect(lexer, lx.NEWLINE)
        reader = _FieldReader(lexer, event.is_ftrace, long_size)
        reader.read_list(common)
        reader.read_list(own)
    except _FormatError as exc:
        event.common_fields, event.fields = tuple(common), tuple(own)
        event.failed = True
        event.error = "format: %s" % exc
        return event
    event.common_fields, event.fields = tuple(common), tuple(own)
    result = parse_print_fmt(lexer, event, extended=extended, functions=functions,
                             flag_state=_flag_state)
    event.print_fmt = result.format
    event.print_args = result.args
    event.warnings = result.warnings
    if result.error is not None:
        event.failed = True
        event.error = result.error
        return event
    if event.is_ftrace and not result.args:
        # Old ftrace formats have no print args: libtraceevent prints every field.
        event.print_args = tuple(FieldRef(f.name) for f in own)
    if not event.is_bprint:
        event.print_items, problems = scan_print_format(event.print_fmt, event.print_args)
        if problems:
            event.failed = True
            event.error = "print fmt: %s" % problems[0]
            event.warnings += tuple("[%s:%s] %s" % (system, event.name, p) for p in problems)
    return event
