"""The text perf 6.1 prints for a tracepoint record (after `event-name: `).

`make_renderer(event, ...)` compiles an EventFormat's print_fmt once into a
function raw -> str reproducing perf 6.1's bundled libtraceevent
(pretty_print): literal text, then each conversion evaluated as
render_args describes and printed as glibc's printf prints it
(render_cfmt, render_ptr). An event that failed to parse prints
"[FAILED TO PARSE]" and every field the way tep_print_fields does.

Per record the work is one struct unpack of every fixed-offset scalar the
conversions need, one small closure per conversion that computes something,
and one bytes %-format:

- a numeric conversion of a plain field (or of a constant element of a fixed
  array) is read by the struct in the signedness and width printf would see
  and formatted by Python's % directly, when Python's % agrees with glibc;
- a conversion whose text depends only on a few fixed fields (flags and
  symbol tables, ternaries, casts, %pS, %pM...) is cached by their values;
  caches that keep missing are dropped.

Warnings libtraceevent prints while printing (missing fields, unknown
operators) go to `warn(text)` each time, as perf prints them; the event's
parse warnings (e.g. "function X not defined") once, when the renderer is
made.

Output is built as bytes (C strings: widths count bytes) and returned decoded
with UTF-8/surrogateescape, so `text.encode("utf-8", "surrogateescape")` gives
perf's exact bytes; `renderer.bytes(raw)` skips the decoding. Where perf reads
past the record (a length larger than its array, a string without NUL) the
caller may pass the bytes that follow it as `tail`; without them, reads stop at
the end of the record (missing bytes read as zero), and nothing is allocated
for the part of a field that lies beyond it, whatever size the format claims.
"""

import operator
import struct

from .cnum import strtoull, to_s32, to_s64
from .format import MAX_RECORD
from .printfmt import type_mask
from .printast import Atom, Cast, FieldRef, Op, StrRef
from .printitems import NUMBER, POINTER, STRING, TEXT
from .render_args import (
    MEMO_LIMIT, SCALAR, SIGNED, ArgCompiler, const_fn, to_bytes,
)
from . import render_cfmt as cfmt


# ------------------------------------------------------------ assembly


def _struct_reader(reads, order):
    """(fn(raw) -> tuple of the (offset, code) reads in the order given, the
    bytes raw must hold for it, fn for a shorter raw). Reads that cannot be in
    a record (ending beyond MAX_RECORD) are done one by one, the others with
    one Struct per run of non-overlapping reads. The short-raw reader does each
    read on its own, bytes past the end of raw read as zero: it pads no more
    than one read's size (a scalar, a MAC/IP/UUID, or a string array that fits
    in MAX_RECORD), however far the reads' offsets are."""
    items, far, singles = [], [], []
    for index, (offset, code) in enumerate(reads):
        item_order, code = (code[0], code[1:]) if code[:1] in "<>" else (order, code)
        one = struct.Struct(item_order + code)
        singles.append((one.unpack_from, offset, one.size))
        if offset + one.size > MAX_RECORD:
            far.append((index, one.unpack_from, offset, one.size))
        else:
            items.append((index, item_order, offset, code, one.size))

    def read_short(raw):
        end = len(raw)
        return tuple(unpack(raw, offset)[0] if offset + size <= end
                     else unpack(raw[offset:end] + bytes(size))[0] if offset < end
                     else unpack(bytes(size))[0]
                     for unpack, offset, size in singles)
    need = max((offset + size for _, _, offset, _, size in items), default=0)
    items.sort(key=lambda item: (item[1], item[2]))
    groups, current, cursor, group_order = [], [], 0, None
    for item in items:
        if current and (item[1] != group_order or item[2] < cursor):
            groups.append((group_order, current))
            current = []
        if not current:
            group_order = item[1]
        current.append(item)
        cursor = item[2] + item[4]
    if current:
        groups.append((group_order, current))
    unpackers, positions = [], [0] * len(reads)
    produced = 0
    for group_order, members in groups:
        fmt, cursor = [group_order], 0
        for index, _, offset, code, size in members:
            if offset > cursor:
                fmt.append("%dx" % (offset - cursor))
            fmt.append(code)
            cursor = offset + size
            positions[index] = produced
            produced += 1
        unpackers.append(struct.Struct("".join(fmt)).unpack_from)
    if not far:
        if not unpackers:
            return (lambda raw: ()), need, read_short
        if len(unpackers) == 1:
            only = unpackers[0]
            if positions == list(range(len(reads))):
                return only, need, read_short
            if len(positions) == 1:
                return (lambda raw: (only(raw)[0],)), need, read_short
            pick = operator.itemgetter(*positions)
            return (lambda raw: pick(only(raw))), need, read_short
    near = [(index, positions[index]) for index, *_ in items]

    def read_all(raw):
        values = ()
        for unpack in unpackers:
            values += unpack(raw)
        out = [None] * len(reads)
        for index, position in near:
            out[index] = values[position]
        for index, unpack, offset, size in far:
            out[index] = unpack(raw, offset)[0] if offset + size <= len(raw) \
                else unpack(bytes(size))[0]
        return tuple(out)
    return read_all, need, read_short


