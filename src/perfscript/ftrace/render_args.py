"""Compiling print_fmt arguments into closures that evaluate them the way
perf 6.1's bundled libtraceevent does (eval_num_arg, print_str_arg,
print_arg_pointer and their helpers).

Each argument becomes fn(raw, u): `raw` is the record's bytes, `u` the tuple
of every fixed-offset scalar the event's conversions need, read with one
struct unpack (ArgCompiler.read hands out the indexes). Libtraceevent's
semantics kept on purpose:

- every value is an unsigned 64-bit number: comparisons are unsigned, casts
  only mask ((int) of -1 is 0xffffffff); operators are chosen by their first
  two characters ('^' is unknown: a warning and 0);
- `REC->arr[i]` reads the field's element size; a cast to a pointer type in
  front of it masks to the pointed-to type; anything else indexed is unknown;
- `__print_flags` prints the entries whose bits are all set (a zero value only
  an entry named by a symbol perf cannot evaluate), leftover bits as 0x..;
  `__print_symbolic` the first equal entry, else 0x..; an entry named by an
  unknown symbol has the value -1;
- `%s` of a long-sized non-array field is looked up in the printk formats
  (host byte order) and else printed in hex without 0x; `%s` of a cast, of
  __get_dynamic_array() or of an operator other than ?: prints nothing;
- `__print_hex`, `__print_array` and `%*ph` ignore __rel_loc; `__print_array`
  reads elements in host order and separates them with spaces;
- %pS/%pF add +0xoffset, %ps/%pf print the name only, an unknown address is
  0x..; %pM/%pI/%pU need a plain field ("ARG TYPE NOT FIELD BUT n"
  otherwise) of the right size ("INVALIDMAC"...); plain %p is glibc's.

Warnings go to warn(text) each time they happen, as libtraceevent prints them
each time; closures that warn or read raw bytes mark the conversion impure
(so it is never cached).
"""

import struct

from .cnum import strtoull, to_s32, to_s64
from .format import MAX_RECORD, in_reach
from .printast import (
    Atom, Bitmask, Call, Cast, Cpumask, DynamicArray, DynamicArrayLen, FieldRef,
    Flags, Hex, HexStr, IntArray, Null, Op, StrRef, Symbolic,
)
from .printfmt import eval_type_str, type_mask
from . import render_cfmt as cfmt
from . import render_ptr as ptr
from .symbols import FLAG_NAMES

_U64 = (1 << 64) - 1
SCALAR = {1: "B", 2: "H", 4: "I", 8: "Q"}
SIGNED = {1: "b", 2: "h", 4: "i", 8: "q"}
MEMO_LIMIT = 4096

# libtraceevent's print argument type numbers ("ARG TYPE NOT FIELD BUT %d").
_ARG_TYPE = {
    Null: 0, Atom: 1, FieldRef: 2, Flags: 3, Symbolic: 4, Hex: 5, IntArray: 6,
    Cast: 7, StrRef: 8, DynamicArray: 10, Op: 11, Call: 12, Bitmask: 13,
    DynamicArrayLen: 14, HexStr: 15, Cpumask: 13,
}

def flag_value(text):
    """libtraceevent's eval_flag() while printing: a number, one of the few
    softirq/hrtimer symbols it knows, or -1 for any other symbol (perf's
    define_* walk uses 0 there instead: symbols.eval_flag)."""
    if text[:1].isascii() and text[:1].isdigit():
        return to_s64(strtoull(text))
    return FLAG_NAMES.get(text, -1)


def to_bytes(text):
    return text.encode("utf-8", "surrogateescape")


def const_fn(value):
    return lambda raw, u: value


