"""The text perf 6.1 prints for a tracepoint record (after `event-name: `).

`make_renderer(event, ...)` compiles an EventFormat's print_fmt once into a
function raw -> str that evaluates the libtraceevent-shaped argument tree the
way perf 6.1's bundled libtraceevent does (pretty_print / print_str_arg /
eval_num_arg / print_arg_pointer), including what it gets "wrong":

- every value is an unsigned 64-bit number: comparisons are unsigned, casts
  only mask ((int) of -1 is 0xffffffff; signedness comes back from printf);
- numeric conversions pass the value cast by the h/l count and let printf
  read it (%zu and %zx get the value truncated to 32 bits, %ld gets 64 bits
  even for a 4-byte long);
- `__print_flags` prints the entries whose bits are all set, a zero value
  prints only an entry named by a symbol perf cannot evaluate (else nothing),
  leftover bits as 0x..; `__print_symbolic` prints the first equal entry, else
  0x..; entries named by unknown enum symbols have the value -1 there;
- `%s` of a long-sized non-array field looks the value up in the printk
  formats (else prints it in hex without 0x); `%s` of a cast prints nothing;
- `__print_hex`/`__print_array`/`%*ph` ignore __rel_loc (perf 6.1 does);
- %pS/%pF add +0xoffset, %ps/%pf print the name only, unknown addresses as
  0x..; plain %p is glibc's (`(nil)` for 0);
- an event that failed to parse prints "[FAILED TO PARSE]" and every field.

Warnings libtraceevent prints while printing (missing fields, unknown
operators) are passed to `warn(text)` each time they happen, as perf prints
them each time; the event's parse warnings (e.g. "function X not defined")
are passed once, when the renderer is made.

Output is built as bytes (C strings: widths count bytes) and returned decoded
with UTF-8/surrogateescape: `text.encode("utf-8", "surrogateescape")` gives
perf's exact bytes. Where perf would read past the record (a missing NUL, an
index out of range) we stop at the record's end instead.
"""

import struct

from .cnum import strtoull, to_s32, to_s64
from .printast import (
    Atom, Bitmask, Call, Cast, Cpumask, DynamicArray, DynamicArrayLen, FieldRef,
    Flags, Hex, HexStr, IntArray, Null, Op, StrRef, Symbolic,
)
from .printfmt import eval_type_str
from .printitems import NUMBER, POINTER, STRING, TEXT
from . import render_cfmt as cfmt
from . import render_ptr as ptr

_U64 = (1 << 64) - 1
_SCALAR = {1: "B", 2: "H", 4: "I", 8: "Q"}
_SIGNED = {1: "b", 2: "h", 4: "i", 8: "q"}
_MEMO_LIMIT = 4096

# libtraceevent's print argument type numbers ("ARG TYPE NOT FIELD BUT %d").
_ARG_TYPE = {
    Null: 0, Atom: 1, FieldRef: 2, Flags: 3, Symbolic: 4, Hex: 5, IntArray: 6,
    Cast: 7, StrRef: 8, DynamicArray: 10, Op: 11, Call: 12, Bitmask: 13,
    DynamicArrayLen: 14, HexStr: 15, Cpumask: 13,
}

# Symbols perf's libtraceevent evaluates in __print_flags/_symbolic tables.
_FLAG_NAMES = {
    "HI_SOFTIRQ": 0, "TIMER_SOFTIRQ": 1, "NET_TX_SOFTIRQ": 2, "NET_RX_SOFTIRQ": 3,
    "BLOCK_SOFTIRQ": 4, "IRQ_POLL_SOFTIRQ": 5, "TASKLET_SOFTIRQ": 6,
    "SCHED_SOFTIRQ": 7, "HRTIMER_SOFTIRQ": 8, "RCU_SOFTIRQ": 9,
    "HRTIMER_NORESTART": 0, "HRTIMER_RESTART": 1,
}


def flag_value(text):
    """libtraceevent's eval_flag() while printing: a number, a known symbol,
    or -1 for a symbol it does not know."""
    if text[:1].isascii() and text[:1].isdigit():
        return to_s64(strtoull(text))
    return _FLAG_NAMES.get(text, -1)


