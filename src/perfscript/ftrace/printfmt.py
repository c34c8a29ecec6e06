"""print_fmt: `"format", arg, arg, ...` parsed into a small AST.

The grammar is our own code but reproduces what the libtraceevent bundled with
perf 6.1 builds, because perf evaluates (and walks for the define_* callbacks)
exactly that tree, quirks included. Verified against the real perf:

- equal-precedence binary operators group to the right: `a - b - c` is
  `a - (b - c)`;
- a parenthesised or unary right operand that binds more loosely is rotated
  up: `a * (b + c)` is `(a * b) + c`, `a * -b` is `(a * <null>) - b`;
- operators after `x ? y : z` apply to the whole conditional;
- `(type)` is a cast only when followed by an operand or '(' and the inside is
  a plain word sequence; `(unsigned long)-1` is `unsigned long - 1`;
- binary operations on constants are NOT folded (each literal stays an Atom);
- helper arguments (__print_hex, __print_array) are single operands;
- unknown helpers (in perf 6.1 also sizeof, __get_cpumask, __get_sockaddr)
  fail the event.

Nothing here evaluates text from the file: numbers go through cnum's strtoll.
"""

from . import lexer as lx
from .cnum import strtoll, to_s64
from .printast import (  # noqa: F401  (re-exported: the tree is part of this API)
    NULL, Atom, Bitmask, Call, Cast, Cpumask, DynamicArray, DynamicArrayLen, FieldRef,
    FlagEntry, Flags, Hex, HexStr, IntArray, Null, Op, PrintFmt, StrRef, Symbolic,
)

_MAX_DEPTH = 150


# ------------------------------------------------------ parse-time node model
# libtraceevent builds the tree by copying and overwriting C structs in place
# (rotations, "make the current arg the left operand"). A mutable node with
# those same operations is the simplest faithful way to get the same shapes.

_K_NULL, _K_ATOM, _K_FIELD, _K_OP, _K_TYPE = "null", "atom", "field", "op", "type"
_K_FLAGS, _K_SYMBOL, _K_HEX, _K_HEX_STR = "flags", "symbol", "hex", "hex_str"
_K_INT_ARRAY, _K_STRING, _K_BITMASK, _K_CPUMASK = "int_array", "string", "bitmask", "cpumask"
_K_DYN, _K_DYN_LEN, _K_FUNC = "dynamic_array", "dynamic_array_len", "func"
_K_UNSET = "unset"


class _Node:
    __slots__ = ("kind", "text", "quote", "a", "b", "c", "prio", "entries", "func")

    def __init__(self, kind=_K_UNSET):
        self.kind = kind
        self.text = None
        self.quote = None
        self.a = self.b = self.c = None
        self.prio = 0
        self.entries = None
        self.func = None

    def clone(self):
        other = _Node()
        other.assign(self)
        return other

    def assign(self, other):
        for name in _Node.__slots__:
            setattr(self, name, getattr(other, name))


class _Fail(Exception):
    """Internal: this print_fmt is rejected (libtraceevent returns ERROR)."""


_BINARY = frozenset(">> << & | && || - + * ^ / % < > <= >= == !=".split())
_SINGLE_PRIO = {"~": 4, "!": 4, "*": 6, "/": 6, "%": 6, "+": 7, "-": 7,
                "<": 9, ">": 9, "&": 11, "^": 12, "|": 13, "?": 16}
_DOUBLE_PRIO = {"++": 3, "--": 3, ">>": 8, "<<": 8, ">=": 9, "<=": 9,
                "==": 10, "!=": 10, "&&": 14, "||": 15}


def op_priority(op):
    """libtraceevent's operator priority (higher binds looser); -1 if unknown."""
    if len(op) == 1:
        return _SINGLE_PRIO.get(op, -1)
    return _DOUBLE_PRIO.get(op, -1)


class _FlagState:
    """libtraceevent marks the next REC->field after __print_flags/_symbolic.

    The marker is global in perf 6.1 and can leak into a later event when the
    first argument has no REC->; parse_tracing_data shares one instance to match.
    """

    __slots__ = ("flag", "symbolic")

    def __init__(self):
        self.flag = False
        self.symbolic = False


