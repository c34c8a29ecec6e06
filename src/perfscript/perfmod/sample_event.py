"""`perf.sample_event`: one sample, as an object whose attributes are read when asked.

A script's callback gets one object per sample, so making one must cost almost nothing:
an event object is an int, its row in the rows it came with (perfmod/rows.py), and its
class says which rows those are. One class holds the session's events' attributes
(`events_class`: evsel, every tracepoint field name) and one more is made per delivery
of rows (`rows_class`), one per batch of thousands.

An attribute with a column (evsel, the fixed sample fields, the payload, tracepoint
fields) is a descriptor on the events' class: the first row that asks reads every row's
value, and the rows' class then answers with a C-level list lookup. The others (what the sample
resolves to, its callchain, its branch stack) are properties computed per access from
the parsed row. Tracepoint fields win over the other attributes, as upstream's lookup
tries the fields first.
"""

from functools import partial

from perfscript.perfdata import constants as C
from perfscript.perfmod import resolved
from perfscript.perfmod.rows import MISSING, U64_MAX

U32_MAX = 0xFFFFFFFF
DATA_SRC_NONE = 0x5080021       # perf's PERF_MEM_DATA_SRC_NONE for samples without one


def _c_int(v):
    """A u32 as perf's C int."""
    return v - (1 << 32) if v & 0x80000000 else v


_NO_COLUMN = object()


def _from_column(obj, name, column, may_miss=False):
    """obj's value of attribute `name` from its delivery's column, `column` made per
    event; the rows' class then answers later rows by a list lookup (no Python code; a
    small check when some rows' events lack the attribute). _NO_COLUMN when the rows
    are read one by one."""
    cls = type(obj)
    rows = cls._rows
    if not rows.columnar:
        return _NO_COLUMN
    col = rows.column(column)
    if col is None:
        return _NO_COLUMN
    if may_miss and MISSING in col:
        setattr(cls, name, property(partial(_present, col, name)))
        return _present(col, name, obj)
    setattr(cls, name, property(col.__getitem__))
    return col[obj]


class _Column:
    """An attribute read for a delivery's rows at once by `column(ColumnRows)` (one
    event's rows; None: no column), or per row by `row(sample, evsel)`."""

    __slots__ = ("name", "column", "row")

    def __init__(self, name, column, row):
        self.name = name
        self.column = column
        self.row = row

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        got = _from_column(obj, self.name, self.column)
        if got is _NO_COLUMN:
            got = self.row(*type(obj)._rows.sample_and_event(obj))
        return got


def _fixed(name, default):
    """A fixed sample field read as a column of u64s."""
    def column(rows):
        return rows.u64(name, default)

    def row(s, ev):
        v = getattr(s, name)
        return default if v is None else v
    return column, row


def _s32(name):
    def column(rows):
        return rows.s32(name)

    def row(s, ev):
        return _c_int(getattr(s, name))
    return column, row


def _cpu():
    def column(rows):
        return rows.u32("cpu", U32_MAX)

    def row(s, ev):
        return s.cpu
    return column, row


def _period():
    def column(rows):
        return rows.u64("period", rows.ev.attr.sample_period)

    def row(s, ev):
        return ev.attr.sample_period if s.period is None else s.period
    return column, row


def _raw_buf():
    def column(rows):
        return rows.raw_column()

    def row(s, ev):
        return s.raw
    return column, row


_COLUMNS = {
    "sample_pid": _s32("pid"),
    "sample_tid": _s32("tid"),
    "sample_time": _fixed("time", U64_MAX),
    "sample_id": _fixed("id", U64_MAX),
    "sample_stream_id": _fixed("stream_id", U64_MAX),
    "sample_cpu": _cpu(),
    "sample_period": _period(),
    "sample_ip": _fixed("ip", 0),
    "sample_addr": _fixed("addr", 0),
    "raw_buf": _raw_buf(),
}


