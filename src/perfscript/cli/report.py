"""`perfscript tracecmd-report` (and `perfscript report` given no script name): trace-cmd
report's text for a trace.dat file, without trace-cmd."""

import sys

from perfscript.cli.exits import REPORT_USAGE, UsageError, silence_stdout
from perfscript.errors import PerfDataError

USAGE = """\
usage: perfscript tracecmd-report [-i FILE]
   or: perfscript report [-i FILE]

Print what `trace-cmd report` prints for a trace-cmd trace.dat file (versions 6 and 7).

  -i, --input FILE      the trace.dat file (default: trace.dat)
  -h, --help            show this help and exit
"""


def _usage_error(what):
    return UsageError(what, usage=USAGE, status=REPORT_USAGE)


def _parse(argv):
    path = None
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-h", "--help"):
            return None
        if arg in ("-i", "--input"):
            if i + 1 >= len(argv):
                raise _usage_error("option %s needs a file" % arg)
            path = argv[i + 1]
            i += 2
            continue
        if arg.startswith("--input="):
            path = arg[len("--input="):]
        elif arg.startswith("-i") and len(arg) > 2:
            path = arg[2:]
        else:
            raise _usage_error("unknown argument %r" % arg)
        i += 1
    return path or "trace.dat"


def main(argv):
    """Run `perfscript report ARGS`; returns the exit status."""
    path = _parse(argv)
    if path is None:
        sys.stdout.write(USAGE)
        return 0
    from perfscript.session.input_format import PERF_DATA, sniff
    if sniff(path) == PERF_DATA:
        raise PerfDataError("is a perf.data recording, not a trace-cmd trace.dat: "
                            "`perfscript -i %s` prints it" % path, path)
    from perfscript.output.tracecmd_report import report
    from perfscript.tracedat import open_tracedat
    out = sys.stdout.buffer
    try:
        with open_tracedat(path) as tdat:
            for name in tdat.instances:
                sys.stderr.write("perfscript: %s: trace instance %r is not shown\n"
                                 % (path, name))
            report(tdat, out)
        out.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:      # said like a damaged file: "perfscript: FILE: why"
        raise PerfDataError(exc.strerror or str(exc), path) from None
    finally:
        _flush_quietly(out)
    return 0


def _flush_quietly(out):
    try:
        out.flush()
    except OSError:
        silence_stdout()