_EXTENDED_FUNCTIONS = frozenset((
    "sizeof", "__get_cpumask", "__get_rel_cpumask",
    "__get_sockaddr", "__get_sockaddr_rel", "__get_rel_sockaddr",
))


class _Parser:
    def __init__(self, lexer, event, extended, functions, flag_state):
        self.lexer = lexer
        self.event = event
        self.extended = extended
        self.functions = frozenset(functions)
        self.flags = flag_state if flag_state is not None else _FlagState()
        self.depth = 0
        self.warnings = []

    # --- helpers -------------------------------------------------------

    def fail(self, message, warn=False):
        if warn:
            self.warnings.append("[%s:%s] %s" % (self.event.system, self.event.name, message))
        raise _Fail(message)

    def expect(self, kind, text=None, item=False):
        tok_kind, tok = self.lexer.token_item() if item else self.lexer.token()
        if tok_kind != kind or (text is not None and tok != text):
            self.fail("expected %r but read %r" % (text or kind, tok if tok is not None else tok_kind))
        return tok

    def enter(self):
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            self.fail("expression nested too deeply")

    # --- operands ------------------------------------------------------

    def process_arg(self, node):
        kind, tok = self.lexer.token()
        return self.process_arg_token(node, kind, tok)

    def process_arg_token(self, node, kind, tok):
        self.enter()
        try:
            return self._arg_token(node, kind, tok)
        finally:
            self.depth -= 1

    def _arg_token(self, node, kind, tok):
        lexer = self.lexer
        if kind == lx.ITEM:
            if tok == "REC":
                return self.process_entry(node)
            atom = tok
            kind, tok = lexer.token_item()
            if kind == lx.DELIM and tok == "(":
                return self.process_function(node, atom)
            while kind == lx.ITEM:
                atom += " " + tok
                kind, tok = lexer.token_item()
            node.kind, node.text = _K_ATOM, atom
            return kind, tok
        if kind in (lx.DQUOTE, lx.SQUOTE):
            node.kind, node.text = _K_ATOM, tok
            node.quote = '"' if kind == lx.DQUOTE else "'"
            return lexer.token_item()
        if kind == lx.DELIM and tok == "(":
            return self.process_paren(node)
        if kind in (lx.DELIM, lx.OP):
            node.kind, node.text, node.a = _K_OP, tok, None
            return self.process_op(node, tok)
        self.fail("unexpected token %s" % kind)

    def process_entry(self, node):
        self.expect(lx.OP, "->")
        name = self.expect(lx.ITEM)
        node.kind, node.text = _K_FIELD, name
        if self.flags.flag:
            self.flags.flag = False
            target = self.event.find_any_field(name)
            if target is not None:
                target.is_flag = True
        elif self.flags.symbolic:
            self.flags.symbolic = False
            target = self.event.find_any_field(name)
            if target is not None:
                target.is_symbolic = True
        return self.lexer.token()

    def process_paren(self, node):
        kind, tok = self.process_arg(node)
        if kind == lx.OP:
            kind, tok = self.process_op(node, tok)
        if kind != lx.DELIM or tok != ")":
            self.fail("expected ')'")
        kind, tok = self.lexer.token_item()
        if kind in lx.ITEM_TYPES or (kind == lx.DELIM and tok == "("):
            if node.kind != _K_ATOM:
                self.fail("previous needed to be TEP_PRINT_ATOM", warn=True)
            item = _Node()
            node.kind, node.a = _K_TYPE, item
            node.quote = None
            kind, tok = self.process_arg_token(item, kind, tok)
        return kind, tok

    # --- operators -----------------------------------------------------

    def process_op(self, arg, token):
        self.enter()
        try:
            return self._op(arg, token)
        finally:
            self.depth -= 1

    def _op(self, arg, token):
        right = None
        if arg.kind == _K_OP and arg.a is None:
            if len(token) != 1 or token not in "~!+-":
                self.fail("bad op token %s" % token, warn=True)
            arg.a = _Node(_K_NULL)
            right = _Node()
            arg.b = right
            kind, tok = self.process_arg(right)
        elif token == "?":
            left = arg.clone()
            arg.kind, arg.text, arg.a, arg.prio = _K_OP, "?", left, 0
            kind, tok = self.process_cond(arg)
        elif token in _BINARY:
            left = arg.clone()
            arg.kind, arg.text, arg.a, arg.b = _K_OP, token, left, None
            arg.prio = 0 if left.kind == _K_NULL else op_priority(token)
            kind, tok = self.lexer.token_item()
            if token == "*" and kind == lx.DELIM and tok == ")":
                # "(char *)": the '*' belongs to a type name.
                if left.kind != _K_ATOM:
                    self.fail("bad pointer type", warn=True)
                left.text += " *"
                arg.assign(left)
                return kind, tok
            right = _Node()
            kind, tok = self.process_arg_token(right, kind, tok)
            if right.kind == _K_OP and op_priority(arg.text) < op_priority(right.text):
                arg.b = right.a
                saved = arg.clone()
                arg.assign(right)
                right.assign(saved)
                arg.a = right
            else:
                arg.b = right
        elif token == "[":
            left = arg.clone()
            arg.kind, arg.text, arg.a, arg.prio = _K_OP, "[", left, 0
            kind, tok = self.process_array(arg)
        else:
            self.fail("unknown op '%s'" % token, warn=True)
        if kind == lx.OP and tok != ":":
            if op_priority(tok) > arg.prio:
                return self.process_op(arg, tok)
            if right is None:
                self.fail("operator %r after '%s' (perf 6.1 crashes here)" % (tok, arg.text))
            return self.process_op(right, tok)
        return kind, tok

    def process_cond(self, top):
        colon, left, right = _Node(_K_OP), _Node(), _Node()
        colon.a, colon.b = left, right
        kind, tok = self.process_arg(left)
        while kind == lx.OP and tok != ":":
            kind, tok = self.process_op(left, tok)
        if kind != lx.OP or tok != ":":
            self.fail("expected ':'")
        colon.text = ":"
        kind, tok = self.process_arg(right)
        top.b = colon
        return kind, tok

    def process_array(self, top):
        index = _Node()
        kind, tok = self.process_arg(index)
        if kind != lx.OP or tok != "]":
            self.fail("expected ']'")
        top.b = index
        return self.lexer.token_item()

    # --- helper functions ----------------------------------------------

    def process_function(self, node, name):
        if name == "__print_flags":
            self.flags.flag = True
            return self.process_flags(node, _K_FLAGS)
        if name == "__print_symbolic":
            self.flags.symbolic = True
            return self.process_flags(node, _K_SYMBOL)
        if name in ("__print_hex", "__print_hex_str"):
            node.kind = _K_HEX if name == "__print_hex" else _K_HEX_STR
            node.a = self.operand_then(",")
            node.b = self.operand_then(")")
            return self.lexer.token_item()
        if name == "__print_array":
            node.kind = _K_INT_ARRAY
            node.a = self.operand_then(",")
            node.b = self.operand_then(",")
            node.c = self.operand_then(")")
            return self.lexer.token_item()
        if name in ("__get_str", "__get_rel_str"):
            return self.process_named_field(node, _K_STRING, name)
        if name in ("__get_bitmask", "__get_rel_bitmask"):
            return self.process_named_field(node, _K_BITMASK, name)
        if name in ("__get_dynamic_array", "__get_rel_dynamic_array"):
            return self.process_dynamic_array(node, name)
        if name in ("__get_dynamic_array_len", "__get_rel_dynamic_array_len"):
            return self.process_dynamic_array_len(node, name)
        if name == "__builtin_expect":
            return self.process_builtin_expect(node)
        if self.extended and name in _EXTENDED_FUNCTIONS:
            if name == "sizeof":
                return self.process_sizeof(node)
            if name.endswith("cpumask"):
                return self.process_named_field(node, _K_CPUMASK, name)
            return self.process_dynamic_array(node, name)
        if name in self.functions:
            return self.process_call(node, name)
        self.fail("function %s not defined" % name, warn=True)

    def operand_then(self, delim):
        node = _Node()
        kind, tok = self.process_arg(node)
        if kind != lx.DELIM or tok != delim:
            self.fail("expected %r" % delim)
        return node

    def process_flags(self, node, kind_name):
        node.kind = kind_name
        value = _Node()
        kind, tok = self.process_arg(value)
        while kind == lx.OP:
            kind, tok = self.process_op(value, tok)
        if kind != lx.DELIM or tok != ",":
            self.fail("expected ','")
        node.a = value
        if kind_name == _K_FLAGS:
            kind, tok = self.lexer.token_item()
            if kind in lx.ITEM_TYPES:
                node.text = tok
                kind, tok = self.lexer.token_item()
            if kind != lx.DELIM or tok != ",":
                self.fail("expected ','")
        kind, tok, node.entries = self.process_entries()
        if kind != lx.DELIM or tok != ")":
            self.fail("expected ')'")
        return self.lexer.token_item()

    def process_entries(self):
        entries = []
        lexer = self.lexer
        while True:
            kind, tok = lexer.token_item()
            if kind != lx.OP or tok != "{":
                return kind, tok, entries
            value = _Node()
            kind, tok = self.process_arg(value)
            if kind == lx.OP:
                kind, tok = self.process_op(value, tok)
            if kind != lx.DELIM or tok != ",":
                self.fail("expected ','")
            value_text = _arg_eval(value)
            text = _Node()
            kind, tok = self.process_arg(text)
            if kind != lx.OP or tok != "}":
                self.fail("expected '}'")
            text_text = _arg_eval(text)
            if value_text is None or text_text is None:
                self.fail("flag/symbol entry is not a constant")
            entries.append(FlagEntry(value_text, text_text))
            kind, tok = lexer.token_item()
            if kind != lx.DELIM or tok != ",":
                return kind, tok, entries

    def process_named_field(self, node, kind_name, func):
        name = self.expect(lx.ITEM)
        node.kind, node.text, node.func = kind_name, name, func
        self.expect(lx.DELIM, ")")
        return self.lexer.token()

    def process_dynamic_array(self, node, func):
        kind, tok = self.lexer.token()
        if kind != lx.ITEM or self.event.find_field(tok) is None:
            self.fail("%s: no field %r" % (func, tok))
        node.kind, node.text, node.func = _K_DYN, tok, func
        self.expect(lx.DELIM, ")")
        kind, tok = self.lexer.token_item()
        if kind != lx.OP or tok != "[":
            return kind, tok
        kind, tok = self.process_arg(_Node())
        if kind == lx.OP and tok == "]":
            # perf 6.1's check is inverted: a well-formed "[index]" is rejected.
            self.fail("index after %s" % func)
        return self.lexer.token_item()

    def process_dynamic_array_len(self, node, func):
        name = self.expect(lx.ITEM)
        if self.event.find_field(name) is None:
            self.fail("%s: no field %r" % (func, name))
        node.kind, node.text, node.func = _K_DYN_LEN, name, func
        self.expect(lx.DELIM, ")")
        return self.lexer.token()

    def process_builtin_expect(self, node):
        kind, tok = self.process_arg(node)
        if kind != lx.DELIM or tok != ",":
            self.fail("expected ',' in __builtin_expect")
        self.expect(lx.ITEM)
        self.expect(lx.DELIM, ")")
        return self.lexer.token_item()

    def process_sizeof(self, node):
        lexer = self.lexer
        kind, tok = lexer.token_item()
        node.kind = _K_ATOM
        has_next = False
        if tok == "unsigned":
            kind, tok = lexer.token_item()
            if kind != lx.ITEM:
                has_next = True
        if has_next or tok == "int":
            node.text = "4"
        elif tok == "long":
            kind, tok = lexer.token_item()
            if tok == "long":
                node.text = "8"
            else:
                if self.event.long_size not in (4, 8):
                    self.fail("sizeof(long) unknown")
                node.text = str(self.event.long_size)
                has_next = True
        elif tok in ("__u64", "u64", "__s64", "s64"):
            node.text = "8"
        elif tok in ("__u32", "u32", "__s32", "s32"):
            node.text = "4"
        elif tok in ("__u16", "u16", "__s16", "s16"):
            node.text = "2"
        elif tok in ("__u8", "u8", "__8", "s8"):
            node.text = "1"
        elif tok == "REC":
            self.expect(lx.OP, "->", item=True)
            target = self.event.find_any_field(self.expect(lx.ITEM))
            if target is None or target.is_array:
                self.fail("sizeof: unusable field")
            node.text = str(target.size)
        else:
            self.fail("sizeof(%s) not handled" % tok)
        if not has_next:
            kind, tok = lexer.token_item()
        if kind != lx.DELIM or tok != ")":
            self.fail("expected ')' after sizeof")
        return lexer.token_item()

    def process_call(self, node, name):
        node.kind, node.text, node.entries = _K_FUNC, name, []
        lexer = self.lexer
        saved = lexer.pos
        kind, tok = lexer.token_item()
        if kind == lx.DELIM and tok == ")":
            return lexer.token()
        lexer.pos = saved
        while True:
            arg = _Node()
            kind, tok = self.process_arg(arg)
            while kind == lx.OP:
                kind, tok = self.process_op(arg, tok)
            node.entries.append(arg)
            if kind == lx.DELIM and tok == ")":
                return lexer.token()
            if kind != lx.DELIM or tok != ",":
                self.fail("expected ',' or ')' in %s()" % name)

    # --- the argument list ---------------------------------------------

    def read_args(self):
        """Parse the argument list; return (nodes, error). Args that parsed
        before an error are kept, as perf keeps them (and walks them)."""
        args = []
        kind = None
        while True:
            if kind == lx.NEWLINE:
                kind, tok = self.lexer.token_item()
            else:
                node = _Node()
                try:
                    kind, tok = self.process_arg(node)
                except _Fail as exc:
                    return args, str(exc)
                args.append(node)
                if kind == lx.OP:
                    try:
                        kind, tok = self.process_op(node, tok)
                    except _Fail as exc:
                        args.pop()
                        return args, str(exc)
                elif kind != lx.DELIM or tok != ",":
                    return args, None
            if kind == lx.NONE:
                return args, None


