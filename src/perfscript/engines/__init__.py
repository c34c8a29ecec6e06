"""perfscript's tables read by distributed engines: many recordings, and big ones cut
into chunks, as one Spark or Dask DataFrame per event (engines.spark, engines.dask).

    perfscript.spark.register(spark)
    spark.read.format("perfscript").option("event", "sched:sched_switch").load(paths)
    perfscript.dask.read_events(paths, "sched:sched_switch")     # a dask DataFrame

What both run, engine-free (imported by their workers): `inputs` (paths, globs and
directories to recordings), `parts` (a recording or a chunk of one: what a task
reads), `schema` (one schema for an event whose recordings differ) and `layout` (a
dataset's directories); docs/engines.md tells the rest:

>>> from perfscript.engines import inputs, parts, schema
>>> files = inputs.expand(["examples/sched.data"])
>>> work = parts.plan(files, chunk_bytes=256 << 20)    # a Part per file or per chunk
>>> table = parts.read_part(work[0], "sched:sched_switch")
>>> table.num_rows, table.column_names[-2:]
(11, ['source_file', 'source_host'])
>>> schema.event_schema(files, "sched:sched_switch") == table.schema
True
"""