def _to_bytes(text):
    return text.encode("utf-8", "surrogateescape")


def _const(value):
    return lambda raw, u: value


class _Compiler:
    """Turns print arguments into closures fn(raw, u) over the record bytes
    `raw` and the tuple `u` of fixed-offset scalars read in one unpack."""

    def __init__(self, event, long_size, big_endian, printk, symbolize, warn):
        self.event = event
        self.long_size = long_size
        self.big_endian = big_endian
        self.order = ">" if big_endian else "<"
        self.printk = printk or {}
        self.symbolize = symbolize
        self.warn = warn
        self.reads = []
        self.read_index = {}
        self.prefix = "[%s:%s] " % (event.system, event.name)

    # --- scalar reads --------------------------------------------------

    def read(self, offset, code):
        """Index in u of the scalar at offset (struct code, file byte order)."""
        key = (offset, code)
        index = self.read_index.get(key)
        if index is None:
            index = self.read_index[key] = len(self.reads)
            self.reads.append(key)
        return index

    def number_reader(self, offset, size):
        """(const, fn) reading an unsigned number as tep_read_number does."""
        code = _SCALAR.get(size)
        if code is None or offset < 0 or offset > 0xFFFF_FFFF:
            return 0, None
        index = self.read(offset, code)
        return None, lambda raw, u: u[index]

    def dynamic_reader(self, size):
        """fn(raw, offset) -> number at a computed offset (0 past the end)."""
        code = _SCALAR.get(size)
        if code is None:
            return lambda raw, offset: 0
        unpack = struct.Struct(self.order + code).unpack_from
        end = size

        def read(raw, offset):
            if offset < 0 or offset + end > len(raw):
                return 0
            return unpack(raw, offset)[0]
        return read

    def warner(self, text, event_prefix=True):
        message = (self.prefix + text) if event_prefix else text
        warn = self.warn
        return lambda: warn(message)

    # --- numbers (eval_num_arg) ----------------------------------------

    def num(self, node):
        """(const, fn): const is an int when the value never depends on the
        record (and evaluating it warns about nothing), else fn(raw, u)."""
        kind = type(node)
        if kind is Atom:
            return strtoull(node.text), None
        if kind is FieldRef:
            f = self.event.find_any_field(node.name)
            if f is None:
                say = self.warner("eval_num_arg: field %s not found" % node.name)

                def missing(raw, u):
                    say()
                    return 0
                return None, missing
            return self.number_reader(f.offset, f.size)
        if kind is Cast:
            const, fn = self.num(node.item)
            type_name = node.type
            if fn is None:
                return eval_type_str(const, type_name) & _U64, None
            return None, lambda raw, u: eval_type_str(fn(raw, u), type_name)
        if kind is Op:
            return self.op(node)
        if kind is DynamicArrayLen:
            f = self.event.find_field(node.field)
            const, fn = self.number_reader(f.offset, f.size)
            if fn is None:
                return const >> 16, None
            return None, lambda raw, u: fn(raw, u) >> 16
        if kind is DynamicArray:
            # perf: the host address of the data (data + offset); the offset
            # is the only reproducible part of it.
            f = self.event.find_field(node.field)
            const, fn = self.number_reader(f.offset, f.size)
            if fn is None:
                return const & 0xFFFF, None
            return None, lambda raw, u: fn(raw, u) & 0xFFFF
        return 0, None

    def as_fn(self, compiled):
        const, fn = compiled
        return _const(const) if fn is None else fn

    def op(self, node):
        name = node.op
        if name == "[":
            return self.index(node)
        if name == "?":
            return self.conditional(node)
        left = (0, None) if type(node.left) is Null else self.num(node.left)
        right = self.num(node.right)
        apply = _binary(name)
        if apply is None:
            say = self.warner("eval_num_arg: unknown op '%s'" % name)
            lfn, rfn = self.as_fn(left), self.as_fn(right)

            def unknown(raw, u):
                lfn(raw, u)
                rfn(raw, u)
                say()
                return 0
            return None, unknown
        if left[1] is None and right[1] is None:
            try:
                return apply(left[0], right[0]), None
            except ZeroDivisionError:
                return 0, None
        lfn, rfn = self.as_fn(left), self.as_fn(right)
        if name[:1] in ("/", "%"):
            def guarded(raw, u):
                try:
                    return apply(lfn(raw, u), rfn(raw, u))
                except ZeroDivisionError:  # perf dies of SIGFPE here
                    return 0
            return None, guarded
        if left[1] is None:
            lc = left[0]
            return None, lambda raw, u: apply(lc, rfn(raw, u))
        if right[1] is None:
            rc = right[0]
            return None, lambda raw, u: apply(lfn(raw, u), rc)
        return None, lambda raw, u: apply(lfn(raw, u), rfn(raw, u))

    def conditional(self, node):
        cond = self.num(node.left)
        colon = node.right
        when_true = self.num(colon.left)
        when_false = self.num(colon.right)
        if cond[1] is None:
            return when_true if cond[0] else when_false
        cfn, tfn, ffn = cond[1], self.as_fn(when_true), self.as_fn(when_false)
        return None, lambda raw, u: tfn(raw, u) if cfn(raw, u) else ffn(raw, u)

    def index(self, node):
        """REC->array[i] (and casts of it): one element, as libtraceevent
        reads it (element size of the field, or a long for dynamic arrays)."""
        right = self.num(node.right)
        base, typearg = node.left, None
        while type(base) is Cast:
            if typearg is None:
                typearg = base
            base = base.item
        event = self.event
        if type(base) is FieldRef:
            f = event.find_any_field(base.name)
            if f is None:
                say = self.warner("eval_num_arg: field %s not found" % base.name)
                rfn = self.as_fn(right)

                def missing(raw, u):
                    rfn(raw, u)
                    say()
                    return 0
                return None, missing
            size, step, start = f.elementsize, f.elementsize, f.offset
            if right[1] is None:
                value = self.number_reader(start + right[0] * step, size)
            else:
                rfn, read = right[1], self.dynamic_reader(size)
                value = None, lambda raw, u: read(raw, (start + rfn(raw, u) * step) & _U64)
        elif type(base) is DynamicArray:
            f = event.find_field(base.field)
            size = f.elementsize or self.long_size
            desc = self.as_fn(self.number_reader(f.offset, f.size))
            rfn, read = self.as_fn(right), self.dynamic_reader(size)
            value = None, lambda raw, u: read(raw, ((desc(raw, u) & 0xFFFF) + rfn(raw, u)) & _U64)
        else:
            lfn, rfn = self.as_fn(self.num(node.left)), self.as_fn(right)
            say = self.warner("eval_num_arg: unknown op '['")

            def unknown(raw, u):
                lfn(raw, u)
                rfn(raw, u)
                say()
                return 0
            return None, unknown
        if typearg is None:
            return value
        type_name = typearg.type
        vfn = self.as_fn(value)
        if not type_name.endswith("*"):
            say = self.warner("pointer expected with non pointer type", event_prefix=False)

            def not_pointer(raw, u):
                result = vfn(raw, u)
                say()
                return result
            return None, not_pointer
        target = type_name[:-2]
        return None, lambda raw, u: eval_type_str(vfn(raw, u), target)

    # --- strings (print_str_arg) ---------------------------------------

    def string(self, node, fmt, star):
        """fn(raw, u, width) -> bytes for a %s conversion of node."""
        kind = type(node)
        if kind is Atom:
            text = _to_bytes(node.text)
            if not star:
                value = fmt(text)
                return lambda raw, u, w: value
            return lambda raw, u, w: fmt(text, w)
        if kind is FieldRef:
            return self.string_field(node, fmt)
        if kind is Flags:
            return self.flags(node, fmt, star)
        if kind is Symbolic:
            return self.symbolic(node, fmt, star)
        if kind is Hex or kind is HexStr:
            return self.hex(node)
        if kind is IntArray:
            return self.int_array(node)
        if kind is StrRef:
            return self.str_ref(node, fmt)
        if kind is Bitmask or kind is Cpumask:
            return self.bitmask(node, fmt)
        if kind is Op:
            if node.op[:1] != "?":
                return lambda raw, u, w: b""
            cond = self.num(node.left)
            when_true = self.string(node.right.left, fmt, star)
            when_false = self.string(node.right.right, fmt, star)
            if cond[1] is None:
                return when_true if cond[0] else when_false
            cfn = cond[1]
            return lambda raw, u, w: when_true(raw, u, w) if cfn(raw, u) else when_false(raw, u, w)
        return lambda raw, u, w: b""

    def string_field(self, node, fmt):
        f = self.event.find_any_field(node.name)
        if f is None:
            say = self.warner("print_str_arg: field %s not found" % node.name)

            def missing(raw, u, w):
                say()
                return b""
            return missing
        if not f.is_array and f.size == self.long_size:
            # A pointer into the printk formats (read in host order).
            index = self.read(f.offset, "<Q" if self.long_size == 8 else "<I")
            printk = {addr: _to_bytes(text) for addr, text in self.printk.items()}
            get = printk.get

            def pointer(raw, u, w):
                addr = u[index]
                text = get(addr)
                return text if text is not None else b"%x" % addr
            return pointer
        start, size = f.offset, f.size
        if size:
            index = self.read(start, "%ds" % size)

            def chars(raw, u, w):
                value = u[index]
                nul = value.find(0)
                return fmt(value if nul < 0 else value[:nul], w)
            return chars

        def rest(raw, u, w):
            value = raw[start:]
            nul = value.find(0)
            return fmt(value if nul < 0 else value[:nul], w)
        return rest

    def flags(self, node, fmt, star):
        vfn = self.as_fn(self.num(node.value))
        delim = None if node.delim is None else _to_bytes(node.delim)
        entries = [(flag_value(e.value), _to_bytes(e.text)) for e in node.entries]

        def text_of(value, w):
            value = to_s64(value)
            out = []
            printed = False
            for fval, text in entries:
                if not value and fval < 0:
                    out.append(fmt(text, w))
                    break
                if fval > 0 and (value & fval) == fval:
                    if printed and delim is not None:
                        out.append(delim)
                    out.append(fmt(text, w))
                    printed = True
                    value &= ~fval
            if value:
                if printed and delim is not None:
                    out.append(delim)
                out.append(b"0x%x" % (value & _U64))
            return b"".join(out)
        return self.memoized(vfn, text_of, star)

    def symbolic(self, node, fmt, star):
        vfn = self.as_fn(self.num(node.value))
        table = {}
        for e in node.entries:
            table.setdefault(flag_value(e.value) & _U64, _to_bytes(e.text))

        def text_of(value, w):
            text = table.get(value)
            if text is None:
                return b"0x%x" % value
            return fmt(text, w)
        return self.memoized(vfn, text_of, star)

    def memoized(self, vfn, text_of, star):
        if star:
            return lambda raw, u, w: text_of(vfn(raw, u), w)
        memo = {}
        get = memo.get

        def cached(raw, u, w):
            value = vfn(raw, u)
            text = get(value)
            if text is None:
                if len(memo) >= _MEMO_LIMIT:
                    memo.clear()
                text = memo[value] = text_of(value, None)
            return text
        return cached

    def buffer_start(self, node, who):
        """fn(raw, u) -> start offset of __print_hex/__print_array data, or
        None and a warning function when the field does not exist."""
        if type(node) is DynamicArray:
            f = self.event.find_field(node.field)
            desc = self.as_fn(self.number_reader(f.offset, f.size))
            return lambda raw, u: desc(raw, u) & 0xFFFF
        if type(node) is FieldRef:
            f = self.event.find_any_field(node.name)
            if f is None:
                return self.warner("print_str_arg: field %s not found" % node.name)
            offset = f.offset
            return lambda raw, u: offset
        return None

    def hex(self, node):
        start = self.buffer_start(node.field, "hex")
        if start is None:
            return lambda raw, u, w: b""
        sep = b" " if type(node) is Hex else b""
        count = self.as_fn(self.num(node.size))
        if start.__code__.co_argcount == 0:
            def missing(raw, u, w):
                start()
                return b""
            return missing

        def hex_text(raw, u, w):
            first = start(raw, u)
            n = to_s32(count(raw, u))
            if n <= 0:
                return b""
            return sep.join(b"%02x" % b for b in raw[first:first + n])
        return hex_text

    def int_array(self, node):
        start = self.buffer_start(node.field, "array")
        if start is None:
            return lambda raw, u, w: b""
        if start.__code__.co_argcount == 0:
            def missing(raw, u, w):
                start()
                return b""
            return missing
        count = self.as_fn(self.num(node.count))
        el_size = self.as_fn(self.num(node.el_size))
        readers = {size: struct.Struct("<" + code).unpack_from
                   for size, code in _SCALAR.items()}

        def array_text(raw, u, w):
            pos = start(raw, u)
            n = to_s32(count(raw, u))
            size = to_s32(el_size(raw, u))
            out = []
            for _ in range(max(n, 0)):
                reader = readers.get(size)
                if reader is None:
                    byte = raw[pos] if 0 <= pos < len(raw) else 0
                    out.append(b"BAD SIZE:%d 0x%x" % (size, byte))
                    size = 1
                elif 0 <= pos and pos + size <= len(raw):
                    out.append(b"%d" % reader(raw, pos)[0])
                else:
                    break
                pos += size
            return b" ".join(out)
        return array_text

    def str_ref(self, node, fmt):
        f = self.event.find_any_field(node.field)
        if f is None:
            return lambda raw, u, w: b""
        index = self.read(f.offset, "I")
        base = f.offset + f.size if f.is_relative else 0

        def get_str(raw, u, w):
            start = (u[index] & 0xFFFF) + base
            end = raw.find(0, start)
            return fmt(raw[start:end] if end >= 0 else raw[start:], w)
        return get_str

    def bitmask(self, node, fmt):
        f = self.event.find_any_field(node.field)
        if f is None:
            return lambda raw, u, w: b""
        index = self.read(f.offset, "I")
        base = f.offset + f.size if f.is_relative else 0
        big = self.big_endian

        def mask_text(raw, u, w):
            desc = u[index]
            start = (desc & 0xFFFF) + base
            return fmt(ptr.bitmask(raw[start:start + (desc >> 16)], big), w)
        return mask_text

    # --- pointers (print_arg_pointer) ----------------------------------

    def pointer(self, node, spec, star_fn):
        """fn(raw, u, width) -> bytes for a %p... conversion."""
        suffix = spec[spec.index("p") + 1:]
        first = suffix[:1]
        if first in ("F", "f", "S", "s"):
            return self.function(node, first in ("F", "S"))
        if first in ("M", "m"):
            return self.mac(node, suffix)
        if first in ("I", "i"):
            return self.ip(node, suffix)
        if first == "U":
            return self.uuid(node, suffix)
        if first == "h":
            return self.raw_buffer(node, suffix, star_fn)
        vfn = self.as_fn(self.num(node))

        def plain(raw, u, w):
            value = vfn(raw, u)
            return b"0x%x" % value if value else b"(nil)"
        return plain

    def function(self, node, with_offset):
        vfn = self.as_fn(self.num(node))
        symbolize = self.symbolize

        def text_of(value, w):
            found = symbolize(value) if symbolize is not None else None
            if found is None:
                return b"0x%x" % value
            name, offset = found
            name = _to_bytes(name) if isinstance(name, str) else bytes(name)
            return name + b"+0x%x" % offset if with_offset else name
        return self.memoized(vfn, text_of, False)

    def field_arg(self, node, who, event_prefix=True):
        """(field or None, error fn) for the %pM/%pI/%pU family."""
        if type(node) is not FieldRef:
            text = b"ARG TYPE NOT FIELD BUT %d" % _ARG_TYPE.get(type(node), 0)
            return None, lambda raw, u, w: text
        f = self.event.find_any_field(node.name)
        if f is None:
            say = self.warner("%s: field %s not found" % (who, node.name), event_prefix)

            def missing(raw, u, w):
                say()
                return b""
            return None, missing
        return f, None

    def mac(self, node, suffix):
        f, error = self.field_arg(node, "print_mac_arg")
        if f is None:
            return error
        if f.size != 6:
            return lambda raw, u, w: b"INVALIDMAC"
        sep = b"" if suffix[0] == "m" else (b"-" if suffix[1:2] == "F" else b":")
        reverse = suffix[1:2] == "R"
        index = self.read(f.offset, "6s")
        return lambda raw, u, w: ptr.mac(u[index], sep, reverse)

    def ip(self, node, suffix):
        lower = suffix[0] == "i"
        version = suffix[1:2]
        rest = suffix[2:]
        if version == "4":
            f, error = self.field_arg(node, "print_ipv4_arg", False)
            if f is None:
                return error
            reverse = _ip4_reverse(rest, self.big_endian)
            if f.size != 4:
                return lambda raw, u, w: b"INVALIDIPv4"
            index = self.read(f.offset, "4s")
            return lambda raw, u, w: ptr.ipv4(u[index], lower, reverse)
        if version == "6":
            f, error = self.field_arg(node, "print_ipv6_arg", False)
            if f is None:
                return error
            if f.size != 16:
                return lambda raw, u, w: b"INVALIDIPv6"
            index = self.read(f.offset, "16s")
            if not lower and rest[:1] == "c":
                return lambda raw, u, w: ptr.ipv6_compressed(u[index])
            return lambda raw, u, w: ptr.ipv6_full(u[index], not lower)
        if version == "S":
            have_p = have_c = False
            if not lower:
                if rest[:1] == "p":
                    have_p, rest = True, rest[1:]
                if rest[:1] == "c":
                    have_c, rest = True, rest[1:]
            reverse = _ip4_reverse(rest, self.big_endian)
            f, error = self.field_arg(node, "print_ipsa_arg", False)
            if f is None:
                return error
            start, size = f.offset, f.size

            def sockaddr(raw, u, w):
                return ptr.sockaddr(raw[start:start + max(size, 28)], size, lower,
                                    have_p, have_c, reverse)
            return sockaddr
        return lambda raw, u, w: b""

    def uuid(self, node, suffix):
        variant = suffix[1:2]
        upper = variant in ("L", "B")
        guid = variant in ("L", "l")
        f, error = self.field_arg(node, "print_uuid_arg", False)
        if f is None:
            return error
        if f.size != 16:
            return lambda raw, u, w: b"INVALIDUUID"
        index = self.read(f.offset, "16s")
        return lambda raw, u, w: ptr.uuid(u[index], upper, guid)

    def raw_buffer(self, node, suffix, star_fn):
        sep = {"C": b":", "D": b"-", "N": b""}.get(suffix[1:2], b" ")
        if type(node) is not DynamicArray:
            text = b"ARG TYPE NOT FIELD BUT %d" % _ARG_TYPE.get(type(node), 0)
            return lambda raw, u, w: text
        f = self.event.find_field(node.field)
        desc = self.as_fn(self.number_reader(f.offset, f.size))

        def buffer_text(raw, u, w):
            value = desc(raw, u)
            length = value >> 16
            start = value & 0xFFFF
            count = min(1 if w is None else w, length)
            if count < 1:
                return b""
            return ptr.raw_buffer(raw[start:start + count], count, sep)
        return buffer_text