# ------------------------------------------------------ constant evaluation


_TYPE_MASKS = {"u8": 0xFF, "u16": 0xFFFF, "u32": 0xFFFFFFFF, "s8": 0xFF,
               "s16": 0xFFFF, "s32": 0xFFFFFFFF}
_PLAIN_MASKS = {"char": 0xFF, "short": 0xFFFF, "int": 0xFFFFFFFF}


def type_mask(type_name):
    """The mask libtraceevent's cast to this type applies, or None when the cast
    leaves the value as it is (64-bit types, pointers, structs, unknown names)."""
    if not type_name or type_name.endswith("*") or type_name.startswith("struct"):
        return None
    if type_name in _TYPE_MASKS:
        return _TYPE_MASKS[type_name]
    if type_name.startswith("unsigned "):
        type_name = type_name[9:]
    return _PLAIN_MASKS.get(type_name)


def eval_type_str(value, type_name):
    """libtraceevent's cast of a constant: mask to the named width (never sign)."""
    mask = type_mask(type_name)
    return value if mask is None else value & mask


def _num_eval(node):
    """Signed 64-bit value of a constant expression, or None (arg_num_eval)."""
    if node is None:
        return None
    if node.kind == _K_ATOM:
        return strtoll(node.text)
    if node.kind == _K_TYPE:
        value = _num_eval(node.a)
        if value is None:
            return None
        return to_s64(eval_type_str(value & ((1 << 64) - 1), node.text))
    if node.kind != _K_OP:
        return None
    op = node.text
    first, second = op[0], op[1:2]
    if first in "+-" and node.a is not None and node.a.kind == _K_NULL:
        left = 0
    elif first == "~":
        left = 0
    else:
        left = _num_eval(node.a)
        if left is None:
            return None
    right = _num_eval(node.b)
    if right is None:
        return None
    if first == "|":
        value = int(bool(left or right)) if second else left | right
    elif first == "&":
        value = int(bool(left and right)) if second else left & right
    elif first == "<":
        if not second:
            value = int(left < right)
        elif second == "<":
            value = left << (right & 63)
        elif second == "=":
            value = int(left <= right)
        else:
            return None
    elif first == ">":
        if not second:
            value = int(left > right)
        elif second == ">":
            value = left >> (right & 63)
        elif second == "=":
            value = int(left >= right)
        else:
            return None
    elif first == "=":
        if second != "=":
            return None
        value = int(left == right)
    elif first == "!":
        if second != "=":
            return None
        value = int(left != right)
    elif first == "-":
        value = left - right
    elif first == "+":
        value = left + right
    elif first == "~":
        value = ~right
    else:
        return None
    return to_s64(value)


