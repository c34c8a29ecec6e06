"""Runs hostile variants of the committed recordings through every mode of perfscript and
checks what each run may do: exit 0, or stop with one `perfscript: FILE: offset N: what`
line (or one of perf's own refusals) and a non-zero status; never a traceback, a run past
its time budget, memory out of proportion to the input, or a file written outside the
place the command was told to write.

    python fuzz/campaign.py --inputs 2000 --seed 1            # a short run
    python fuzz/campaign.py --inputs 100000 --seed 7 --jobs 2 # the long run (hours)
    python fuzz/campaign.py --replay 7:4711                   # one input again, verbosely

Each input is made from (seed, index) alone (see mutate.py), so a failure is replayed
from the pair printed for it; failing inputs are also kept in fuzz/failures/ (ignored by
git). Runs are forked from a process that has already imported perfscript and its
libraries, which makes an input cost a few tens of milliseconds rather than an
interpreter start; `--subprocess` runs the real console command instead.
"""

import argparse
import collections
import faulthandler
import glob
import io
import json
import lzma
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from mutate import Mutator  # noqa: E402

SEED_GLOBS = ["tests/data/recordings/*.data", "tests/data/gen/*.data",
              "tests/data/tracedat/*.dat"]
PERF_DATA_MODES = ["script", "text", "text-fields", "gen", "header", "export", "sql", "api"]
TRACE_DAT_MODES = ["report", "export", "sql", "api"]
TIME_BUDGET = 30            # seconds a run may take
MEMORY_BASE = 256 << 20     # RSS a run may add whatever its input ...
MEMORY_PER_BYTE = 64        # ... plus this many bytes per byte of input
ADDRESS_SPACE = 4 << 30     # a hard limit above the forking process's own, as a backstop

GENERIC_SCRIPT = """
def trace_begin(): print("begin")
def trace_end(): print("end")
def trace_unhandled(name, ctx, fields, sample=None):
    print(name, sorted(fields.items(), key=str)[:4], len(sample or ()))
def process_event(d): print(d["ev_name"], len(d["callchain"]), d.get("symbol"))
def context_switch(*a): print("switch", a)
def stat__interval(*a): print("interval", a)
def define_flag_value(*a): print("flag", a)
def define_symbolic_value(*a): print("sym", a)
"""

LOCATED = re.compile(r"^perfscript(?: report| export| sql)?: .+: offset \d+ \(0x[0-9a-f]+\): .+$")
# what a run may end in (the rest are failures)
ACCEPTED = ("ok", "clean-error", "perf-refusal", "skeleton-raised")

# perf's own words for a recording or an option it refuses (status 255 says so too)
PERF_REFUSALS = re.compile(r"^(Invalid file: .*|.*: No such file or directory)$")


def seeds():
    out = []
    for pattern in SEED_GLOBS:
        out += sorted(glob.glob(os.path.join(ROOT, pattern)))
    return out


def make_input(seed, index, seed_files, cache={}):
    """The input (bytes, seed file, mutations, mode) number `index` of campaign `seed`."""
    m = Mutator("%s:%d" % (seed, index))
    path = m.rng.choice(seed_files)
    if path not in cache:
        cache[path] = open(path, "rb").read()
    data, done = m.variant(cache[path])
    tracedat = path.endswith(".dat")
    mode = m.rng.choice(TRACE_DAT_MODES if tracedat else PERF_DATA_MODES)
    return data, path, done, mode, ".dat" if tracedat else ".data"


def argv_for(mode, name):
    if mode == "script":
        return ["-i", name, "-s", "s.py"]
    if mode == "text":
        return ["-i", name]
    if mode == "text-fields":
        return ["-i", name, "-F", "comm,tid,time,event,trace,ip,sym,dso,period", "--ns",
                "--show-task-events", "--show-mmap-events", "--show-lost-events"]
    if mode == "gen":
        return ["-i", name, "-g", "python"]
    if mode == "header":
        return ["-i", name, "--header-only", "-I"]
    if mode == "export":
        return ["export", "-i", name, "-o", "out", "--format", "csv"]
    if mode == "sql":
        return ["sql", "-i", name, "SELECT table_name FROM information_schema.tables"]
    if mode == "report":
        return ["report", "-i", name]
    raise ValueError(mode)