# ------------------------------------------------------------ assembly

_MAX_RECORD = 1 << 20


def _struct_reader(reads, order):
    """fn(raw) -> tuple of the (offset, code) reads, in the order given; raw
    must hold every read. One Struct when the reads do not overlap."""
    items = []
    for offset, code in reads:
        if code[:1] in "<>":
            items.append((code[0], offset, code[1:]))
        else:
            items.append((order, offset, code))
    if not items:
        return lambda raw: ()
    ranked = sorted(range(len(items)), key=lambda i: (items[i][0], items[i][1]))
    groups, current, cursor, group_order = [], [], None, None
    for i in ranked:
        item_order, offset, code = items[i]
        size = struct.calcsize(item_order + code)
        if current and (item_order != group_order or offset < cursor):
            groups.append((group_order, current))
            current = []
        if not current:
            group_order, cursor = item_order, 0
        current.append((i, offset, code))
        cursor = offset + size
    groups.append((group_order, current))
    unpackers, positions = [], [0] * len(items)
    produced = 0
    for group_order, members in groups:
        fmt, cursor = [group_order], 0
        for i, offset, code in members:
            if offset > cursor:
                fmt.append("%dx" % (offset - cursor))
            fmt.append(code)
            cursor = offset + struct.calcsize(group_order + code)
            positions[i] = produced
            produced += 1
        unpackers.append(struct.Struct("".join(fmt)).unpack_from)
    identity = positions == list(range(len(items)))
    if len(unpackers) == 1 and identity:
        return unpackers[0]
    if len(unpackers) == 1:
        import operator
        pick = operator.itemgetter(*positions)
        only = unpackers[0]
        if len(positions) == 1:
            return lambda raw: (only(raw)[0],)
        return lambda raw: pick(only(raw))

    def read_all(raw):
        values = ()
        for unpack in unpackers:
            values += unpack(raw)
        return tuple(values[p] for p in positions)
    return read_all


