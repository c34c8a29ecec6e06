"""Per-event decoders for tracepoint payloads, with perf script's Python conversions.

Built once per event format, called once per record (the hot loop). One
struct.Struct reads every scalar field, every fixed array ('16s') and every
__data_loc/__rel_loc descriptor with a single unpack_from; only array fields
get a second step (string check through a bounded bytes->str cache, or
bytearray). The values are what perf 6.1 passes to a Python tracepoint handler:

- scalars are zero-extended; a SIGNED field goes through a C long, so only
  8-byte fields come out negative (a 4-byte -6 is 4294967290);
- scalar sizes other than 1/2/4/8 read as 0 (libtraceevent's tep_read_number);
- every ARRAY field (fixed or dynamic) is a str when the field is still
  STRING-classified and its bytes are a NUL-terminated printable string
  (kernel ctype: 0xA0-0xFF count, decoded as UTF-8), else a bytearray of all
  its bytes; the first non-string value clears the field's is_string for the
  rest of the run (perf clears the STRING flag). Where perf 6.1 crashes
  (printable but invalid UTF-8) we give the bytearray;
- fixed numeric arrays (e.g. raw_syscalls args[6]) are therefore bytearrays.

No value is read or built past the record: where perf reads beyond it (a
record shorter than the format's fixed part, a field or __data_loc data
claiming more bytes than the record holds), which cannot be reproduced, scalar
bytes past the end read as zero and array values are cut at the end of the
record; a field that ends beyond any possible record (format.MAX_RECORD) reads
only what of it lies in the record. A short record never raises, costs no more
than its fields, and is counted in `decoder.short_records` so a caller can
report it.
"""

import operator
import struct

from .cnum import to_s32
from .format import in_reach

# perf's is_printable_array() uses the kernel's ctype table, where Latin-1
# bytes 0xA0-0xFF are printable too (glibc's C locale says they are not).
_PRINTABLE = bytes(range(0x20, 0x7F)) + b"\t\n\v\f\r" + bytes(range(0xA0, 0x100))
_CACHE_LIMIT = 1 << 14
_SCALAR_CODES = {1: "B", 2: "H", 4: "I", 8: "Q"}

# Fix-up kinds applied after the single unpack.
_ARRAY, _DYNAMIC, _FAR_ARRAY = 0, 1, 2


def printable_text(chunk):
    """perf's is_printable_array() + PyUnicode_FromString(): str, or None.

    Printable bytes that are not valid UTF-8 make perf 6.1 crash (SIGSEGV);
    we return None for them, so the value becomes a bytearray instead.
    """
    if not chunk or chunk[-1]:
        return None
    text = chunk[:chunk.index(0)]
    if text.translate(None, _PRINTABLE):
        return None
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _item_size(code):
    return struct.calcsize("<" + code)


def _one_struct(items, order):
    """A Struct reading (offset, code) items in order, or None if they overlap
    or go backwards (then each item is read on its own)."""
    fmt, cursor = [order], 0
    for offset, code in items:
        if offset < cursor:
            return None
        if offset > cursor:
            fmt.append("%dx" % (offset - cursor))
        fmt.append(code)
        cursor = offset + _item_size(code)
    return struct.Struct("".join(fmt))


def _bounded_reader(items, order):
    """fn(raw) -> the tuple _tuple_reader gives, for a raw too short for it:
    each item on its own, bytes past the end of raw read as zero by scalars,
    cut off by 's' items (nothing is padded beyond what an item reads)."""
    singles = []
    for item in items:
        if item is None:
            singles.append(None)
            continue
        offset, code = item
        one = struct.Struct(order + code)
        pad = bytes(one.size) if not code.endswith("s") else None
        singles.append((one.unpack_from, offset, one.size, pad))

    def read_each(raw):
        size = len(raw)
        out = []
        for single in singles:
            if single is None:
                out.append(0)
                continue
            unpack, offset, width, pad = single
            if offset + width <= size:
                out.append(unpack(raw, offset)[0])
            elif pad is None:
                out.append(bytes(raw[offset:offset + width]))
            elif offset < size:
                out.append(unpack(bytes(raw[offset:]) + pad)[0])
            else:
                out.append(0)
        return tuple(out)
    return read_each


def _tuple_reader(items, order):
    """fn(raw) -> tuple with one value per item (None items read as 0), for a
    raw that holds every item (see _bounded_reader for the others).

    Fast path: one Struct in item order. Otherwise one Struct in offset order
    plus a reordering, or (overlapping items) one small Struct per item.
    """
    present = [(i, item) for i, item in enumerate(items) if item is not None]
    if all(item is not None for item in items[:len(present)]):
        whole = _one_struct(items[:len(present)], order)
        if whole is not None:
            if len(present) == len(items):
                return whole.unpack_from
            unpack, zeros = whole.unpack_from, (0,) * (len(items) - len(present))
            return lambda raw: unpack(raw) + zeros
    by_offset = sorted(present, key=lambda entry: entry[1][0])
    whole = _one_struct([item for _, item in by_offset], order)
    if whole is not None:
        position = {i: pos for pos, (i, _) in enumerate(by_offset)}
        zero = len(by_offset)
        picks = [position.get(i, zero) for i in range(len(items))]
        unpack = whole.unpack_from
        if len(picks) == 1:
            only = picks[0]
            return lambda raw: ((unpack(raw) + (0,))[only],)
        pick = operator.itemgetter(*picks)
        return lambda raw: pick(unpack(raw) + (0,))
    singles = [None if item is None else (struct.Struct(order + item[1]), item[0])
               for item in items]

    def read_each(raw):
        return tuple(0 if s is None else s[0].unpack_from(raw, s[1])[0] for s in singles)
    return read_each


