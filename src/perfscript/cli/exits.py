"""How a command that stops early ends the process: the one place that turns what was
raised into a line on stderr and perf's exit status (or trace-cmd's, for `report`)."""

import errno
import os
import sys

from perfscript.errors import PerfDataError
from perfscript.output.fields import FieldsError
from perfscript.session.filters import FilterError

ERROR = 1           # a recording that cannot be read, a missing library, a bad query
REPORT_USAGE = 2    # `perfscript report`: a bad argument
USAGE = 129         # perf: an option it cannot parse (parse_options' usage exit)
INTERRUPTED = 130   # 128 + SIGINT
ABORTED = 134       # 128 + SIGABRT: perf aborts when a script handler fails
BROKEN_PIPE = 141   # 128 + SIGPIPE: the reader of stdout went away
FAILED = 255        # perf's exit(-1): an option it refuses, a field it cannot print

# errors only writing can meet: on an OSError without a file name, the output failed
_WRITE_ONLY_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class UsageError(Exception):
    """A wrong command line: '<command>: <what>', then the command's usage if it shows it."""

    def __init__(self, what, usage="", status=USAGE):
        super().__init__(what)
        self.usage = usage
        self.status = status


class Refused(Exception):
    """perf's own words for why it will not go on, printed as they are."""

    def __init__(self, message, status=FAILED):
        super().__init__(message)
        self.status = status


class Aborted(Exception):
    """A script handler failed: perf prints a fatal error and aborts."""


def run(command, argv, prog, broken_pipe=BROKEN_PIPE):
    """`command(argv)`'s exit status; what it raised is said on stderr as perf says it."""
    try:
        status = command(argv)
        sys.stdout.flush()      # perf checks the end of its output too (close_stdout)
        return status
    except UsageError as e:
        sys.stderr.write("%s: %s\n%s" % (prog, e, e.usage))
        return e.status
    except (Refused, FilterError) as e:
        sys.stderr.write("%s\n" % e)
        return e.status
    except FieldsError as e:
        sys.stderr.write("%s\n" % e)
        return FAILED
    except Aborted as e:
        try:
            sys.stdout.flush()
        except Exception:
            pass
        sys.stderr.write("Fatal Python error: %s\n" % e)
        sys.stderr.flush()
        os._exit(ABORTED)
    except PerfDataError as e:
        sys.stderr.write("perfscript: %s\n" % e)
        return ERROR
    except BrokenPipeError:
        silence_stdout()
        return broken_pipe
    except OSError as e:
        if e.filename is None and e.errno in _WRITE_ONLY_ERRNOS:
            # perf's words for output it could not write (a full disk, /dev/full)
            sys.stderr.write("write failure on standard output: %s"
                             % os.strerror(e.errno or 0))
            silence_stdout()
            return ERROR
        sys.stderr.write("perfscript: %s\n" % e)
        return ERROR
    except KeyboardInterrupt:
        return INTERRUPTED


def silence_stdout():
    """After a broken pipe: point stdout at /dev/null so the exit flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except OSError:
        pass
