"""Many recordings into one dataset, converted by worker processes.

    from perfscript.frames.dataset.build import write_dataset
    summary = write_dataset("fleet.ds", ["/data/hosts"], jobs=2)
    summary.failed          # [Outcome], each with its located one-line error

One run, under the dataset's lock (a second export of the same directory stops at
once):
1. parts and temporaries no manifest names (left by a run that crashed) are removed;
2. each input is checked against the manifest: the same size and mtime and the same
   settings (events, symbol options, perfscript's version) is unchanged without being
   read (`checksum=True` reads it anyway); otherwise a worker hashes it (BLAKE2b), and
   converts it unless the hash is the manifest's;
3. workers convert the inputs, biggest first, one at a time each; a perf.data bigger
   than `chunk_bytes` with clean cuts (session.chunk_plan) is converted chunk by chunk,
   its chunks spread over the workers like files; when a worker dies (killed, out of
   memory), the tasks that were running are run again one at a time, and the one whose
   worker dies again is that input's failure;
4. every few seconds, and at the end, the partition directories written are fsync'ed
   and the manifest replaced (manifest.py); the parts of files reconverted or removed
   are deleted after the manifest that drops them is in place.
A crash at any point leaves the manifest of the last checkpoint, naming only parts that
are whole; the next run converts what it lacks.

An input that fails is reported with its located error and the others go on. Its
earlier rows stay when its content could not be read, and go when it was read and had
changed (they describe bytes the file no longer has). With `prune=True`, files of the
dataset that are not among this run's inputs are removed from it (not when an input
was missing: a mistyped directory must not empty the dataset).
"""

import collections
import concurrent.futures
import fcntl
import os
import time

from perfscript.frames.dataset import layout
from perfscript.frames.dataset.convert import (convert_chunk, convert_input,
                                               remove_parts, settings)
from perfscript.frames.dataset.inputs import expand
from perfscript.frames.dataset.layout import DatasetError, is_dataset
from perfscript.frames.dataset.manifest import Manifest, decode_schema, encode_schema
from perfscript.frames.dataset.schema import unify_parts
from perfscript.session.chunk_plan import DEFAULT_CHUNK_BYTES

CHECKPOINT_SECONDS = 5.0


class Outcome:
    """What became of one input: `status` is converted, unchanged, failed or removed;
    `error` the located one-line error of a failure (`offset` its byte offset when
    known); `entry` the manifest's entry of a converted file."""

    def __init__(self, source, status, error=None, offset=None, entry=None, seconds=0.0):
        self.source = source
        self.status = status
        self.error = error
        self.offset = offset
        self.entry = entry
        self.seconds = seconds

    def __repr__(self):
        return "Outcome(%r, %r%s)" % (self.source, self.status,
                                      ", %r" % self.error if self.error else "")


class Summary:
    """A run's outcomes (`outcomes`, one per input, and per file pruned), the
    manifest it left, the `-e` names no converted input had (`unmatched`), its wall
    time (`seconds`) and CPU time (`cpu_seconds`: this process's and its workers')."""

    def __init__(self, root, outcomes, manifest, unmatched, seconds, own_cpu, worker_cpu):
        self.root = root
        self.outcomes = outcomes
        self.manifest = manifest
        self.unmatched = unmatched
        self.seconds = seconds
        self.own_cpu = own_cpu              # this process's CPU seconds
        self.worker_cpu = worker_cpu        # {worker pid: its CPU seconds}

    @property
    def cpu_seconds(self):
        return self.own_cpu + sum(self.worker_cpu.values())

    def count(self, status):
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self):
        return [o for o in self.outcomes if o.status == "failed"]


