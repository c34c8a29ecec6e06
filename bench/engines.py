#!/usr/bin/env python3
"""Many recordings through Spark and Dask: the fleet's recordings converted to a Parquet
dataset (an `event=<view>/` directory per event) through Spark `local[2]` and a Dask
LocalCluster of two worker processes, against the same conversion in this one process;
then one query (the ten comms with the most samples of an event, cpu-clock by default)
file by file, through each engine over its dataset, and through each engine straight
from the recordings.

    .venv/bin/python bench/engines.py                        # bench/data/fleet
    .venv/bin/python bench/engines.py --inputs 'bench/data/*.data' --rows dask
    .venv/bin/python bench/engines.py --runs 3               # best of 3 per row

The fleet is bench/data/fleet/ (not committed; bench/workload/record_fleet.py records
it, see bench/README.md). Times are wall seconds, best of --runs, with the CPU
seconds of that run (this process and all under it: the JVM, Spark's Python workers,
Dask's workers); an engine's start (the JVM, the cluster's processes) is timed apart,
once. The
machine's load (/proc/loadavg) is printed before and after: on shared cores, wall times
are worth what the load lets them be. Every query's answer is checked against the
file-by-file one.
"""

import argparse
import collections
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FLEET = os.path.join(HERE, "data", "fleet")
ROWS = ("serial", "spark", "dask")


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def cpu_seconds():
    """User + system CPU seconds of this process and every process under it (the
    JVM, Spark's Python workers, Dask's workers), those ended and waited for included."""
    import psutil
    me = psutil.Process()
    total = 0.0
    for p in [me] + me.children(recursive=True):
        try:
            t = p.cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


def best(runs, fn):
    """((least wall seconds of `runs` calls, CPU seconds of that call), the last
    call's result)."""
    times, out = [], None
    for _ in range(runs):
        c0, t0 = cpu_seconds(), time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0, cpu_seconds() - c0))
    return min(times), out


def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    return path


def convert_serial(files, out):
    """The Dask conversion's tasks run one after another in this process: each
    recording surveyed, then each part's events read in one pass and written
    (engines.layout)."""
    from perfscript.engines import layout, parts
    planned = layout.plan([(f, layout.survey(f)) for f in files], out)
    targets = {}
    for event, (where, schema, event_files) in planned.items():
        os.makedirs(where, exist_ok=True)
        for path in event_files:
            targets.setdefault(path, {})[event] = (where, schema)
    for i, part in enumerate(parts.plan(list(targets))):
        layout.write_parts(part, targets[part.path], i)


def top_file_by_file(files, event):
    """The query run on each recording's table, the counts added up."""
    import perfscript
    from perfscript.engines.parts import find_event
    total = collections.Counter()
    for path in files:
        with perfscript.open(path) as probe:
            name = find_event(probe, event)
        if name is None:
            continue
        with perfscript.open(path, events=[name]) as t:
            counts = t.table(name).group_by("sample_comm").aggregate([([], "count_all")])
        for comm, n in zip(counts.column("sample_comm").to_pylist(),
                           counts.column("count_all").to_pylist()):
            total[comm] += n
    return top(total.items())


def top(pairs):
    return sorted(((c, int(n)) for c, n in pairs), key=lambda kv: (-kv[1], kv[0]))[:10]


def view_of(files, event):
    from perfscript.engines.layout import views
    return next(views(f)[event] for f in files if event in views(f))