def make_renderer(event, *, long_size=None, big_endian=None, printk=None,
                  symbolize=None, warn=None):
    """fn(raw) -> str: the text perf 6.1 prints for one record of `event`.

    raw is the tracepoint payload (sample.raw: bytes, bytearray or memoryview);
    long_size / big_endian describe the recording (TracingData.long_size and
    .big_endian; default: the event's own); printk maps addresses to printk
    format strings (TracingData.printk); symbolize(addr) -> (name, offset) or
    None resolves kernel addresses for %pS/%ps/%pF/%pf; warn(text) receives
    libtraceevent's warnings (text without perf's two-space indent).
    The function has a `.bytes(raw)` attribute returning the undecoded bytes.
    """
    if long_size is None:
        long_size = event.long_size
    if big_endian is None:
        big_endian = event.big_endian
    if warn is None:
        warn = _ignore
    for text in event.warnings:
        warn(text)
    if event.failed:
        render_bytes = _failed_renderer(event, big_endian)
    else:
        render_bytes = _compile(event, long_size, big_endian, printk, symbolize, warn)

    def render(raw):
        return render_bytes(raw).decode("utf-8", "surrogateescape")
    render.bytes = render_bytes
    return render


def _ignore(text):
    return None


def _compile(event, long_size, big_endian, printk, symbolize, warn):
    comp = _Compiler(event, long_size, big_endian, printk, symbolize, warn)
    fmt_parts, fns = [], []
    for item in event.print_items:
        if item.kind == TEXT:
            fmt_parts.append(_to_bytes(item.text).replace(b"%", b"%%"))
            continue
        fn, const = _conversion(comp, item)
        if const is not None:
            fmt_parts.append(const.replace(b"%", b"%%"))
        else:
            fmt_parts.append(b"%s")
            fns.append(fn)
    fmt = b"".join(fmt_parts)
    reads = [(o, c) for o, c in comp.reads]
    order = comp.order
    need = 0
    for offset, code in reads:
        plain = code[1:] if code[:1] in "<>" else code
        need = max(need, offset + struct.calcsize("<" + plain))
    if need > _MAX_RECORD:
        raise ValueError("%s:%s: field beyond any record" % (event.system, event.name))
    unpack = _struct_reader(reads, order)
    fns = tuple(fns)
    if not fns:
        text = fmt.replace(b"%%", b"%")
        return lambda raw: text

    def render(raw):
        if type(raw) is not bytes:
            raw = bytes(raw)
        if len(raw) < need:
            raw = raw + bytes(need - len(raw))
        u = unpack(raw)
        return fmt % tuple([f(raw, u) for f in fns])
    return render


