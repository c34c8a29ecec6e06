"""The `perfscript` command line: which command runs, and one way of ending it.

    perfscript [perf script's options]     cli/options.py, then cli/text.py (no -s),
                                           cli/script.py (-s), cli/gen.py (-g), -l
    perfscript record|report NAME ...      cli/conventions.py (perf's shipped scripts)
    perfscript NAME ...                    cli/conventions.py (record | report)
    perfscript tracecmd-report ...         cli/report.py (trace-cmd report's text; also
                                           `perfscript report` with no NAME)
    perfscript export ... / sql ...        cli/tables.py
    perfscript tables ...                  cli/tables.py (each event's table: rows, columns)

Every command returns its exit status; what it raises is said on stderr and turned into
perf's status in one place, cli/exits.py.

>>> import contextlib, io
>>> out = io.StringIO()
>>> with contextlib.redirect_stdout(out):
...     status = main(["-i", "examples/sched.data", "-F", "comm,tid,event"])
>>> status
0
>>> print(out.getvalue().splitlines()[1])
              sh 11985       sched:sched_switch: 
>>> main(["-i", "examples/sched.data", "--bogus"])      # perf's usage status
129
"""

import os
import stat
import sys

from perfscript import __version__
from perfscript.cli.exits import Refused, UsageError, run

TABLE_COMMANDS = ("export", "sql")


def main(argv=None):
    """The `perfscript` console script: returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if hasattr(sys.stdout, "reconfigure"):
        # names from the recording that are not UTF-8 (surrogate escapes in str) print
        # as the bytes they were, in every command and in scripts' print()
        sys.stdout.reconfigure(errors="surrogateescape")
    if argv and (argv[0] == "tracecmd-report"
                 or argv[0] == "report" and (len(argv) == 1 or argv[1].startswith("-"))):
        # `report` without a script name is trace-cmd report, as before perf's names
        from perfscript.cli import report
        return run(report.main, argv[1:], "perfscript " + argv[0], broken_pipe=0)
    if argv and argv[0] == "tables":
        from perfscript.cli import tables
        return run(tables.count_rows, argv[1:], "perfscript tables")
    if argv and argv[0] in TABLE_COMMANDS:
        from perfscript.cli import tables
        return run(tables.main, argv, "perfscript " + argv[0])
    return run(perf_script, argv, "perfscript")


def _readable_file(path):
    """perf's test of a symbol file named on the command line (readable), and not a
    device, which would be read forever (/dev/zero); a pipe such as <(...) is fine."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return os.access(path, os.R_OK) and not (stat.S_ISCHR(st.st_mode)
                                               or stat.S_ISBLK(st.st_mode))


def _perf_script_names(opts):
    """perf's `record NAME`, `report NAME` and `NAME` forms; None when the words are none
    of them (then they are the arguments of a script file, or unknown)."""
    from perfscript.cli import conventions
    from perfscript.cli.installed import find_script
    args = opts["script_args"]
    if len(args) > 1 and conventions.is_subcommand(args[0], "record"):
        return conventions.record(args[1:], system_wide=opts["all_cpus"])
    if len(args) > 1 and conventions.is_subcommand(args[0], "report"):
        return conventions.report(args[1:])
    status = conventions.live(args, system_wide=opts["all_cpus"])
    if status is not None:
        return status
    name = args[0]
    if "." in name.rsplit("/", 1)[-1]:
        found = find_script(name)       # perf's find_script: NAME.py here or in perf's tree
        if os.access(found, os.R_OK):
            opts["script"], opts["script_args"] = found, args[1:]
            return None
    raise UsageError("Couldn't find script `%s'\n\n See 'perfscript -l' for available "
                     "scripts." % name)


def _bundled_script(opts):
    """-s NAME that neither the path nor perf's scripts have, but perfscript's own do:
    that script (a `perf` module port of perf's, which runs standalone)."""
    from perfscript.cli.installed import find_script, is_bundled
    try:
        found = find_script(opts["script"])
    except UsageError:
        return                      # (a perl script: said where the script is run)
    if is_bundled(found):
        opts["script"] = found


