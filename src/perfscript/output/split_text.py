"""Two processes print one recording's text: each reads the whole recording (so its
threads, comms, maps and printer state are perf's at every record), but formats only
every other batch, and the two take turns at stdout in batch order.

The process forks when the first batch arrives (everything printed before is flushed
first). Batch i is printed by the parent when i is even, by the child when odd; the other
process runs the batch without formatting it (threads are still made, records not
printed column-wise still go through the printer, their text dropped). A process holds a
batch's text until the batch before it is on stdout: the other process writes one byte
on a pipe after each batch it printed, and anything the parent prints outside batches
waits for the child's batches before it. The child leaves at the end of the recording;
the parent waits for it, then ends the run as usual (warnings, exit status).

Used where it can gain: the perfscript command printing to its stdout, a file of at
least MIN_BYTES, two CPUs to run on, no addresses to print (each process would load the
symbols of the frames it prints: most of them, twice), and nothing printed outside the
batches that only one process may see (stat records, raw dumps). PERFSCRIPT_WORKERS=1 in the environment
turns it off, PERFSCRIPT_WORKERS=2 on for any file.
"""

import os
import signal
import sys
import traceback

MIN_BYTES = 8 << 20             # smaller recordings print in one process
HOLD_CHARS = 1 << 23            # a batch's text held while waiting, at most (then wait)


def wanted(printer, environ=os.environ):
    """Whether this run prints in two processes (PERFSCRIPT_WORKERS=2: whenever it can,
    whatever the file's size and the CPUs)."""
    workers = environ.get("PERFSCRIPT_WORKERS", "")
    if workers == "1" or not hasattr(os, "fork"):
        return False
    # only the command's own stdout: a caller's stream would not see the child's text
    if not (printer.out is sys.__stdout__ and sys.stdout is sys.__stdout__
            and not printer.has_stat and printer.filter.order_check is None
            and printer.filter.on_resolve is None):
        return False
    if workers == "2":
        return True
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    buf = getattr(printer.session.pd.source, "buf", None)
    return (cpus >= 2 and buf is not None and len(buf) >= MIN_BYTES
            and not any(printer.line_plan(ev).ip for ev in printer.session.evsels))


def _drop(text):
    pass


class SplitText:
    """The turn-taking of the two processes; `printer.write` is pointed where each
    batch's text goes."""

    def __init__(self, printer):
        self.printer = printer
        self.out = printer.out
        self.write_out = printer.out.write
        out = self.out
        out.flush()
        sys.stderr.flush()
        self.to_child_r, self.to_child_w = os.pipe()
        self.to_parent_r, self.to_parent_w = os.pipe()
        self.pid = os.fork()
        self.child = self.pid == 0
        self.stderr = sys.stderr
        if self.child:
            os.close(self.to_child_w)
            self.to_child_w = None
            os.close(self.to_parent_r)
            # the parent says whatever both would say
            sys.stderr = open(os.devnull, "w")
        else:
            os.close(self.to_child_r)
            os.close(self.to_parent_w)
        self.batches = 0            # batches begun so far
        self.heard = 0              # the other process's batches known to be on stdout
        self.held = None            # this batch's text, while the turn has not come
        self.held_chars = 0
        self.waiting = True         # the held text waits for the turn
        printer.write = self._outside

    # ------------------------------------------------------------ batches

    def begin(self):
        """A batch starts: True when this process prints it."""
        mine = (self.batches % 2 == 1) == self.child
        self.batches += 1
        if mine:
            self.held = []
            self.held_chars = 0
            self.waiting = True
            self.printer.write = self._hold
        else:
            self.printer.write = _drop
        return mine

    def end(self, mine):
        """The batch is over: its text out in its turn, and the turn passed on."""
        if mine:
            self._take_turn()
            self.out.flush()
            os.write(self.to_parent_w if self.child else self.to_child_w, b".")
            self.held = None
        self.printer.write = self._outside

    def _hold(self, text):
        self.held.append(text)
        self.held_chars += len(text)
        if self.held_chars > HOLD_CHARS:
            self._take_turn()

    def _take_turn(self):
        """Wait until the batches before this one are out, then write what is held and
        write directly for the rest of the batch."""
        if self.waiting:
            self._await_other(self.batches - 1)
            self.waiting = False
            self.printer.write = self.write_out
        if self.held:
            self.write_out("".join(self.held))
            self.held = []

    def _await_other(self, upto):
        """Wait until the other process's batches among the first `upto` are out."""
        theirs = (upto // 2) if not self.child else (upto + 1) // 2
        while self.heard < theirs:
            got = os.read(self.to_parent_r if not self.child else self.to_child_r, 1)
            if not got:
                self._other_gone()
            self.heard += 1

    def _outside(self, text):
        """Text printed between batches: the parent's, after every batch before it."""
        if self.child:
            return
        self._await_other(self.batches)
        self.write_out(text)

    def _other_gone(self):
        if self.child:
            os._exit(1)             # the parent ended (it says why)
        self._close_to_child()
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        code = os.waitstatus_to_exitcode(status)
        if code in (0, -signal.SIGPIPE, 128 + signal.SIGPIPE):
            raise BrokenPipeError()     # the child's stdout was closed under it
        sys.stderr.write("perfscript: the second printing process ended early (status %d)\n"
                         % code)
        raise SystemExit(1)

    # ------------------------------------------------------------ the end

    def finish(self):
        """The recording is over: the child leaves, the parent waits for it."""
        if self.child:
            self.leave(0)
        self._await_other(self.batches)
        self._close_to_child()
        if self.pid is not None:
            _, status = os.waitpid(self.pid, 0)
            self.pid = None
            if status:
                sys.stderr.write("perfscript: the second printing process failed "
                                 "(status %d)\n" % os.waitstatus_to_exitcode(status))
                raise SystemExit(1)
        self.printer.write = self.write_out

    def leave(self, status):
        """The child's exit: its output flushed, nothing else of the run done."""
        try:
            self.out.flush()
        except BrokenPipeError:
            status = 0
        except Exception:
            traceback.print_exc(file=self.stderr)
            status = 1
        self.stderr.flush()
        os.close(self.to_parent_w)
        # the parent may still send word of its last batches: leave once it has ended
        # them all, so that it never writes to a pipe nobody reads
        while os.read(self.to_child_r, 4096):
            pass
        os._exit(status)

    def _close_to_child(self):
        """The parent has nothing more to tell (the child waits for this to leave)."""
        if self.to_child_w is not None:
            os.close(self.to_child_w)
            self.to_child_w = None

    def failed(self, error):
        """A batch raised `error`: the child leaves (quietly on a closed stdout, else
        with its traceback, for the parent to report); the parent goes on raising."""
        if not self.child:
            return
        if isinstance(error, BrokenPipeError):
            os._exit(0)         # stdout is gone: the parent finds that out too
        traceback.print_exc(file=self.stderr)
        self.leave(1)
