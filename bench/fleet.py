#!/usr/bin/env python3
"""Many recordings at once: the fleet's 200 perf.data files into one dataset, by 1 and 2
worker processes, and one SQL query over the dataset against the same query file by
file.

    .venv/bin/python bench/fleet.py                 # best of 3 runs per row
    .venv/bin/python bench/fleet.py --runs 1 --rows dataset-1 --rows dataset-2

The fleet is bench/data/fleet/ (not committed), recorded first when absent by
bench/workload/record_fleet.py (root, the real perf; see there and bench/README.md).
Each row runs its commands as child processes with bench/run.py's environment and prints
the best wall time of N runs, the CPU time of that run (user + system, the export's
workers included: the export's own summary line adds them up), and what is compared.
The machine's load (/proc/loadavg) is printed before and after: on shared cores, wall
times are worth what the load lets them be.
"""

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run import child_env  # noqa: E402  (bench/run.py's child environment)

FLEET = os.path.join(HERE, "data", "fleet")
RECORD = os.path.join(HERE, "workload", "record_fleet.py")
PERFSCRIPT = [sys.executable, "-m", "perfscript"]
FLEET_SIZE = 200

# the query of the sql rows: the ten comms with the most cpu-clock samples, over every
# recording that has cpu-clock
QUERY = ("SELECT sample_comm AS comm, count(*) AS n FROM cpu_clock GROUP BY 1 "
         "ORDER BY n DESC, comm LIMIT 10")
# the same per file, merged by the caller (the counts of each file, added up)
FILE_QUERY = "SELECT sample_comm AS comm, count(*) AS n FROM cpu_clock GROUP BY 1"

