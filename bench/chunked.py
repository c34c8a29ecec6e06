"""One big recording's tables through the chunk planner, with 1 and with 2 worker
processes: wall and CPU time, the speed-up, and each worker's peak RSS against its
chunk's size (issue 15's "one big file on many workers").

    .venv/bin/python bench/chunked.py                  # bench/data/big.data (recorded
                                                       # the first time, ~2.2 GB, root)
    .venv/bin/python bench/chunked.py --data X.data --chunk-mb 256 --workers 1 2 --runs 3

The recording, when absent:

    perf record -q -m 256 -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit \\
        -e sched:sched_switch -e 'cpu-clock/period=1000000,call-graph=fp/' \\
        --max-size=2200M -o bench/data/big.data -- \\
        sh -c 'while :; do ls -R /usr/lib >/dev/null; done'

(syscalls and switches with callchains on a 1 ms cpu-clock: ~2.2 GB, ~20M samples.)

One pool of workers plans (indexes the chunks) and then decodes them, the chunks a
multiple of the workers in number as `read_tables` makes them (at most `--chunk-mb`);
a worker builds every event's table of its chunk and sends back only its row count,
its CPU time and its peak RSS (VmHWM, reset before each chunk), so the figures are the
decoding's, not the transfer's. The baselines are `perfscript.open(FILE).tables()` in one process and
the real `perf script -i FILE` (its text to /dev/null), in the same run. Each
configuration runs `--runs` times, the configurations taking turns, and its fastest
run is shown (the machine is shared: the fastest is the one least disturbed).
"""

import argparse
import concurrent.futures
import multiprocessing
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BIG = os.path.join(HERE, "data", "big.data")
RECORD = ["perf", "record", "-q", "-m", "256", "-e", "raw_syscalls:sys_enter", "-e",
          "raw_syscalls:sys_exit", "-e", "sched:sched_switch", "-e",
          "cpu-clock/period=1000000,call-graph=fp/", "--max-size=2200M", "-o", BIG, "--",
          "sh", "-c", "while :; do ls -R /usr/lib >/dev/null; done"]


def _status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


_BASE = []      # a worker's RSS before its first chunk: the interpreter and imports


def decode(chunk):
    """In a worker: every event's table of the chunk; (rows, cpu s, peak RSS bytes,
    RSS before reading, the worker's RSS before its first chunk). The peak is reset
    first: a process forked from one that had touched the mapped file would start with
    that peak (getrusage's ru_maxrss too)."""
    from perfscript.frames.chunks import read_chunk
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")                 # reset VmHWM to the current RSS
    before = _status("VmRSS")
    if not _BASE:
        _BASE.append(before)
    t0 = time.process_time()
    rows = sum(t.num_rows for t in read_chunk(chunk).values())
    cpu = time.process_time() - t0
    return rows, cpu, _status("VmHWM"), before, _BASE[0]


def _timed(call):
    """In a worker: (f(x), CPU seconds) for call = (f, x)."""
    f, x = call
    t0 = time.process_time()
    out = f(x)
    return out, time.process_time() - t0


def run(path, chunk_bytes, workers):
    """(planning s, decoding s, planning CPU s, chunks, per-chunk results) with one
    pool of `workers` processes for both (the planning's indexing runs in it)."""
    from perfscript.frames.chunks import plan_chunks
    ctx = multiprocessing.get_context("forkserver")
    plan_cpu = []

    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        def timed_map(f, xs):
            out = list(pool.map(_timed, [(f, x) for x in xs]))
            plan_cpu.extend(c for _, c in out)
            return [r for r, _ in out]
        pool.submit(int).result()       # the workers exist before the clock starts
        t0 = time.perf_counter()
        c0 = time.process_time()
        chunks = plan_chunks(path, chunk_bytes, map=timed_map, workers=workers)
        t1 = time.perf_counter()
        plan_cpu.append(time.process_time() - c0)
        out = list(pool.map(decode, chunks))
        t2 = time.perf_counter()
    return t1 - t0, t2 - t1, sum(plan_cpu), chunks, out