def _arg_eval(node):
    """Text libtraceevent stores for a flag/symbol entry part, or None."""
    while node.kind == _K_TYPE:
        node = node.a
    if node.kind == _K_ATOM:
        return node.text
    if node.kind == _K_OP:
        value = _num_eval(node)
        return None if value is None else "%d" % value
    return None


# ----------------------------------------------------------- to public AST


def _freeze(node):
    if node is None:
        return NULL
    kind = node.kind
    if kind == _K_ATOM:
        return Atom(node.text, node.quote)
    if kind == _K_FIELD:
        return FieldRef(node.text)
    if kind == _K_OP:
        return Op(node.text, _freeze(node.a), _freeze(node.b))
    if kind == _K_TYPE:
        return Cast(node.text, _freeze(node.a))
    if kind == _K_FLAGS:
        return Flags(_freeze(node.a), node.text, tuple(node.entries))
    if kind == _K_SYMBOL:
        return Symbolic(_freeze(node.a), tuple(node.entries))
    if kind == _K_HEX:
        return Hex(_freeze(node.a), _freeze(node.b))
    if kind == _K_HEX_STR:
        return HexStr(_freeze(node.a), _freeze(node.b))
    if kind == _K_INT_ARRAY:
        return IntArray(_freeze(node.a), _freeze(node.b), _freeze(node.c))
    if kind == _K_STRING:
        return StrRef(node.func, node.text)
    if kind == _K_BITMASK:
        return Bitmask(node.func, node.text)
    if kind == _K_CPUMASK:
        return Cpumask(node.func, node.text)
    if kind == _K_DYN:
        return DynamicArray(node.func, node.text)
    if kind == _K_DYN_LEN:
        return DynamicArrayLen(node.func, node.text)
    if kind == _K_FUNC:
        return Call(node.text, tuple(_freeze(a) for a in node.entries))
    return NULL