def format_warnings(tracing):
    """The warnings perf 6.1 prints while it reads the tracing data: those of
    every event format, in file order, whether or not the event has samples
    (perf prints each as "  " + text on stderr, the first one preceded by
    "libtraceevent: No such file or directory", the errno its plugin
    directory lookup left). Use with make_renderer(..., parse_warnings=False).
    """
    return [text for event in tracing.events.values() for text in event.warnings]


def make_renderer(event, *, long_size=None, big_endian=None, printk=None,
                  symbolize=None, warn=None, parse_warnings=True):
    """fn(raw, tail=None) -> str: the text perf 6.1 prints for one record.

    raw is the tracepoint payload (sample.raw: bytes, bytearray or memoryview);
    tail, if given, is what follows it in memory (in a perf.data file: the
    bytes after the sample), read where perf reads past the record (a length
    field larger than its array, a string without NUL);
    long_size / big_endian describe the recording (TracingData.long_size and
    .big_endian; default: the event's own); printk maps addresses to printk
    format strings (TracingData.printk); symbolize(addr) -> (name, offset) or
    None resolves kernel addresses for %pS/%ps/%pF/%pf; warn(text) receives
    libtraceevent's warnings (text without perf's two-space indent): the
    event's parse warnings now (unless parse_warnings is false: see
    format_warnings), the ones printing raises each time they happen.
    The function has a `.bytes(raw, tail=None)` attribute returning the
    undecoded bytes.
    """
    if long_size is None:
        long_size = event.long_size
    if big_endian is None:
        big_endian = event.big_endian
    if warn is None:
        warn = _ignore
    if parse_warnings:
        for text in event.warnings:
            warn(text)
    if event.failed:
        render_bytes = _failed_renderer(event, big_endian)
    else:
        render_bytes = _compile(event, long_size, big_endian, printk, symbolize, warn)

    def render(raw, tail=None):
        return render_bytes(raw, tail).decode("utf-8", "surrogateescape")
    render.bytes = render_bytes
    # texts of many records at once, for formats of plain numbers only (else None):
    # fn(block) with block a C-contiguous uint8 array (records, render.need), zero-padded
    render.batch = getattr(render_bytes, "batch", None)
    render.need = getattr(render.batch, "need", 0)
    return render


def _ignore(text):
    return None


