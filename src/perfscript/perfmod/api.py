"""`perf.data` and `perf.session`: a recording opened and processed for callbacks."""

import errno
import os
import stat as stat_mod
import sys

from perfscript.errors import PerfDataError
from perfscript.perfmod.delivery import ModuleConsumer
from perfscript.perfmod.machine import elf_machine_of, is_64_bit_arch
from perfscript.perfmod.objects import thread
from perfscript.session.lazy_resolver import LazyResolver

# upstream's session takes these from the environment when its keywords are not given
# (`perf script SCRIPT.py` forwards its options this way)
ENV_VMLINUX = "PERF_SYMBOL_VMLINUX"
ENV_KALLSYMS = "PERF_SYMBOL_KALLSYMS"
ENV_SYMFS = "PERF_SYMBOL_SYMFS"
ENV_ITRACE = "PERF_ITRACE"


class UnreadableRecording(OSError):
    """A recording perf.session cannot read: an OSError, as upstream raises, which
    keeps the located error (`.error`: file, offset, what)."""

    def __init__(self, message, error):
        super().__init__(message)
        self.error = error


class data:  # noqa: N801 - upstream's names
    """A perf.data file (or "-": pipe-mode data on stdin; with `fd`, a pipe), opened for
    reading. The header is read by perf.session."""

    __module__ = "perf"

    def __init__(self, path="perf.data", fd=-1):
        if not isinstance(path, str):
            raise TypeError("argument 1 must be str, not %s" % type(path).__name__)
        if fd != -1:
            try:
                is_fifo = stat_mod.S_ISFIFO(os.fstat(fd).st_mode)
            except (OSError, TypeError, OverflowError):
                is_fifo = False
            if not is_fifo:
                raise ValueError("fd argument is only supported for pipes")
            if path not in ("-", "perf.data"):
                raise ValueError("path must be '-' when fd is provided")
            path = "-"
            self._fd = os.dup(fd)           # as upstream: the caller may close its own
            self._open_path = "/proc/self/fd/%d" % self._fd
        elif path == "-":
            self._open_path = "-"
        else:
            problem = _unreadable(path)
            if problem is not None:
                sys.stderr.write("failed to open %s: %s%s\n" % (
                    path, problem, "  (try 'perf record' first)"
                    if path == "perf.data" and problem == os.strerror(errno.ENOENT) else ""))
                raise IOError("Failed to open perf data: %s" % path)
            self._open_path = path
        self._path = path
        self._pipe = path == "-"

    def __del__(self):
        fd = getattr(self, "_fd", None)
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass

    def __str__(self):
        return self._path

    __repr__ = __str__


_Data = data         # perf.session's first argument is named `data` too


def _unreadable(path):
    """Why `path` cannot be read (strerror text), or None."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as e:
        return e.strerror
    os.close(fd)
    return None


def _callable_or_none(name, fn):
    if fn is not None and not callable(fn):
        raise TypeError("%s must be callable" % name)
    return fn


class session:  # noqa: N801
    """A recording processed for the given callbacks, in perf's time order."""

    __module__ = "perf"

    def __init__(self, data, sample=None, stat=None, context_switch=None, call_return=None,
                 itrace=None, vmlinux=None, kallsyms=None, symfs=None):
        if not isinstance(data, _Data):
            raise TypeError("argument 1 must be perf.data, not %s" % type(data).__name__)
        self._sample = _callable_or_none("sample", sample)
        self._stat = _callable_or_none("stat", stat)
        self._switch = _callable_or_none("context_switch", context_switch)
        self._call_return = _callable_or_none("call_return", call_return)
        for name, value in (("itrace", itrace), ("vmlinux", vmlinux),
                            ("kallsyms", kallsyms), ("symfs", symfs)):
            if value is not None and not isinstance(value, str):
                raise TypeError("%s must be str or None, not %s" % (name, type(value).__name__))
        env = os.environ
        # an empty string, given or from the environment, means "not set"
        vmlinux = (vmlinux if vmlinux is not None else env.get(ENV_VMLINUX)) or None
        kallsyms = (kallsyms if kallsyms is not None else env.get(ENV_KALLSYMS)) or None
        symfs = (symfs if symfs is not None else env.get(ENV_SYMFS)) or None
        if itrace is None:
            itrace = env.get(ENV_ITRACE)
        if itrace is not None:
            from perfscript.script.itrace_options import parse_itrace_options
            if parse_itrace_options(itrace):
                sys.stderr.write("Bad Instruction Tracing options '%s'\n" % itrace)
                raise ValueError("Failed to parse itrace options")
        self._data = data               # keeps a dup'ed pipe open while the session reads
        # a dso's `name` stays perf's name: callchain frames ask for the long one
        resolver = LazyResolver(kallsyms=kallsyms, symfs=symfs, vmlinux=vmlinux)
        self._tracedat = False
        try:
            from perfscript.tracedat.file import is_tracedat
            if not data._pipe and is_tracedat(data._open_path):
                from perfscript.perfmod.tracedat_source import TraceDatSource
                self._session = TraceDatSource(data._open_path)
                self._tracedat = True
            else:
                from perfscript.session.session import Session
                self._session = Session(data._open_path, resolver, warn=_warn)
        except PerfDataError as e:
            raise UnreadableRecording("failed to create session: %s" % e, e) from None

    # ------------------------------------------------------------ processing

    def process_events(self):
        """Deliver every event to the callbacks; a callback's exception ends the
        processing and propagates from here."""
        s = self._session
        if self._tracedat:
            s.deliver(self._sample)     # trace.dat: tracepoint records only
            return
        consumer = ModuleConsumer(s, self._sample, self._stat, self._switch)
        if self._call_return is not None:
            from perfscript.perfmod.call_returns import CallReturns
            consumer = CallReturns(consumer, self._call_return)
        try:
            s.process(consumer)
        except PerfDataError as e:
            raise UnreadableRecording("Process events failed: %s" % e, e) from None
        for text in s.finish_warnings():
            sys.stderr.write(text)

    def find_thread(self, pid, tid=-1, /):
        """The task as the session knows it now (by tid; tid -1: the thread whose tid is
        `pid`), or None: unknown, or exited (perf forgets a task at its EXIT)."""
        threads = self._session.threads
        th = threads.get(pid if tid == -1 else tid)
        if th is None or th.exited:
            return None
        if tid != -1 and th.pid == -1 and pid != -1:
            th = threads.findnew(pid, tid)
        return thread(th)

    @property
    def e_machine(self):
        return elf_machine_of(self._session)

    @property
    def is_64_bit(self):
        return is_64_bit_arch(self._session)


def _warn(text):
    sys.stderr.write(text + "\n")
