#!/usr/bin/env python3
"""perf script vs perfscript, side by side on the same recording.

    .venv/bin/python bench/run.py            # best of 3 runs per command
    .venv/bin/python bench/run.py --quick    # one run each
    .venv/bin/python bench/run.py --rows noop-named --runs 5

Records its recordings under bench/data on first use (bench/data/ is not committed):
syscalls.data (raw_syscalls of `ls -R /usr/lib`, >= 400k events) and callchain.data
(>= 100k cpu-clock samples with kernel and user callchains, for the db-export rows); counts
their events once with `perf script` (cached next to each), then for each row times
`perf script ...` and `perfscript ...` (same arguments, same environment) and prints
events/s, the time ratio and the peak RSS of each.  --profile shows where perfscript's time
goes.  See bench/README.md.
"""

import argparse
import json
import os
import pstats
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
SCRIPTS = os.path.join(HERE, "scripts")
ENV_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

REPO = os.path.dirname(HERE)
# the interpreter with PySide2 (Debian ships it for /usr/bin/python3 only), made by .ci/run
SYS_VENV_PYTHON = os.path.join(REPO, ".venv-sys", "bin", "python")
EXPORT_TO_SQLITE = "/usr/lib/perf-core/scripts/python/export-to-sqlite.py"
STACKCOLLAPSE = "/usr/lib/perf-core/scripts/python/stackcollapse.py"

# The recordings rows run on: made on first use with `record` ({out} = the file), their
# events counted with `perf script` plus `count_args` (one output line per event).
RECORDINGS = {
    # each `ls -R /usr/lib` makes ~130k raw_syscalls events on the reference image; -m 1024
    # (4 MiB buffers) so perf does not lose events
    "syscalls": {
        "file": os.path.join(DATA, "syscalls.data"), "min_events": 400000,
        "record": ["perf", "record", "-m", "1024", "-o", "{out}",
                   "-e", "raw_syscalls:sys_enter", "-e", "raw_syscalls:sys_exit", "--",
                   "sh", "-c", "for i in 1 2 3 4; do ls -R /usr/lib >/dev/null; done"],
        "count_args": []},
    # cpu-clock every 10 us on every CPU for 1 s (~130k samples on 2 CPUs) while `ls -R`
    # (kernel-heavy) and a python busy loop (user frames) run; -F time: one line a sample,
    # not one per callchain frame
    "callchain": {
        "file": os.path.join(DATA, "callchain.data"), "min_events": 100000,
        "record": ["perf", "record", "-q", "-g", "-e", "cpu-clock", "-c", "10000", "-a",
                   "-m", "1024", "-o", "{out}", "--", "sh", "-c",
                   "timeout 1 ls -R /usr/lib >/dev/null & "
                   "timeout 1 /usr/bin/python3 -c 'while 1: pass'; wait"],
        "count_args": ["-F", "time"]},
    # --call-graph dwarf (8 KB stack copies, perf's default) of python3 running json, re
    # and zlib (python3, libc, libm, libz, extension modules): ~25k samples, ~200 MB
    "dwarf": {
        "file": os.path.join(DATA, "dwarf.data"), "min_events": 20000,
        "record": ["perf", "record", "-q", "-F", "10000", "--call-graph", "dwarf",
                   "-m", "1024", "-o", "{out}", "--", "/usr/bin/python3", "-c",
                   "import json, re, zlib\n"
                   "d = {{}}\n"
                   "for i in range(300000):\n"
                   "    s = json.dumps({{'i': i, 'v': [i, i * 2, str(i)]}})\n"
                   "    d[i % 1000] = zlib.crc32(s.encode()) ^ len(re.findall(r'\\d', s))\n"],
        "count_args": ["-F", "time"]},
}

