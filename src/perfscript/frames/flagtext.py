"""Text columns of flag and symbolic fields (`prev_state_str`, `gfp_flags_str`, …).

A tracepoint's print_fmt names its flag bits and symbolic values with
`__print_flags(value, delim, {bit, "NAME"}, …)` and `__print_symbolic(value, {v, "NAME"}, …)`,
often inside a conditional (`REC->gfp_flags ? __print_flags(…) : "none"`) and over a
computed value (sched_switch: `REC->prev_state & (TASK_REPORT_MAX - 1)`). For each
print argument holding such a table, this module builds the text perf's libtraceevent
prints for it, column-wise:

- the numeric parts (field reads, constants, casts, C operators, `?:`) are evaluated
  over whole NumPy uint64 columns, with C's unsigned 64-bit semantics (field reads are
  unsigned, as tep_read_number gives them; shifts use the low 6 bits of the count;
  division by zero gives 0, where perf would die of SIGFPE);
- the text of a flags/symbolic table is made once per distinct value (`np.unique`),
  never per row: flags joined by the delimiter, bits no entry names appended as
  `0x…`, a zero value printed by an entry whose value is an unknown symbol
  (libtraceevent's eval_flag gives -1), a symbolic value no entry names as `0x…`;
- `cond ? A : B` picks per row; conversions written back to back (`prev_state=%s%s`,
  the state letters then `+` for a preempted task) are joined into one column.

The column is named after the field the table's value reads (`prev_state` →
`prev_state_str`; softirq's `[action=%s]` reads `vec` → `vec_str`); when that name is
taken, after the label before the conversion. An argument using something this does
not evaluate (array indexing, helper calls, `%s` of a string field) gets no column.
"""

import re

import numpy as np

from perfscript.ftrace import printast as A
from perfscript.ftrace.cnum import strtoull, to_s64

_U64 = (1 << 64) - 1

# the symbols libtraceevent's eval_flag knows by name (everything else is -1)
_FLAG_NAMES = {
    "HI_SOFTIRQ": 0, "TIMER_SOFTIRQ": 1, "NET_TX_SOFTIRQ": 2, "NET_RX_SOFTIRQ": 3,
    "BLOCK_SOFTIRQ": 4, "IRQ_POLL_SOFTIRQ": 5, "TASKLET_SOFTIRQ": 6,
    "SCHED_SOFTIRQ": 7, "HRTIMER_SOFTIRQ": 8, "RCU_SOFTIRQ": 9,
    "HRTIMER_NORESTART": 0, "HRTIMER_RESTART": 1,
}
_CASTS = {"u8": 0xFF, "s8": 0xFF, "u16": 0xFFFF, "s16": 0xFFFF, "u32": 0xFFFFFFFF,
          "s32": 0xFFFFFFFF, "char": 0xFF, "short": 0xFFFF, "int": 0xFFFFFFFF}


class Unsupported(Exception):
    """The argument uses something the column-wise evaluator does not do."""


def flag_value(text):
    """eval_flag(): a number as strtoull reads it (signed), a known symbol, or -1."""
    if text[:1].isascii() and text[:1].isdigit():
        return to_s64(strtoull(text))
    return _FLAG_NAMES.get(text, -1)


def _cast_mask(type_name):
    if not type_name or type_name.endswith("*") or type_name.startswith("struct"):
        return None
    if type_name.startswith("unsigned "):
        type_name = type_name[9:]
    return _CASTS.get(type_name)


def _fields_of(node, out):
    if isinstance(node, A.FieldRef):
        out.add(node.name)
    elif isinstance(node, A.Op):
        _fields_of(node.left, out)
        _fields_of(node.right, out)
    elif isinstance(node, A.Cast):
        _fields_of(node.item, out)
    elif isinstance(node, (A.Flags, A.Symbolic)):
        _fields_of(node.value, out)
    return out


def has_table(node):
    """Whether a print argument holds a __print_flags/__print_symbolic table."""
    if isinstance(node, (A.Flags, A.Symbolic)):
        return True
    if isinstance(node, A.Op):
        return has_table(node.left) or has_table(node.right)
    return False


def _table_fields(node, out):
    """The fields read by the values of the tables in node (for the column name)."""
    if isinstance(node, (A.Flags, A.Symbolic)):
        _fields_of(node.value, out)
    elif isinstance(node, A.Op):
        _table_fields(node.left, out)
        _table_fields(node.right, out)
    return out


# ------------------------------------------------------------ numeric, column-wise


