"""How a script's failures reach the command line: the exceptions perf's exit statuses
stand for, and the traceback perf prints for a handler."""

import os
import traceback

# frames of this package are left out of a handler's traceback
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class ScriptError(Exception):
    """The script could not be started (perf exits 255 for these)."""


class HandlerFailed(Exception):
    """A handler raised: perf prints the traceback and aborts (status 134)."""


def print_handler_traceback(e):
    """The traceback perf prints for a handler: the script's frames, not ours."""
    tb = e.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        tb = tb.tb_next
    traceback.print_exception(type(e), e, tb)