# one recording at a time through the API, in one process: what a user's loop does
# (only cpu-clock read, its table queried by DuckDB as the recording's view)
PER_FILE_API = """
import sys, duckdb, perfscript
from perfscript.frames.dataset.inputs import expand
from perfscript.frames.tables import sql_table
con = duckdb.connect()
total = {}
for path in expand([sys.argv[1]])[0]:
    try:
        with perfscript.open(path, events=["cpu_clock"]) as t:
            table = sql_table(t.table("cpu_clock"))
    except KeyError:                    # no cpu-clock (a pipe's events come with its data)
        continue
    con.register("cpu_clock", table)
    for comm, n in con.sql(%r).fetchall():
        total[comm] = total.get(comm, 0) + n
    con.unregister("cpu_clock")
top = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
print("\\n".join("%%s,%%d" %% kv for kv in top))
""" % FILE_QUERY


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def timed(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
    """(wall seconds, user + system CPU seconds of the child and what it waited for,
    exit status)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                         env=child_env())
    _, status, usage = os.wait4(p.pid, 0)
    return time.perf_counter() - t0, usage.ru_utime + usage.ru_stime, \
        os.waitstatus_to_exitcode(status)


# `perfscript export --dataset ROOT -j JOBS FLEET`, as the command runs it (cli/
# dataset_export.py calls write_dataset), printing the figures the bench needs: the
# workers' CPU is theirs (they are the forkserver's children, not this one's)
EXPORT = """
import json, sys
from perfscript.frames.dataset.build import write_dataset
s = write_dataset(sys.argv[1], [sys.argv[3]], jobs=int(sys.argv[2]))
print(json.dumps({"failed": len(s.failed), "workers": sorted(s.worker_cpu.values()),
                  "busy": sum(o.seconds for o in s.outcomes)}))
"""


def export(scratch, jobs, fresh=True):
    """One export of the fleet into a dataset: (wall, CPU of the process (from its
    start) and its workers, status, the CPU of its busiest process, the seconds its
    conversions took added up over the workers, the workers' CPU)."""
    import json
    ds = os.path.join(scratch, "fleet.ds")
    if fresh:
        shutil.rmtree(ds, ignore_errors=True)
    with tempfile.TemporaryFile() as out:
        wall, own, status = timed([sys.executable, "-c", EXPORT, ds, str(jobs), FLEET],
                                  stdout=out)
        out.seek(0)
        figures = json.loads(out.read().decode() or "{}")
    if status != 0 or figures.get("failed"):
        raise SystemExit("export -j %d failed (%d): %r" % (jobs, status, figures))
    workers = sum(figures["workers"]) if figures["workers"] else own
    return wall, own + sum(figures["workers"]), status, max([own] + figures["workers"]), \
        figures["busy"], workers


def burn(scratch, jobs):
    """The machine's own figure: two CPU-bound loops one after the other (jobs=1) or
    side by side (jobs=2), as much work as the dataset rows do."""
    loop = "x = 0\nfor i in range(60000000): x += i"
    cmd = [sys.executable, "-c", loop]
    if jobs == 1:
        w1, c1, s1 = timed(cmd)
        w2, c2, s2 = timed(cmd)
        return w1 + w2, c1 + c2, s1 or s2
    return timed(["sh", "-c", "%s & %s; wait" % (shlex.join(cmd), shlex.join(cmd))])


def _query(cmd):
    """(wall, CPU, status, the result's rows as `comm,n` lines) of a query command."""
    with tempfile.TemporaryFile() as out:
        wall, cpu, status = timed(cmd, stdout=out)
        out.seek(0)
        lines = out.read().decode().splitlines()
    return wall, cpu, status, [line for line in lines if line != "comm,n"]


def sql_dataset(scratch):
    return _query(PERFSCRIPT + ["sql", "-i", os.path.join(scratch, "fleet.ds"), "--csv",
                                QUERY])


def sql_per_file_api(scratch):
    return _query([sys.executable, "-c", PER_FILE_API, FLEET])


def sql_per_file_cli(scratch):
    """`perfscript sql -i FILE` for each recording with cpu-clock (the shell's way);
    each file's counts, not merged."""
    from perfscript.frames.dataset import open_dataset
    files = [f for f, e in open_dataset(os.path.join(scratch, "fleet.ds")).files.items()
             if "cpu-clock" in e["events"]]
    wall = cpu = 0.0
    for path in files:
        w, c, status = timed(PERFSCRIPT + ["sql", "-i", path, "--csv", FILE_QUERY])
        if status != 0:
            return wall, cpu, status
        wall += w
        cpu += c
    return wall, cpu, 0


ROWS = [
    {"name": "machine-1", "what": "two CPU-bound python loops one after the other (what "
     "the machine gives one process now)", "run": lambda d: burn(d, 1)},
    {"name": "machine-2", "what": "the same two side by side (what it gives two)",
     "run": lambda d: burn(d, 2)},
    {"name": "dataset-1", "what": "the fleet into a new dataset, 1 worker (in the process)",
     "run": lambda d: export(d, 1)},
    {"name": "dataset-2", "what": "the same, 2 worker processes",
     "run": lambda d: export(d, 2)},
    {"name": "dataset-again", "what": "the export again: every input unchanged (size and "
     "mtime as the manifest's)", "run": lambda d: export(d, 2, fresh=False)},
    {"name": "sql-dataset", "what": "perfscript sql -i DATASET: the top-10 query over all "
     "files", "run": sql_dataset},
    {"name": "sql-per-file-api", "what": "the same query on each file in one process "
     "(perfscript.open(f, events=[cpu_clock]), DuckDB over its table), counts merged",
     "run": sql_per_file_api},
    {"name": "sql-per-file-cli", "what": "perfscript sql -i FILE for each file with "
     "cpu-clock (one process each)", "run": sql_per_file_cli},
]


def ensure_fleet():
    have = sum(len(fs) for _, _, fs in os.walk(FLEET)) if os.path.isdir(FLEET) else 0
    if have >= FLEET_SIZE:
        return
    print("recording the fleet into %s (%s) ..." % (FLEET, RECORD), file=sys.stderr)
    subprocess.run([sys.executable, RECORD, "--count", str(FLEET_SIZE), "--out", FLEET],
                   check=True, stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="runs per row, best kept (3)")
    ap.add_argument("--rows", action="append", metavar="NAME",
                    help="only these rows: " + ", ".join(r["name"] for r in ROWS))
    opts = ap.parse_args()
    ensure_fleet()
    rows = [r for r in ROWS if not opts.rows or r["name"] in opts.rows]
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(FLEET)
               for f in fs)
    print("fleet: %s, %d files, %.1f MB; %d CPUs; load %s"
          % (os.path.relpath(FLEET), sum(len(fs) for _, _, fs in os.walk(FLEET)),
             size / 1e6, len(os.sched_getaffinity(0)), loadavg()))
    print("%-18s %8s %8s  %s" % ("row", "wall s", "CPU s", "load before"))
    best = {}
    with tempfile.TemporaryDirectory(prefix="perfscript-fleet-") as scratch:
        if any(r["name"].startswith("sql") or r["name"] == "dataset-again" for r in rows) \
                and not any(r["name"] in ("dataset-1", "dataset-2") for r in rows):
            export(scratch, 2)          # the dataset the other rows read
        for row in rows:
            results = []
            for _ in range(max(1, opts.runs)):
                load = loadavg()
                wall, cpu, status, *extra = row["run"](scratch)
                if status != 0:
                    raise SystemExit("%s failed (%d)" % (row["name"], status))
                results.append((wall, cpu, load, extra))
            wall, cpu, load, extra = min(results, key=lambda r: r[0])
            best[row["name"]] = (wall, cpu) + tuple(extra)
            print("%-18s %8.2f %8.2f  %s" % (row["name"], wall, cpu, load), flush=True)
    print("load after: %s" % loadavg())
    if "machine-1" in best and "machine-2" in best:
        print("the machine now: two processes run %.2fx as fast as one"
              % (best["machine-1"][0] / best["machine-2"][0]))
    if "dataset-1" in best and "dataset-2" in best:
        (w1, c1, *_), (w2, c2, busiest, busy, workers) = best["dataset-1"], best["dataset-2"]
        print("speed-up 1 -> 2 workers: %.2fx wall; CPU %.1f s -> %.1f s; on two idle "
              "cores, by the busiest process's CPU (%.1f s): %.2fx"
              % (w1 / w2, c1, c2, busiest, c1 / busiest))
        print("with 2 workers, conversions ran %.1f s (both workers' added up) for %.1f s "
              "of their CPU: each had %.0f%% of a core" % (busy, workers,
                                                          100 * workers / busy))
    if "sql-dataset" in best:
        for other in ("sql-per-file-api", "sql-per-file-cli"):
            if other in best:
                print("%s / sql-dataset: %.1fx wall" % (other, best[other][0]
                                                       / best["sql-dataset"][0]))
        if "sql-per-file-api" in best and best["sql-per-file-api"][2] != best["sql-dataset"][2]:
            raise SystemExit("the dataset's result is not the files' merged: %r != %r"
                             % (best["sql-dataset"][2], best["sql-per-file-api"][2]))
    print("rows: " + "; ".join("%s = %s" % (r["name"], r["what"]) for r in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
