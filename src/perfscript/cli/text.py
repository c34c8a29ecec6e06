"""`perfscript -i FILE [options]` without -s: perf script's text output."""

import sys

from perfscript.cli import parallel_text
from perfscript.cli.exits import USAGE, Refused
from perfscript.cli.recording import (end_of_filter, end_of_run, header_options, make_filter,
                                      make_resolver, reads_sorted, say_verbose, warner)
from perfscript.errors import PerfDataError
from perfscript.output.fields import TOD, FieldsError, OutputSpec
from perfscript.output.text import (FEAT_CLOCK_DATA, MAX_STACK, TextOptions, TextPrinter,
                                    shown_records)
from perfscript.perfdata.features import ClockData
from perfscript.session.session import Session


def run(opts, argv=None):
    """Print the recording as perf script does; returns the exit status.  With the
    command line (`argv`), a large file is printed by several workers (parallel_text)."""
    out = sys.stdout
    spec = OutputSpec()
    for text in opts.get("fields") or ():
        try:
            spec.parse(text)
        except FieldsError as e:
            raise Refused(str(e), USAGE) from None  # perf: an option callback failed
    for w in () if opts["quiet"] else spec.warnings:
        sys.stderr.write("%s\n" % w)
    topts = TextOptions(ns=opts["ns"], use_callchain=not opts["hide_call_graph"],
                        max_stack=MAX_STACK if opts["max_stack"] is None else opts["max_stack"],
                        show_task=opts["show_task_events"], show_mmap=opts["show_mmap_events"],
                        show_switch=opts["show_switch_events"],
                        show_lost=opts["show_lost_events"], reltime=opts["reltime"],
                        deltatime=opts["deltatime"], latency=opts["latency"],
                        show_namespace=opts["show_namespace_events"],
                        show_cgroup=opts["show_cgroup_events"],
                        show_bpf=opts["show_bpf_events"],
                        show_text_poke=opts["show_text_poke_events"],
                        show_round=opts["show_round_events"],
                        full_source_path=bool(opts["full_source_path"]),
                        max_blocks=opts["max_blocks"] or 0,
                        stop_bt=opts["stop_bt"])
    path = opts.get("input") or "perf.data"
    jobs = parallel_text.wanted_jobs(opts, path) if argv is not None else 1
    if jobs > 1:
        status = _in_slices(argv, path, jobs, out)
        if status is not None:
            return status
    session = Session(path, make_resolver(opts, text=True), warn=warner(opts))
    session.time_slice = parallel_text.worker_slice()
    say_verbose(opts, session)
    if opts.get("max_stack") is not None:
        session.unwind_depth = opts["max_stack"]    # perf's scripting_max_stack
    session.inline = opts.get("inline", True)
    session.full_source_path = bool(opts.get("full_source_path"))
    if header_options(opts, session):
        return 0
    dump = None
    if opts["dump_raw_trace"]:
        from perfscript.output.raw_dump import RawDump
        dump = RawDump(session, out.write, opts["input"], reads_sorted(opts),
                       shown_records(topts))
    sfilter = make_filter(opts, session, on_resolve=dump.resolved if dump else None)
    try:
        if opts["per_event_dump"]:
            from perfscript.output.per_event_dump import PerEventDump
            printer = PerEventDump(session, spec, topts, sfilter, out, path)
        else:
            printer = TextPrinter(session, spec, topts, sfilter, out)
    except OSError as e:
        raise Refused(str(e)) from None
    if any(f & TOD for f in spec.fields.values()) and \
            not isinstance(session.features.get(FEAT_CLOCK_DATA), ClockData):
        raise Refused("Can't provide 'tod' time, missing clock data. Please record with "
                      "-k/--clockid option.")
    error = None
    try:
        session.process(printer, batched=True, ordered=reads_sorted(opts),
                        observer=dump.record if dump else None)
    except PerfDataError as e:
        error = e
    finally:
        if dump is not None:
            out.write(dump.flush_tail())
        out.flush()
    if opts["per_event_dump"]:
        printer.close()
    end_of_filter(sfilter)
    end_of_run(session, error, quiet=opts["quiet"])
    if session.slice_crossed:
        return parallel_text.CROSSED
    return 0


def _in_slices(argv, path, jobs, out):
    """The exit status of printing through parallel workers, or None when this file
    must be printed by one process (then nothing has been written)."""
    try:
        probe = Session(path, None, warn=lambda text: None)
    except (PerfDataError, OSError):
        return None         # the serial run says what is wrong
    try:
        slices = parallel_text.plan(probe, jobs)
    finally:
        probe.pd.close()
    if slices is None:
        return None
    return parallel_text.run(argv, slices, out, sys.stderr)
