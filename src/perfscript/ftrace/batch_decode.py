"""Column-wise decoding of many tracepoint payloads of one event at once.

The second decoder over the same format description as decode.py: where
make_field_decoder turns one payload into one row, a BatchDecoder turns a batch
of payloads (gathered by the caller into a 2-D uint8 array, one row per record,
in time order) into one Python list per field. The values, and their types, are
exactly what make_field_decoder gives row by row:

- scalars come from a NumPy structured dtype viewed over the rows (file byte
  order, one field per format field, overlaps allowed) and `.tolist()`:
  unsigned for widths below 8 (perf zero-extends), int64 for signed 8-byte
  fields, uint64 otherwise; other widths (3, 5, ...) read as 0, as in perf;
- fixed arrays are void columns whose `.tolist()` gives one bytes per row,
  then bytearray (numeric arrays) or the printable-string rule through a
  bytes->str cache;
- __data_loc/__rel_loc descriptors are a column too; the start/length
  arithmetic is vectorised and the slices are taken from the caller's full
  payloads with C-level map() calls;
- the sticky STRING flag is honoured in row order: rows before the first
  non-printable value of a string field get str, that row and every later one
  bytearray, and Field.is_string is cleared, so the per-event decoder (and
  every later batch) sees it cleared too.

Short records read as the per-event decoder reads them: scalars from the
caller's zero padding of `fixed`, array values cut at the end of the payload
(with the payloads' sizes given; without them every row is taken as a whole
record). No Python code runs per row, except once per distinct string not yet
in the cache, and per short row of a fixed array.
"""

import operator

import numpy as np

from .decode import _CACHE_LIMIT, _COMMON_NAMES, _SCALAR_CODES, printable_text
from .format import in_reach as _in_reach

# Column kinds of the plan.
_SCALAR, _ZERO, _ARRAY, _EMPTY_ARRAY, _FAR_ARRAY, _DYNAMIC, _EMPTY_DYNAMIC = range(7)


def gather_fixed(raws, width):
    """(fixed, sizes): a (n, width) uint8 array holding each payload's first
    `width` bytes (zero-padded) and an int64 array of the payloads' sizes."""
    n = len(raws)
    sizes = np.fromiter(map(len, raws), np.int64, n)
    if not n or not width:
        return np.zeros((n, width), np.uint8), sizes
    flat = np.frombuffer(b"".join(raws) + bytes(width), np.uint8)
    if sizes.min() == sizes.max():  # the usual case: one record size
        size = int(sizes[0])
        fixed = np.zeros((n, width), np.uint8)
        fixed[:, :min(size, width)] = flat[:n * size].reshape(n, size)[:, :width]
        return fixed, sizes
    starts = np.cumsum(sizes) - sizes
    index = starts[:, None] + np.arange(width)[None, :]
    fixed = flat[index]
    fixed[np.arange(width)[None, :] >= sizes[:, None]] = 0
    return fixed, sizes