def make_field_decoder(event, file_big_endian):
    """fn(raw) -> list of the event's own field values, as perf passes them.

    raw is the tracepoint payload (PERF_SAMPLE_RAW data) as bytes or a
    memoryview, in the byte order named by file_big_endian (the tracing data's
    endianness, which libtraceevent uses).
    """
    order = ">" if file_big_endian else "<"
    items, fixups = [], []
    for index, f in enumerate(event.fields):
        code = _SCALAR_CODES.get(f.size)
        if not in_reach(f):
            items.append(None)
            if f.is_array:
                kind = _DYNAMIC if f.is_dynamic else _FAR_ARRAY
                fixups.append((index, kind, f, 0))
            continue
        if f.is_array and not f.is_dynamic:
            items.append((f.offset, "%ds" % f.size))
            fixups.append((index, _ARRAY, f, 0))
        elif f.is_array:
            base = (f.offset + f.size) & 0xFFFFFFFF if f.is_relative else 0
            items.append(None if code is None else (f.offset, code))
            fixups.append((index, _DYNAMIC, f, base))
        elif code is None:
            items.append(None)
        else:
            items.append((f.offset, "q" if f.is_signed and f.size == 8 else code))
    unpack = _tuple_reader(items, order)
    unpack_short = _bounded_reader(items, order)
    need = max((f.offset + f.size for f in event.fields if in_reach(f)), default=0)
    fixups = tuple(fixups)
    cache = {}
    cache_get = cache.get

    def text_or_bytes(chunk, f):
        """Cache miss or odd buffer: str if printable (caching it), else bytearray
        and the field stops being a string for good."""
        key = bytes(chunk)
        text = cache_get(key)
        if text is not None:
            return text
        text = printable_text(key)
        if text is None:
            f.is_string = False
            return bytearray(key)
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[key] = text
        return text

    if not fixups:
        def decode(raw):
            if len(raw) < need:
                decode.short_records += 1
                return list(unpack_short(raw))
            return list(unpack(raw))

        decode.short_records = 0
        return decode

    def decode(raw):
        if len(raw) < need:
            decode.short_records += 1
            out = list(unpack_short(raw))
        else:
            out = list(unpack(raw))
        for index, kind, f, base in fixups:
            if kind == _ARRAY:
                chunk = out[index]
            elif kind == _FAR_ARRAY:
                chunk = raw[f.offset:f.offset + f.size]
            else:
                desc = out[index] & 0xFFFFFFFF
                start = ((desc & 0xFFFF) + base) & 0xFFFFFFFF
                chunk = raw[start:start + (desc >> 16)]
            if f.is_string:
                try:
                    text = cache_get(chunk)
                except (TypeError, ValueError):  # a writable buffer is unhashable
                    text = None
                out[index] = text if text is not None else text_or_bytes(chunk, f)
            else:
                out[index] = bytearray(chunk)
        return out

    decode.short_records = 0
    return decode


_COMMON_NAMES = ("common_type", "common_flags", "common_preempt_count", "common_pid",
                 "common_lock_depth")


def make_common_decoder(event, file_big_endian):
    """fn(raw) -> (common_type, common_flags, common_preempt_count, common_pid,
    common_lock_depth or 0), with perf's int conversions (pid and lock depth
    are C ints). Missing fields and odd sizes read as 0."""
    order = ">" if file_big_endian else "<"
    items, wide_ints = [], []
    for index, name in enumerate(_COMMON_NAMES):
        f = event.find_any_field(name)
        code = _SCALAR_CODES.get(f.size) if f is not None else None
        if code is not None and not in_reach(f):
            code = None
        if code is not None and name in ("common_pid", "common_lock_depth"):
            if f.size == 4:
                code = "i"
            elif f.size == 8:
                wide_ints.append(index)
        items.append(None if code is None else (f.offset, code))
    unpack = _tuple_reader(items, order)
    unpack_short = _bounded_reader(items, order)
    need = max((offset + _item_size(code) for offset, code in filter(None, items)), default=0)

    def decode(raw):
        values = unpack(raw) if len(raw) >= need else unpack_short(raw)
        if wide_ints:
            values = tuple(to_s32(v) if i in wide_ints else v for i, v in enumerate(values))
        return values

    return decode