# One row per comparison: the arguments after `perf script` / `perfscript` ({data} = the
# recording, {scripts} = bench/scripts).  Add rows here (text output: args ["-i", "{data}"];
# a columnar row can use "perfscript_cmd" to run another command on the perfscript side).
# "recording" names one of RECORDINGS (default syscalls); "qt": the script imports PySide2,
# so perfscript runs under .venv-sys; "fresh": files (in the scratch directory) removed
# before each run.
ROWS = [
    {"name": "noop-named",
     "what": "no-op named handlers raw_syscalls__sys_enter/exit",
     "args": ["-i", "{data}", "-s", "{scripts}/noop_named.py"]},
    {"name": "noop-unhandled",
     "what": "no-op trace_unhandled(event_name, context, event_fields_dict)",
     "args": ["-i", "{data}", "-s", "{scripts}/noop_unhandled.py"]},
    {"name": "frames-arrow",
     "what": "perf's text output vs decoding every event into Arrow tables "
             "(python -m perfscript.frames: perfscript.open(...).tables())",
     "args": ["-i", "{data}"],
     "perfscript_cmd": shlex.join([sys.executable, "-m", "perfscript.frames"])},
    {"name": "frames-decode",
     "what": "as frames-arrow, but perfscript's time is the decode alone, measured inside "
             "the process after its imports (--time): what a notebook user waits",
     "args": ["-i", "{data}"], "time_from_output": True,
     "perfscript_cmd": shlex.join([sys.executable, "-m", "perfscript.frames", "--time"])},
    {"name": "text",
     "what": "perf script's own text output (no -s), same stdout as perf",
     "args": ["-i", "{data}"]},
    {"name": "text-callchain",
     "what": "perf script's text output of cpu-clock -g samples (one line per frame: "
             "what FlameGraph's stackcollapse reads)",
     "recording": "callchain",
     "args": ["-i", "{data}"]},
    {"name": "text-comm",
     "what": "-F comm on the callchain recording (the cost of reading and the line start)",
     "recording": "callchain",
     "args": ["-i", "{data}", "-F", "comm"]},
    {"name": "text-ip-sym",
     "what": "-F time,ip,sym on the callchain recording (frames without dso or offset)",
     "recording": "callchain",
     "args": ["-i", "{data}", "-F", "time,ip,sym"]},
    {"name": "text-G",
     "what": "-G on the callchain recording (each sample's own ip, no callchain)",
     "recording": "callchain",
     "args": ["-i", "{data}", "-G"]},
    {"name": "stackcollapse",
     "what": "perf's shipped stackcollapse.py (process_event with callchains) on the "
             "callchain recording",
     "recording": "callchain",
     "args": ["-i", "{data}", "-s", STACKCOLLAPSE]},
    {"name": "text-dwarf",
     "what": "perf script's text output of --call-graph dwarf samples: user stacks "
             "unwound from the stack copies (perf: libunwind), inlined frames included",
     "recording": "dwarf",
     "args": ["-i", "{data}"]},
    {"name": "stackcollapse-dwarf",
     "what": "perf's shipped stackcollapse.py on the --call-graph dwarf recording",
     "recording": "dwarf",
     "args": ["-i", "{data}", "-s", STACKCOLLAPSE]},
    {"name": "dbexport-noop",
     "what": "db-export mode, every *_table handler a no-op, calls and callchains",
     "recording": "callchain",
     "args": ["-i", "{data}", "-s", "{scripts}/dbexport_noop.py"]},
    {"name": "export-sqlite",
     "what": "perf's export-to-sqlite.py DB all calls callchains (PySide2), a new DB each run",
     "recording": "callchain", "qt": True, "fresh": ["bench.db"],
     "args": ["-i", "{data}", "-s", EXPORT_TO_SQLITE, "bench.db", "all", "calls",
              "callchains"]},
]


def child_env():
    env = {k: v for k, v in os.environ.items()
           if k not in ("PERF_EXEC_PATH", "PYTHONUNBUFFERED", "PYTHONHOME")}
    env.update(PATH=ENV_PATH, LC_ALL="C", TZ="UTC", PYTHONHASHSEED="0")
    return env


def run_once(cmd, cwd, time_from_output=False):
    """(seconds, peak RSS in KiB, exit status, stderr tail) of one child run: wall time,
    or with `time_from_output` the "N.NNN s" its last output line reports."""
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                             stdout=out if time_from_output else subprocess.DEVNULL,
                             stderr=err, cwd=cwd, env=child_env())
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read()[-2000:].decode("utf-8", "replace")
        if time_from_output and p.returncode == 0:
            out.seek(0)
            last = (out.read().decode("utf-8", "replace").strip().splitlines() or [""])[-1]
            try:
                wall = float(last.split()[0])
            except (ValueError, IndexError):
                p.returncode = 1
                tail = "no time in the output: %r" % last
    return wall, usage.ru_maxrss, p.returncode, tail


