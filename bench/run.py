#!/usr/bin/env python3
"""perf script vs perfscript, side by side on the same recording.

    .venv/bin/python bench/run.py            # best of 3 runs per command
    .venv/bin/python bench/run.py --quick    # one run each
    .venv/bin/python bench/run.py --rows noop-named --runs 5

Records its recordings under bench/data on first use (bench/data/ is not committed):
syscalls.data (raw_syscalls of `ls -R /usr/lib`, >= 400k events) and callchain.data
(>= 100k cpu-clock samples with kernel and user callchains, for the db-export rows),
sched.dat (a trace-cmd trace.dat of sched, irq and timer events); counts their events once
(`perf script`, `trace-cmd report`; cached next to each), then for each row times
`perf script ...` (or the row's own command, e.g. `trace-cmd report ...`) and
`perfscript ...` (same arguments, same environment) and prints events/s, the time ratio
and the peak RSS of each.  --profile shows where perfscript's time goes.  See
bench/README.md.
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
    # a system-wide -g profile of what a user profiles every day: g++ compiling template-heavy
    # C++ (cc1plus: tens of thousands of C++ symbols, as, collect2; ~5 s), a python3 json
    # loop and `ls -lR /usr` (coreutils, libc, libselinux and the kernel's file system
    # paths), at 15 kHz per CPU: ~250k samples on 2 CPUs, ~30 MB, two dozen DSOs.  -a also
    # records whatever else runs: make it on an otherwise idle machine.
    "profile": {
        "file": os.path.join(DATA, "profile.data"), "min_events": 100000,
        "record": ["perf", "record", "-q", "-g", "-a", "-F", "15000", "-m", "1024",
                   "-o", "{out}", "--", "sh", "-c",
                   "g++ -O2 -c " + os.path.join(HERE, "workload", "templates.cpp")
                   + " -o /dev/null & timeout 4 /usr/bin/python3 -c 'import json\n"
                   "while 1: json.dumps({{\"a\": [1, 2, 3]}})' & "
                   "ls -lR /usr >/dev/null; wait"],
        "count_args": ["-F", "time"]},
    # a small everyday recording (~2 MB): 1.5 s of a python loop beside `ls -lR
    # /usr/share`, system-wide with callchains at perf's default 4 kHz
    "small": {
        "file": os.path.join(DATA, "small.data"), "min_events": 5000,
        "record": ["perf", "record", "-q", "-g", "-a", "-o", "{out}", "--", "sh", "-c",
                   "timeout 1.5 /usr/bin/python3 -c 'while 1: pass' & "
                   "timeout 1.5 ls -lR /usr/share >/dev/null; wait"],
        "count_args": ["-F", "time"]},
    # a trace.dat of the scheduler, interrupt and timer events (every tracepoint of the
    # sched, irq and timer systems) while `ls -R` runs ten times: trace-cmd stores every
    # format of the kernel (2000+), ~40k records, ~1.3 MB (zstd); recorded through
    # tracefs + `trace-cmd extract` (scripts/record_tracedat.sh: `trace-cmd record`
    # cannot run where root lacks CAP_SYS_RESOURCE)
    "sched-tdat": {
        "file": os.path.join(DATA, "sched.dat"), "min_events": 20000,
        "record": ["sh", os.path.join(SCRIPTS, "record_tracedat.sh"), "{out}",
                   "sched:*", "irq:*", "timer:*", "--", "sh", "-c",
                   "for i in 1 2 3 4 5 6 7 8 9 10; do ls -R /usr/lib >/dev/null; done"],
        "count_cmd": ["trace-cmd", "report", "-i", "{file}"], "count_skip": 1},
    # the shared corpus' trace.dat (69 records, 2323 formats), when present
    "corpus-tdat": {
        "file": "/work/shared/corpus/cases/tracecmd_sched/trace.dat", "min_events": 0,
        "record": None,
        "count_cmd": ["trace-cmd", "report", "-i", "{file}"], "count_skip": 1},
}

# One row per comparison: the arguments after `perf script` / `perfscript` ({data} = the
# recording, {scripts} = bench/scripts).  Add rows here (text output: args ["-i", "{data}"];
# a columnar row can use "perfscript_cmd" to run another command on the perfscript side).
# "recording" names one of RECORDINGS (default syscalls); "qt": the script imports PySide2,
# so perfscript runs under .venv-sys; "fresh": files (in the scratch directory) removed
# before each run; "perf_cmd": the command compared with instead of `perf script` (e.g.
# "trace-cmd report"); "subcommand": words put between the perfscript command and the
# arguments (["report"]).  perfscript's symbol cache is emptied before each run (perf has
# none), except for rows marked "warm": there one untimed run fills it first.  "env":
# variables for perfscript's side (PERFSCRIPT_JOBS=1: one process instead of workers).
# "perfscript_args": perfscript's own arguments, when they differ from perf's (the perf
# module rows: a standalone script on perfscript's side, the named-handler baseline on
# perf's).
ROWS = [
    {"name": "noop-named",
     "what": "no-op named handlers raw_syscalls__sys_enter/exit",
     "args": ["-i", "{data}", "-s", "{scripts}/noop_named.py"]},
    {"name": "noop-unhandled",
     "what": "no-op trace_unhandled(event_name, context, event_fields_dict)",
     "args": ["-i", "{data}", "-s", "{scripts}/noop_unhandled.py"]},
    {"name": "perfmod-noop",
     "what": "perf module: a standalone script whose sample callback does nothing, against "
             "perf's no-op named handlers (noop-named)",
     "args": ["-i", "{data}", "-s", "{scripts}/noop_named.py"],
     "perfscript_args": ["{scripts}/perfmod_noop.py", "-i", "{data}"]},
    {"name": "perfmod-sum-field",
     "what": "perf module: a sample callback summing one tracepoint field (ev.id), against "
             "perf's no-op named handlers (noop-named)",
     "args": ["-i", "{data}", "-s", "{scripts}/noop_named.py"],
     "perfscript_args": ["{scripts}/perfmod_sum_field.py", "-i", "{data}"]},
    {"name": "frames-arrow",
     "what": "perf's text output vs decoding every event into Arrow tables "
             "(perfscript tables: perfscript.open(...).tables())",
     "args": ["-i", "{data}"],
     "perfscript_cmd": shlex.join([sys.executable, "-m", "perfscript", "tables"])},
    {"name": "frames-decode",
     "what": "as frames-arrow, but perfscript's time is the decode alone, measured inside "
             "the process after its imports (--time): what a notebook user waits",
     "args": ["-i", "{data}"], "time_from_output": True,
     "perfscript_cmd": shlex.join([sys.executable, "-m", "perfscript", "tables", "--time"])},
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
    {"name": "profile-cold",
     "what": "text output of the system-wide -g profile (dozens of DSOs, C++ symbols, the "
             "kernel), symbol cache empty before each run",
     "recording": "profile",
     "args": ["-i", "{data}"]},
    {"name": "profile-warm",
     "what": "the same with the symbol cache filled by an earlier run (perf has no cache)",
     "recording": "profile", "warm": True,
     "args": ["-i", "{data}"]},
    {"name": "profile-1worker",
     "what": "profile-warm printed by one process (PERFSCRIPT_JOBS=1): the speed-up of "
             "the time-sliced workers is profile-1worker / profile-warm",
     "recording": "profile", "warm": True, "env": {"PERFSCRIPT_JOBS": "1"},
     "args": ["-i", "{data}"]},
    {"name": "small-e2e",
     "what": "a 2 MB -g recording's text output end to end: start, symbols, every line "
             "(cache empty)",
     "recording": "small",
     "args": ["-i", "{data}"]},
    {"name": "dbexport-noop",
     "what": "db-export mode, every *_table handler a no-op, calls and callchains",
     "recording": "callchain",
     "args": ["-i", "{data}", "-s", "{scripts}/dbexport_noop.py"]},
    {"name": "tracedat-report",
     "what": "trace-cmd report -i FILE vs perfscript report -i FILE on a trace.dat of "
             "sched/irq/timer events (open, formats, kallsyms and every record's line)",
     "recording": "sched-tdat", "perf_cmd": "trace-cmd report", "subcommand": ["tracecmd-report"],
     "args": ["-i", "{data}"]},
    {"name": "tracedat-corpus",
     "what": "the same on the corpus' trace.dat: 69 records among 2323 formats "
             "(the cost of opening a file)",
     "recording": "corpus-tdat", "perf_cmd": "trace-cmd report", "subcommand": ["tracecmd-report"],
     "args": ["-i", "{data}"]},
    {"name": "tracedat-frames",
     "what": "trace-cmd report vs the trace.dat's records as Arrow tables "
             "(perfscript tables)",
     "recording": "sched-tdat", "perf_cmd": "trace-cmd report",
     "args": ["-i", "{data}"],
     "perfscript_cmd": shlex.join([sys.executable, "-m", "perfscript", "tables"])},
    {"name": "export-sqlite",
     "what": "perf's export-to-sqlite.py DB all calls callchains (PySide2), a new DB each run",
     "recording": "callchain", "qt": True, "fresh": ["bench.db"],
     "args": ["-i", "{data}", "-s", EXPORT_TO_SQLITE, "bench.db", "all", "calls",
              "callchains"]},
]


def child_env(cache_dir=None):
    # PYTHONDONTWRITEBYTECODE is dropped too: an installed perfscript has its bytecode,
    # so the first run writes it and the best of N does not compile the modules again
    env = {k: v for k, v in os.environ.items()
           if k not in ("PERF_EXEC_PATH", "PYTHONUNBUFFERED", "PYTHONHOME",
                        "PYTHONDONTWRITEBYTECODE", "PERFSCRIPT_NO_CACHE")}
    env.update(PATH=ENV_PATH, LC_ALL="C", TZ="UTC", PYTHONHASHSEED="0")
    if cache_dir:
        env["PERFSCRIPT_CACHE_DIR"] = cache_dir
    return env


def run_once(cmd, cwd, time_from_output=False, cpu=False, cache_dir=None, env=None):
    """(seconds, peak RSS in KiB, exit status, stderr tail) of one child run: wall time,
    with `cpu` its user + system CPU time, or with `time_from_output` the "N.NNN s" its
    last output line reports.  perfscript's symbol cache is `cache_dir`; `env`: more
    variables."""
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                             stdout=out if time_from_output else subprocess.DEVNULL,
                             stderr=err, cwd=cwd, env=dict(child_env(cache_dir), **(env or {})))
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        if cpu:
            wall = usage.ru_utime + usage.ru_stime
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
    if os.path.exists(path) and (not rebuild or recording and recording["record"] is None):
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


def count_events(path, recording):
    """Events in the file, from `perf script [count_args] | wc -l` (or the recording's
    count_cmd, less count_skip header lines), cached by size, mtime and command."""
    count_args = recording.get("count_args", [])
    cmd = ([a.format(file=path) for a in recording["count_cmd"]]
           if recording.get("count_cmd") else ["perf", "script", "-i", path] + count_args)
    st = os.stat(path)
    cache = os.path.join(DATA, os.path.basename(path) + ".events.json") \
        if not os.access(os.path.dirname(path), os.W_OK) else path + ".events.json"
    key = [st.st_size, int(st.st_mtime)] + (recording.get("count_cmd") or count_args)
    try:
        with open(cache) as f:
            c = json.load(f)
        if c["key"] == key:
            return c["events"]
    except (OSError, ValueError, KeyError):
        pass
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         env=child_env())
    n = -recording.get("count_skip", 0)
    for chunk in iter(lambda: p.stdout.read(1 << 20), b""):
        n += chunk.count(b"\n")
    p.wait()
    try:
        os.makedirs(os.path.dirname(cache), exist_ok=True)
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
        return [SYS_VENV_PYTHON, "-m", "perfscript"] + row.get("subcommand", [])
    return shlex.split(opts.perfscript) + row.get("subcommand", [])


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
    cache = os.path.join(cwd, "symbol-cache")
    if not row.get("warm"):
        shutil.rmtree(cache, ignore_errors=True)
    wall, _, status, err = run_once(cmd[:1] + ["-m", "cProfile", "-o", out] + cmd[1:], cwd,
                                    cache_dir=cache)
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
    ap.add_argument("--perf", default="perf script", help="perf command (%(default)r; "
                    "rows with their own command, such as trace-cmd report, keep it)")
    ap.add_argument("--cpu", action="store_true",
                    help="time each command by its user + system CPU time, not wall time")
    ap.add_argument("--perfscript", default=shlex.join([sys.executable, "-m", "perfscript"]),
                    help="perfscript command (%(default)r; rows marked qt use .venv-sys)")
    ap.add_argument("--profile", type=int, nargs="?", const=15, metavar="N",
                    help="then run each row's perfscript side once under cProfile and print "
                         "its top N functions (15)")
    opts = ap.parse_args()
    runs = 1 if opts.quick else max(1, opts.runs)
    rows = [r for r in ROWS if not opts.rows or r["name"] in opts.rows]
    for row in rows:
        tool = shlex.split(row.get("perf_cmd", opts.perf))[0]
        if not shutil.which(tool):
            sys.exit("%s is not installed: nothing to compare %s with" % (tool, row["name"]))
    missing = [r["name"] for r in rows if not opts.data
               and RECORDINGS[r.get("recording", "syscalls")]["record"] is None
               and not os.path.exists(RECORDINGS[r.get("recording", "syscalls")]["file"])]
    rows = [r for r in rows if r["name"] not in missing]
    data, events = {}, {}
    for name in dict.fromkeys(r.get("recording", "syscalls") for r in rows):
        recording = RECORDINGS[name]
        data[name] = os.path.abspath(opts.data or recording["file"])
        ensure_recording(data[name], None if opts.data else recording, opts.rerecord)
        events[name] = count_events(data[name], recording)
        if not opts.data and events[name] < recording["min_events"]:
            print("warning: only %d events in %s (want >= %d); try --rerecord"
                  % (events[name], data[name], recording["min_events"]), file=sys.stderr)
        print("recording %s: %s (%.1f MB, %d events)"
              % (name, os.path.relpath(data[name]), os.path.getsize(data[name]) / 1e6,
                 events[name]))
    print("best of %d run%s%s" % (runs, "" if runs == 1 else "s",
                                  ", CPU time (user + system)" if opts.cpu else ", wall time"))
    for name in missing:
        print("%s: skipped (its recording is absent)" % name)
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
            ps_args = [a.format(data=data[rec], scripts=SCRIPTS)
                       for a in row.get("perfscript_args", row["args"])]
            cmds = {"perf": shlex.split(row.get("perf_cmd", opts.perf)) + args,
                    "perfscript": perfscript_cmd(row, opts) + ps_args}
            if row.get("qt") and not os.path.exists(SYS_VENV_PYTHON):
                print("%-*s  skipped" % (widths[0], row["name"]))
                notes.append("%s: needs %s with PySide2 (made by .ci/run)"
                             % (row["name"], os.path.relpath(SYS_VENV_PYTHON)))
                continue
            results = {"perf": [], "perfscript": []}
            cache = os.path.join(cwd, "symbol-cache")
            shutil.rmtree(cache, ignore_errors=True)
            if row.get("warm"):
                run_once(cmds["perfscript"], cwd, cache_dir=cache, env=row.get("env"))
            for _ in range(runs):
                for side in ("perf", "perfscript"):   # alternate, so load hits both alike
                    for name in row.get("fresh", ()):
                        if os.path.exists(os.path.join(cwd, name)):
                            os.unlink(os.path.join(cwd, name))
                    if not row.get("warm"):
                        shutil.rmtree(cache, ignore_errors=True)
                    results[side].append(run_once(
                        cmds[side], cwd, side == "perfscript" and row.get("time_from_output"),
                        cpu=opts.cpu, cache_dir=cache,
                        env=row.get("env") if side == "perfscript" else None))
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
