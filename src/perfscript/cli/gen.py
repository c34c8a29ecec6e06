"""`perfscript -g python`: write perf's skeleton script for the recording's events."""

import os

from perfscript.cli.exits import UsageError
from perfscript.cli.recording import stderr_line
from perfscript.script.gen_python import write_skeleton
from perfscript.session.session import Session


def run(opts):
    """Write perf-script.py in the current directory; returns the exit status."""
    lang = opts["gen_script"]
    if lang.lower() not in ("python", "py"):
        raise UsageError("-g %s: only python scripts can be generated" % lang)
    session = Session(opts["input"] or "perf.data", None, warn=stderr_line)
    return write_skeleton(session, os.getcwd())
