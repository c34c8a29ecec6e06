"""`perfscript -s SCRIPT`: run a script written for `perf script -s` on the recording, a
perf.data or a trace-cmd trace.dat (session/tracedat.py: its records are tracepoint
samples, handled as a perf.data's samples of the same tracepoints are)."""

import os

from perfscript.cli.exits import Aborted, Refused, UsageError
from perfscript.cli.installed import find_script, missing_script_hint
from perfscript.cli.recording import (end_of_filter, end_of_run, header_options, make_filter,
                                      make_resolver, reads_sorted, say_verbose, warner)
from perfscript.errors import PerfDataError
from perfscript.output.c_stdout import CStdout
from perfscript.script.engine import ScriptEngine
from perfscript.script.failures import HandlerFailed, ScriptError
from perfscript.session.filters import FilterError
from perfscript.session.session import Session
from perfscript.session.tracedat import TraceDatSession

# options that only shape perf's text output: the script engine does not apply them yet
_TEXT_ONLY = (("ns", "--ns"),
              ("show_task_events", "--show-task-events"),
              ("show_mmap_events", "--show-mmap-events"),
              ("show_switch_events", "--show-switch-events"),
              ("show_lost_events", "--show-lost-events"),
              ("show_namespace_events", "--show-namespace-events"),
              ("show_cgroup_events", "--show-cgroup-events"),
              ("show_bpf_events", "--show-bpf-events"),
              ("show_text_poke_events", "--show-text-poke-events"),
              ("show_round_events", "--show-round-events"),
              # perf 6.1 names a callchain entry's dso by its path then, but not the
              # sample's: script/sample_dict.py would have to tell them apart
              ("show_kernel_path", "--show-kernel-path"),
              ("reltime", "--reltime"), ("deltatime", "--deltatime"))


def refuse_text_only(opts):
    """Options the script engine does not apply yet: refused, never ignored."""
    for key, opt in _TEXT_ONLY:
        if opts.get(key):
            raise UsageError("option '%s' is not supported with -s yet" % opt)
    if opts.get("fields"):
        raise UsageError("option '-F' is not supported with -s yet")


# what -s does with a trace.dat as with a perf.data: the task, cpu, time and event
# filters, the callchain options (a trace.dat has none: every callchain is empty) and
# the options of every command
_TRACEDAT_APPLIES = frozenset((
    "input", "force", "verbose", "quiet", "cache", "pager", "script", "script_args",
    "deferred_refusals", "all_cpus", "pid", "tid", "comms", "cpu", "time", "switch_on",
    "switch_off", "show_on_off_events", "debug_mode", "hide_call_graph", "max_stack"))
_NO_ADDRESSES = "its records have no ip, maps or callchains to resolve"
_TRACEDAT_LACKS = {
    "header": "it has no perf.data header (`perfscript tracecmd-report` prints its own)",
    "header_only": "it has no perf.data header (`perfscript tracecmd-report` prints its own)",
    "show_info": "it has no perf.data header (`perfscript tracecmd-report` prints its own)",
    "dump_raw_trace": "it has no perf records to dump",
    "dump_unsorted_raw_trace": "it has no perf records to dump",
    "per_event_dump": "it writes perf script's text per event (`perfscript tracecmd-report` "
                      "prints a trace.dat's)",
    "symbols": "its records have no ip to match", "dsos": "its records have no ip to match",
    "addr_range": "its records have no ip to match",
}


def refuse_on_tracedat(opts):
    """Options -s cannot apply to a trace.dat, which records what perf's tracepoint
    samples carry minus ip, maps, callchains and the header: refused, one line each."""
    from perfscript.cli.options import defaults
    base = defaults()
    for key, value in opts.items():
        if key in _TRACEDAT_APPLIES or value == base.get(key):
            continue
        raise Refused("perfscript: option '--%s' does not apply to a trace-cmd trace.dat "
                      "(%s): %s" % (key.replace("_", "-"), opts["input"],
                                    _TRACEDAT_LACKS.get(key, _NO_ADDRESSES)), status=1)


def run(opts, tracedat=False):
    """Run the script over the recording (a trace.dat when `tracedat`); returns the exit
    status."""
    path = opts["input"] or "perf.data"
    if tracedat:
        session = TraceDatSession(path)
    else:
        session = Session(path, make_resolver(opts), warn=warner(opts))
    if opts.get("max_stack") is not None:
        session.unwind_depth = opts["max_stack"]    # perf's scripting_max_stack
    session.inline = opts.get("inline", True)
    session.full_source_path = bool(opts.get("full_source_path"))
    say_verbose(opts, session)
    perf_stdout = CStdout()
    if not tracedat and header_options(opts, session, perf_stdout):
        perf_stdout.close()
        return 0
    script = find_script(opts["script"])
    if not os.access(script, os.R_OK):
        hint = missing_script_hint(opts["script"])
        if hint is not None:
            raise Refused(hint)
    dump = None
    if opts["dump_raw_trace"]:
        from perfscript.output.raw_dump import RawDump
        dump = RawDump(session, perf_stdout.write, opts["input"], reads_sorted(opts))
    late = None         # perf meets a bad --time or --switch-on after trace_begin
    try:
        sample_filter = make_filter(opts, session, on_resolve=dump.resolved if dump else None)
    except FilterError as e:
        if not e.after_script_start:
            raise
        late, sample_filter = e, None
    max_stack = opts.get("max_stack")
    engine = ScriptEngine(script, opts["script_args"], session,
                          sample_filter=sample_filter,
                          max_stack=int(max_stack) if max_stack is not None else None,
                          hide_callchain=bool(opts.get("hide_call_graph")))
    dumps = None
    if opts["per_event_dump"]:
        # text output's modules are loaded only for the files it writes
        from perfscript.output.per_event_dump import DumpFiles
        dumps = DumpFiles(path)
    try:
        try:
            engine.start()
        except ScriptError as e:
            raise Refused(str(e)) from None
        if late is not None:
            engine.end()
            perf_stdout.close()
            raise late
        if dumps is not None:       # perf opens them; a script's samples never reach them
            for ev in session.evsels:
                dumps.open(ev)
        error = None
        try:
            session.process(engine, batched=not os.environ.get("PERFSCRIPT_NO_BATCH"),
                            ordered=reads_sorted(opts), observer=dump.record if dump else None)
        except PerfDataError as e:      # trace_end has run (the session's end())
            error = e
    except HandlerFailed as e:
        raise _aborted(engine, e) from None
    if dumps is not None:
        perf_stdout.write(dumps.report())
    if sample_filter is not None:
        end_of_filter(sample_filter)
    perf_stdout.close()
    end_of_run(session, error, quiet=opts["quiet"])
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