def _bool(a):
    return a.astype(np.uint64) if isinstance(a, np.ndarray) else int(bool(a))


def _binary(op, a, b):
    """C operator `op` on uint64 columns or Python ints (eval_num_arg looks at the
    first two characters only)."""
    first, second = op[:1], op[1:2]
    arr = isinstance(a, np.ndarray) or isinstance(b, np.ndarray)
    if arr:
        a = a if isinstance(a, np.ndarray) else np.uint64(a & _U64)
        b = b if isinstance(b, np.ndarray) else np.uint64(b & _U64)
    if first == "!":
        if not second:
            return _bool(b == 0)
        if second == "=":
            return _bool(a != b)
        raise Unsupported(op)
    if first == "~":
        return ~b if arr else ~b & _U64
    if first == "|":
        return _bool((a != 0) | (b != 0)) if second else a | b
    if first == "&":
        return _bool((a != 0) & (b != 0)) if second else a & b
    if first == "<":
        if second == "<":
            return (a << (b & np.uint64(63))) if arr else (a << (b & 63)) & _U64
        if second == "=":
            return _bool(a <= b)
        if not second:
            return _bool(a < b)
        raise Unsupported(op)
    if first == ">":
        if second == ">":
            return (a >> (b & np.uint64(63))) if arr else a >> (b & 63)
        if second == "=":
            return _bool(a >= b)
        if not second:
            return _bool(a > b)
        raise Unsupported(op)
    if first == "=" and second == "=":
        return _bool(a == b)
    if first == "+":
        return a + b if arr else (a + b) & _U64
    if first == "-":
        return a - b if arr else (a - b) & _U64
    if first == "*":
        return a * b if arr else (a * b) & _U64
    if first in "/%":
        if not arr:
            return 0 if not b else (a // b if first == "/" else a % b)
        a, b = np.broadcast_arrays(a, b)
        zero = b == 0
        safe = np.where(zero, np.uint64(1), b)
        r = a // safe if first == "/" else a % safe
        r[zero] = 0
        return r
    raise Unsupported(op)


class _Eval:
    def __init__(self, event, values, n):
        self.event = event
        self.values = values    # field name -> uint64 column (unsigned reads)
        self.n = n

    def num(self, node):
        """A uint64 column, or a Python int when constant."""
        kind = type(node)
        if kind is A.Atom:
            return strtoull(node.text)
        if kind is A.FieldRef:
            v = self.values.get(node.name)
            if v is None:
                raise Unsupported("field %s" % node.name)
            return v
        if kind is A.Cast:
            v = self.num(node.item)
            mask = _cast_mask(node.type)
            if mask is None:
                return v
            return v & (np.uint64(mask) if isinstance(v, np.ndarray) else mask)
        if kind is A.Op:
            if node.op == "?":
                c = self.num(node.left)
                t = self.num(node.right.left)
                f = self.num(node.right.right)
                if not isinstance(c, np.ndarray):
                    return t if c else f
                return np.where(c != 0, np.uint64(t) if not isinstance(t, np.ndarray) else t,
                                np.uint64(f) if not isinstance(f, np.ndarray) else f)
            if node.op == "[":
                raise Unsupported("[")
            left = 0 if type(node.left) is A.Null else self.num(node.left)
            return _binary(node.op, left, self.num(node.right))
        raise Unsupported(kind.__name__)

    # -------------------------------------------------------- text: (texts, indices)

    def text(self, node, spec):
        """(list of str, int64 indices or None for all rows = 0)."""
        kind = type(node)
        if kind is A.Atom:
            return [_fmt(spec, node.text)], None
        if kind is A.Flags or kind is A.Symbolic:
            v = self.num(node.value)
            maker = _flags_text if kind is A.Flags else _symbolic_text
            if not isinstance(v, np.ndarray):
                return [maker(node, v, spec)], None
            uniq, inv = np.unique(v, return_inverse=True)
            return [maker(node, int(x), spec) for x in uniq.tolist()], inv.reshape(-1)
        if kind is A.Op and node.op == "?":
            c = self.num(node.left)
            if not isinstance(c, np.ndarray):
                return self.text(node.right.left if c else node.right.right, spec)
            ta, ia = self.text(node.right.left, spec)
            tb, ib = self.text(node.right.right, spec)
            ia = np.zeros(self.n, np.int64) if ia is None else ia
            ib = np.zeros(self.n, np.int64) if ib is None else ib
            return ta + tb, np.where(c != 0, ia, ib + len(ta))
        raise Unsupported(kind.__name__)


def _fmt(spec, text):
    if spec == "%s" or "*" in spec:
        return text
    try:
        return spec % text
    except (TypeError, ValueError):
        return text


def _flags_text(node, value, spec):
    value = to_s64(value)
    out = []
    printed = False
    delim = node.delim
    for e in node.entries:
        fval = flag_value(e.value)
        if not value and fval < 0:
            out.append(_fmt(spec, e.text))
            break
        if fval > 0 and (value & fval) == fval:
            if printed and delim is not None:
                out.append(delim)
            out.append(_fmt(spec, e.text))
            printed = True
            value &= ~fval
    if value:
        if printed and delim is not None:
            out.append(delim)
        out.append("0x%x" % (value & _U64))
    return "".join(out)


def _symbolic_text(node, value, spec):
    for e in node.entries:
        if flag_value(e.value) & _U64 == value:
            return _fmt(spec, e.text)
    return "0x%x" % value


def _join(a, b, n):
    """Row-wise concatenation of two (texts, indices) columns."""
    ta, ia = a
    tb, ib = b
    if ia is None and ib is None:
        return [ta[0] + tb[0]], None
    ia = np.zeros(n, np.int64) if ia is None else ia
    ib = np.zeros(n, np.int64) if ib is None else ib
    key = ia * len(tb) + ib
    uniq, inv = np.unique(key, return_inverse=True)
    texts = [ta[k // len(tb)] + tb[k % len(tb)] for k in uniq.tolist()]
    return texts, inv.reshape(-1)


# ------------------------------------------------------------ planning


class TextColumn:
    """One text column: the print items (conversions) it joins, and where perf puts it
    (`prefix`/`suffix`: the literal text around it in the print_fmt)."""

    def __init__(self, name, items, prefix, suffix):
        self.name = name
        self.items = items          # [(arg node, spec)]
        self.prefix = prefix
        self.suffix = suffix
        self.fields = set()
        for node, _ in items:
            _fields_of(node, self.fields)


def _label(text):
    m = re.search(r"([A-Za-z_][\w.]*)\s*[=:]\s*\[?$", text)
    return m.group(1) if m else None


def plan_text_columns(event, taken, readable):
    """[TextColumn] for the event's print args with a flags/symbolic table; `taken`:
    the names already used by columns; `readable`: fields whose values are columns."""
    items = list(getattr(event, "print_items", None) or ())
    out = []
    i = 0
    while i < len(items):
        it = items[i]
        if it.kind != "string" or not has_table(it.arg):
            i += 1
            continue
        group = [(it.arg, it.text)]
        fields = _table_fields(it.arg, set())
        j = i + 1
        # conversions right after it (no text between) over the same fields
        while j < len(items) and items[j].kind == "string" and items[j].width_arg is None \
                and _fields_of(items[j].arg, set()) <= fields:
            group.append((items[j].arg, items[j].text))
            j += 1
        prefix = items[i - 1].text if i and items[i - 1].kind == "text" else ""
        suffix = items[j].text if j < len(items) and items[j].kind == "text" else ""
        i = j
        if it.width_arg is not None:
            continue
        names = []
        if len(fields) == 1:
            names.append(next(iter(fields)) + "_str")
        label = _label(prefix)
        if label:
            names.append(label + "_str")
        names.append("print_arg%d_str" % len(out))
        name = next((nm for nm in names if nm not in taken), None)
        if name is None:
            k = 2
            while "%s%d" % (names[0], k) in taken:
                k += 1
            name = "%s%d" % (names[0], k)
        col = TextColumn(name, group, prefix, suffix)
        col.span = (i - len(group), i)      # its items in event.print_items
        if not col.fields <= readable:
            continue
        try:        # evaluate once on nothing: weed out what the evaluator does not do
            evaluate(event, col, {f: np.zeros(1, np.uint64) for f in col.fields}, 1)
        except Unsupported:
            continue
        taken.add(name)
        out.append(col)
    return out


def evaluate(event, col, values, n):
    """(texts, int64 indices) of a TextColumn over n rows; values: field → uint64."""
    ev = _Eval(event, values, n)
    with np.errstate(over="ignore"):
        acc = None
        for node, spec in col.items:
            t = ev.text(node, spec)
            acc = t if acc is None else _join(acc, t, n)
    texts, idx = acc
    if idx is None:
        idx = np.zeros(n, np.int64)
    # one dictionary entry per distinct text
    seen = {}
    remap = np.array([seen.setdefault(t, len(seen)) for t in texts], dtype=np.int32)
    return list(seen), remap[idx] if len(texts) else idx.astype(np.int32)
