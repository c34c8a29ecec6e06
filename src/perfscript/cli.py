"""The `perfscript` command: perf script's command line for running Python scripts."""

import os
import stat
import sys

from perfscript import __version__
from perfscript.errors import PerfDataError

USAGE = """\
usage: perfscript [-i FILE] [OPTIONS]                 (perf script's text output)
   or: perfscript [-i FILE] -s SCRIPT [SCRIPT ARGS...]
   or: perfscript export -i FILE -o DIR --format parquet|csv|jsonl
   or: perfscript sql -i FILE "SELECT ..."
   or: perfscript report -i trace.dat            (trace-cmd report's output)

Run a script written for `perf script -s` on a perf.data recording, without perf.

  -i, --input FILE      recording to read (default: perf.data; '-' reads stdin)
  -s, --script SCRIPT   Python script (also python:SCRIPT / py:SCRIPT); a bare name is
                        also looked up among perf's installed scripts
      --kallsyms FILE   kernel symbols to use (like perf's --kallsyms)
      --symfs DIR       look for object files under DIR
  -F, --fields LIST     fields to print ([type:][+-]comm,tid,pid,time,cpu,event,trace,
                        ip,sym,symoff,dso,addr,period,misc,tod,flags,callindent,iregs,
                        uregs,data_src,weight,ins_lat,phys_addr,data_page_size,
                        code_page_size,ipc,machine_pid,vcpu)
      --ns              nanosecond timestamps
      --reltime, --deltatime    times since the first sample / since the previous one
  -C, --cpu LIST        only samples of these cpus
      --pid LIST / --tid LIST / --comms LIST   only samples of these tasks
      --time RANGES     start,end (secs.usecs) ranges or percentages (10%/2, 0%-10%)
  -G, --hide-call-graph, --max-stack N
      --show-task-events, --show-mmap-events, --show-switch-events, --show-lost-events
      --header, --header-only   print the recording's header first / only
  -I, --show-info       with --header: every header feature in full
  -l, --list            list perf's installed scripts
  -g, --gen-script python   write perf's skeleton script perf-script.py for the recording
  -h, --help            show this help and exit
      --version         show the version and exit

Arguments after the script go to the script (sys.argv[1:]); put '--' before
script arguments that start with '-'.
"""

# perf's installed script trees, for `-s name` lookups perf itself would satisfy
PERF_EXEC_DIRS = ("/usr/lib/perf-core", "/usr/libexec/perf-core", "/usr/local/libexec/perf-core")

# perf script options we know but do not implement yet: said so, never ignored
_NOT_YET = {
    "-D", "--dump-raw-trace", "-L", "--Latency",
    "-d", "--debug-mode", "-v", "--verbose", "--itrace", "--full-source-path",
    "--show-kernel-path", "-S", "--symbols", "--dsos", "-k", "--vmlinux", "-f", "--force",
    "--per-event-dump", "--inline", "--insn-trace",
    "--xed", "--call-trace", "--call-ret-trace", "--graph-function", "--switch-on",
    "--switch-off", "--show-on-off-events", "--stop-bt", "--dlfilter", "-a", "-e",
}

# options taking a value: option -> opts key (short ones also accept -Xvalue)
_VALUE_OPTS = {
    "-F": "fields", "--fields": "fields", "-C": "cpu", "--cpu": "cpu", "--pid": "pid",
    "--tid": "tid", "--comms": "comms", "--time": "time", "--max-stack": "max_stack",
}
# flags: option -> opts key
_FLAG_OPTS = {
    "--ns": "ns", "-G": "hide_call_graph", "--hide-call-graph": "hide_call_graph",
    "--show-task-events": "show_task_events", "--show-mmap-events": "show_mmap_events",
    "--show-switch-events": "show_switch_events", "--show-lost-events": "show_lost_events",
    "--header": "header", "--header-only": "header_only", "-l": "list", "--list": "list",
    "-I": "show_info", "--show-info": "show_info",
    "--reltime": "reltime", "--deltatime": "deltatime",
}
# options that select samples: perf applies them in script mode too
FILTER_KEYS = ("cpu", "pid", "tid", "comms", "time")


class UsageError(Exception):
    pass


