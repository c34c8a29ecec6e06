"""`perfscript -i FILE [options]` without -s: perf script's text output."""

import sys

from perfscript.cli.exits import USAGE, Refused
from perfscript.cli.recording import (end_of_run, header_options, make_filter, make_resolver,
                                      stderr_line)
from perfscript.errors import PerfDataError
from perfscript.output.fields import TOD, FieldsError, OutputSpec
from perfscript.output.text import FEAT_CLOCK_DATA, MAX_STACK, TextOptions, TextPrinter
from perfscript.perfdata.features import ClockData
from perfscript.session.session import Session


def run(opts):
    """Print the recording as perf script does; returns the exit status."""
    out = sys.stdout
    spec = OutputSpec()
    for text in opts.get("fields") or ():
        try:
            spec.parse(text)
        except FieldsError as e:
            raise Refused(str(e), USAGE) from None  # perf: an option callback failed
    for w in spec.warnings:
        sys.stderr.write("%s\n" % w)
    topts = TextOptions(ns=opts.get("ns", False),
                        use_callchain=not opts.get("hide_call_graph", False),
                        max_stack=opts.get("max_stack", MAX_STACK),
                        show_task=opts.get("show_task_events", False),
                        show_mmap=opts.get("show_mmap_events", False),
                        show_switch=opts.get("show_switch_events", False),
                        show_lost=opts.get("show_lost_events", False),
                        reltime=opts.get("reltime", False),
                        deltatime=opts.get("deltatime", False),
                        full_source_path=opts.get("full_source_path", False),
                        max_blocks=opts.get("max_blocks", 0))
    path = opts.get("input") or "perf.data"
    session = Session(path, make_resolver(opts), warn=stderr_line)
    if opts.get("max_stack") is not None:
        session.unwind_depth = opts["max_stack"]    # perf's scripting_max_stack
    session.inline = opts.get("inline", True)
    session.full_source_path = bool(opts.get("full_source_path"))
    if header_options(opts, session):
        return 0
    sfilter = make_filter(opts, session)
    printer = TextPrinter(session, spec, topts, sfilter, out)
    if any(f & TOD for f in spec.fields.values()) and \
            not isinstance(session.features.get(FEAT_CLOCK_DATA), ClockData):
        raise Refused("Can't provide 'tod' time, missing clock data. Please record with "
                      "-k/--clockid option.")
    error = None
    try:
        session.process(printer, batched=True)
    except PerfDataError as e:
        error = e
    finally:
        out.flush()
    end_of_run(session, error)
    return 0