def _conversion(comp, item):
    """(fn(raw, u) -> bytes, None) for one conversion, or (None, bytes) when
    its text never changes."""
    star = None
    if item.width_arg is not None:
        const, fn = comp.num(item.width_arg)
        star = (lambda raw, u, c=to_s32(const): c) if fn is None else \
            (lambda raw, u, f=fn: to_s32(f(raw, u)))
    if item.kind == NUMBER:
        spec = cfmt.Spec(item.text)
        convert = cfmt.int_converter(spec, item.length)
        show = cfmt.int_formatter(spec)
        const, vfn = comp.num(item.arg)
        if star is None:
            if vfn is None:
                return None, show(convert(const))
            return (lambda raw, u: show(convert(vfn(raw, u)))), None
        if vfn is None:
            vfn = _const(const)
        return (lambda raw, u: show(convert(vfn(raw, u)), star(raw, u))), None
    if item.kind == STRING:
        fmt = cfmt.string_formatter(item.text)
        inner = comp.string(item.arg, fmt, star is not None)
    else:
        inner = comp.pointer(item.arg, item.text, star)
    if star is None:
        return (lambda raw, u: inner(raw, u, None)), None
    return (lambda raw, u: inner(raw, u, star(raw, u))), None


# ---------------------------------------------------- [FAILED TO PARSE]

