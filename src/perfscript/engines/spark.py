"""perfscript as a Spark data source (Spark 4's Python Data Source API): each
executor reads its recordings, or chunks of a big one, itself.

    from perfscript.engines.spark import register
    register(spark)                      # spark.dataSource.register(PerfscriptDataSource)
    df = (spark.read.format("perfscript")
          .option("event", "sched:sched_switch")
          .load(["/fleet/host1.data", "/fleet/*.data", "/fleet/traces/"]))

One DataFrame is one event (any of its names: perf's, without modifiers, or the SQL
view), read from every recording named (files, globs, directories: inputs.expand) on
the executors: a perf.data bigger than `chunkBytes` in chunks, a partition each; small
recordings packed into partitions of up to `partitionBytes` as Spark packs small
files (each counting its size plus 4 MiB; a Python task costs Spark tenths of a
second, more than a small recording's read). Its columns are the event's table's (docs/frames.md), their union over
the files (engines.schema), typed by spark_types' table, then `source_file` and
`source_host`. Options:

| option | default | what |
|---|---|---|
| `event` | (required) | the event to read |
| `chunkBytes` | 268435456 | a perf.data bigger than this is read in chunks of about this size, a partition each; 0: never cut |
| `partitionBytes` | 134217728 | consecutive recordings share a partition up to this many bytes (Spark's maxPartitionBytes); 0: a partition per recording or chunk |
| `minPartitions` | the driver's CPUs | fewer bytes a partition when that makes this many (Spark's maxSplitBytes): set it to the cluster's cores |
| `uint64` | `decimal` | uint64 columns as DecimalType(20,0) (exact), or `long`: LongType holding the same 64 bits |
| `mode` | `FAILFAST` | a recording perfscript cannot read fails the job with its error (the file, the offset, what was wrong); `PERMISSIVE`: it is one row whose `source_error` column says so, the others are read |
| `kallsyms`, `vmlinux`, `symfs` | | perf's options of those names, for the callchains' symbols, read on the executors |

`.schema(...)` skips the inference (which opens every file's header on the driver, a
pipe's or a trace.dat's whole file): columns are taken by name, missing ones null,
others cast. An option the source does not know is an error.
The recordings' paths must be readable on every executor (a shared file system).
"""

import json
import os

from perfscript.engines import inputs, layout, parts
from perfscript.engines.schema import event_schema
from perfscript.engines.spark_types import UINT64, spark_schema, to_spark_arrow
from perfscript.frames.extras import require

datasource = require("pyspark.sql.datasource", "perfscript's Spark data source")

MODES = {"FAILFAST": "raise", "PERMISSIVE": "record"}
BATCH_ROWS = 65536
PARTITION_BYTES = 128 << 20     # spark.sql.files.maxPartitionBytes' default

__all__ = ["PerfscriptDataSource", "register", "write_dataset"]


# the options read (Spark hands their keys over in lower case), `path`/`paths` load()'s
OPTIONS = ("path", "paths", "event", "chunkbytes", "partitionbytes", "minpartitions",
           "uint64", "mode", "kallsyms", "vmlinux", "symfs")


class _Settings:
    """The reader's options, checked (Spark's option keys ignore case)."""

    def __init__(self, options):
        unknown = sorted(k for k in options if k.lower() not in OPTIONS)
        if unknown:
            raise ValueError("perfscript: unknown option %s (options: event, chunkBytes, "
                             "partitionBytes, minPartitions, uint64, mode, kallsyms, "
                             "vmlinux, symfs)" % ", ".join(map(repr, unknown)))
        if "paths" in options:
            self.paths = json.loads(options["paths"])
        elif "path" in options:
            self.paths = [options["path"]]
        else:
            raise ValueError("perfscript: no recordings: load(path or [paths])")
        self.event = options.get("event")
        if not self.event:
            raise ValueError("perfscript: which event? .option('event', "
                             "'sched:sched_switch') (one DataFrame per event)")
        self.chunk_bytes = int(options.get("chunkBytes", parts.DEFAULT_CHUNK_BYTES))
        self.partition_bytes = int(options.get("partitionBytes", PARTITION_BYTES))
        self.min_partitions = int(options.get("minPartitions", os.cpu_count() or 1))
        self.uint64 = options.get("uint64", "decimal").lower()
        if self.uint64 not in UINT64:
            raise ValueError("perfscript: option uint64=%r: one of %s"
                             % (self.uint64, ", ".join(UINT64)))
        mode = options.get("mode", "FAILFAST").upper()
        if mode not in MODES:
            raise ValueError("perfscript: option mode=%r: one of %s"
                             % (mode, ", ".join(MODES)))
        self.errors = MODES[mode]
        self.symbol_options = {k: options.get(k) for k in ("kallsyms", "vmlinux", "symfs")}

    def files(self):
        return inputs.expand(self.paths)


class PerfscriptDataSource(datasource.DataSource):
    """`spark.read.format("perfscript")`: see the module's docstring."""

    @classmethod
    def name(cls):
        return "perfscript"

    def schema(self):
        s = _Settings(self.options)
        return spark_schema(event_schema(s.files(), s.event, s.errors),
                            s.uint64)

    def reader(self, schema):
        return PerfscriptReader(_Settings(self.options), schema)


class PerfscriptReader(datasource.DataSourceReader):
    """Plans the parts on the driver, reads one per task on the executors."""

    def __init__(self, settings, schema):
        self.settings = settings
        self.schema = schema

    def partitions(self):
        s = self.settings
        planned = parts.plan(s.files(), s.chunk_bytes, s.errors)
        return [datasource.InputPartition(run)
                for run in parts.grouped(planned, s.partition_bytes,
                                         min_runs=s.min_partitions)]

    def read(self, partition):
        s = self.settings
        for part in partition.value:
            table = parts.read_part(part, s.event, s.symbol_options, s.errors)
            if table is not None:
                table = to_spark_arrow(table, self.schema, s.uint64)
                yield from table.to_batches(BATCH_ROWS)


def register(spark):
    """Make `spark.read.format("perfscript")` this data source in session `spark`."""
    spark.dataSource.register(PerfscriptDataSource)


def write_dataset(spark, paths, directory, events=None, save_mode="errorifexists",
                  **options):
    """Write the recordings' events (all of them, or `events`) as Parquet, one Spark
    write per event into `directory/event=<SQL view>/` (engines.layout), Spark's
    types and the source columns, each event read from the files that have it (which
    a Spark job finds first). `save_mode` is Spark's
    (`overwrite`, `append`...); `options` the reader's (`chunkBytes=...`,
    `mode="PERMISSIVE"`...). Returns {event: its directory}."""
    files = inputs.expand(paths)
    slices = max(1, min(len(files), 2 * spark.sparkContext.defaultParallelism))
    found = spark.sparkContext.parallelize(files, slices).map(layout.views).collect()
    out = {}
    for event, (where, _, event_files) in layout.plan(zip(files, found), directory,
                                                       events).items():
        reader = spark.read.format("perfscript").option("event", event)
        for k, v in options.items():
            reader = reader.option(k, v)
        reader.load(event_files).write.mode(save_mode).parquet(where)
        out[event] = where
    return out
