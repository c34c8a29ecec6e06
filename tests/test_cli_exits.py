"""cli/exits.py: what each failure a command raises prints on stderr, and its status."""

import pytest

from perfscript.cli.exits import Refused, UsageError, run
from perfscript.errors import PerfDataError
from perfscript.output.fields import FieldsError
from perfscript.session.filters import FilterError


def _raising(exc):
    def command(argv):
        raise exc
    return command


@pytest.mark.parametrize("exc,status,err", [
    (UsageError("unknown option '-x'"), 129, "perfscript: unknown option '-x'\n"),
    (UsageError("bad", usage="usage: ...\n", status=2), 2, "perfscript: bad\nusage: ...\n"),
    (Refused("reltime and deltatime"), 255, "reltime and deltatime\n"),
    (Refused("Invalid field requested.", 129), 129, "Invalid field requested.\n"),
    (FilterError("Invalid time string", status=234), 234, "Invalid time string\n"),
    (FieldsError("Cannot print 'addr' field."), 255, "Cannot print 'addr' field.\n"),
    (PerfDataError("truncated record", "x.data", 8), 1,
     "perfscript: x.data: offset 8 (0x8): truncated record\n"),
    (FileNotFoundError(2, "No such file or directory"), 1,
     "perfscript: [Errno 2] No such file or directory\n"),
    (KeyboardInterrupt(), 130, ""),
])
def test_failure_to_status(exc, status, err, capsys):
    assert run(_raising(exc), [], "perfscript") == status
    assert capsys.readouterr() == ("", err)


def test_status_of_a_command_that_returns():
    assert run(lambda argv: len(argv), ["a", "b", "c"], "perfscript") == 3


def test_other_errors_are_not_hidden():
    with pytest.raises(ZeroDivisionError):
        run(_raising(ZeroDivisionError()), [], "perfscript")


@pytest.mark.parametrize("args", [[], ["--header-only"]])
def test_output_that_cannot_be_written(args):
    """A full disk: perf's own words (no newline, as perf writes them) and status 1, not a
    traceback; checked against perf 6.1 with stdout on /dev/full."""
    import os
    import subprocess
    import sys
    import stat
    if not os.path.exists("/dev/full") or not stat.S_ISCHR(os.stat("/dev/full").st_mode):
        pytest.skip("no /dev/full device")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # opened without O_CREAT: never make a regular file where the device should be
    with os.fdopen(os.open("/dev/full", os.O_WRONLY), "w") as full:
        p = subprocess.run([sys.executable, "-m", "perfscript", "-i",
                            os.path.join(root, "examples", "sched.data")] + args,
                           stdout=full, stderr=subprocess.PIPE)
    assert p.returncode == 1
    assert p.stderr.decode() == "write failure on standard output: No space left on device"


def test_an_error_quoting_the_file_stays_one_line():
    """A message may quote bytes of the file (a format's name, a section's text): a
    newline or escape sequence in them never breaks the one located line."""
    from perfscript.errors import PerfDataError
    e = PerfDataError("bad name 'a\nb\x1b[2J\x7f'", "f.dat", 12)
    assert str(e) == "f.dat: offset 12 (0xc): bad name 'a\\x0ab\\x1b[2J\\x7f'"