# ------------------------------------------------------------------ entry


def parse_print_fmt(lexer, event, *, extended=False, functions=(), flag_state=None):
    """Parse `print fmt: "...", args` from lexer's position for `event`.

    `event` supplies field lookups (REC->x marking, __get_dynamic_array checks)
    and its fields get is_flag/is_symbolic set as libtraceevent does.
    """
    parser = _Parser(lexer, event, extended, functions, flag_state)
    try:
        parser.expect(lx.ITEM, "print", item=True)
        parser.expect(lx.ITEM, "fmt")
        parser.expect(lx.OP, ":")
        fmt = parser.expect(lx.DQUOTE)
    except _Fail as exc:
        return PrintFmt(None, (), "print fmt: %s" % exc, tuple(parser.warnings))
    except RecursionError:
        return PrintFmt(None, (), "print fmt: nested too deeply", tuple(parser.warnings))
    while True:
        kind, tok = lexer.token_item()
        if kind == lx.NONE:
            return PrintFmt(fmt, (), None, tuple(parser.warnings))
        if kind != lx.DQUOTE:
            break
        fmt += tok
    if kind != lx.DELIM or tok != ",":
        return PrintFmt(fmt, (), "print fmt: expected ',' after the format",
                        tuple(parser.warnings))
    try:
        nodes, error = parser.read_args()
        args = tuple(_freeze(n) for n in nodes)
    except RecursionError:
        return PrintFmt(fmt, (), "print fmt: nested too deeply", tuple(parser.warnings))
    if error is not None:
        error = "print fmt: %s" % error
    return PrintFmt(fmt, args, error, tuple(parser.warnings))


def parse_print_fmt_text(text, event, **kwargs):
    """Convenience: parse a text that starts with `print fmt:`."""
    return parse_print_fmt(lx.Lexer(text), event, **kwargs)
