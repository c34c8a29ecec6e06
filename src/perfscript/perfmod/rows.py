"""Where a `perf.sample_event`'s values come from: the samples of one event delivered
together, read on demand.

An event object is only a row number into its rows (perf module objects are made for
every sample, so they must cost next to nothing); the values are read when a script
first asks for one:

- `BatchRows`: the samples of a batch of a mapped file, all events together (one class
  for the batch, so objects are made by one C-level map in perf's order). A column
  (every row's value of one attribute) is read at once with NumPy per event
  (`ColumnRows`) the first time any row asks, and kept as a list in batch order;
- `RecordRows`: samples parsed one by one (pipe mode, compressed files, layouts the
  batch path does not read); values are read per row from the parsed samples.

Both parse a row fully (`sample(i)`) for what has no column: callchains, branch stacks,
registers and the like.
"""

from itertools import chain

import numpy as np

from perfscript.ftrace.batch_decode import BatchDecoder
from perfscript.ftrace.decode import make_field_decoder
from perfscript.perfdata import constants as C

U64_MAX = (1 << 64) - 1


class _AllFields:
    """A tracepoint format seen with its common fields as fields of their own: the
    `perf` module reads `common_pid` like any other field (libtraceevent's
    find_any_field), with the same value conversions."""

    __slots__ = ("fields", "all_fields", "find_any_field")

    def __init__(self, fmt, only=None):
        self.all_fields = list(fmt.all_fields)
        # one field's decoder still spans the whole fixed part: the columns of every
        # field then decode from one gather of the payloads
        self.fields = self.all_fields if only is None else [only]
        self.find_any_field = fmt.find_any_field


class FieldReaders:
    """Per event: the tracepoint fields by name, with a column decoder for each (made on
    first use) and one row decoder for all of them."""

    def __init__(self, fmt, big_endian):
        self.fmt = fmt
        self.big_endian = big_endian
        self.fields = {}
        for f in fmt.all_fields:
            self.fields.setdefault(f.name, f)
        self.names = tuple(self.fields)
        self._index = {name: i for i, name in enumerate(f.name for f in fmt.all_fields)}
        self._column_decoders = {}
        self._row_decoder = None

    def column_decoder(self, name):
        dec = self._column_decoders.get(name)
        if dec is None:
            dec = BatchDecoder(_AllFields(self.fmt, self.fields[name]), self.big_endian)
            self._column_decoders[name] = dec
        return dec

    def row_value(self, s, name):
        """Field `name` of one parsed sample, its payload decoded once (kept on it)."""
        values = getattr(s, "_perfmod_fields", None)
        if values is None:
            if self._row_decoder is None:
                self._row_decoder = make_field_decoder(_AllFields(self.fmt), self.big_endian)
            values = s._perfmod_fields = self._row_decoder(s.buf[s.raw_off:s.raw_off
                                                                 + s.raw_size])
        return values[self._index[name]]


class RecordRows:
    """Samples parsed one at a time: the i-th sample of this chunk is `samples[i]`."""

    columnar = False

    __slots__ = ("session", "samples", "events")

    def __init__(self, session):
        self.session = session
        self.samples = []
        self.events = []

    def sample(self, i):
        return self.samples[i]

    def sample_and_event(self, i):
        return self.samples[i], self.events[i]


MISSING = object()       # a column's value for rows whose event lacks the attribute