class ArgCompiler:
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
        self.needs_size = False
        self.used = set()     # u indexes read by the conversion being compiled
        self.impure = False   # it reads raw bytes or warns: not memoizable

    # --- scalar reads --------------------------------------------------

    def read(self, offset, code):
        """Index in u of the value at offset read with a struct code (in the
        file's byte order unless the code starts with '<' or '>')."""
        key = (offset, code)
        index = self.read_index.get(key)
        if index is None:
            index = self.read_index[key] = len(self.reads)
            self.reads.append(key)
        self.used.add(index)
        return index

    def number_reader(self, offset, size):
        """(const, fn) reading an unsigned number as tep_read_number does
        (sizes other than 1, 2, 4 and 8 read as 0)."""
        code = SCALAR.get(size)
        if code is None:
            return 0, None
        if not 0 <= offset <= MAX_RECORD - size:
            # beyond any record: only the caller's tail could hold it
            read = self.dynamic_reader(size)
            return None, lambda raw, u: read(raw, offset)
        index = self.read(offset, code)
        return None, lambda raw, u: u[index]

    def dynamic_reader(self, size):
        """fn(raw, offset) -> number at a computed offset (0 past the end)."""
        self.impure = True
        code = SCALAR.get(size)
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
        self.impure = True
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
            mask = type_mask(type_name)
            if mask is None:
                return None, fn
            return None, lambda raw, u: fn(raw, u) & mask
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
        return const_fn(const) if fn is None else fn

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
        mask = type_mask(type_name[:-2])
        if mask is None:
            return None, vfn
        return None, lambda raw, u: vfn(raw, u) & mask

    # --- strings (print_str_arg) ---------------------------------------

    def string(self, node, fmt, star):
        """fn(raw, u, width) -> bytes for a %s conversion of node."""
        kind = type(node)
        if kind is Atom:
            text = to_bytes(node.text)
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
            printk = {addr: to_bytes(text) for addr, text in self.printk.items()}
            get = printk.get

            def pointer(raw, u, w):
                addr = u[index]
                text = get(addr)
                return text if text is not None else b"%x" % addr
            return pointer
        start, size = f.offset, f.size
        if size & 0x80000000:
            # perf reads the size as a negative int: its copy fails, it prints nothing
            return lambda raw, u, w: fmt(b"", w)
        if not in_reach(f):
            # beyond any record: what of it the record holds, up to the NUL
            self.impure = True
            end = start + size
            return lambda raw, u, w: fmt(raw[start:end].partition(b"\0")[0], w)
        if size:
            index = self.read(start, "%ds" % size)
            if fmt is cfmt.plain_string:
                return lambda raw, u, w: u[index].partition(b"\0")[0]
            return lambda raw, u, w: fmt(u[index].partition(b"\0")[0], w)

        self.needs_size = self.impure = True

        def rest(raw, u, w):
            value = raw[start:u[-1]]
            nul = value.find(0)
            return fmt(value if nul < 0 else value[:nul], w)
        return rest

    def flags(self, node, fmt, star):
        vfn = self.as_fn(self.num(node.value))
        delim = None if node.delim is None else to_bytes(node.delim)
        entries = [(flag_value(e.value), to_bytes(e.text)) for e in node.entries]

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
            table.setdefault(flag_value(e.value) & _U64, to_bytes(e.text))

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
                if len(memo) >= MEMO_LIMIT:
                    memo.clear()
                text = memo[value] = text_of(value, None)
            return text
        return cached

    def buffer_start(self, node):
        """(fn(raw, u) -> where the data of __print_hex/__print_array starts,
        None), or (None, fn(raw, u, w) -> b"") when there is no such data
        (perf 6.1 ignores __rel_loc here)."""
        if type(node) is DynamicArray:
            f = self.event.find_field(node.field)
            desc = self.as_fn(self.number_reader(f.offset, f.size))
            return (lambda raw, u: desc(raw, u) & 0xFFFF), None
        if type(node) is FieldRef:
            f = self.event.find_any_field(node.name)
            if f is not None:
                offset = f.offset
                return (lambda raw, u: offset), None
            say = self.warner("print_str_arg: field %s not found" % node.name)

            def missing(raw, u, w):
                say()
                return b""
            return None, missing
        # libtraceevent reads another argument type as a field: garbage
        return None, lambda raw, u, w: b""

    def hex(self, node):
        self.impure = True
        start, missing = self.buffer_start(node.field)
        if start is None:
            return missing
        sep = b" " if type(node) is Hex else b""
        count = self.as_fn(self.num(node.size))

        def hex_text(raw, u, w):
            first = start(raw, u)
            n = to_s32(count(raw, u))
            if n <= 0:
                return b""
            return sep.join(b"%02x" % b for b in raw[first:first + n])
        return hex_text

    def int_array(self, node):
        self.impure = True
        start, missing = self.buffer_start(node.field)
        if start is None:
            return missing
        count = self.as_fn(self.num(node.count))
        el_size = self.as_fn(self.num(node.el_size))
        readers = {size: struct.Struct("<" + code).unpack_from
                   for size, code in SCALAR.items()}

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
        self.impure = True
        f = self.event.find_any_field(node.field)
        if f is None:
            return lambda raw, u, w: b""
        if not in_reach(f):     # a descriptor no record holds: an empty string
            return lambda raw, u, w: fmt(b"", w)
        index = self.read(f.offset, "I")
        base = f.offset + f.size if f.is_relative else 0

        def get_str(raw, u, w):
            start = (u[index] & 0xFFFF) + base
            end = raw.find(0, start)
            return fmt(raw[start:end] if end >= 0 else raw[start:], w)
        return get_str

    def bitmask(self, node, fmt):
        self.impure = True
        f = self.event.find_any_field(node.field)
        if f is None:
            return lambda raw, u, w: b""
        if not in_reach(f):
            return lambda raw, u, w: fmt(b"", w)
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
            name = to_bytes(name) if isinstance(name, str) else bytes(name)
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
            self.impure = True

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
        self.impure = True
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