def default_jobs():
    """The CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
        else os.cpu_count() or 1


def _prepare(root):
    """Make `root` a dataset directory (absent, empty, a dataset, or what a crashed
    first run left), or say why it is not one."""
    if os.path.lexists(root) and not os.path.isdir(root):
        raise DatasetError("%s: not a directory" % root)
    os.makedirs(root, exist_ok=True)
    if is_dataset(root):
        return
    foreign = sorted(n for n in os.listdir(root)
                     if n != layout.LOCK and not layout.PARTITION_NAME.match(n)
                     and not layout.TEMP_NAME.match(n))
    if foreign:
        raise DatasetError("%s: not empty and not a perfscript dataset (it has %s); "
                           "give a new or empty directory" % (root, ", ".join(foreign[:3])))


def _lock(root):
    """The dataset's lock (released when the process ends, however it ends)."""
    fd = os.open(os.path.join(root, layout.LOCK), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DatasetError("%s: another export is writing this dataset" % root) from None
    return fd


def sweep(root, keep):
    """Remove the parts `keep` does not name and every temporary file from the
    partition directories, then the partitions left empty."""
    for d in sorted(os.listdir(root)):
        directory = os.path.join(root, d)
        if not layout.PARTITION_NAME.match(d) or not os.path.isdir(directory):
            continue
        for name in os.listdir(directory):
            if layout.TEMP_NAME.match(name) or layout.PART_NAME.match(name) \
                    and "%s/%s" % (d, name) not in keep:
                os.unlink(os.path.join(directory, name))
        if not os.listdir(directory):
            os.rmdir(directory)


def _merge_chunks(first, results):
    """One file's entry from its chunks' results (in chunk order)."""
    events = {}
    schemas = {}
    for res in results:
        for name, ev in res["events"].items():
            have = events.setdefault(name, {"view": ev["view"], "rows": 0, "parts": []})
            have["rows"] += ev["rows"]
            have["parts"] += ev["parts"]
            schemas.setdefault(name, []).append(decode_schema(ev["schema"]))
    for name, ev in events.items():
        ev["schema"] = encode_schema(unify_parts(schemas[name]))
    header = dict(results[0]["header"])
    for key, pick in (("first_time", min), ("last_time", max)):
        values = [r["header"].get(key) for r in results if r["header"].get(key) is not None]
        header[key] = pick(values) if values else None
    warnings = list(dict.fromkeys(w for r in results for w in r["warnings"]))
    return dict(first, events=events, header=header, host=results[0]["host"],
                warnings=warnings, chunks=len(results))


_ENTRY_KEYS = ("id", "hash", "size", "mtime_ns", "kind", "settings", "host", "header",
               "chunks", "warnings", "events")


class _Run:
    """One export's state: the manifest being made, what is stale, what is in flight."""

    def __init__(self, root, manifest, report, total):
        self.root = root
        self.manifest = manifest
        self.report = report
        self.total = total
        self.outcomes = []
        self.stale = set()          # parts to delete once the manifest drops them
        self.dirty = set()          # partition directories written since the checkpoint
        self.chunked = {}           # source -> [first result, {index: result}, failed]
        self.matched = set()
        self.cpu = {}               # worker pid -> its CPU seconds at its last result
        self.converted = 0
        self.last_checkpoint = time.monotonic()

    def finish(self, outcome):
        self.outcomes.append(outcome)
        if self.report is not None:
            self.report(outcome, len(self.outcomes), self.total)

    def _drop(self, source):
        old = self.manifest.files.pop(source, None)
        if old is not None:
            self.stale.update(p for ev in old["events"].values() for p in ev["parts"])

    def converted_file(self, entry, seconds):
        source = entry["source"]
        self._drop(source)
        self.manifest.files[source] = {k: entry[k] for k in _ENTRY_KEYS}
        for ev in entry["events"].values():
            self.dirty.update(os.path.dirname(p) for p in ev["parts"])
        self.converted += 1
        self.finish(Outcome(source, "converted", entry=self.manifest.files[source],
                            seconds=seconds))

    def removed_file(self, source):
        self._drop(source)
        self.finish(Outcome(source, "removed"))

    def failed_file(self, res):
        source = res["source"]
        old = self.manifest.files.get(source)
        if old is not None and res.get("hash") is not None and res["hash"] != old["hash"]:
            self._drop(source)
        self.finish(Outcome(source, "failed", res["error"], res.get("offset"),
                            seconds=res.get("seconds", 0.0)))

    def take(self, res, task):
        """A worker's result; returns the chunk tasks it asks for."""
        if "pid" in res:
            self.cpu[res["pid"]] = max(self.cpu.get(res["pid"], 0.0), res["cpu"])
        source = res["source"]
        self.matched.update(res.get("matched", ()))
        status = res["status"]
        if "chunk" in res:
            return self._take_chunk(res)
        if status == "unchanged":
            entry = self.manifest.files[source]
            entry["size"], entry["mtime_ns"] = res["size"], res["mtime_ns"]
            self.finish(Outcome(source, "unchanged", entry=entry, seconds=res["seconds"]))
        elif status == "failed":
            self.failed_file(res)
        elif status == "converted":
            self.converted_file(res, res["seconds"])
        else:       # chunked
            self.chunked[source] = [res, {}, None]
            return [dict(root=self.root, source=source, hash=res["hash"], id=res["id"],
                         chunk=c, events=res["events"],
                         symbol_options=task["symbol_options"]) for c in res["chunks"]]
        return []

    def _take_chunk(self, res):
        source = res["source"]
        state = self.chunked[source]
        first, done = state[0], state[1]
        done[res["chunk"]] = res
        if res["status"] == "failed" and state[2] is None:
            state[2] = res
        if len(done) < len(first["chunks"]):
            return []
        del self.chunked[source]
        if state[2] is not None:
            remove_parts(self.root, [p for r in done.values() if r["status"] != "failed"
                                     for ev in r["events"].values() for p in ev["parts"]])
            self.failed_file(dict(state[2], hash=first["hash"],
                                  seconds=sum(r["seconds"] for r in done.values())))
            return []
        entry = _merge_chunks({k: v for k, v in first.items() if k != "chunks"},
                              [done[i] for i in sorted(done)])
        self.converted_file(entry, first["seconds"] + sum(r["seconds"]
                                                          for r in done.values()))
        return []

    def checkpoint(self, force=False):
        """Make what was converted durable and name it in the manifest."""
        if not force and time.monotonic() - self.last_checkpoint < CHECKPOINT_SECONDS:
            return
        for d in sorted(self.dirty):
            path = os.path.join(self.root, d)
            if os.path.isdir(path):
                layout.sync_dir(path)
        layout.sync_dir(self.root)
        self.dirty.clear()
        self.manifest.save()
        remove_parts(self.root, self.stale - self.manifest.parts())
        self.stale.clear()
        self.last_checkpoint = time.monotonic()


def _run_serial(run, tasks):
    for task in tasks:
        follow = run.take(convert_input(task), task)
        for sub in follow:
            run.take(convert_chunk(sub), sub)
        run.checkpoint()


class _Workers:
    """The worker processes, handed at most one task each at a time: when one dies
    (killed, out of memory), the tasks that were running are known, and are run again
    one at a time in a new pool: the one whose worker dies again is the failure, the
    others convert."""

    def __init__(self, run, tasks, jobs):
        self.run = run
        self.jobs = jobs
        self.queue = collections.deque((convert_input, t) for t in tasks)
        self.running = {}
        self.pool = None

    def _new_pool(self):
        import multiprocessing
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = concurrent.futures.ProcessPoolExecutor(
            self.jobs, mp_context=multiprocessing.get_context("forkserver"))

    def _take(self, res, task):
        for sub in self.run.take(res, task):
            self.queue.appendleft((convert_chunk, sub))     # a started file's chunks first

    def run_all(self):
        self._new_pool()
        try:
            while self.queue or self.running:
                while self.queue and len(self.running) < self.jobs:
                    function, task = self.queue.popleft()
                    self.running[self.pool.submit(function, task)] = (function, task)
                done, _ = concurrent.futures.wait(
                    self.running, timeout=CHECKPOINT_SECONDS,
                    return_when=concurrent.futures.FIRST_COMPLETED)
                died = []
                for future in done:
                    entry = self.running.pop(future)
                    try:
                        res = future.result()
                    except concurrent.futures.process.BrokenProcessPool:
                        died.append(entry)
                        continue
                    self._take(res, entry[1])
                if died:
                    suspects = died + list(self.running.values())
                    self.running.clear()
                    self._isolate(suspects)
                self.run.checkpoint()
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def _isolate(self, suspects):
        """Run the tasks that were running when a worker died, one at a time."""
        self._new_pool()
        for function, task in suspects:
            try:
                res = self.pool.submit(function, task).result()
            except concurrent.futures.process.BrokenProcessPool:
                res = {"source": task["source"], "status": "failed",
                       "error": "%s: a worker process died converting it (killed, or out "
                                "of memory)" % task["source"]}
                if "chunk" in task:
                    res["chunk"] = task["chunk"].index
                self._new_pool()
            self._take(res, task)


def write_dataset(root, inputs, jobs=None, events=None, symbol_options=None, prune=False,
                  checksum=False, chunk_bytes=DEFAULT_CHUNK_BYTES, report=None):
    """Convert `inputs` (paths, globs, directories: inputs.py) into the dataset at
    `root` (see the module's docstring) with `jobs` worker processes (default: the
    CPUs available; 1 converts in this process). `events`: only these events (any of
    their names). `symbol_options`: kallsyms=, vmlinux=, symfs= as perfscript.open
    takes them. `report(outcome, done, total)` is called as each input is done.
    Returns a Summary."""
    t0 = time.perf_counter()
    cpu0 = os.times()
    root = os.path.abspath(os.fspath(root))
    jobs = default_jobs() if jobs is None else max(1, int(jobs))
    symbol_options = {k: v for k, v in (symbol_options or {}).items() if v is not None}
    _prepare(root)
    lock = _lock(root)
    try:
        manifest = Manifest.load(root)
        sweep(root, manifest.parts())
        paths, problems = expand(inputs, exclude=root)
        wanted = settings(events, symbol_options)
        pruned = sorted(set(manifest.files) - set(paths)) if prune and not problems else []
        run = _Run(root, manifest, report, len(paths) + len(problems) + len(pruned))
        for given, problem in problems:
            run.finish(Outcome(given, "failed", "%s: %s" % (given, problem)))
        tasks = []
        for path in paths:
            known = manifest.files.get(path)
            try:
                st = os.stat(path)
            except OSError:
                st = None
            if not checksum and known is not None and st is not None \
                    and known["settings"] == wanted and known["size"] == st.st_size \
                    and known["mtime_ns"] == st.st_mtime_ns:
                run.finish(Outcome(path, "unchanged", entry=known))
                continue
            tasks.append({"root": root, "source": path, "known": known, "settings": wanted,
                          "events": list(events) if events else None,
                          "symbol_options": symbol_options, "chunk_bytes": chunk_bytes,
                          "size": st.st_size if st is not None else 0})
        tasks.sort(key=lambda t: -t["size"])
        try:
            if jobs == 1 or not tasks or len(tasks) == 1 and tasks[0]["size"] <= chunk_bytes:
                _run_serial(run, tasks)
            else:
                _Workers(run, tasks, jobs).run_all()
            for source in pruned:
                run.removed_file(source)
        finally:
            run.checkpoint(force=True)
        sweep(root, manifest.parts())
        unmatched = [n for n in events or () if run.converted and n not in run.matched]
        cpu1 = os.times()
        workers = {pid: cpu for pid, cpu in run.cpu.items() if pid != os.getpid()}
        return Summary(root, run.outcomes, manifest, unmatched, time.perf_counter() - t0,
                       cpu1.user + cpu1.system - cpu0.user - cpu0.system, workers)
    finally:
        os.close(lock)
