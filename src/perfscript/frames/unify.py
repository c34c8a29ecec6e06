"""One schema for an event's tables from many recordings, which may differ: another
kernel's tracepoint format, a recording with or without clock data
(`sample_wall_time`) or callchains. A dataset's reader and the Spark and Dask readers
take this one rule:

- the columns are the union, in the order they are first met (each file's own order
  kept);
- a column a file lacks is null in that file's rows;
- a column whose type differs takes the narrowest type that holds every value of
  both: integers the narrowest integer type (int32 + int64 -> int64, uint32 + int32 ->
  int64; uint64 with a signed type -> decimal128(20, 0), which holds both), floats
  float64 (an integer with a float too), a dictionary and its value type the
  dictionary, fixed-size lists of different sizes a list, lists and structs
  element by element; anything else becomes text (string).

Unification is deterministic (the same files give the same schema) and every value
survives it unchanged (a number stays that number).
"""

from perfscript.frames.extras import require

pa = require("pyarrow")

_INTEGERS = [pa.uint8(), pa.int8(), pa.uint16(), pa.int16(), pa.uint32(), pa.int32(),
             pa.uint64(), pa.int64()]
WIDE_INTEGER = pa.decimal128(20, 0)
_BYTES = (pa.string(), pa.large_string(), pa.binary(), pa.large_binary())


def _range(t):
    bits = t.bit_width
    if pa.types.is_signed_integer(t):
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def _common_integer(a, b):
    (alo, ahi), (blo, bhi) = _range(a), _range(b)
    lo, hi = min(alo, blo), max(ahi, bhi)
    for t in _INTEGERS:
        tlo, thi = _range(t)
        if tlo <= lo and hi <= thi:
            return t
    return WIDE_INTEGER


def _is_list(t):
    return pa.types.is_list(t) or pa.types.is_fixed_size_list(t) or pa.types.is_large_list(t)


def common_type(a, b):
    """The type both `a` and `b` fit in (see the module's docstring)."""
    if a == b:
        return a
    if pa.types.is_null(a):
        return b
    if pa.types.is_null(b):
        return a
    if pa.types.is_dictionary(a) or pa.types.is_dictionary(b):
        av = a.value_type if pa.types.is_dictionary(a) else a
        bv = b.value_type if pa.types.is_dictionary(b) else b
        return pa.dictionary(pa.int32(), common_type(av, bv))
    if pa.types.is_integer(a) and pa.types.is_integer(b):
        return _common_integer(a, b)
    numeric = (pa.types.is_integer, pa.types.is_floating, pa.types.is_decimal)
    if any(f(a) for f in numeric) and any(f(b) for f in numeric):
        if pa.types.is_decimal(a) and pa.types.is_integer(b) \
                or pa.types.is_decimal(b) and pa.types.is_integer(a):
            return WIDE_INTEGER
        return pa.float64()
    if _is_list(a) and _is_list(b):
        item = common_type(a.value_type, b.value_type)
        if pa.types.is_fixed_size_list(a) and pa.types.is_fixed_size_list(b) \
                and a.list_size == b.list_size:
            return pa.list_(pa.field(a.value_field.name, item), a.list_size)
        return pa.list_(pa.field(a.value_field.name, item))
    if pa.types.is_struct(a) and pa.types.is_struct(b):
        return pa.struct(list(unify([pa.schema(list(a)), pa.schema(list(b))])))
    if a in _BYTES and b in _BYTES:
        large = pa.large_string() in (a, b) or pa.large_binary() in (a, b)
        if pa.binary() in (a, b) or pa.large_binary() in (a, b):
            return pa.large_binary() if large else pa.binary()
        return pa.large_string()
    return pa.string()


def unify(schemas):
    """One schema for tables of `schemas` (see the module's docstring)."""
    types = {}
    for schema in schemas:
        for field in schema:
            old = types.get(field.name)
            types[field.name] = field.type if old is None else common_type(old, field.type)
    return pa.schema([pa.field(name, typ) for name, typ in types.items()])


def _cast(column, typ):
    """`column` (a ChunkedArray) as `typ`; text for what Arrow cannot cast to it."""
    if column.type == typ:
        return column
    if pa.types.is_dictionary(typ) and not pa.types.is_dictionary(column.type):
        return _cast(column, typ.value_type).dictionary_encode()
    if pa.types.is_dictionary(column.type) and pa.types.is_dictionary(typ):
        chunks = [pa.DictionaryArray.from_arrays(
            c.indices.cast(typ.index_type), _cast(pa.chunked_array([c.dictionary]),
                                                  typ.value_type).combine_chunks())
            for c in column.chunks]
        return pa.chunked_array(chunks, typ)
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    try:
        return column.cast(typ)
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        if typ != pa.string():
            raise
        return pa.chunked_array([pa.array([None if v is None else str(v)
                                           for v in column.to_pylist()], pa.string())],
                                pa.string())


def conform(table, schema):
    """`table` with `schema`'s columns in its order: cast where the type differs, all
    null where the table lacks one."""
    arrays = []
    for field in schema:
        if field.name in table.column_names:
            arrays.append(_cast(table.column(field.name), field.type))
        else:
            arrays.append(pa.chunked_array([pa.nulls(table.num_rows, field.type)],
                                           field.type))
    return pa.Table.from_arrays(arrays, schema=schema)