class sample_event(int):  # noqa: N801 - upstream's name
    """A PERF_RECORD_SAMPLE (upstream's perf.sample_event)."""

    __slots__ = ()
    __module__ = "perf"

    type = C.RECORD_SAMPLE
    evsel = None
    _rows = None

    # an event is an object, not the number it is made of
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    def __bool__(self):
        return True

    def __repr__(self):
        return "{ type: sample }"

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("cannot pickle 'perf.sample_event' object")

    # ------------------------------------------------------------ the parsed row

    def _sample(self):
        return type(self)._rows.sample(self)

    # ------------------------------------------------------------ per-row numbers

    @property
    def sample_phys_addr(self):
        return self._sample().phys_addr

    @property
    def sample_weight(self):
        return self._sample().weight

    @property
    def sample_data_src(self):
        v = self._sample().data_src
        return DATA_SRC_NONE if v is None else v

    # set by instruction-trace decoding only, which perfscript does not do
    sample_insn_count = 0
    sample_cyc_count = 0
    flags = 0
    branch_type = 0             # flags & PERF_BRANCH_MASK
    in_tx = 0                   # flags & PERF_IP_FLAG_IN_TX
    machine_pid = 0             # host data
    vcpu = U32_MAX

    @property
    def transaction(self):
        return self._sample().transaction

    # ------------------------------------------------------------ resolved lazily

    @property
    def dso(self):
        return resolved.sample_location(self).dso_name

    @property
    def dso_long_name(self):
        return resolved.sample_location(self).dso_long_name

    @property
    def dso_bid(self):
        return resolved.sample_location(self).dso_bid

    @property
    def map_start(self):
        return resolved.sample_location(self).map_start

    @property
    def map_end(self):
        return resolved.sample_location(self).map_end

    @property
    def map_pgoff(self):
        return resolved.sample_location(self).map_pgoff

    @property
    def symbol(self):
        return resolved.sample_location(self).sym_name

    @property
    def sym_start(self):
        return resolved.sample_location(self).sym_start

    @property
    def sym_end(self):
        return resolved.sample_location(self).sym_end

    @property
    def sym_offset(self):
        return resolved.sample_location(self).sym_offset

    @property
    def addr_dso(self):
        return resolved.addr_location(self).dso_name

    @property
    def addr_symbol(self):
        return resolved.addr_location(self).sym_name

    @property
    def addr_sym_offset(self):
        return resolved.addr_location(self).sym_offset

    @property
    def callchain(self):
        return resolved.callchain_of(self)

    @property
    def brstack(self):
        return resolved.brstack_of(self)

    def srccode(self, addr=None):
        return resolved.srccode_of(self, addr)

    def insn(self):
        return resolved.insn_of(self)


# sample_event's own attributes and the column-read ones: a tracepoint field of the same
# name hides them (upstream looks fields up first)
for _name, (_col, _row) in _COLUMNS.items():
    setattr(sample_event, _name, _Column(_name, _col, _row))
del _name, _col, _row


class _Field:
    """A tracepoint field (of one or more events) as an attribute; rows of an event
    without it see sample_event's own attribute of that name, or AttributeError."""

    __slots__ = ("name", "readers")

    def __init__(self, name, readers):
        self.name = name
        self.readers = readers      # evsel index -> FieldReaders of the events with it

    def _column(self, part):
        readers = self.readers.get(part.ev.index)
        if readers is None:
            return [MISSING] * len(part)
        return part.field_column(readers, self.name)

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        got = _from_column(obj, self.name, self._column, may_miss=True)
        if got is not _NO_COLUMN:
            return got
        s, ev = type(obj)._rows.sample_and_event(obj)
        readers = self.readers.get(ev.index)
        if readers is None or s.buf is None:
            return _fallback(obj, self.name)
        return readers.row_value(s, self.name)


def _present(col, name, obj):
    v = col[obj]
    return _fallback(obj, name) if v is MISSING else v


def _fallback(obj, name):
    """sample_event's own attribute `name`, for an event without that field."""
    for klass in sample_event.__mro__:
        if name in klass.__dict__:
            attr = klass.__dict__[name]
            return attr.__get__(obj, type(obj)) if hasattr(attr, "__get__") else attr
    raise AttributeError("'perf.sample_event' object has no attribute '%s'" % name)


def events_class(pyevsels, readers):
    """The class of the sample objects of a set of events: `pyevsels` maps each event's
    index to its perf.evsel, `readers` each tracepoint event's index to its fields."""
    def evsel_column(part):
        return [pyevsels[part.ev.index]] * len(part)

    def evsel_row(s, ev):
        return pyevsels[ev.index]

    ns = {"__slots__": (), "evsel": _Column("evsel", evsel_column, evsel_row),
          "__module__": "perf", "__qualname__": "sample_event"}
    fields = {}
    for index, r in readers.items():
        for name in r.names:
            fields.setdefault(name, {})[index] = r
    for name, by_event in fields.items():
        ns[name] = _Field(name, by_event)
    return type("sample_event", (sample_event,), ns)


def rows_class(events_cls, rows):
    """The class of the objects of one delivery of rows."""
    return type("sample_event", (events_cls,),
                {"__slots__": (), "_rows": rows, "__module__": "perf",
                 "__qualname__": "sample_event"})
