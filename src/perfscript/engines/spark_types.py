"""perfscript's Arrow types as Spark's: Spark has no unsigned integers, no dictionary
columns, no fixed-size lists, and its times are microseconds.

| Arrow (perfscript's tables) | Spark |
|---|---|
| int8, int16, int32, int64 | ByteType, ShortType, IntegerType, LongType |
| uint8, uint16, uint32 | ShortType, IntegerType, LongType (the next wider signed type) |
| uint64 | DecimalType(20, 0), exact; or LongType holding the same 64 bits (two's complement, `uint64="long"`) |
| decimal128(20, 0): a uint64 column of one file unified with a signed one of another (frames.unify) | DecimalType(20, 0); LongType with `uint64="long"` (the uint64 values as their bits) |
| bool, float32, float64 | BooleanType, FloatType, DoubleType |
| string, dictionary<string> | StringType (the dictionary decoded) |
| binary | BinaryType |
| duration[ns] (`sample_timestamp`) | DayTimeIntervalType(DAY, SECOND): microseconds, the ns truncated |
| timestamp[ns, UTC] (`sample_wall_time`) | TimestampType: microseconds, the ns truncated |
| list, fixed_size_list | ArrayType of the element's type |
| struct (the callchain's frames) | StructType of its fields' types |

uint64 as DecimalType(20, 0) is what Spark's own Parquet reader makes of UINT_64
columns (a perfscript Parquet export read by Spark has the same types), uint8..32 as
there too. The exact nanoseconds stay in `sample_time` (LongType)."""

from perfscript.frames.extras import require

T = require("pyspark.sql.types", "perfscript's Spark data source")
_to_arrow_schema = require("pyspark.sql.pandas.types").to_arrow_schema


def to_arrow_schema(schema):
    """pyspark's Arrow schema of a StructType, timestamps in UTC: pyspark 4.0 takes
    `timestamp_utc` (UTC by default), later versions a `timezone` they require for a
    timestamp column."""
    import inspect
    if "timezone" in inspect.signature(_to_arrow_schema).parameters:
        return _to_arrow_schema(schema, timezone="UTC")
    return _to_arrow_schema(schema)
pa = require("pyarrow")
pc = require("pyarrow.compute")

UINT64 = ("decimal", "long")

_PLAIN = {
    pa.bool_(): T.BooleanType(), pa.int8(): T.ByteType(), pa.int16(): T.ShortType(),
    pa.int32(): T.IntegerType(), pa.int64(): T.LongType(), pa.uint8(): T.ShortType(),
    pa.uint16(): T.IntegerType(), pa.uint32(): T.LongType(), pa.float32(): T.FloatType(),
    pa.float64(): T.DoubleType(), pa.string(): T.StringType(),
    pa.large_string(): T.StringType(), pa.binary(): T.BinaryType(),
    pa.large_binary(): T.BinaryType(), pa.null(): T.NullType(),
}


def spark_type(arrow_type, uint64="decimal"):
    """The Spark type of a column of `arrow_type` (the module's table)."""
    if arrow_type == pa.uint64():
        return T.DecimalType(20, 0) if uint64 == "decimal" else T.LongType()
    plain = _PLAIN.get(arrow_type)
    if plain is not None:
        return plain
    if pa.types.is_dictionary(arrow_type):
        return spark_type(arrow_type.value_type, uint64)
    if pa.types.is_decimal(arrow_type):     # a uint64 unified with a signed column
        if uint64 == "long" and arrow_type == pa.decimal128(20, 0):
            return T.LongType()
        return T.DecimalType(arrow_type.precision, arrow_type.scale)
    if pa.types.is_fixed_size_binary(arrow_type):
        return T.BinaryType()
    if pa.types.is_duration(arrow_type):
        return T.DayTimeIntervalType(T.DayTimeIntervalType.DAY,
                                     T.DayTimeIntervalType.SECOND)
    if pa.types.is_timestamp(arrow_type):
        return T.TimestampType() if arrow_type.tz else T.TimestampNTZType()
    if (pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type)
            or pa.types.is_fixed_size_list(arrow_type)):
        return T.ArrayType(spark_type(arrow_type.value_type, uint64), True)
    if pa.types.is_struct(arrow_type):
        return T.StructType([T.StructField(f.name, spark_type(f.type, uint64), True)
                             for f in arrow_type])
    raise TypeError("no Spark type for Arrow's %s" % arrow_type)


def spark_schema(arrow_schema, uint64="decimal"):
    """A StructType of `arrow_schema`'s columns, every one nullable."""
    if uint64 not in UINT64:
        raise ValueError("uint64=%r: must be one of %s" % (uint64, ", ".join(UINT64)))
    return T.StructType([T.StructField(f.name, spark_type(f.type, uint64), True)
                         for f in arrow_schema])


def to_spark_arrow(table, schema, uint64="decimal"):
    """`table` (perfscript's types) as the Arrow table Spark takes for the StructType
    `schema`: columns by name (nulls for those the table lacks), each converted by the
    module's table (truncating nanoseconds, the bits of a uint64 kept in "long" mode),
    then cast, checked, to the schema's type where a given schema differs."""
    target = to_arrow_schema(schema)
    n = table.num_rows
    columns = []
    for field in target:
        i = table.schema.get_field_index(field.name)
        if i < 0:
            columns.append(pa.nulls(n, field.type))
            continue
        column = table.column(i)
        mapped = _arrow_of(spark_type(column.type, uint64))
        if column.type != mapped:
            column = pc.cast(column, mapped, safe=False)
        if column.type != field.type:
            column = pc.cast(column, field.type)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=target)


def _arrow_of(spark):
    """The Arrow type Spark exchanges a column of Spark type `spark` as."""
    return to_arrow_schema(T.StructType([T.StructField("c", spark, True)])).field(0).type