# options that change nothing trace-cmd report's text would show
_TRACEDAT_HARMLESS = {"input", "force", "verbose", "cache", "pager", "quiet", "script_args",
                      "deferred_refusals", "perf_module_path", "demangle", "inline"}


def _tracedat_input(opts):
    """A trace-cmd trace.dat given to perf script's command: -s runs the script on its
    records; its text is trace-cmd report's; anything else is said in one line, naming
    what reads the file."""
    from perfscript.cli import report
    from perfscript.cli.options import defaults
    path = opts["input"]
    if opts["script"]:
        from perfscript.cli import script
        script.refuse_text_only(opts)
        script.refuse_on_tracedat(opts)
        return script.run(opts, tracedat=True)
    if opts["gen_script"]:
        raise Refused("perfscript: %s: is a trace-cmd trace.dat: -g writes a handler per "
                      "format of a perf.data's tracing data, a trace.dat holds every format "
                      "of its machine (`perfscript tables -i %s` lists its events)"
                      % (path, path), status=1)
    base = defaults()
    for key, value in opts.items():
        if key not in _TRACEDAT_HARMLESS and value != base.get(key) and key != "list":
            raise Refused("perfscript: %s: is a trace-cmd trace.dat: option '--%s' shapes "
                          "perf script's text; `perfscript tracecmd-report -i %s` prints "
                          "trace-cmd report's" % (path, key.replace("_", "-"), path), status=1)
    return report.main(["-i", path])


def _paged(opts, command):
    """`command()` with its stdout through perf's pager on a terminal: perf pages its
    text, -g's words and its help, never a script's output."""
    from perfscript.cli import pager
    paging = pager.start(opts)
    try:
        return command()
    finally:
        if paging is not None:
            paging.finish()


def perf_script(argv):
    """perf script's command line: text output, -s, -g python or -l."""
    from perfscript.cli.options import USAGE, default_input, parse_args
    from perfscript.cli.recording import check_owner
    opts = parse_args(argv)
    if opts.get("help"):
        return _paged(opts, lambda: sys.stdout.write(USAGE) and 0)
    if opts.get("version"):
        sys.stdout.write("perfscript %s\n" % __version__)
        return 0
    if opts.get("perf_module_path"):
        from perfscript.perfmod.runner import IMPORTABLE_DIR
        sys.stdout.write(IMPORTABLE_DIR + "\n")
        return 0
    from perfscript.cli import standalone
    if opts["script"]:
        _bundled_script(opts)
    if standalone.wanted(opts):
        return standalone.run(opts)
    if opts["deferred_refusals"]:
        raise UsageError(opts["deferred_refusals"][0])
    if opts.get("list"):            # perf lists as it reads -l, before anything else
        from perfscript.cli.installed import list_scripts
        return list_scripts()
    if opts["script_args"] and not opts["script"]:
        status = _perf_script_names(opts)
        if status is not None:
            return status
        if standalone.wanted(opts):         # NAME.py found among perfscript's own
            return standalone.run(opts)
    if opts["dump_unsorted_raw_trace"]:
        opts["dump_raw_trace"] = True
    for name in (opts["vmlinux"], opts["kallsyms"]):        # symbol__validate_sym_arguments
        if name is not None and not _readable_file(name):
            raise Refused("Invalid file: %s" % name)
    if opts.get("reltime") and opts.get("deltatime"):
        raise Refused("reltime and deltatime - the two don't get along well. Please limit "
                      "to --reltime or --deltatime.")
    if not opts["input"]:
        opts["input"] = default_input()
    from perfscript.session.input_format import TRACE_DAT, sniff
    if sniff(opts["input"]) == TRACE_DAT:
        return _tracedat_input(opts)
    check_owner(opts)
    if opts.get("gen_script"):
        from perfscript.cli import gen
        return _paged(opts, lambda: gen.run(opts))
    if not opts["script"]:
        from perfscript.cli import text
        return _paged(opts, lambda: text.run(opts, argv))
    from perfscript.cli import script
    script.refuse_text_only(opts)
    return script.run(opts)