def one_process(path):
    """(wall s, CPU s) of perfscript.open(path)'s tables in one fresh process, after
    its imports: the baseline without chunks."""
    code = ("import sys, time, perfscript, perfscript.frames.trace\n"
            "t0 = time.perf_counter(); c0 = time.process_time()\n"
            "t = perfscript.open(sys.argv[1]); n = sum(x.num_rows for x in "
            "t.tables().values())\n"
            "print(time.perf_counter() - t0, time.process_time() - c0, n)")
    out = subprocess.check_output([sys.executable, "-c", code, path], text=True)
    wall, cpu, rows = out.split()
    return float(wall), float(cpu), int(rows)


def perf_script(path):
    """(wall s, CPU s) of the real `perf script -i path` to /dev/null: what perf takes
    to decode and print every sample of the file, for the ratios."""
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as null:
        p = subprocess.Popen(["perf", "script", "-i", path], stdout=null,
                             stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        sys.exit("perf script failed (%d)" % p.returncode)
    return time.perf_counter() - t0, usage.ru_utime + usage.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=BIG)
    ap.add_argument("--chunk-mb", type=int, default=256)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--runs", type=int, default=3,
                    help="runs of each configuration; the fastest is shown")
    ap.add_argument("--no-perf", action="store_true",
                    help="skip the real perf script's run (minutes on a big file)")
    opts = ap.parse_args()
    if not os.path.exists(opts.data):
        if opts.data != BIG:
            sys.exit("no %s" % opts.data)
        print("recording %s (about 4 minutes)" % BIG, flush=True)
        subprocess.run(RECORD, check=False)
    size = os.path.getsize(opts.data)
    print("%s: %.2f GB, chunks of ~%d MB" % (opts.data, size / 1e9, opts.chunk_mb))
    wall0, cpu0, rows0 = min(one_process(opts.data) for _ in range(opts.runs))
    print("one process, no chunks: %.2f s wall, %.2f s CPU, %d rows" % (wall0, cpu0, rows0))
    perf_wall = None
    if not opts.no_perf:
        perf_wall, perf_cpu = perf_script(opts.data)
        print("perf script (6.1) to /dev/null: %.2f s wall, %.2f s CPU; one process "
              "is %.2fx faster" % (perf_wall, perf_cpu, perf_wall / wall0))
    walls = {}
    # the configurations take turns, so that a slow spell of the machine falls on each
    runs = {workers: [] for workers in opts.workers}
    for _ in range(opts.runs):
        for workers in opts.workers:
            runs[workers].append(run(opts.data, opts.chunk_mb << 20, workers))
    for workers in opts.workers:
        plan, wall, plan_cpu, chunks, out = min(runs[workers], key=lambda r: r[0] + r[1])
        walls[workers] = plan + wall
        rows = sum(o[0] for o in out)
        cpu = sum(o[1] for o in out)
        print("%d worker(s): %d chunks; planning %.2f s wall (%.2f s CPU), decoding %.2f s "
              "wall (%.2f s CPU in workers); %.2f s wall in all; %d rows"
              % (workers, len(chunks), plan, plan_cpu, wall, cpu, plan + wall, rows))
        for c, (r, cpu_c, peak, before, base) in zip(chunks, out):
            print("  chunk %d: %4d MB, %9d rows, %5.2f s CPU, RSS %4d MB before, peak "
                  "%4d MB = first RSS %d MB + %.2f x chunk"
                  % (c.index, c.size >> 20, r, cpu_c, before >> 20, peak >> 20,
                     base >> 20, (peak - base) / c.size))
        print("  vs one process: %.2fx" % (wall0 / (plan + wall)))
        if perf_wall is not None:
            print("  vs perf script: %.2fx" % (perf_wall / (plan + wall)))
    if 1 in walls and len(walls) > 1:
        for w, t in walls.items():
            if w != 1:
                print("speed-up 1 -> %d workers (planning and decoding): %.2fx"
                      % (w, walls[1] / t))


if __name__ == "__main__":
    main()
