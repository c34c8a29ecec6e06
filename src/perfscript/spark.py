"""Spark: `perfscript.spark.register(spark)`, then
`spark.read.format("perfscript").option("event", ...).load(paths)` (engines.spark).
Needs `pip install 'perfscript[spark]'` and Java."""

from perfscript.engines.spark import PerfscriptDataSource, register, write_dataset

__all__ = ["PerfscriptDataSource", "register", "write_dataset"]