def parse_args(argv):
    """perf's rules: options stop at the first non-option after the script; `--` is eaten."""
    opts = {"input": None, "script": None, "script_args": [], "kallsyms": None,
            "symfs": None, "fields": []}
    i = 0
    n = len(argv)

    def value(name):
        nonlocal i
        if i + 1 >= n:
            raise UsageError("option '%s' requires a value" % name)
        i += 1
        return argv[i]

    while i < n:
        a = argv[i]
        if a == "--":
            opts["script_args"].extend(argv[i + 1:])
            break
        key, eq, inline = a.partition("=") if a.startswith("--") else (a, "", "")
        if a in ("-h", "--help"):
            opts["help"] = True
        elif a == "--version":
            opts["version"] = True
        elif key in ("-i", "--input"):
            opts["input"] = inline if eq else value(key)
        elif a.startswith("-i") and len(a) > 2:
            opts["input"] = a[2:]
        elif key in ("-s", "--script"):
            opts["script"] = inline if eq else value(key)
        elif a.startswith("-s") and len(a) > 2:
            opts["script"] = a[2:]
        elif key in ("-g", "--gen-script"):
            opts["gen_script"] = inline if eq else value(key)
        elif a.startswith("-g") and len(a) > 2:
            opts["gen_script"] = a[2:]
        elif key == "--kallsyms":
            opts["kallsyms"] = inline if eq else value(key)
        elif key == "--symfs":
            opts["symfs"] = inline if eq else value(key)
        elif key in _VALUE_OPTS or (a[:2] in ("-F", "-C") and len(a) > 2):
            if key in _VALUE_OPTS:
                v = inline if eq else value(key)
                name = _VALUE_OPTS[key]
            else:
                v = a[2:]
                name = _VALUE_OPTS[a[:2]]
            if name == "fields":
                opts["fields"].append(v)
            elif name == "max_stack":
                try:
                    opts["max_stack"] = int(v, 0)
                except ValueError:
                    raise UsageError("option `max-stack' expects a numerical value") from None
            else:
                opts[name] = v
        elif key in _FLAG_OPTS and not eq:
            opts[_FLAG_OPTS[key]] = True
        elif key in _NOT_YET or (a.startswith("-") and a[:2] in _NOT_YET):
            raise UsageError("option '%s' is not supported yet" % key)
        elif a.startswith("-") and a != "-":
            raise UsageError("unknown option '%s'" % key)
        else:
            # first non-option: it and everything after belong to the script, verbatim
            opts["script_args"].extend(argv[i:])
            break
        i += 1
    return opts


def default_input():
    """perf's default input: stdin when it is a pipe, else perf.data."""
    try:
        if stat.S_ISFIFO(os.fstat(0).st_mode):
            return "-"
    except OSError:
        pass
    return "perf.data"


def find_script(spec):
    """Resolve `-s` the way perf does: language prefix, then the path, then perf's tree."""
    lang, sep, rest = spec.partition(":")
    if sep and lang.lower() in ("python", "py"):
        spec = rest
    elif sep and "/" not in lang and lang.lower() in ("perl", "pl"):
        raise UsageError("perl scripts are not supported: perfscript runs Python scripts")
    elif not spec.lower().endswith(".py") and sep == "":
        if spec.lower().endswith(".pl"):
            raise UsageError("perl scripts are not supported: perfscript runs Python scripts")
    if os.access(spec, os.R_OK):
        return spec
    bases = []
    env = os.environ.get("PERF_EXEC_PATH")
    if env:
        bases.append(env)
    bases.extend(PERF_EXEC_DIRS)
    for base in bases:
        cand = os.path.join(base, "scripts", "python", spec)
        if os.access(cand, os.R_OK):
            return cand
    return spec


def _refuse_text_only(opts):
    """Options the script engine does not apply yet: refused, never ignored."""
    for key, opt in (("ns", "--ns"),
                     ("show_task_events", "--show-task-events"),
                     ("show_mmap_events", "--show-mmap-events"),
                     ("show_switch_events", "--show-switch-events"),
                     ("show_lost_events", "--show-lost-events"),
                     ("reltime", "--reltime"), ("deltatime", "--deltatime")):
        if opts.get(key):
            raise UsageError("option '%s' is not supported with -s yet" % opt)
    if opts.get("fields"):
        raise UsageError("option '-F' is not supported with -s yet")


def _stderr_line(text):
    sys.stderr.write(text + "\n")


def _make_resolver(opts):
    try:
        from perfscript.symbols.resolver import SymbolResolver
    except ImportError:
        return None
    return SymbolResolver(kallsyms=opts["kallsyms"], symfs=opts["symfs"])


def header_options(opts, session, out=None):
    """--header / --header-only / -I on an opened session; True: stop (header only)."""
    from perfscript.output.header import show_header
    return show_header(session, out or sys.stdout, header=opts.get("header", False),
                       header_only=opts.get("header_only", False),
                       full=opts.get("show_info", False))