def ensure_recording(path, recording, rebuild=False):
    if os.path.exists(path) and not rebuild:
        return
    if recording is None:
        sys.exit("%s does not exist" % path)
    os.makedirs(DATA, exist_ok=True)
    print("recording %s ..." % path, file=sys.stderr)
    subprocess.run([a.format(out=path) for a in recording["record"]], check=True,
                   env=child_env(), stdout=subprocess.DEVNULL)
    old = path + ".old"
    if os.path.exists(old):
        os.unlink(old)


def count_events(path, count_args):
    """Events in the file, from `perf script [count_args] | wc -l`, cached by size, mtime
    and count_args."""
    st = os.stat(path)
    cache = path + ".events.json"
    key = [st.st_size, int(st.st_mtime)] + count_args
    try:
        with open(cache) as f:
            c = json.load(f)
        if c["key"] == key:
            return c["events"]
    except (OSError, ValueError, KeyError):
        pass
    p = subprocess.Popen(["perf", "script", "-i", path] + count_args, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, env=child_env())
    n = 0
    for chunk in iter(lambda: p.stdout.read(1 << 20), b""):
        n += chunk.count(b"\n")
    p.wait()
    try:
        with open(cache, "w") as f:
            json.dump({"key": key, "events": n}, f)
    except OSError:
        pass
    return n


def fmt_rate(events, secs):
    r = events / secs
    return "%.2fM" % (r / 1e6) if r >= 1e6 else "%.0fk" % (r / 1e3)


def perfscript_cmd(row, opts):
    if row.get("perfscript_cmd"):
        return shlex.split(row["perfscript_cmd"])
    if row.get("qt"):
        return [SYS_VENV_PYTHON, "-m", "perfscript"]
    return shlex.split(opts.perfscript)


