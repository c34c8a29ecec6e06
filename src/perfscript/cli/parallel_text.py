"""Text output of one recording on every core: the samples split by time into slices, one
worker process per slice, the slices' output written one after the other.

perf script prints samples in time order and a line depends only on its sample and the
side-band state (threads, maps) at its time.  Each worker therefore reads the whole file
(side-band records cost little) but decodes, resolves and prints only the samples of its
slice [lo, hi); the slices' outputs, concatenated, are perf's output.  That holds when no
sample is delivered out of time order across a slice boundary (a late event perf queues
after later ones): a worker that sees one exits with CROSSED, and so does any other failure,
and then the whole file is printed by one process as usual.  Options whose lines depend on
earlier samples (--deltatime, --reltime, metric, srccode, switch-on/off), side-band or raw
dumps, headers and per-event dump files keep one process.

PERFSCRIPT_JOBS=N asks for N workers (1: never split); by default a file of at least
MIN_BYTES is split over the CPUs this process may run on.
"""

import os
import shutil
import subprocess
import sys
import tempfile

SLICE_ENV = "PERFSCRIPT_TIME_SLICE"
JOBS_ENV = "PERFSCRIPT_JOBS"
MIN_BYTES = 8 << 20         # below this a second interpreter costs more than it saves
CROSSED = 75                # a worker's status: its samples and another slice's crossed

# options that keep one process: they print from state carried between samples, print
# side-band records or headers, or write other files
_SERIAL_OPTIONS = ("reltime", "deltatime", "debug_mode", "switch_on", "switch_off",
                   "show_on_off_events", "per_event_dump", "dump_raw_trace", "header",
                   "header_only", "show_info", "show_task_events", "show_mmap_events",
                   "show_switch_events", "show_namespace_events", "show_cgroup_events",
                   "show_lost_events", "show_round_events", "show_bpf_events",
                   "show_text_poke_events")
_SERIAL_FIELDS = ("metric", "srccode")


def worker_slice():
    """(lo, hi) of the slice this process prints when it is a worker, else None."""
    text = os.environ.get(SLICE_ENV)
    if not text:
        return None
    lo, _, hi = text.partition(",")
    return int(lo), int(hi)


def _cpus():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def wanted_jobs(opts, path):
    """How many workers this run should use (1: print in this process)."""
    if worker_slice() is not None or path == "-":
        return 1
    if any(opts.get(name) for name in _SERIAL_OPTIONS):
        return 1
    if any(name in text for text in opts.get("fields") or () for name in _SERIAL_FIELDS):
        return 1
    asked = os.environ.get(JOBS_ENV, "").strip()
    if asked:
        try:
            return max(1, int(asked))
        except ValueError:
            return 1
    try:
        if os.path.getsize(path) < MIN_BYTES:
            return 1
    except OSError:
        return 1
    return min(_cpus(), 8)


def plan(session, jobs):
    """Slice boundaries [(lo, hi), ...] over the recording's sample times (the SAMPLE_TIME
    feature), or None when the file cannot be split: an event without time stamps, no
    sample time range, a pipe."""
    from perfscript.perfdata import constants as C
    if jobs < 2 or not session.evsels:
        return None
    if any(not ev.attr.sample_type & C.SAMPLE_TIME for ev in session.evsels):
        return None
    first, last = session.sample_time()
    if not first or last <= first + jobs:
        return None
    cuts = [first + (last - first) * k // jobs for k in range(1, jobs)]
    edges = [0] + cuts + [1 << 64]
    return list(zip(edges, edges[1:]))


def run(argv, slices, out, err):
    """Print through one worker per slice; the exit status, or None when the output must
    be made by one process after all (nothing has been written then)."""
    env = {k: v for k, v in os.environ.items() if k != JOBS_ENV}
    workers = []
    try:
        for lo, hi in slices:
            stdout = tempfile.TemporaryFile(prefix="perfscript-slice-")
            stderr = tempfile.TemporaryFile(prefix="perfscript-slice-")
            proc = subprocess.Popen(
                [sys.executable, "-m", "perfscript"] + list(argv),
                stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                env=dict(env, **{SLICE_ENV: "%d,%d" % (lo, hi)}))
            workers.append((proc, stdout, stderr))
        statuses = [proc.wait() for proc, _, _ in workers]
        if any(statuses):
            return None
        errors = []
        for _, _, stderr in workers:
            stderr.seek(0)
            errors.append(stderr.read())
        if any(text != errors[0] for text in errors):
            return None     # a sample's own message: its place among the others is lost
        out.flush()
        for _, stdout, _ in workers:
            stdout.seek(0)
            shutil.copyfileobj(stdout, out.buffer, 1 << 20)
        out.flush()
        # every worker read every record: their warnings are the run's, once
        err.flush()
        err.buffer.write(errors[0])
        err.flush()
        return 0
    finally:
        for proc, stdout, stderr in workers:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            stdout.close()
            stderr.close()