def _compile(event, long_size, big_endian, printk, symbolize, warn):
    comp = ArgCompiler(event, long_size, big_endian, printk, symbolize, warn)
    fmt_parts, slots, fns = [], [], []
    for item in event.print_items:
        if item.kind == TEXT:
            fmt_parts.append(to_bytes(item.text).replace(b"%", b"%%"))
            continue
        comp.used, comp.impure = set(), False
        direct = _direct_number(comp, item)
        if direct is not None:
            index, pyfmt = direct
            fmt_parts.append(pyfmt)
            slots.append(index)
            continue
        fn, const = _conversion(comp, item)
        if const is None and not comp.impure and _worth_memoizing(item):
            fn, const = _memoize(fn, sorted(comp.used))
        if const is not None:
            fmt_parts.append(const.replace(b"%", b"%%"))
        else:
            fmt_parts.append(b"%s")
            slots.append(-1 - len(fns))
            fns.append(fn)
    fmt = b"".join(fmt_parts)
    if not slots:
        text = fmt % ()
        return lambda raw, tail=None: text
    reads = list(comp.reads)
    unpack, need, unpack_short = _struct_reader(reads, comp.order)
    with_size = comp.needs_size
    width = len(reads) + (1 if with_size else 0)
    positions = [slot if slot >= 0 else width + (-1 - slot) for slot in slots]
    if len(positions) == 1:
        only = positions[0]

        def pick(values):
            return (values[only],)
    elif positions == list(range(width + len(fns))):
        pick = None
    else:
        pick = operator.itemgetter(*positions)
    fns = tuple(fns)
    batch = None
    if not fns and not with_size:
        batch = _batch_renderer(reads, comp.order, need, fmt, positions)

    def render(raw, tail=None):
        if type(raw) is not bytes:
            raw = bytes(raw)
        if tail:
            size = len(raw)
            raw += bytes(tail)
        else:
            size = len(raw)
        u = unpack(raw) if len(raw) >= need else unpack_short(raw)
        if with_size:
            u += (size,)
        if fns:
            u += tuple([f(raw, u) for f in fns])
        return fmt % (u if pick is None else pick(u))
    render.batch = batch
    return render


_NUMPY_CODES = {"b": "i1", "B": "u1", "h": "i2", "H": "u2", "i": "i4", "I": "u4",
                "q": "i8", "Q": "u8"}


def _batch_renderer(reads, order, need, fmt, positions):
    """For a format whose conversions are all plain numbers read by struct: the same
    texts for a whole block of records, read with one NumPy view and formatted by
    C-level maps (or None when the format needs more). NumPy is imported at the first
    block, not here: a caller that renders record by record never pays for it."""
    if not fmt.isascii() or need > MAX_RECORD:
        return None
    names, formats, offsets = [], [], []
    for i, (offset, code) in enumerate(reads):
        item_order, code = (code[0], code[1:]) if code[:1] in "<>" else (order, code)
        np_code = _NUMPY_CODES.get(code)
        if np_code is None:
            return None
        if offset + int(np_code[1]) > need:
            return None         # a field the record's bytes do not reach: read one by one
        names.append("r%d" % i)
        formats.append(item_order + np_code)
        offsets.append(offset)
    text_fmt = fmt.decode("ascii")
    dtypes = []

    def columns(block):
        """(%-format, its argument columns) for the block: callers may splice the
        format into a longer line and format everything in one step."""
        import numpy as np
        if not dtypes:
            dtypes.append(np.dtype({"names": names, "formats": formats,
                                    "offsets": offsets, "itemsize": max(need, 1)}))
        rows = block.view(dtypes[0])[:, 0] if len(block) else np.zeros(0, dtypes[0])
        cols = [rows[name].tolist() for name in names]
        return text_fmt, [cols[p] for p in positions]

    def batch(block):
        text, args = columns(block)
        return list(map(text.__mod__, zip(*args)))

    batch.need = need
    batch.columns = columns
    return batch


def _worth_memoizing(item):
    """Conversions that compute something (flag/symbol tables, expressions,
    symbol lookups, address formatting) are cached by their inputs; a plain
    field printed with %s or %p is cheaper to redo than to look up."""
    node = item.arg
    if item.kind == POINTER:
        suffix = item.text[item.text.index("p") + 1:][:1]
        return suffix != "" or type(node) is not FieldRef
    return type(node) not in (FieldRef, Atom, StrRef)


def _memoize(fn, keys, limit=MEMO_LIMIT):
    """A pure conversion (its text depends only on the u entries `keys`)
    computed once per distinct key; (None, bytes) if it depends on nothing.
    A cache that keeps missing (addresses that never repeat) is dropped."""
    if not keys:
        return None, fn(b"", ())
    memo = {}
    get = memo.get
    misses = 0

    def miss(key, raw, u):
        nonlocal get, misses
        text = fn(raw, u)
        if get is not _no_entry:
            misses += 1
            if len(memo) >= limit:
                if misses > limit * 3 // 4:
                    get = _no_entry
                memo.clear()
                misses = 0
            else:
                memo[key] = text
        return text

    if len(keys) == 1:
        index = keys[0]

        def cached_one(raw, u):
            key = u[index]
            text = get(key)
            return miss(key, raw, u) if text is None else text
        return cached_one, None
    key_of = operator.itemgetter(*keys)

    def cached(raw, u):
        key = key_of(u)
        text = get(key)
        return miss(key, raw, u) if text is None else text
    return cached, None


