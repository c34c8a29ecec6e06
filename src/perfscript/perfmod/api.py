"""`perf.data` and `perf.session`: a recording opened and processed for callbacks."""

import os
import stat as stat_mod

from perfscript.errors import PerfDataError
from perfscript.perfmod.delivery import ModuleConsumer
from perfscript.perfmod.objects import thread
from perfscript.perfmod.machine import elf_machine_of, is_64_bit_arch

# upstream's session takes these from the environment when its keywords are not given
# (`perf script SCRIPT.py` forwards its options this way)
ENV_VMLINUX = "PERF_SYMBOL_VMLINUX"
ENV_KALLSYMS = "PERF_SYMBOL_KALLSYMS"
ENV_SYMFS = "PERF_SYMBOL_SYMFS"
ENV_ITRACE = "PERF_ITRACE"


class data:  # noqa: N801 - upstream's names
    """A perf.data file (or "-": pipe-mode data on stdin), opened for reading."""

    __module__ = "perf"

    def __init__(self, path="perf.data", fd=-1):
        if not isinstance(path, str):
            raise TypeError("path must be a str, not %s" % type(path).__name__)
        if fd is not None and fd != -1:
            try:
                mode = os.fstat(fd).st_mode
            except OSError as e:
                raise IOError("Failed to open perf data: %s" % e.strerror) from None
            if not stat_mod.S_ISFIFO(mode) or path != "-":
                raise ValueError("fd is only supported for a pipe, with path \"-\"")
            self._open_path = "/proc/self/fd/%d" % fd
        elif path == "-":
            self._open_path = "-"
        else:
            if not os.path.exists(path):
                raise IOError("Failed to open perf data: %s: No such file or directory"
                              % path)
            if not os.access(path, os.R_OK):
                raise IOError("Failed to open perf data: %s: Permission denied" % path)
            self._open_path = path
        self.path = path
        self.fd = fd

    def __str__(self):
        return self.path

    def __repr__(self):
        return "perf.data(%r)" % self.path


def _callable_or_none(name, fn):
    if fn is not None and not callable(fn):
        raise TypeError("%s must be callable" % name)
    return fn


class session:  # noqa: N801
    """A recording processed for the given callbacks, in perf's time order."""

    __module__ = "perf"

    def __init__(self, data, sample=None, stat=None, context_switch=None, call_return=None,
                 itrace=None, vmlinux=None, kallsyms=None, symfs=None):
        from perfscript.perfmod.api import data as data_cls
        if not isinstance(data, data_cls):
            raise TypeError("data must be a perf.data object")
        self._sample = _callable_or_none("sample", sample)
        self._stat = _callable_or_none("stat", stat)
        self._switch = _callable_or_none("context_switch", context_switch)
        self._call_return = _callable_or_none("call_return", call_return)
        env = os.environ
        vmlinux = vmlinux if vmlinux is not None else env.get(ENV_VMLINUX) or None
        kallsyms = kallsyms if kallsyms is not None else env.get(ENV_KALLSYMS) or None
        symfs = symfs if symfs is not None else env.get(ENV_SYMFS) or None
        itrace = itrace if itrace is not None else env.get(ENV_ITRACE) or None
        if itrace is not None:
            from perfscript.script.itrace_options import parse_itrace_options
            if parse_itrace_options(itrace):
                raise ValueError("Invalid itrace options: %s" % itrace)
        self.itrace = itrace
        self.data = data
        try:
            from perfscript.symbols.resolver import SymbolResolver
            resolver = SymbolResolver(kallsyms=kallsyms, symfs=symfs, vmlinux=vmlinux,
                                      show_kernel_path=True)
        except ImportError:
            resolver = None
        try:
            from perfscript.session.session import Session
            self._session = Session(data._open_path, resolver, warn=_warn)
        except PerfDataError as e:
            raise IOError("Failed to open perf data: %s" % e) from None
        self._processed = False

    # ------------------------------------------------------------ processing

    def process_events(self):
        """Deliver every event to the callbacks; a callback's exception ends the
        processing and propagates from here."""
        s = self._session
        consumer = ModuleConsumer(s, self._sample, self._stat, self._switch)
        if self._call_return is not None:
            from perfscript.perfmod.call_returns import CallReturns
            consumer = CallReturns(consumer, self._call_return)
        try:
            s.process(consumer)
        except PerfDataError as e:
            raise IOError("perf data processing failed: %s" % e) from None
        self._processed = True
        return None

    def find_thread(self, pid, tid=None):
        """The task (pid, tid) as the session knows it now, or None."""
        threads = self._session.threads
        if tid is None:
            tid = pid
        th = threads.get(tid)
        if th is None:
            return None
        return thread(th)

    @property
    def e_machine(self):
        return elf_machine_of(self._session)

    @property
    def is_64_bit(self):
        return is_64_bit_arch(self._session)


def _warn(text):
    import sys
    sys.stderr.write(text + "\n")
