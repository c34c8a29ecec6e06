"""Typed Arrow columns of one tracepoint's payloads, decoded column-wise.

A second reading of the same format description (`ftrace.format.EventFormat`) as the
script API's decoders, with real types instead of perf's Python-API conversions:

- integers keep their declared width and signedness (a 4-byte `int` of -1 is -1, not
  4294967295 as perf's script API gives);
- `char` arrays and `__data_loc char[]` strings are strings (cut at the first NUL,
  dictionary-encoded; bytes that are not UTF-8 become U+FFFD);
- other fixed arrays are fixed-size lists of their element type (`unsigned long
  args[6]` → fixed_size_list<uint64>[6], `u8 saddr[4]` → fixed_size_list<uint8>[4]);
- other `__data_loc`/`__rel_loc` arrays are lists of their element type (bytes when the
  element size is unknown);
- a zero-size array (`char buf[]` of ftrace:print) holds the rest of the record.

The payloads are rows of one uint8 buffer (`blob`): the mapped file itself, or the
payloads copied together; `starts`/`sizes` locate them. All work is NumPy/Arrow
over whole columns; Python runs once per distinct string, not per row.
"""

import numpy as np

from perfscript.ftrace.format import in_reach as _in_reach
from perfscript.frames.extras import require

pa = require("pyarrow")

# the columns that are not the event's payload, before a payload field would meet one
# of them (frames.tables.sample_column_names); the payload's fields keep their names
SAMPLE_NAMES = tuple("sample_" + n for n in (
    "seq", "time", "timestamp", "wall_time", "cpu", "pid", "tid", "comm", "period", "ip",
    "addr", "callchain"))
_INT_SIZES = (1, 2, 4, 8)



def np_array(a):
    """A 1-D numeric NumPy array as an Arrow array, zero-copy (pa.array() would import
    pandas on first use, a quarter of a second)."""
    a = np.ascontiguousarray(a)
    if a.dtype.byteorder == (">" if np.little_endian else "<"):
        a = a.astype(a.dtype.newbyteorder("="))
    typ = pa.from_numpy_dtype(a.dtype)
    return pa.Array.from_buffers(typ, len(a), [None, pa.py_buffer(a)])


def str_array(texts):
    """A list of str as an Arrow string array (without pa.array(): see np_array)."""
    raw = [t.encode("utf-8", "replace") for t in texts]
    offsets = np.zeros(len(raw) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, raw), np.int64, len(raw)), out=offsets[1:])
    off, large = _to_offsets32(offsets)
    typ = pa.large_string() if large else pa.string()
    arr = pa.Array.from_buffers(typ, len(raw), [None, pa.py_buffer(off),
                                                pa.py_buffer(b"".join(raw))])
    return arr.cast(pa.string()) if large else arr


def repeated(text, n):
    """`text` (or null) `n` times as a dictionary<int32, string> array: one string
    however many rows (a dataset's and the engines' source columns)."""
    indices = pa.array(np.zeros(n, np.int32), mask=np.full(n, text is None))
    return pa.DictionaryArray.from_arrays(indices, pa.array([text or ""], pa.string()))


def int_type(size, signed):
    return getattr(pa, "%sint%d" % ("" if signed else "u", 8 * size))()


def gather_bytes(blob, starts, lengths):
    """The bytes blob[starts[i]:starts[i]+lengths[i]] of every row, end to end, and the
    (n+1) int64 offsets of each row's bytes in the result."""
    n = len(starts)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    total = int(offsets[-1])
    if not total:
        return np.zeros(0, dtype=np.uint8), offsets
    idx = np.repeat(starts - offsets[:-1], lengths)
    idx += np.arange(total, dtype=np.int64)
    return blob[idx], offsets


def _to_offsets32(offsets):
    if offsets[-1] < (1 << 31):
        return offsets.astype(np.int32), False
    return offsets, True


def window_rows(blob, starts, width):
    """The (n, width) uint8 rows blob[starts[i]:starts[i]+width], zeros past blob's end:
    rows of a sliding window, one row copy each (no (n, width) index array)."""
    last = len(blob) - width
    if last >= 0:
        rows = np.lib.stride_tricks.sliding_window_view(blob, width)[np.minimum(starts, last)]
    else:
        rows = np.zeros((len(starts), width), np.uint8)
    tail = np.flatnonzero(starts > last)
    if len(tail):
        idx = starts[tail, None] + np.arange(width, dtype=np.int64)
        rows[tail] = np.where(idx < len(blob), blob[np.minimum(idx, len(blob) - 1)], 0)
    return rows