def print_profile(row, cmd, cwd, top):
    """Run the perfscript side of a row once under cProfile; print its `top` functions by
    own time."""
    if len(cmd) < 3 or cmd[1:3] != ["-m", "perfscript"]:
        print("  %s: cannot profile %r (not `PYTHON -m perfscript`)" % (row["name"], cmd[0]))
        return
    for name in row.get("fresh", ()):
        if os.path.exists(os.path.join(cwd, name)):
            os.unlink(os.path.join(cwd, name))
    out = os.path.join(cwd, "profile.out")
    wall, _, status, err = run_once(cmd[:1] + ["-m", "cProfile", "-o", out] + cmd[1:], cwd)
    if status != 0:
        print("  %s: profiled run exited %d: %s" % (row["name"], status, err.strip()[-300:]))
        return
    print("\n%s: perfscript under cProfile, %.2f s; top %d by own time:" % (
        row["name"], wall, top))
    stats = pstats.Stats(out, stream=sys.stdout)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="runs per command, best kept (3)")
    ap.add_argument("--quick", action="store_true", help="one run per command")
    ap.add_argument("--rows", action="append", metavar="NAME",
                    help="only these rows (repeatable): " + ", ".join(r["name"] for r in ROWS))
    ap.add_argument("--data", help="recording to use for every row (rows must fit it; "
                                   "default: each row's own under bench/data)")
    ap.add_argument("--rerecord", action="store_true", help="record bench/data again")
    ap.add_argument("--perf", default="perf script", help="perf command (%(default)r)")
    ap.add_argument("--perfscript", default=shlex.join([sys.executable, "-m", "perfscript"]),
                    help="perfscript command (%(default)r; rows marked qt use .venv-sys)")
    ap.add_argument("--profile", type=int, nargs="?", const=15, metavar="N",
                    help="then run each row's perfscript side once under cProfile and print "
                         "its top N functions (15)")
    opts = ap.parse_args()
    runs = 1 if opts.quick else max(1, opts.runs)
    if not shutil.which("perf"):
        sys.exit("perf is not installed: nothing to compare with")
    rows = [r for r in ROWS if not opts.rows or r["name"] in opts.rows]
    data, events = {}, {}
    for name in dict.fromkeys(r.get("recording", "syscalls") for r in rows):
        recording = RECORDINGS[name]
        data[name] = os.path.abspath(opts.data or recording["file"])
        ensure_recording(data[name], None if opts.data else recording, opts.rerecord)
        events[name] = count_events(data[name], recording["count_args"])
        if not opts.data and events[name] < recording["min_events"]:
            print("warning: only %d events in %s (want >= %d); try --rerecord"
                  % (events[name], data[name], recording["min_events"]), file=sys.stderr)
        print("recording %s: %s (%.1f MB, %d events)"
              % (name, os.path.relpath(data[name]), os.path.getsize(data[name]) / 1e6,
                 events[name]))
    print("best of %d run%s" % (runs, "" if runs == 1 else "s"))
    head = ("row", "perf s", "perfscript s", "perf ev/s", "perfscript ev/s", "ratio",
            "perf RSS", "perfscript RSS")
    widths = (16, 8, 12, 10, 15, 7, 9, 14)
    line = "  ".join("%-*s" % (w, h) if i == 0 else "%*s" % (w, h)
                     for i, (w, h) in enumerate(zip(widths, head)))
    print(line)
    print("-" * len(line))
    sys.stdout.flush()
    failed = False
    notes = []
    profiled = []
    with tempfile.TemporaryDirectory(prefix="perfscript-bench-") as cwd:
        for row in rows:
            rec = row.get("recording", "syscalls")
            n_events = events[rec]
            args = [a.format(data=data[rec], scripts=SCRIPTS) for a in row["args"]]
            cmds = {"perf": shlex.split(opts.perf) + args,
                    "perfscript": perfscript_cmd(row, opts) + args}
            if row.get("qt") and not os.path.exists(SYS_VENV_PYTHON):
                print("%-*s  skipped" % (widths[0], row["name"]))
                notes.append("%s: needs %s with PySide2 (made by .ci/run)"
                             % (row["name"], os.path.relpath(SYS_VENV_PYTHON)))
                continue
            results = {"perf": [], "perfscript": []}
            for _ in range(runs):
                for side in ("perf", "perfscript"):   # alternate, so load hits both alike
                    for name in row.get("fresh", ()):
                        if os.path.exists(os.path.join(cwd, name)):
                            os.unlink(os.path.join(cwd, name))
                    results[side].append(run_once(
                        cmds[side], cwd, side == "perfscript" and row.get("time_from_output")))
            best = {}
            for side, rs in results.items():
                bad = [r for r in rs if r[2] != 0]
                if bad:
                    best[side] = ("FAILED", bad[0][2], bad[0][3])
                else:
                    best[side] = (min(r[0] for r in rs), max(r[1] for r in rs), 0)
            def col(side, i, fmt):
                return "FAILED" if best[side][0] == "FAILED" else fmt(best[side][i])
            both = all(b[0] != "FAILED" for b in best.values())
            cells = [row["name"],
                     col("perf", 0, "%.2f".__mod__), col("perfscript", 0, "%.2f".__mod__),
                     col("perf", 0, lambda t: fmt_rate(n_events, t)),
                     col("perfscript", 0, lambda t: fmt_rate(n_events, t)),
                     "%.2fx" % (best["perfscript"][0] / best["perf"][0]) if both else "-",
                     col("perf", 1, lambda k: "%.0f MB" % (k / 1024)),
                     col("perfscript", 1, lambda k: "%.0f MB" % (k / 1024))]
            print("  ".join("%-*s" % (w, c) if i == 0 else "%*s" % (w, c)
                            for i, (w, c) in enumerate(zip(widths, cells))))
            for side in ("perf", "perfscript"):
                b = best[side]
                if b[0] == "FAILED":
                    failed = True
                    last = (b[2].strip().splitlines() or [""])[-1]
                    notes.append("%s: %s exited %d: %s" % (row["name"], side, b[1], last))
            if both:
                profiled.append((row, cmds["perfscript"]))
            sys.stdout.flush()
        for n in notes:
            print("  " + n)
        print("\nratio = perfscript time / perf time (lower is better); RSS = peak resident "
              "set of the command's process")
        print("rows: " + "; ".join("%s = %s" % (r["name"], r["what"]) for r in rows))
        if opts.profile:
            for row, cmd in profiled:
                print_profile(row, cmd, cwd, opts.profile)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