# ---------------------------------------------------------------------- in the child

def _child(mode, name):
    """Runs in the forked child, in the work directory; returns the exit status."""
    if mode == "api":
        return _api(name)
    from perfscript.cli import main
    status = main(argv_for(mode, name))
    if mode == "gen" and status == 0 and os.path.exists("perf-script.py"):
        # the skeleton must be code we wrote, whatever the recording's names say
        sys.stdout.flush()
        status = main(["-i", name, "-s", "perf-script.py"])
    return status


def _api(name):
    import perfscript
    from perfscript.errors import PerfDataError
    try:
        with perfscript.open(name) as t:
            counts = t.counts()
            for event in list(counts)[:20]:
                t.table(event)
            t.view_names()
            t.sql("SELECT 1").fetchall()
        return 0
    except PerfDataError as e:
        sys.stderr.write("perfscript: %s\n" % e)
        return 1


def _run_forked(mode, name, workdir, budget, env=None):
    """(status or -signal, elapsed, peak RSS growth) of one run in a forked child."""
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out = os.open(os.path.join(workdir, ".stdout"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    err = os.open(os.path.join(workdir, ".stderr"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    sys.stdout.flush()
    sys.stderr.flush()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        status = 70
        try:
            os.chdir(workdir)
            os.environ.update(env or {})
            os.dup2(out, 1)
            os.dup2(err, 2)
            _fresh_std_streams()
            vsz = _vm_size()
            resource.setrlimit(resource.RLIMIT_AS, (vsz + ADDRESS_SPACE,) * 2)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.alarm(budget)
            # where it was when time ran out, for the record of a hang
            faulthandler.dump_traceback_later(max(1, budget - 1), exit=False)
            status = _child(mode, name)
            sys.stdout.flush()
        except SystemExit as e:
            status = e.code if isinstance(e.code, int) else 1
        except BaseException:
            traceback.print_exc()
            status = 70
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except BaseException:
                pass
            os._exit(status if isinstance(status, int) else 1)
    os.close(out)
    os.close(err)
    deadline = start + budget + 10
    while True:
        wpid, wstatus, usage = os.wait4(pid, os.WNOHANG)
        if wpid:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            wpid, wstatus, usage = os.wait4(pid, 0)
            break
        time.sleep(0.002)
    elapsed = time.monotonic() - start
    status = os.waitstatus_to_exitcode(wstatus)
    return status, elapsed, max(0, usage.ru_maxrss * 1024 - base_rss)


def _fresh_std_streams():
    """sys.stdout/stderr on fds 1 and 2 as a new interpreter has them (a test runner
    may have replaced them with its capture objects)."""
    def stream(fd, errors, line_buffering):
        raw = io.FileIO(fd, "w", closefd=False)
        return io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8", errors=errors,
                                line_buffering=line_buffering)
    sys.stdout = sys.__stdout__ = stream(1, "strict", False)
    sys.stderr = sys.__stderr__ = stream(2, "backslashreplace", True)


def _run_subprocess(mode, name, workdir, budget, env=None):
    """The same run in a fresh interpreter (`--run`, the console command's code), its
    peak RSS read by the run itself: a forked-then-exec'd child's rusage would count the
    RSS of the process it was forked from."""
    peak_file = os.path.join(workdir, ".peak")
    cmd = [sys.executable, os.path.abspath(__file__), "--run", mode, name, peak_file]
    start = time.monotonic()
    with open(os.path.join(workdir, ".stdout"), "wb") as out, \
            open(os.path.join(workdir, ".stderr"), "wb") as err:
        proc = subprocess.Popen(cmd, cwd=workdir, stdout=out, stderr=err,
                                env=dict(os.environ, **(env or {})),
                                preexec_fn=lambda: resource.setrlimit(
                                    resource.RLIMIT_AS, (ADDRESS_SPACE,) * 2))
        try:
            proc.wait(timeout=budget)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    peak = 0
    if os.path.exists(peak_file):
        with open(peak_file) as f:
            peak = int(f.read() or 0)
        os.remove(peak_file)
    return proc.returncode, time.monotonic() - start, peak


def peak_rss():
    """This process's own peak RSS in bytes (VmHWM: not inherited across exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def _run_here(mode, name, peak_file):
    """`--run`: one mode in this fresh interpreter, its peak RSS written at exit."""
    import atexit

    def write_peak():
        with open(peak_file, "w") as f:
            f.write(str(peak_rss()))
    atexit.register(write_peak)
    if mode == "api":
        return _api(name)
    from perfscript.cli import main as perfscript_main
    status = _child(mode, name) if mode == "gen" else perfscript_main(argv_for(mode, name))
    sys.stdout.flush()
    return status


def _vm_size():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


# ---------------------------------------------------------------------- judging

def judge(status, stderr, elapsed, rss, size, strays, budget, mode=None):
    """The kind of outcome: ok / clean-error, or what went wrong."""
    text = stderr.decode("utf-8", "replace")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if (mode == "gen" and status == 134 and lines
            and lines[-1].startswith("Fatal Python error: handler_call_die")
            and "perf-script.py" in text):
        # perf's own skeleton raised on a value it was never written for (its flag_str
        # on an array): perf aborts the same way; perfscript's part ended cleanly
        return "skeleton-raised"
    if strays:
        return "stray-file"
    if status < 0:
        return "over-time" if status in (-signal.SIGALRM, -signal.SIGKILL) else \
            "signal-%d" % -status
    if "Traceback (most recent call last)" in text or "MemoryError" in text:
        return "traceback"
    if elapsed > budget:
        return "over-time"
    if rss > MEMORY_BASE + MEMORY_PER_BYTE * size:
        return "over-memory"
    if status == 0:
        return "ok"
    if status == 134 and lines and lines[-1].startswith("Fatal Python error: "):
        return "unlocated"          # a handler of the generic script raised
    errors = [ln for ln in lines if ln.startswith("perfscript")]
    last = lines[-1] if lines else ""
    if len(errors) == 1 and LOCATED.match(last):
        return "clean-error"
    if not errors and (status == 255 or PERF_REFUSALS.match(last)):
        return "perf-refusal"       # perf's exit(-1) with perf's own words
    return "unlocated"


def _strays(sandbox, workdir):
    """Files created anywhere in the sandbox that the command had no business writing."""
    allowed = {"in.data", "in.dat", "s.py", "perf-script.py", ".stdout", ".stderr"}
    out = []
    for dirpath, dirnames, filenames in os.walk(sandbox):
        rel = os.path.relpath(dirpath, workdir)
        if rel == "out" or rel.startswith("out" + os.sep):
            continue
        for f in filenames:
            if dirpath == workdir and f in allowed:
                continue
            out.append(os.path.join(dirpath, f))
        for d in dirnames:
            full = os.path.join(dirpath, d)
            if not (dirpath == workdir and d == "out") and full != workdir and \
                    not workdir.startswith(full + os.sep):
                out.append(full + "/")
    return out


class Campaign:
    """One worker: its own sandbox, inputs `indices` of campaign `seed`."""

    def __init__(self, seed, budget=TIME_BUDGET, keep=None, runner=_run_forked):
        self.seed = seed
        self.budget = budget
        self.keep = keep                # directory for failing inputs, or None
        self.runner = runner
        self.seed_files = seeds()
        self.sandbox = tempfile.mkdtemp(prefix="perfscript-fuzz-")
        # deep enough that '../../x' from the work directory still lands in the sandbox
        self.workdir = os.path.join(self.sandbox, "a", "b", "c", "work")
        # symbols from the small committed kallsyms and no ~/.debug: a run costs its
        # input's work, not a parse of the machine's 100k kernel symbols
        self.home = tempfile.mkdtemp(prefix="perfscript-fuzz-home-")
        small = glob.glob(os.path.join(ROOT, "tests/data/recordings/kallsyms-*.xz"))
        kallsyms = os.path.join(self.home, "kallsyms")
        with open(kallsyms, "wb") as f:
            if small:
                f.write(lzma.open(small[0]).read())
        self.env = {"HOME": self.home, "PERFSCRIPT_PROC_KALLSYMS": kallsyms}
        self.counts = collections.Counter()
        self.failures = []
        self.slowest = (0.0, None)
        self.biggest = (0, None)
        _preload()

    def close(self):
        shutil.rmtree(self.sandbox, ignore_errors=True)
        shutil.rmtree(self.home, ignore_errors=True)

    def run(self, index, verbose=False):
        data, path, done, mode, ext = make_input(self.seed, index, self.seed_files)
        shutil.rmtree(self.sandbox)
        os.makedirs(self.workdir)
        name = "in" + ext
        with open(os.path.join(self.workdir, name), "wb") as f:
            f.write(data)
        with open(os.path.join(self.workdir, "s.py"), "w") as f:
            f.write(GENERIC_SCRIPT)
        status, elapsed, rss = self.runner(mode, name, self.workdir, self.budget, self.env)
        stderr = open(os.path.join(self.workdir, ".stderr"), "rb").read()
        strays = _strays(self.sandbox, self.workdir)
        kind = judge(status, stderr, elapsed, rss, len(data), strays, self.budget, mode)
        if self.runner is _run_forked and (kind == "over-time" or kind.startswith("signal")):
            # a forked child can inherit a lock some library's thread held: the verdict
            # is the real command's, in a fresh interpreter
            self.counts["rerun-in-subprocess"] += 1
            for leftover in (".stdout", ".stderr", "out", "perf-script.py"):
                p = os.path.join(self.workdir, leftover)
                shutil.rmtree(p) if os.path.isdir(p) else (os.path.exists(p) and os.remove(p))
            status, elapsed, rss = _run_subprocess(mode, name, self.workdir, self.budget,
                                                   self.env)
            stderr = open(os.path.join(self.workdir, ".stderr"), "rb").read()
            strays = _strays(self.sandbox, self.workdir)
            kind = judge(status, stderr, elapsed, rss, len(data), strays, self.budget, mode)
        self.counts[kind] += 1
        if elapsed > self.slowest[0]:
            self.slowest = (elapsed, "%s:%d" % (self.seed, index))
        if rss > self.biggest[0]:
            self.biggest = (rss, "%s:%d" % (self.seed, index))
        info = {"input": "%s:%d" % (self.seed, index), "kind": kind, "mode": mode,
                "seed_file": os.path.relpath(path, ROOT), "mutations": done,
                "status": status, "elapsed": round(elapsed, 3), "rss_growth": rss,
                "size": len(data), "strays": strays,
                "stderr": stderr.decode("utf-8", "replace")[-1500:]}
        if kind not in ACCEPTED:
            self.failures.append(info)
            if self.keep:
                os.makedirs(self.keep, exist_ok=True)
                base = os.path.join(self.keep, "%s-%d" % (self.seed, index))
                with open(base + ext, "wb") as f:
                    f.write(data)
                with open(base + ".json", "w") as f:
                    json.dump(info, f, indent=1)
        if verbose:
            print(json.dumps(info, indent=1))
            print(open(os.path.join(self.workdir, ".stdout"), "rb").read()[-2000:]
                  .decode("utf-8", "replace"))
        return info

    def summary(self):
        return {"counts": dict(self.counts), "failures": self.failures,
                "slowest": self.slowest, "biggest_rss_growth": self.biggest}


def _preload():
    """Import what the runs use once, before forking."""
    import perfscript.cli  # noqa: F401
    from perfscript.cli import script, tables, text  # noqa: F401
    for mod in ("numpy", "pyarrow", "pyarrow.csv", "duckdb", "zstandard"):
        try:
            __import__(mod)
        except ImportError:
            pass


def run_campaign(seed, indices, budget=TIME_BUDGET, keep=None, progress=False,
                 runner=_run_forked):
    c = Campaign(seed, budget, keep, runner)
    try:
        for n, i in enumerate(indices, 1):
            c.run(i)
            if progress and n % 500 == 0:
                print("%s: %d inputs, %s" % (seed, n, dict(c.counts)), file=sys.stderr,
                      flush=True)
    finally:
        c.close()
    return c.summary()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--inputs", type=int, default=1000)
    ap.add_argument("--seed", default="1")
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--budget", type=int, default=TIME_BUDGET)
    ap.add_argument("--report", help="write the figures and failures as JSON here")
    ap.add_argument("--replay", help="SEED:INDEX: run one input and show what happened")
    ap.add_argument("--subprocess", action="store_true",
                    help="run `python -m perfscript` rather than forking")
    ap.add_argument("--run", nargs=3, help=argparse.SUPPRESS)   # MODE NAME PEAK_FILE
    args = ap.parse_args()
    if args.run:
        return _run_here(*args.run)
    runner = _run_subprocess if args.subprocess else _run_forked
    keep = os.path.join(HERE, "failures")
    if args.replay:
        seed, index = args.replay.rsplit(":", 1)
        c = Campaign(seed, args.budget, None, runner)
        try:
            info = c.run(int(index), verbose=True)
        finally:
            c.close()
        return 0 if info["kind"] in ACCEPTED else 1
    start = time.time()
    indices = range(args.start, args.start + args.inputs)
    shards = [indices[j::args.jobs] for j in range(args.jobs)]
    pids = []
    tmp = tempfile.mkdtemp(prefix="perfscript-fuzz-report-")
    for j, shard in enumerate(shards):
        pid = os.fork()
        if pid == 0:
            summary = run_campaign(args.seed, shard, args.budget, keep, progress=True,
                                   runner=runner)
            with open(os.path.join(tmp, "%d.json" % j), "w") as f:
                json.dump(summary, f)
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    total = collections.Counter()
    failures, slowest, biggest = [], (0, None), (0, None)
    for j in range(len(shards)):
        path = os.path.join(tmp, "%d.json" % j)
        if not os.path.exists(path):
            total["worker-died"] += 1       # its inputs are not counted
            continue
        with open(path) as f:
            s = json.load(f)
        total.update(s["counts"])
        failures += s["failures"]
        slowest = max(slowest, tuple(s["slowest"]), key=lambda x: x[0])
        biggest = max(biggest, tuple(s["biggest_rss_growth"]), key=lambda x: x[0])
    shutil.rmtree(tmp, ignore_errors=True)
    figures = {"seed": args.seed, "inputs": args.inputs, "counts": dict(total),
               "seconds": round(time.time() - start),
               "slowest_run": slowest, "biggest_rss_growth": biggest,
               "failures": len(failures)}
    print(json.dumps(figures, indent=1))
    for f in failures[:20]:
        print("%s %s %s %s" % (f["input"], f["kind"], f["mode"], f["mutations"]))
        print("   " + f["stderr"].strip().splitlines()[-1][:300] if f["stderr"].strip()
              else "   (no stderr)")
    if args.report:
        with open(args.report, "w") as f:
            json.dump(dict(figures, failures=failures), f, indent=1)
    return 0 if not failures and not total["worker-died"] else 1


if __name__ == "__main__":
    sys.exit(main())