_WINDOW_MAX = 256


def c_strings(blob, starts, maxlens):
    """Dictionary-encoded string array: each row's bytes up to the first NUL (or maxlen)."""
    n = len(starts)
    maxlens = np.maximum(maxlens, 0)
    width = int(maxlens.max()) if n else 0
    if 0 < width <= _WINDOW_MAX:       # short strings (comms…): cut in a window of rows
        rows = window_rows(blob, starts, width)
        cols = np.arange(width)
        stop = (rows == 0) | (cols[None, :] >= maxlens[:, None])
        lengths = np.where(stop.any(axis=1), stop.argmax(axis=1), width)
        data = rows[cols[None, :] < lengths[:, None]]
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return _binary_strings(data, offsets, n)
    data, offsets = gather_bytes(blob, starts, maxlens)
    nul = np.flatnonzero(data == 0)
    if len(nul):
        k = np.searchsorted(nul, offsets[:-1])
        cand = np.append(nul, offsets[-1])[k]
        ends = np.minimum(cand, offsets[1:])
        lengths = ends - offsets[:-1]
        if (lengths != maxlens).any():
            data, offsets = gather_bytes(blob, starts, lengths)
    return _binary_strings(data, offsets, n)


def _binary_strings(data, offsets, n):
    off, large = _to_offsets32(offsets)
    typ = pa.large_binary() if large else pa.binary()
    binary = pa.Array.from_buffers(typ, n, [None, pa.py_buffer(off), pa.py_buffer(data)])
    return binary_to_dict_strings(binary)


_text_cache = {}


def binary_to_dict_strings(binary):
    """binary array → dictionary<int32, string>, decoding each distinct value once."""
    enc = binary.dictionary_encode()
    values = enc.dictionary.to_pylist()
    get = _text_cache.get
    texts = []
    for v in values:
        t = get(v)
        if t is None:
            t = v.decode("utf-8", "replace")
            if len(_text_cache) > 65536:
                _text_cache.clear()
            _text_cache[v] = t
        texts.append(t)
    indices = enc.indices.cast(pa.int32())
    return pa.DictionaryArray.from_arrays(indices, str_array(texts))


def _available(f, sizes):
    """Bytes of a fixed array in each payload; a zero-size array (`char buf[]` of
    ftrace:print) runs to the end of the record, as libtraceevent reads it."""
    room = np.maximum(sizes - f.offset, 0)
    return np.minimum(room, f.size) if f.size else room


def _is_char_array(f):
    t = f.type.split("[")[0]
    return "char" in t.split()


def _element_size(f, long_size):
    if f.elementsize:
        return f.elementsize
    if "long" in f.type.split("[")[0]:
        return long_size
    return 0


def _element_signed(f):
    base = f.type.split("[")[0].replace("__data_loc", "").replace("__rel_loc", "").split()
    if not base:
        return f.is_signed
    if base[0] == "unsigned" or base[-1].startswith("u") and base[-1][1:].isdigit():
        return False
    if base[-1].startswith("s") and base[-1][1:].isdigit() or base[0] == "signed":
        return True
    if base[-1] in ("int", "long", "short") and "unsigned" not in base:
        return True
    return f.is_signed