class BatchDecoder:
    """Decode batches of one event's payloads into per-field columns.

    fixed_size: width of the `fixed` rows decode() expects (the format's fixed
        part: max offset+size over all fields, common ones included; fields
        beyond any possible record are not counted).
    needs_raw: decode() needs the full payloads (dynamic fields, or a fixed
        array reaching past any record).
    short_records: rows seen so far whose payload was shorter than the event's
        own fixed part (the per-event decoder's counter of the same name);
        counted only when decode() gets `sizes` or `raws`.
    """

    def __init__(self, event, file_big_endian):
        self.event = event
        order = ">" if file_big_endian else "<"
        self._order = order
        self.fixed_size = max((f.offset + f.size for f in event.all_fields if _in_reach(f)),
                              default=0)
        self._need = max((f.offset + f.size for f in event.fields if _in_reach(f)), default=0)
        names, formats, offsets = [], [], []

        def column(f, fmt):
            name = "f%d" % len(names)
            names.append(name)
            formats.append(fmt)
            offsets.append(f.offset)
            return name

        plan = []
        needs_raw = False
        for f in event.fields:
            code = _SCALAR_CODES.get(f.size)
            if not _in_reach(f):
                if not f.is_array:
                    plan.append((_ZERO, f, None, 0))
                elif f.is_dynamic:
                    base = (f.offset + f.size) & 0xFFFFFFFF if f.is_relative else 0
                    plan.append((_EMPTY_DYNAMIC, f, None, base))
                else:
                    plan.append((_FAR_ARRAY, f, None, 0))
                    needs_raw = True
            elif f.is_array and not f.is_dynamic:
                if f.size:
                    plan.append((_ARRAY, f, column(f, "V%d" % f.size), 0))
                else:
                    plan.append((_EMPTY_ARRAY, f, None, 0))
            elif f.is_array:
                base = (f.offset + f.size) & 0xFFFFFFFF if f.is_relative else 0
                if code is None:
                    plan.append((_EMPTY_DYNAMIC, f, None, base))
                else:
                    plan.append((_DYNAMIC, f, column(f, order + "u%d" % f.size), base))
                    needs_raw = True
            elif code is None:
                plan.append((_ZERO, f, None, 0))
            else:
                kind = "i8" if f.is_signed and f.size == 8 else "u%d" % f.size
                plan.append((_SCALAR, f, column(f, order + kind), 0))

        common = []
        for name in _COMMON_NAMES:
            f = event.find_any_field(name)
            if f is None or f.size not in _SCALAR_CODES or not _in_reach(f):
                common.append(None)
                continue
            wide = name in ("common_pid", "common_lock_depth")
            fmt = order + ("i4" if wide and f.size == 4 else "u%d" % f.size)
            common.append((column(f, fmt), wide and f.size == 8))

        self._plan = tuple(plan)
        self._common = tuple(common)
        self.needs_raw = needs_raw
        self.short_records = 0
        self._dtype = np.dtype({"names": names, "formats": formats, "offsets": offsets,
                                "itemsize": self.fixed_size}) if names else None
        self._cache = {}

    # ------------------------------------------------------------ helpers

    def _rows(self, fixed):
        """The structured view of `fixed` (n records) and n."""
        fixed = np.asarray(fixed)
        if fixed.ndim != 2 or fixed.dtype != np.uint8 or fixed.shape[1] != self.fixed_size:
            raise ValueError("fixed must be a uint8 array of shape (n, %d), not %s %s"
                             % (self.fixed_size, fixed.dtype, fixed.shape))
        n = fixed.shape[0]
        if self._dtype is None or n == 0:
            return None, n
        if not fixed.flags.c_contiguous:
            fixed = np.ascontiguousarray(fixed)
        return fixed.view(self._dtype)[:, 0], n

    def _sizes(self, raws, n, sizes):
        """The payloads' sizes (from `raws` if not given), or None without
        either; counts the short records."""
        if raws is not None and len(raws) != n:
            raise ValueError("%d payloads for %d rows" % (len(raws), n))
        if sizes is None:
            if raws is None:
                return None
            sizes = np.fromiter(map(len, raws), np.int64, n)
        sizes = np.asarray(sizes)
        self.short_records += int(np.count_nonzero(sizes < self._need))
        return sizes

    @staticmethod
    def _cut(chunks, f, sizes):
        """Fixed-array chunks of rows too short for the whole array cut at the
        end of their payload, as the per-event decoder reads them."""
        if sizes is None:
            return chunks
        short = np.flatnonzero(sizes < f.offset + f.size)
        if len(short):
            room = np.maximum(sizes[short] - f.offset, 0).tolist()
            for i, keep in zip(short.tolist(), room):
                chunks[i] = chunks[i][:keep]
        return chunks

    def _values(self, chunks, f):
        """The Python values of an array field's chunks (bytes), in row order:
        str while the field is a string and the chunk a printable string,
        bytearray from the first row that is not (and the flag is cleared)."""
        if not f.is_string:
            return list(map(bytearray, chunks))
        cache = self._cache
        cache_get = cache.get
        out = list(map(cache_get, chunks))
        try:
            i = out.index(None)
        except ValueError:
            return out
        while True:
            key = chunks[i]
            text = cache_get(key)
            if text is None:
                text = printable_text(key)
                if text is None:
                    f.is_string = False
                    out[i:] = map(bytearray, chunks[i:])
                    return out
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                cache[key] = text
            out[i] = text
            try:
                i = out.index(None, i + 1)
            except ValueError:
                return out

    # ------------------------------------------------------------ API

    def gather(self, raws):
        """(fixed, sizes) for decode() from a sequence of payloads: the first
        fixed_size bytes of each, zero-padded, and the payloads' sizes."""
        return gather_fixed(raws, self.fixed_size)

    def decode(self, fixed, raws=None, sizes=None):
        """One list per event field (event.fields order), each with one value
        per row of `fixed`, equal in value and type to make_field_decoder's.

        fixed: uint8 array (n, fixed_size), each row the payload's first
            fixed_size bytes, zero-padded where the payload is shorter.
        raws: the n full payloads (bytes, or any buffer: memoryview slices of
            the file work), needed only when `needs_raw`.
        sizes: the payloads' real sizes (optional; counts short_records).
        """
        rows, n = self._rows(fixed)
        if self.needs_raw and raws is None and n:
            raise ValueError("this event has dynamic fields: decode() needs the payloads")
        sizes = self._sizes(raws, n, sizes)
        # slices of memoryviews/bytearrays become bytes (hashable, and no cache
        # entry keeps a caller's buffer alive)
        buffers = self.needs_raw and raws is not None and bool(set(map(type, raws)) - {bytes})
        columns = []
        for kind, f, name, base in self._plan:
            if kind == _SCALAR:
                columns.append(rows[name].tolist() if n else [])
            elif kind == _ZERO:
                columns.append([0] * n)
            elif kind == _ARRAY:
                chunks = self._cut(rows[name].tolist(), f, sizes) if n else []
                columns.append(self._values(chunks, f))
            elif kind == _DYNAMIC:
                if not n:
                    columns.append([])
                    continue
                desc = rows[name].astype(np.uint64) & np.uint64(0xFFFFFFFF)
                starts = ((desc & np.uint64(0xFFFF)) + np.uint64(base)) & np.uint64(0xFFFFFFFF)
                ends = starts + (desc >> np.uint64(16))
                chunks = map(operator.getitem, raws,
                             map(slice, starts.tolist(), ends.tolist()))
                columns.append(self._values(list(map(bytes, chunks) if buffers else chunks), f))
            elif kind == _FAR_ARRAY:
                window = slice(f.offset, f.offset + f.size)
                chunks = [bytes(raw[window]) for raw in raws] if n else []
                columns.append(self._values(chunks, f))
            else:  # _EMPTY_ARRAY, _EMPTY_DYNAMIC: always b""
                columns.append(self._values([b""] * n, f))
        return columns

    def _common_column(self, rows, n, index):
        entry = self._common[index]
        if entry is None or not n:
            return [0] * n
        name, wide = entry
        col = rows[name]
        if wide:  # an 8-byte pid: perf keeps the low 32 bits as a C int
            col = (col & np.uint64(0xFFFFFFFF)).astype(np.uint32).view(np.int32)
        return col.tolist()

    def common(self, fixed):
        """(common_type, common_flags, common_preempt_count, common_pid,
        common_lock_depth) as five lists, with make_common_decoder's
        conversions (pid and lock depth are C ints; missing fields read 0)."""
        rows, n = self._rows(fixed)
        return tuple(self._common_column(rows, n, i) for i in range(len(_COMMON_NAMES)))

    def common_pid(self, fixed):
        """The raw common_pid of each row as perf's C int (signed 32-bit)."""
        rows, n = self._rows(fixed)
        return self._common_column(rows, n, 3)