def run_script(opts):
    from perfscript.script.engine import ScriptEngine
    from perfscript.script.failures import HandlerFailed, ScriptError
    from perfscript.session.session import Session

    path = opts["input"] or "perf.data"
    session = Session(path, _make_resolver(opts), warn=_stderr_line)
    from perfscript.output.c_stdout import CStdout
    perf_stdout = CStdout()
    if header_options(opts, session, perf_stdout):
        perf_stdout.close()
        return 0
    script = find_script(opts["script"])
    from perfscript.output.text import make_filter
    from perfscript.session.filters import FilterError
    try:
        sample_filter = make_filter(opts, session)
    except FilterError as e:
        sys.stderr.write("%s\n" % e)
        return e.status
    max_stack = opts.get("max_stack")
    engine = ScriptEngine(script, opts["script_args"], session,
                          sample_filter=sample_filter,
                          max_stack=int(max_stack) if max_stack is not None else None,
                          hide_callchain=bool(opts.get("hide_call_graph")))
    try:
        engine.start()
    except ScriptError as e:
        sys.stderr.write("%s\n" % e)
        return 255
    except HandlerFailed as e:
        return _abort(engine, e)
    error = None
    try:
        session.process(engine, batched=not os.environ.get("PERFSCRIPT_NO_BATCH"))
    except PerfDataError as e:
        error = e
    except HandlerFailed as e:
        return _abort(engine, e)
    try:
        engine.end()
    except HandlerFailed as e:
        return _abort(engine, e)
    perf_stdout.close()
    for w in session.warnings:
        sys.stderr.write("Warning: %s\n" % w)
    for w in session.finish_warnings():
        sys.stderr.write(w)
    if error is not None:
        sys.stdout.flush()
        sys.stderr.write("perfscript: %s\n" % error)
        return 1
    return 0


def _abort(engine, failure):
    """A handler raised: perf prints a fatal error and aborts; we exit 134 like SIGABRT."""
    where = ""
    cur = engine.current_record()
    if cur is not None:
        ev, _, t, offset = cur
        if offset is not None:
            offset = engine.session.file_offset(offset)
        where = " while handling %s (time %d.%09d, record at file offset %d)" % (
            ev.name, t // 1000000000, t % 1000000000, offset)
    try:
        sys.stdout.flush()
    except Exception:
        pass
    what = str(failure) or "handler_call_die: problem in Python trace event handler"
    sys.stderr.write("Fatal Python error: %s%s\n" % (what, where))
    sys.stderr.flush()
    os._exit(134)


def run_gen_script(opts):
    """`-g python`: write perf's skeleton script for the recording's events."""
    lang = opts["gen_script"]
    if lang.lower() not in ("python", "py"):
        sys.stderr.write("perfscript: -g %s: only python scripts can be generated\n" % lang)
        return 129
    from perfscript.script.gen_python import write_skeleton
    from perfscript.session.session import Session
    session = Session(opts["input"] or "perf.data", None, warn=_stderr_line)
    return write_skeleton(session, os.getcwd())


SUBCOMMANDS = ("export", "sql")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "report":
        from perfscript.report_cli import main as report_main
        return report_main(argv[1:])
    if argv and argv[0] in SUBCOMMANDS:
        from perfscript.frames.cli import main as frames_main
        return frames_main(argv)
    try:
        opts = parse_args(argv)
    except UsageError as e:
        sys.stderr.write("perfscript: %s\n" % e)
        return 129
    if opts.get("help"):
        sys.stdout.write(USAGE)
        return 0
    if opts.get("version"):
        sys.stdout.write("perfscript %s\n" % __version__)
        return 0
    if opts.get("reltime") and opts.get("deltatime"):
        sys.stderr.write("reltime and deltatime - the two don't get along well. Please limit "
                         "to --reltime or --deltatime.\n")
        return 255
    if not opts["input"]:
        opts["input"] = default_input()
    try:
        if opts.get("gen_script"):
            return run_gen_script(opts)
        if opts.get("list"):
            from perfscript.output.listing import list_scripts
            return list_scripts(PERF_EXEC_DIRS)
        if not opts["script"]:
            if opts["script_args"]:
                raise UsageError("unknown argument '%s'" % opts["script_args"][0])
            from perfscript.output.text import run
            return run(opts)
        _refuse_text_only(opts)
        return run_script(opts)
    except UsageError as e:
        sys.stderr.write("perfscript: %s\n" % e)
        return 129
    except PerfDataError as e:
        sys.stderr.write("perfscript: %s\n" % e)
        return 1
    except BrokenPipeError:
        try:
            sys.stdout = None
        finally:
            return 141
    except KeyboardInterrupt:
        return 130