class TypedDecoder:
    """Decode many payloads of one tracepoint into Arrow arrays, one per field."""

    def __init__(self, event, big_endian, long_size=8):
        self.event = event
        self.order = order = ">" if big_endian else "<"
        self.long_size = event.long_size or long_size
        fields = [f for f in event.all_fields]
        self.fields = fields
        self.fixed_size = max((f.offset + f.size for f in fields if _in_reach(f)), default=0)
        names, formats, offsets = [], [], []
        plan = []
        for f in fields:
            if not _in_reach(f):
                plan.append(("null", f, None))
                continue
            if f.is_dynamic:
                if f.size not in (2, 4):
                    plan.append(("null", f, None))
                    continue
                col = "f%d" % len(names)
                names.append(col)
                formats.append(order + "u%d" % f.size)
                offsets.append(f.offset)
                if f.size == 2 or _is_char_array(f):
                    plan.append(("dynstr", f, col))
                else:
                    plan.append(("dynarr", f, col))
            elif f.is_array:
                if _is_char_array(f):
                    plan.append(("str", f, None))
                    continue
                es = _element_size(f, self.long_size)
                if es in _INT_SIZES and f.size and f.size % es == 0:
                    col = "f%d" % len(names)
                    names.append(col)
                    kind = "i" if _element_signed(f) else "u"
                    formats.append((order + kind + str(es), (f.size // es,)))
                    offsets.append(f.offset)
                    plan.append(("array", f, col))
                else:
                    plan.append(("bytes", f, None))
            elif f.size in _INT_SIZES:
                col = "f%d" % len(names)
                names.append(col)
                formats.append(order + ("i" if f.is_signed else "u") + str(f.size))
                offsets.append(f.offset)
                plan.append(("int", f, col))
            else:
                plan.append(("bytes", f, None))
        self.plan = plan
        self._dtypes = {}
        self._plan_texts()
        self.dtype = np.dtype({"names": names, "formats": formats, "offsets": offsets,
                               "itemsize": max(self.fixed_size, 1)}) if names else None

    def _plan_texts(self):
        """Text columns of the flag/symbolic print args (frames.flagtext), each placed
        after the last field it reads."""
        from perfscript.frames import flagtext
        ints = {f.name: col for kind, f, col in self.plan if kind == "int"}
        taken = {f.name for f in self.fields} | set(SAMPLE_NAMES)
        try:
            self.texts = flagtext.plan_text_columns(self.event, taken, set(ints))
        except Exception:       # a print_fmt shape the planner did not foresee: no texts
            self.texts = []
        self.text_cols = ints
        after = {}
        pos = {f.name: i for i, (_, f, _) in enumerate(self.plan)}
        for t in self.texts:
            after.setdefault(max(pos[n] for n in t.fields) if t.fields else len(pos) - 1,
                             []).append(t)
        order = []
        for i in range(len(self.plan)):
            order.append(("field", i))
            order.extend(("text", t) for t in after.get(i, ()))
        self.order = order

    def schema_fields(self):
        """(name, Arrow type) of each column: the fields, and the text columns."""
        out = []
        for what, x in self.order:
            if what == "field":
                kind, f, col = self.plan[x]
                out.append((f.name, self._type(kind, f, col)))
            else:
                out.append((x.name, pa.dictionary(pa.int32(), pa.string())))
        return out

    def _type(self, kind, f, col):
        if kind == "int":
            return int_type(f.size, f.is_signed)
        if kind in ("str", "dynstr"):
            return pa.dictionary(pa.int32(), pa.string())
        if kind == "array":
            sub = self.dtype.fields[col][0]
            base = sub.subdtype[0]
            return pa.list_(pa.from_numpy_dtype(base.newbyteorder("=")), sub.shape[0])
        if kind == "dynarr":
            es = _element_size(f, self.long_size)
            if es in _INT_SIZES:
                return pa.list_(int_type(es, _element_signed(f)))
            return pa.binary()
        if kind == "bytes":
            return pa.binary()
        return pa.null()

    def _rows(self, blob, starts, width, words):
        """Each payload's fixed part as a row of self.dtype (every payload holds it).

        With `words` and payloads all at the same offset modulo 8 (the usual case: perf
        pads records to 8 bytes), whole u64 words are gathered (8x fewer indices) and
        viewed through the dtype shifted by that offset: no second copy."""
        r0 = int(starts[0]) & 7
        if words is not None and not ((starts & 7) != r0).any():
            nw = (r0 + width + 7) >> 3
            first = (starts - r0) >> 3
            widx = first[:, None] + np.arange(nw, dtype=np.int64)
            if int(first.max()) + nw > len(words):
                np.minimum(widx, len(words) - 1, out=widx)
            fixed = words[widx].view(np.uint8)          # (n, 8*nw), C order
            return fixed.view(self._shifted(r0, 8 * nw))[:, 0]
        return window_rows(blob, starts, width).view(self.dtype)[:, 0]

    def _column_reads(self, blob, starts, sizes):
        """{column: values} like _rows' fields, for payloads shorter than the fixed
        part: each column read on its own (its bytes per row, zeros past the payload's
        end), so no row is gathered at the width the format claims."""
        out = {}
        for name in self.dtype.names:
            dt, offset = self.dtype.fields[name][:2]
            width = dt.itemsize
            raw = window_rows(blob, starts + offset, width)
            raw[np.arange(offset, offset + width)[None, :] >= sizes[:, None]] = 0
            values = raw.view(dt.base)
            out[name] = values[:, 0] if dt.shape == () else values
        return out

    def _shifted(self, r0, itemsize):
        key = (r0, itemsize)
        dt = self._dtypes.get(key)
        if dt is None:
            fields = self.dtype.fields
            names = list(self.dtype.names)
            dt = self._dtypes[key] = np.dtype({
                "names": names, "formats": [fields[k][0] for k in names],
                "offsets": [fields[k][1] + r0 for k in names], "itemsize": itemsize})
        return dt

    def decode(self, blob, starts, sizes, words=None):
        """One Arrow array per field (all_fields order) for the payloads at
        blob[starts[i]:starts[i]+sizes[i]]. `words`, a u64 view of the same buffer
        (blob[8k:8k+8] == words[k]), makes gathering the fixed parts cheaper."""
        n = len(starts)
        starts = np.asarray(starts, dtype=np.int64)
        sizes = np.asarray(sizes, dtype=np.int64)
        width = self.fixed_size
        rows = None
        if self.dtype is not None and n:
            if int(sizes.min()) < width:
                rows = self._column_reads(blob, starts, sizes)
            else:
                rows = self._rows(blob, starts, max(width, 1), words)
        fields = [self._column(kind, f, col, rows, blob, starts, sizes, n)
                  for kind, f, col in self.plan]
        if not self.texts:
            return fields
        return [fields[x] if what == "field" else self._text(x, rows, n)
                for what, x in self.order]

    def _text(self, tcol, rows, n):
        from perfscript.frames import flagtext
        values = {}
        for name in tcol.fields:
            if not n:
                values[name] = np.zeros(0, np.uint64)
                continue
            v = rows[self.text_cols[name]]      # unsigned reads, as tep_read_number
            values[name] = v.view(v.dtype.str.replace("i", "u")).astype(np.uint64)
        texts, idx = flagtext.evaluate(self.event, tcol, values, n)
        return pa.DictionaryArray.from_arrays(np_array(idx.astype(np.int32)),
                                              str_array(texts))

    def _column(self, kind, f, col, rows, blob, starts, sizes, n):
        if kind == "int":
            if not n:
                return pa.array([], int_type(f.size, f.is_signed))
            v = rows[col]
            return np_array(v.astype(v.dtype.newbyteorder("=")))
        if kind == "str":
            avail = _available(f, sizes)
            return c_strings(blob, starts + f.offset, avail)
        if kind == "array":
            typ = self._type(kind, f, col)
            if not n:
                return pa.array([], typ)
            v = rows[col]
            base = v.dtype.base.newbyteorder("=")
            flat = np.ascontiguousarray(v.astype(base)).reshape(-1)
            return pa.FixedSizeListArray.from_arrays(np_array(flat), typ.list_size)
        if kind in ("dynstr", "dynarr"):
            if not n:
                return pa.array([], self._type(kind, f, col))
            desc = rows[col].astype(np.int64)
            if f.size == 2:
                off = desc
                length = np.maximum(sizes - off, 0)
            else:
                off = desc & 0xFFFF
                length = desc >> 16
                if f.is_relative:
                    off = off + f.offset + f.size
            # the data must lie inside the payload (perf cuts it there)
            off = np.minimum(off, sizes)
            length = np.minimum(length, sizes - off)
            if kind == "dynstr":
                return c_strings(blob, starts + off, length)
            es = _element_size(f, self.long_size)
            data, offsets = gather_bytes(blob, starts + off, length)
            if es in _INT_SIZES:
                length = length - length % es
                data, offsets = gather_bytes(blob, starts + off, length)
                vals = data.view(self.order + ("i" if _element_signed(f) else "u") + str(es))
                vals = vals.astype(vals.dtype.newbyteorder("="))
                return pa.ListArray.from_arrays(np_array((offsets // es).astype(np.int32)),
                                                np_array(vals))
            return pa.Array.from_buffers(pa.binary(), n, [None, pa.py_buffer(
                offsets.astype(np.int32)), pa.py_buffer(data)])
        if kind == "bytes":
            if not n:
                return pa.array([], pa.binary())
            avail = _available(f, sizes)
            data, offsets = gather_bytes(blob, starts + f.offset, avail)
            return pa.Array.from_buffers(pa.binary(), n, [None, pa.py_buffer(
                offsets.astype(np.int32)), pa.py_buffer(data)])
        return pa.nulls(n)