def spark_rows(files, event, out, runs, report):
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    t0 = time.perf_counter()
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F
    spark = (SparkSession.builder.master("local[2]").appName("perfscript-bench")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", "2")
             .config("spark.local.dir", os.path.join(out, "spark-tmp")).getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    import perfscript.spark
    perfscript.spark.register(spark)
    report("spark-start", time.perf_counter() - t0, "local[2]: the JVM, the session")
    try:
        where = os.path.join(out, "spark")
        seconds, written = best(runs, lambda: perfscript.spark.write_dataset(
            spark, files, fresh(where)))
        report("spark-convert", seconds, "%d events -> %s" % (len(written), where))

        def query(df):
            rows = (df.groupBy("sample_comm").count()
                    .orderBy(F.desc("count"), "sample_comm").limit(10).collect())
            return top((r["sample_comm"], r["count"]) for r in rows)
        seconds, answer = best(runs, lambda: query(spark.read.parquet(written[event])))
        report("spark-query-dataset", seconds,
               "Spark SQL over event=%s/" % view_of(files, event), answer)
        seconds, answer = best(runs, lambda: query(
            spark.read.format("perfscript").option("event", event).load(files)))
        report("spark-query-direct", seconds, "the data source, from the recordings",
               answer)
    finally:
        spark.stop()


def dask_rows(files, event, out, runs, report):
    t0 = time.perf_counter()
    import dask.dataframe as dd
    from distributed import Client, LocalCluster
    import perfscript.dask
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster):
        report("dask-start", time.perf_counter() - t0, "LocalCluster of 2 processes")
        where = os.path.join(out, "dask")
        seconds, written = best(runs, lambda: perfscript.dask.write_dataset(
            files, fresh(where)))
        report("dask-convert", seconds, "%d events -> %s" % (len(written), where))

        def query(df):
            counts = df.groupby("sample_comm", observed=True).size().compute()
            return top(counts.items())
        seconds, answer = best(runs, lambda: query(
            dd.read_parquet(written[event], dtype_backend="pyarrow")))
        report("dask-query-dataset", seconds, "dask over event=%s/" % view_of(files, event),
               answer)
        seconds, answer = best(runs, lambda: query(
            perfscript.dask.read_events(files, event)))
        report("dask-query-direct", seconds, "read_events, from the recordings", answer)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--inputs", action="append", help="recordings: paths, globs, "
                    "directories (default: %s)" % os.path.relpath(FLEET))
    ap.add_argument("--event", default="cpu-clock", help="the query's event")
    ap.add_argument("--rows", action="append", choices=ROWS, help="default: all")
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    from perfscript.engines.inputs import expand
    if not args.inputs and not os.path.isdir(FLEET):
        sys.exit("bench/engines.py: no %s: record it with bench/workload/record_fleet.py, "
                 "or name recordings with --inputs" % os.path.relpath(FLEET))
    files = expand(args.inputs or [FLEET])
    size = sum(os.path.getsize(f) for f in files)
    print("%d recordings, %.1f MB; load %s" % (len(files), size / 1e6, loadavg()))
    expected = top_file_by_file(files, args.event)
    out = tempfile.mkdtemp(prefix="perfscript-bench-engines-")

    def report(row, seconds, what, answer=None):
        wall, cpu = seconds if isinstance(seconds, tuple) else (seconds, None)
        check = ""
        if answer is not None:
            check = ("  same answer" if answer == expected
                     else "  DIFFERENT ANSWER: %r" % answer)
        print("%-22s %8.2f s %9s  %s%s" % (row, wall, "" if cpu is None else
                                          "%.2f s CPU" % cpu, what, check), flush=True)

    try:
        seconds, _ = best(args.runs, lambda: top_file_by_file(files, args.event))
        report("query-file-by-file", seconds, "perfscript.open(file, events=[%r]) each"
               % args.event)
        rows = args.rows or ROWS
        if "serial" in rows:
            where = os.path.join(out, "serial")
            seconds, _ = best(args.runs, lambda: convert_serial(files, fresh(where)))
            report("serial-convert", seconds, "one process, no engine -> %s" % where)
        if "spark" in rows:
            spark_rows(files, args.event, out, args.runs, report)
        if "dask" in rows:
            dask_rows(files, args.event, out, args.runs, report)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print("load %s; top %s by sample_comm: %s" % (loadavg(), args.event, expected[:3]))


if __name__ == "__main__":
    main()
