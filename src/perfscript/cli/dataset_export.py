"""`perfscript export --dataset DIR INPUT...`: many recordings as one Parquet dataset
(frames.dataset; docs/datasets.md), which `perfscript sql -i DIR` queries (cli/tables.py).

    perfscript export --dataset fleet.ds /data/hosts/ 'more/*.data' -j 2

The inputs are positional (paths, directories, globs), as `cp` and `tar` take many
files: perf's `-i` names one recording, and repeating it means the last one there; `-i`
given here is one more input. stderr gets a line per input as it is done (a bar on a
terminal; -q: neither), and every failure as perfscript's located one-line error;
stdout one `event<TAB>partition directory` line per event of the dataset. The status
is 1 when an input failed (the others are converted), naming the failures.
"""

import os
import sys

from perfscript.cli.exits import ERROR, UsageError

_SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_NAMES_SHOWN = 10


def _size(text):
    """Bytes of `256M`, `1G`, `4096` (a `B` or `iB` after the unit is allowed)."""
    t = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = t[-1:] if t[-1:] in _SIZE_UNITS else ""
    try:
        n = float(t[:len(t) - len(unit)])
    except ValueError:
        n = -1
    if n <= 0:
        raise UsageError("option '--chunk-size %s': not a size (bytes, or with K, M, G)"
                         % text)
    return int(n * _SIZE_UNITS[unit])


def _refuse_single_options(opts):
    """The options of one recording's export that a dataset cannot honour, each said
    with its reason."""
    if opts.output is not None:
        raise UsageError("option '-o' is for one recording: --dataset DIR names the "
                         "dataset's directory")
    if opts.format != "parquet":
        raise UsageError("option '--format %s': a dataset is Parquet (Hive-partitioned by "
                         "event); export one recording with -o DIR for %s"
                         % (opts.format, opts.format))
    if opts.derived:
        raise UsageError("option '--derived': derived tables are made per recording, not "
                         "across a dataset; export each with -o DIR --derived")
    if opts.jobs is not None and opts.jobs < 1:
        raise UsageError("option '-j %d': at least one worker" % opts.jobs)


class Report:
    """What an export says while it runs, on stderr: a line per input (or a bar on a
    terminal), failures always."""

    def __init__(self, root, quiet):
        self.root = root
        self.quiet = quiet
        self.bar = not quiet and sys.stderr.isatty()
        self.failed = 0
        self.drawn = False

    def __call__(self, outcome, done, total):
        if outcome.status == "failed":
            self.failed += 1
            self.clear()
            sys.stderr.write("perfscript: %s\n" % outcome.error)
        elif not self.quiet and not self.bar:
            sys.stderr.write("[%*d/%d] %s %s%s\n" % (len(str(total)), done, total,
                                                   outcome.status, outcome.source,
                                                   _what(outcome)))
        if self.bar:
            width = 30
            fill = width * done // max(total, 1)
            sys.stderr.write("\r%s [%s%s] %d/%d%s" % (
                self.root, "#" * fill, " " * (width - fill), done, total,
                ", %d failed" % self.failed if self.failed else ""))
            self.drawn = True
        sys.stderr.flush()

    def clear(self):
        if self.drawn:
            sys.stderr.write("\r\x1b[K")
            self.drawn = False

    def close(self, summary):
        self.clear()
        if self.quiet:
            return
        views = summary.manifest.views()
        rows = sum(ev["rows"] for members in views.values() for _, _, ev in members)
        sys.stderr.write("dataset %s: %d inputs: %d converted, %d unchanged, %d failed%s; "
                         "%d files, %d events, %d rows (%.1f s, %.1f s CPU)\n" % (
                             self.root, sum(1 for o in summary.outcomes
                                            if o.status != "removed"),
                             summary.count("converted"), summary.count("unchanged"),
                             summary.count("failed"),
                             ", %d removed" % summary.count("removed")
                             if summary.count("removed") else "",
                             len(summary.manifest.files), len(views), rows,
                             summary.seconds, summary.cpu_seconds))


def _what(outcome):
    if outcome.status != "converted":
        return ""
    events = outcome.entry["events"]
    return ": %d events, %d rows (%.2f s)" % (
        len(events), sum(ev["rows"] for ev in events.values()), outcome.seconds)


def run(opts):
    """`perfscript export --dataset DIR INPUT...`: returns the exit status."""
    from perfscript.frames.dataset.build import write_dataset
    from perfscript.session.chunk_plan import DEFAULT_CHUNK_BYTES
    _refuse_single_options(opts)
    inputs = list(opts.inputs) + ([opts.input] if opts.input is not None else [])
    if not inputs:
        raise UsageError("give the recordings to convert: --dataset DIR INPUT... (files, "
                         "directories, globs)")
    chunk_bytes = _size(opts.chunk_size) if opts.chunk_size else DEFAULT_CHUNK_BYTES
    report = Report(opts.dataset, opts.quiet)
    symbols = {k: getattr(opts, k) for k in ("kallsyms", "vmlinux", "symfs")}
    try:
        summary = write_dataset(opts.dataset, inputs, jobs=opts.jobs, events=opts.event,
                                symbol_options=symbols, prune=opts.prune,
                                checksum=opts.checksum, chunk_bytes=chunk_bytes,
                                report=report)
    finally:
        report.clear()
    report.close(summary)
    for view, members in summary.manifest.views().items():
        sys.stdout.write("%s\t%s\n" % (members[0][1], os.path.join(opts.dataset,
                                                                   "event=" + view)))
    status = 0
    for name in summary.unmatched:
        sys.stderr.write("perfscript export: no input has event '%s'\n" % name)
        status = ERROR
    failed = summary.failed
    if failed:
        names = ", ".join(o.source for o in failed[:_NAMES_SHOWN])
        if len(failed) > _NAMES_SHOWN:
            names += " and %d more" % (len(failed) - _NAMES_SHOWN)
        sys.stderr.write("perfscript export: %d of %d inputs failed: %s\n"
                         % (len(failed), sum(1 for o in summary.outcomes
                                             if o.status != "removed"), names))
        status = ERROR
    return status

