"""perf's pager: perf script's text goes through a pager when stdout is a terminal
(perf's setup_pager), never when it is redirected.

The pager is $PERF_PAGER, else $PAGER, else /usr/bin/pager, else /usr/bin/less; an empty
one or `cat` means none; `--no-pager` turns it off. It runs as `sh -c PAGER` once there
is output to show, with LESS=FRSX unless LESS is set; stderr goes to it too when stderr
is the terminal.
"""

import os
import select
import sys

LESS_DEFAULT = "FRSX"
_FALLBACKS = ("/usr/bin/pager", "/usr/bin/less")


def pager_command(env, stdout_is_tty, wanted=True, executable=None):
    """The pager perf would start, or None: the decision alone, for any environment."""
    executable = executable or (lambda path: os.access(path, os.X_OK))
    if not wanted or not stdout_is_tty:
        return None
    pager = env.get("PERF_PAGER")
    if pager is None:
        pager = env.get("PAGER")
    if pager is None:
        pager = next((p for p in _FALLBACKS if executable(p)), "cat")
    if not pager or pager == "cat":
        return None
    return pager


class Paging:
    """A started pager: stdout (and a terminal stderr) write into it until finish()."""

    def __init__(self, command):
        sys.stdout.flush()
        sys.stderr.flush()
        read_end, write_end = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            _exec_pager(command, read_end, write_end)
        os.close(read_end)
        self.saved = os.dup(1), os.dup(2)
        os.dup2(write_end, 1)
        if os.isatty(2):
            os.dup2(write_end, 2)
        os.close(write_end)

    def finish(self):
        """End of output: the pager sees its end, the command waits for it to exit."""
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except OSError:
                pass
        os.dup2(self.saved[0], 1)
        os.dup2(self.saved[1], 2)
        for fd in self.saved:
            os.close(fd)
        os.waitpid(self.pid, 0)


def _exec_pager(command, read_end, write_end):
    """In the child: `sh -c PAGER` reading the pipe, started (as perf starts it, a
    work-around for less) only once there is something to read."""
    try:
        os.close(write_end)
        os.dup2(read_end, 0)
        os.close(read_end)
        select.select([0], [], [0])
        os.environ.setdefault("LESS", LESS_DEFAULT)
        os.execvp("sh", ["sh", "-c", command])
    finally:
        os._exit(127)


def start(opts):
    """Start the pager perf would start for this command line, or return None."""
    command = pager_command(os.environ, os.isatty(1), wanted=opts.get("pager", True))
    return Paging(command) if command else None
