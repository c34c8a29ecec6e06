#!/usr/bin/env python3
"""perf script vs perfscript, side by side on the same recording.

    .venv/bin/python bench/run.py            # best of 3 runs per command
    .venv/bin/python bench/run.py --quick    # one run each
    .venv/bin/python bench/run.py --rows noop-named --runs 5

Records bench/data/syscalls.data on first use (raw_syscalls of `ls -R /usr/lib`, >= 400k
events; bench/data/ is not committed), counts its events once with `perf script | wc -l`
(cached next to it), then for each row times `perf script ...` and `perfscript ...` (same
arguments, same environment) and prints events/s, the time ratio and the peak RSS of each.
See bench/README.md.
"""

import argparse
import json
import os
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

RECORDING = os.path.join(DATA, "syscalls.data")
MIN_EVENTS = 400000
# each `ls -R /usr/lib` makes ~130k raw_syscalls events on the reference image; -m 1024 (4 MiB
# buffers) so perf does not lose events
RECORD_CMD = ["perf", "record", "-m", "1024", "-o", RECORDING,
              "-e", "raw_syscalls:sys_enter", "-e", "raw_syscalls:sys_exit", "--",
              "sh", "-c", "for i in 1 2 3 4; do ls -R /usr/lib >/dev/null; done"]

# One row per comparison: the arguments after `perf script` / `perfscript` ({data} = the
# recording, {scripts} = bench/scripts).  Add rows here (text output: args ["-i", "{data}"];
# a columnar row can use "perfscript_cmd" to run another command on the perfscript side).
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
    {"name": "text",
     "what": "perf script's own text output (no -s), same stdout as perf",
     "args": ["-i", "{data}"]},
]


def child_env():
    env = {k: v for k, v in os.environ.items()
           if k not in ("PERF_EXEC_PATH", "PYTHONUNBUFFERED", "PYTHONHOME")}
    env.update(PATH=ENV_PATH, LC_ALL="C", TZ="UTC", PYTHONHASHSEED="0")
    return env


def run_once(cmd, cwd):
    """(wall seconds, peak RSS in KiB, exit status, stderr tail) of one child run."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=err, cwd=cwd, env=child_env())
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read()[-2000:].decode("utf-8", "replace")
    return wall, usage.ru_maxrss, p.returncode, tail


def ensure_recording(path, rebuild=False):
    if os.path.exists(path) and not rebuild:
        return
    if path != RECORDING:
        sys.exit("%s does not exist" % path)
    os.makedirs(DATA, exist_ok=True)
    print("recording %s ..." % path, file=sys.stderr)
    subprocess.run(RECORD_CMD, check=True, env=child_env(), stdout=subprocess.DEVNULL)
    old = path + ".old"
    if os.path.exists(old):
        os.unlink(old)


def count_events(path):
    """Events in the file, from `perf script | wc -l`, cached by size and mtime."""
    st = os.stat(path)
    cache = path + ".events.json"
    key = [st.st_size, int(st.st_mtime)]
    try:
        with open(cache) as f:
            c = json.load(f)
        if c["key"] == key:
            return c["events"]
    except (OSError, ValueError, KeyError):
        pass
    p = subprocess.Popen(["perf", "script", "-i", path], stdout=subprocess.PIPE,
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="runs per command, best kept (3)")
    ap.add_argument("--quick", action="store_true", help="one run per command")
    ap.add_argument("--rows", action="append", metavar="NAME",
                    help="only these rows (repeatable): " + ", ".join(r["name"] for r in ROWS))
    ap.add_argument("--data", default=RECORDING, help="recording to use (default: %(default)s)")
    ap.add_argument("--rerecord", action="store_true", help="record bench/data again")
    ap.add_argument("--perf", default="perf script", help="perf command (%(default)r)")
    ap.add_argument("--perfscript", default=shlex.join([sys.executable, "-m", "perfscript"]),
                    help="perfscript command (%(default)r)")
    opts = ap.parse_args()
    runs = 1 if opts.quick else max(1, opts.runs)
    if not shutil.which("perf"):
        sys.exit("perf is not installed: nothing to compare with")
    data = os.path.abspath(opts.data)
    ensure_recording(data, opts.rerecord)
    events = count_events(data)
    if data == RECORDING and events < MIN_EVENTS:
        print("warning: only %d events (want >= %d); try --rerecord" % (events, MIN_EVENTS),
              file=sys.stderr)
    rows = [r for r in ROWS if not opts.rows or r["name"] in opts.rows]
    print("recording: %s (%.1f MB, %d events); best of %d run%s"
          % (os.path.relpath(data), os.path.getsize(data) / 1e6, events, runs,
             "" if runs == 1 else "s"))
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
    with tempfile.TemporaryDirectory(prefix="perfscript-bench-") as cwd:
        for row in rows:
            args = [a.format(data=data, scripts=SCRIPTS) for a in row["args"]]
            cmds = {"perf": shlex.split(opts.perf) + args,
                    "perfscript": shlex.split(row.get("perfscript_cmd") or opts.perfscript)
                    + args}
            results = {"perf": [], "perfscript": []}
            for _ in range(runs):
                for side in ("perf", "perfscript"):   # alternate, so load hits both alike
                    results[side].append(run_once(cmds[side], cwd))
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
                     col("perf", 0, lambda t: fmt_rate(events, t)),
                     col("perfscript", 0, lambda t: fmt_rate(events, t)),
                     "%.1fx" % (best["perfscript"][0] / best["perf"][0]) if both else "-",
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
            sys.stdout.flush()
    for n in notes:
        print("  " + n)
    print("\nratio = perfscript time / perf time (lower is better); RSS = peak resident set "
          "of the command's process")
    print("rows: " + "; ".join("%s = %s" % (r["name"], r["what"]) for r in rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