class BatchRows:
    """The samples of one batch delivered column-wise, in batch order: each event's
    ColumnRows with the row numbers of its samples."""

    columnar = True

    def __init__(self, session, parts, n):
        self.session = session
        self.parts = parts          # [(ColumnRows, row numbers of its samples)], by event
        self.n = n
        self._order = None
        self._where = None

    def __len__(self):
        return self.n

    def _where_of(self):
        if self._where is None:
            local = np.empty(self.n, dtype=np.int64)
            which = np.empty(self.n, dtype=np.int64)
            for k, (part, pos) in enumerate(self.parts):
                local[pos] = np.arange(len(pos))
                which[pos] = k
            self._where = (which.tolist(), local.tolist())
        return self._where

    def sample(self, i):
        which, local = self._where_of()
        return self.parts[which[i]][0].sample(local[i])

    def sample_and_event(self, i):
        which, local = self._where_of()
        part = self.parts[which[i]][0]
        return part.sample(local[i]), part.ev

    def column(self, fn):
        """The rows' values, `fn(ColumnRows)` per event put in batch order; None when
        an event has no column (its rows are then read one by one)."""
        cols = []
        for part, pos in self.parts:
            col = fn(part)
            if col is None:
                return None
            cols.append(col)
        if len(cols) == 1:
            return cols[0]
        if self._order is None:
            order = np.empty(self.n, dtype=np.int64)
            order[np.concatenate([pos for _, pos in self.parts])] = np.arange(self.n)
            self._order = order.tolist()
        joined = list(chain.from_iterable(cols))
        return list(map(joined.__getitem__, self._order))


class ColumnRows:
    """One event's samples of one batch (positions `sel` in the batch), read as columns."""

    columnar = True

    def __init__(self, session, batch, ev, sel, little):
        self.session = session
        self.ev = ev
        self.batch = batch
        self.sel = sel
        self.little = little
        o, base, field, signed = batch._fixed(sel, ev.layout, little)
        self.offs = o
        self.n = len(o)
        self._field = field
        self._signed = signed
        self._parsed = {}
        self._raw = None
        self._heads = {}

    def __len__(self):
        return self.n

    # ------------------------------------------------------------ fixed fields

    def u64(self, name, default):
        """The field's values (a list), `default` for each row without it."""
        if name not in self._field.slots:
            return [default] * self.n
        return self._field(name).tolist()

    def s32(self, name):
        """A u32 field as perf's C int (-1 when absent)."""
        return self._signed(name).tolist()

    def u32(self, name, default):
        if name not in self._field.slots:
            return [default] * self.n
        return (self._field(name) & np.uint64(0xFFFFFFFF)).tolist()

    def sample(self, i):
        """Row i parsed in full (once)."""
        s = self._parsed.get(i)
        if s is None:
            batch = self.batch
            off = int(self.offs[i])
            head = batch.session.header_struct.unpack_from(batch.buf, off)
            s = self.ev.layout.parse(batch.buf, off, head[2], head[1],
                                     batch.session.name, batch.session.file_offset(off))
            self._parsed[i] = s
        return s

    # ------------------------------------------------------------ tracepoint payloads

    def raw_extent(self):
        """(start, size) int64 arrays of the rows' PERF_SAMPLE_RAW payloads, or None when
        the payload does not sit right after the fixed fields (or the callchain) or a
        record is damaged (RecordBatch.raw_extent)."""
        if self._raw is None:
            self._raw = self._find_raw() or False
        return self._raw or None

    def _find_raw(self):
        if self.ev.layout.sample_type & C.SAMPLE_READ:
            return None
        return self.batch.raw_extent(self.offs, self.ev.layout, self.little)

    def _payload_heads(self, width):
        """(n, width) uint8: the first `width` bytes of each row's payload, kept per
        width (one gather for every field of the event)."""
        got = self._heads.get(width)
        if got is None:
            got = self._heads[width] = self.batch.payload_heads(self.raw_extent()[0], width)
        return got

    def field_column(self, readers, name):
        """Every row's value of tracepoint field `name` (None: no column here)."""
        extent = self.raw_extent()
        if extent is None:
            return None
        start, sizes = extent
        dec = readers.column_decoder(name)
        n = self.n
        width = dec.fixed_size
        if width:
            if n and int(sizes.min()) < width:
                return None
            fixed = self._payload_heads(width)
        else:
            fixed = np.zeros((n, 0), dtype=np.uint8)
        raws = None
        if dec.needs_raw:
            buf = self.batch.buf
            raws = [buf[s:s + z] for s, z in zip(start.tolist(), sizes.tolist())]
        return dec.decode(fixed, raws, sizes)[0]

    def raw_column(self):
        extent = self.raw_extent()
        if extent is None:
            return None
        buf = self.batch.buf
        start, sizes = extent
        return [bytes(buf[s:s + z]) for s, z in zip(start.tolist(), sizes.tolist())]