_C_PRINTABLE = frozenset(range(0x20, 0x7F)) | frozenset(b"\t\n\v\f\r")


def _printable(chunk):
    """libtraceevent's is_printable_array (C locale: bytes >= 0x80 are not)."""
    for byte in chunk:
        if not byte:
            return True
        if byte not in _C_PRINTABLE:
            return False
    return True


def _failed_renderer(event, big_endian):
    """"[FAILED TO PARSE]" and ` name=value` for every field (tep_print_fields)."""
    order = ">" if big_endian else "<"
    readers = {size: struct.Struct(order + code).unpack_from for size, code in _SCALAR.items()}

    def number(raw, offset, size):
        reader = readers.get(size)
        if reader is None or offset + size > len(raw):
            return 0
        return reader(raw, offset)[0]

    fields = event.fields

    def render(raw):
        raw = bytes(raw)
        out = [b"[FAILED TO PARSE]"]
        for f in fields:
            out.append(b" %s=" % _to_bytes(f.name))
            if f.is_array:
                offset, length = f.offset, f.size
                if f.is_dynamic:
                    value = number(raw, offset, length)
                    offset, length = value & 0xFFFF, (value >> 16) & 0xFFFF
                    if f.is_relative:
                        offset += f.offset + f.size
                chunk = raw[offset:offset + length]
                if f.is_string and _printable(chunk):
                    end = raw.find(0, offset)
                    out.append(raw[offset:end] if end >= 0 else raw[offset:])
                else:
                    out.append(b"ARRAY[" + b", ".join(b"%02x" % b for b in chunk) + b"]")
                    f.is_string = False
                continue
            value = number(raw, f.offset, f.size)
            if f.is_pointer:
                out.append(b"0x%x" % value)
            elif f.is_signed:
                if f.size == 4:
                    out.append(b"0x%x" % value if f.is_long else b"%d" % to_s32(value))
                elif f.size == 2:
                    out.append(b"%2d" % (value - 0x10000 if value & 0x8000 else value))
                elif f.size == 1:
                    out.append(b"%1d" % (value - 0x100 if value & 0x80 else value))
                else:
                    out.append(b"%d" % to_s64(value))
            elif f.is_long:
                out.append(b"0x%x" % value)
            else:
                out.append(b"%d" % value)
        return b"".join(out)
    return render


