"""`perfscript -s SCRIPT`: run a script written for `perf script -s` on the recording."""

import os

from perfscript.cli.exits import Aborted, Refused, UsageError
from perfscript.cli.installed import find_script
from perfscript.cli.recording import (end_of_run, header_options, make_filter, make_resolver,
                                      stderr_line)
from perfscript.errors import PerfDataError
from perfscript.output.c_stdout import CStdout
from perfscript.script.engine import ScriptEngine
from perfscript.script.failures import HandlerFailed, ScriptError
from perfscript.session.session import Session

# options that only shape perf's text output: the script engine does not apply them yet
_TEXT_ONLY = (("ns", "--ns"),
              ("show_task_events", "--show-task-events"),
              ("show_mmap_events", "--show-mmap-events"),
              ("show_switch_events", "--show-switch-events"),
              ("show_lost_events", "--show-lost-events"),
              ("reltime", "--reltime"), ("deltatime", "--deltatime"))


def refuse_text_only(opts):
    """Options the script engine does not apply yet: refused, never ignored."""
    for key, opt in _TEXT_ONLY:
        if opts.get(key):
            raise UsageError("option '%s' is not supported with -s yet" % opt)
    if opts.get("fields"):
        raise UsageError("option '-F' is not supported with -s yet")


def run(opts):
    """Run the script over the recording; returns the exit status."""
    path = opts["input"] or "perf.data"
    session = Session(path, make_resolver(opts), warn=stderr_line)
    if opts.get("max_stack") is not None:
        session.unwind_depth = opts["max_stack"]    # perf's scripting_max_stack
    session.inline = opts.get("inline", True)
    session.full_source_path = bool(opts.get("full_source_path"))
    perf_stdout = CStdout()
    if header_options(opts, session, perf_stdout):
        perf_stdout.close()
        return 0
    script = find_script(opts["script"])
    sample_filter = make_filter(opts, session)
    max_stack = opts.get("max_stack")
    engine = ScriptEngine(script, opts["script_args"], session,
                          sample_filter=sample_filter,
                          max_stack=int(max_stack) if max_stack is not None else None,
                          hide_callchain=bool(opts.get("hide_call_graph")))
    try:
        try:
            engine.start()
        except ScriptError as e:
            raise Refused(str(e)) from None
        error = None
        try:
            session.process(engine, batched=not os.environ.get("PERFSCRIPT_NO_BATCH"))
        except PerfDataError as e:      # trace_end has run (the session's end())
            error = e
    except HandlerFailed as e:
        raise _aborted(engine, e) from None
    perf_stdout.close()
    end_of_run(session, error)
    return 0


def _aborted(engine, failure):
    """perf's fatal error for a handler that raised, naming the record being handled."""
    where = ""
    cur = engine.current_record()
    if cur is not None:
        ev, _, t, offset = cur
        if offset is not None:
            offset = engine.session.file_offset(offset)
        where = " while handling %s (time %d.%09d, record at file offset %d)" % (
            ev.name, t // 1000000000, t % 1000000000, offset)
    what = str(failure) or "handler_call_die: problem in Python trace event handler"
    return Aborted(what + where)