def _no_entry(key):
    return None


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
            vfn = const_fn(const)
        as_int = _INT_ARGUMENT[max(-2, min(0, item.length))]

        def starred_number(raw, u):
            value, width = vfn(raw, u), star(raw, u)
            if width < 0:
                # libtraceevent then omits the '*' argument: printf takes the
                # value (as the int it was passed as) for the width, and the
                # value again, from the register that still holds it.
                width = as_int(value)
            return show(convert(value), width)
        return starred_number, None
    if item.kind == STRING:
        fmt = cfmt.string_formatter(item.text)
        inner = comp.string(item.arg, fmt, star is not None)
        if star is not None:
            # a negative '*' argument is not passed (printf would read a
            # pointer as the width); we print as if there were no '*'
            def starred_string(raw, u):
                width = star(raw, u)
                return inner(raw, u, width if width >= 0 else None)
            return starred_string, None
    else:
        inner = comp.pointer(item.arg, item.text, star)
    if star is None:
        return (lambda raw, u: inner(raw, u, None)), None
    return (lambda raw, u: inner(raw, u, star(raw, u))), None


def _sign_extend(bits):
    top = 1 << (bits - 1)
    mask = (1 << bits) - 1
    return lambda value: ((value & mask) ^ top) - top


# The int printf finds where libtraceevent passed (char), (short) or a wider
# cast of the value.
_INT_ARGUMENT = {-2: _sign_extend(8), -1: _sign_extend(16), 0: _sign_extend(32)}


_BITS = {"hh": 8, "h": 16, "": 32}
_ARG_BITS = {-2: 8, -1: 16, 0: 32}


def _direct_number(comp, item):
    """(u index, bytes %-format) when a numeric conversion of a plain field
    (or a constant element of a fixed array) can be read by the struct in the
    very form printf prints it; else None."""
    if item.kind != NUMBER or item.width_arg is not None:
        return None
    spec = cfmt.Spec(item.text)
    pyfmt = cfmt.python_int_format(spec)
    if pyfmt is None:
        return None
    node = item.arg
    while type(node) is Cast and type_mask(node.type) is None:
        node = node.item        # a cast that changes nothing (64-bit, pointer)
    if type(node) is FieldRef:
        f = comp.event.find_any_field(node.name)
        if f is None or f.size not in SCALAR:
            return None
        offset, size = f.offset, f.size
    elif type(node) is Op and node.op == "[" and type(node.left) is FieldRef \
            and type(node.right) is Atom:
        f = comp.event.find_any_field(node.left.name)
        if f is None or f.elementsize not in SCALAR:
            return None
        size = f.elementsize
        offset = f.offset + strtoull(node.right.text) * size
        if offset + size > MAX_RECORD:
            return None
    else:
        return None
    read_bits = _BITS.get(spec.length, 64)
    arg_bits = _ARG_BITS.get(item.length, 64)
    if arg_bits < read_bits and not (arg_bits == 32 and read_bits == 64):
        return None   # printf would see a sign-extended char/short
    bits = min(arg_bits, read_bits)
    signed = spec.conv in "di" and bits == read_bits
    width = bits // 8
    if size <= width:
        code = SIGNED[size] if signed and size == width else SCALAR[size]
    else:
        code = SIGNED[width] if signed else SCALAR[width]
        if comp.big_endian:
            offset += size - width
    return comp.read(offset, code), pyfmt


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
    readers = {size: struct.Struct(order + code).unpack_from for size, code in SCALAR.items()}

    def number(raw, offset, size):
        reader = readers.get(size)
        if reader is None or offset + size > len(raw):
            return 0
        return reader(raw, offset)[0]

    fields = event.fields

    def render(raw, tail=None):
        raw = bytes(raw)
        if tail:
            raw += bytes(tail)
        out = [b"[FAILED TO PARSE]"]
        for f in fields:
            out.append(b" %s=" % to_bytes(f.name))
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