def _ip4_reverse(flags, big_endian):
    first = flags[:1]
    if first == "h":
        return not big_endian
    return first == "l"


def _shl(a, b):
    return (a << (b & 63)) & _U64


def _shr(a, b):
    return a >> (b & 63)


def _binary(op):
    """The C operation eval_num_arg applies for operator text op (it looks at
    the first two characters only: '&=' is a logical and, '+=' an addition),
    or None for an operator it does not know."""
    first, second = op[:1], op[1:2]
    if first == "!":
        if not second:
            return lambda a, b: int(not b)
        return (lambda a, b: int(a != b)) if second == "=" else None
    if first == "~":
        return lambda a, b: ~b & _U64
    if first == "|":
        return (lambda a, b: int(bool(a or b))) if second else (lambda a, b: a | b)
    if first == "&":
        return (lambda a, b: int(bool(a and b))) if second else (lambda a, b: a & b)
    if first == "<":
        return {"": lambda a, b: int(a < b), "<": _shl,
                "=": lambda a, b: int(a <= b)}.get(second)
    if first == ">":
        return {"": lambda a, b: int(a > b), ">": _shr,
                "=": lambda a, b: int(a >= b)}.get(second)
    if first == "=":
        return (lambda a, b: int(a == b)) if second == "=" else None
    return {
        "-": lambda a, b: (a - b) & _U64,
        "+": lambda a, b: (a + b) & _U64,
        "*": lambda a, b: (a * b) & _U64,
        "/": lambda a, b: a // b,
        "%": lambda a, b: a % b,
    }.get(first)
