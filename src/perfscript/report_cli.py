"""`perfscript report`: trace-cmd report's text for a trace.dat file, without trace-cmd."""

import os
import sys

from perfscript.errors import PerfDataError

USAGE = """\
usage: perfscript report [-i FILE]

Print what `trace-cmd report` prints for a trace-cmd trace.dat file (versions 6 and 7).

  -i, --input FILE      the trace.dat file (default: trace.dat)
  -h, --help            show this help and exit
"""


class _UsageError(Exception):
    pass


def _parse(argv):
    path = None
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-h", "--help"):
            return None
        if arg in ("-i", "--input"):
            if i + 1 >= len(argv):
                raise _UsageError("option %s needs a file" % arg)
            path = argv[i + 1]
            i += 2
            continue
        if arg.startswith("--input="):
            path = arg[len("--input="):]
        elif arg.startswith("-i") and len(arg) > 2:
            path = arg[2:]
        else:
            raise _UsageError("unknown argument %r" % arg)
        i += 1
    return path or "trace.dat"


def main(argv):
    """Run `perfscript report ARGS`; returns the exit status."""
    try:
        path = _parse(argv)
    except _UsageError as exc:
        sys.stderr.write("perfscript report: %s\n%s" % (exc, USAGE))
        return 2
    if path is None:
        sys.stdout.write(USAGE)
        return 0
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
        _silence_stdout()
        return 0
    except PerfDataError as exc:
        _flush_quietly(out)
        sys.stderr.write("perfscript: %s\n" % exc)
        return 1
    except OSError as exc:
        _flush_quietly(out)
        sys.stderr.write("perfscript: %s: %s\n" % (path, exc.strerror or exc))
        return 1
    return 0


def _flush_quietly(out):
    try:
        out.flush()
    except OSError:
        _silence_stdout()


def _silence_stdout():
    """After a broken pipe: point stdout at /dev/null so the exit flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except OSError:
        pass
