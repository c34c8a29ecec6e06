"""Runs a script written for `perf script -s`: loads it as perf does and calls its
handlers with perf 6.1's arguments, in perf's order.
"""

import os
import struct
import sys
import types
from operator import length_hint

from perfscript.bundled import EXEC_PATH
from perfscript.ftrace.decode import make_field_decoder
from perfscript.ftrace.symbols import SymbolWalker
from perfscript.errors import PerfDataError
from perfscript.names import syscalls
from perfscript.perfdata import constants as C
from perfscript.script import context as context_mod
from perfscript.script.batch_dispatch import BatchDispatcher
from perfscript.script.failures import HandlerFailed, ScriptError, print_handler_traceback
from perfscript.script.fast_tracepoint import compile_tracepoint
from perfscript.script.sample_dict import SampleDicts
from perfscript.session.consumer import Consumer
from perfscript.session.stat_records import STAT_RECORDS

NSEC_PER_SEC = 1000000000
_INT_CODES = {1: "B", 2: "H", 4: "I", 8: "Q"}


# the records a script sees besides samples: context switches, throttling, auxtrace
# errors, perf stat's counts
_SIDEBAND = frozenset((C.RECORD_SWITCH, C.RECORD_SWITCH_CPU_WIDE, C.RECORD_THROTTLE,
                       C.RECORD_UNTHROTTLE, C.RECORD_AUXTRACE_ERROR)) | STAT_RECORDS
# db-export also follows comms and forks, for comm start times and exec flags
_DB_EXPORT_SIDEBAND = _SIDEBAND | {C.RECORD_COMM, C.RECORD_FORK}


class ScriptEngine(Consumer):
    """The consumer that turns session events into perf script API calls."""

    def __init__(self, script_path, argv, session, sample_filter=None, max_stack=None,
                 hide_callchain=False):
        self.script_path = script_path
        self.argv = argv
        self.session = session
        self.main = None
        self.current = None       # (evsel, raw payload, time, file offset) being handled
        self.batch = None         # the RecordBatch being dispatched, and the position in it
        self.batch_pos = -1       # -2: the position is that of batch_iter
        self.batch_iter = None
        self._batcher = BatchDispatcher(self)
        self._argcounts = {}
        kw = {"hide_callchain": hide_callchain}
        if max_stack is not None:
            kw["max_stack"] = max_stack
        self.dicts = SampleDicts(session, **kw)
        # perf drops filtered samples before any handler; with a filter (or -G and
        # --max-stack, which change callchains) every sample takes the general path
        self.filter = sample_filter if sample_filter is not None and sample_filter.active \
            else None
        self.general_only = self.filter is not None or hide_callchain or max_stack is not None
        self.stat = None
        self.itrace_options_set = False     # perf_set_itrace_options answers 1 once set
        self._symbol_walker = SymbolWalker()   # perf's "current field" lives across events
        self.decoders = {}        # event index -> its tracepoint field decoder
        self.defined = set()      # event indices whose define_* callbacks have run
        self.db_export = None     # db-export mode (script/db_export.py), set after trace_begin
        self.current_sample = None  # (sample, thread) of the last sample() call

    # ------------------------------------------------------------ start / end

    def start(self):
        """Run the script body and trace_begin, as perf does before any event."""
        os.environ["PERF_EXEC_PATH"] = EXEC_PATH
        syscalls.set_arch(self.session.arch)
        capsule, ctx_mod = context_mod.install(self)
        self.capsule = capsule
        try:
            with open(self.script_path, "rb") as f:
                source = f.read()
        except OSError as e:
            raise ScriptError("Can't open python script \"%s\": %s"
                              % (self.script_path, e.strerror)) from None
        main = types.ModuleType("__main__")
        main.__file__ = self.script_path
        main.__builtins__ = __builtins__
        sys.modules["__main__"] = main
        sys.argv = [self.script_path] + list(self.argv)
        # perf sets argv with PySys_SetArgv, which puts the script's directory first on
        # sys.path: scripts import modules that sit beside them
        sys.path.insert(0, os.path.dirname(os.path.realpath(self.script_path)))
        self.main = main
        self.globals = main.__dict__
        try:
            code = compile(source, self.script_path, "exec")
            exec(code, self.globals)
        except SystemExit:
            raise
        except BaseException as e:
            print_handler_traceback(e)
            raise ScriptError("Error running python script %s" % self.script_path) from None
        ctx_mod.perf_script_context = capsule
        self.globals["perf_script_context"] = capsule
        self._call_plain("trace_begin")
        # --- db-export mode: perf reads perf_db_export_* after trace_begin (db_export.py,
        # imported by the scripts that set it)
        if self.globals.get("perf_db_export_mode") is not None:
            from perfscript.script import db_export
            self.db_export = db_export.setup(self)

    def end(self):
        if self.db_export is not None:        # perf flushes its thread stacks first
            self.db_export.end()
        self.current = None                   # trace_end handles no record
        self.batch_pos = -1
        self._call_plain("trace_end")

    def _call_plain(self, name, *args):
        fn = self.globals.get(name)
        if fn is not None and callable(fn):
            self.invoke(fn, args)

    def invoke(self, fn, args):
        """Call a script function as perf does: a failure prints the script's traceback
        and stops the run (HandlerFailed)."""
        try:
            fn(*args)
        except SystemExit:
            raise
        except BaseException as e:
            print_handler_traceback(e)
            raise HandlerFailed() from None

    def wants_dict(self, fn, nargs):
        """perf appends perf_sample_dict only when co_argcount is exactly one more."""
        key = fn
        n = self._argcounts.get(key)
        if n is None:
            code = getattr(fn, "__code__", None)
            n = code.co_argcount if code is not None else -1
            self._argcounts[key] = n
        return n == nargs + 1

    # ------------------------------------------------------------ samples

    def _batch_position(self):
        """The batch position of the record being handled column-wise, or -1."""
        k = self.batch_pos
        if k == -2 and self.batch_iter is not None:
            it, n, start = self.batch_iter
            k = start + n - length_hint(it) - 1
        return k

    def current_record(self):
        """(evsel, raw payload, time, file offset) of the record being handled, or None."""
        k = self._batch_position()
        if k >= 0:
            ev, s = self._parse_at(k)
            return (ev, s.raw, s.time, s.offset)
        return self.current

    def _parse_at(self, k):
        b = self.batch
        ev = self.session.evsels.evsels[int(b.evidx[k])]
        off = int(b.offs[k])
        _, misc, size = self.session.header_struct.unpack_from(b.buf, off)
        return ev, ev.layout.parse(b.buf, off, size, misc, self.session.name, off)

    def handled_sample(self):
        """(sample, thread) of the sample a handler is running for, or None."""
        k = self._batch_position()
        if k >= 0:
            _, s = self._parse_at(k)
            return s, self.session.threads.findnew(s.pid if s.pid != 0xFFFFFFFF else -1,
                                                   s.tid if s.tid != 0xFFFFFFFF else -1)
        cur = self.current
        got = self.current_sample
        if cur is None or got is None or got[0].offset != cur[3]:
            return None
        return got

    def deliver_batch(self, batch):
        if self.general_only:
            super().deliver_batch(batch)
        else:
            self._batcher.deliver_batch(batch)

    def current_common(self, name):
        """A common_* field of the tracepoint being handled (0 when there is none)."""
        cur = self.current_record()
        if cur is None or cur[0].tp_format is None:
            return 0
        return self._common_field(cur[0], cur[1], name, signed=False)

    def _common_field(self, ev, raw, name, signed):
        for f in ev.tp_format.common_fields:
            if f.name == name:
                code = _INT_CODES.get(f.size)
                if code is None or f.offset + f.size > len(raw):
                    return 0
                v = struct.unpack_from(self.session.endian + code, raw, f.offset)[0]
                if signed and v >> (8 * f.size - 1):
                    v -= 1 << (8 * f.size)
                return v
        return 0

    def prepare_evsel(self, ev):
        """An event became known: its field decoder."""
        if ev.is_tracepoint and ev.tp_format is not None:
            self._decoder(ev)

    def _decoder(self, ev):
        """The event's field decoder, made once, in the tracing data's byte order
        (libtraceevent reads payloads in the order the tracing data declares)."""
        dec = self.decoders.get(ev.index)
        if dec is None:
            dec = self.decoders[ev.index] = make_field_decoder(
                ev.tp_format, self.session.tracing.big_endian)
        return dec

    def sample_handler(self, ev):
        """The compiled per-event path for plain tracepoint samples (fast_tracepoint)."""
        dec = self.decoders.get(ev.index)
        if self.general_only or dec is None or not ev.is_tracepoint:
            return None
        fast = compile_tracepoint(self, ev, dec)
        if fast is None:
            return None
        defined, index = self.defined, ev.index

        def first_then_fast(buf, off, size, misc, where):
            # perf calls the define_* callbacks before an event's first handler
            if index not in defined:
                self.define_symbols(ev)
            fast(buf, off, size, misc, where)

        return first_then_fast

    def sample(self, ev, s, thread):
        if self.filter is not None and self.filter.skip(s, thread, ev):
            return
        self.current_sample = (s, thread)     # for perf_sample_insn & co (context.py)
        if ev.is_tracepoint:
            self._tracepoint(ev, s, thread)
        elif self.db_export is not None:      # db-export mode: rows, not process_event
            self.db_export.sample(ev, s, thread)
        else:
            self.current = (ev, b"", s.time, s.offset)
            fn = self.globals.get("process_event")
            if fn is not None:
                self.invoke(fn, (self.dicts.sample_dict(ev, s, thread),))

    def _tracepoint(self, ev, s, thread):
        fmt = ev.tp_format
        if fmt is None:
            # perf aborts ("ug! no event found for type N"); it is the file's fault
            raise PerfDataError("tracepoint sample of event id %d, which the recording's "
                                "tracing data does not describe" % ev.attr.config,
                                self.session.name, s.offset)
        if s.buf is None:
            # perf crashes on these; its handlers would have no fields to receive
            raise PerfDataError("tracepoint sample of %s without raw data (its sample_type "
                                "lacks PERF_SAMPLE_RAW)" % ev.name, self.session.name,
                                s.offset)
        if ev.index not in self.defined:
            self.define_symbols(ev)
        raw = s.buf[s.raw_off:s.raw_off + s.raw_size]
        self.current = (ev, raw, s.time, s.offset)
        values = self._decoder(ev)(raw)
        t = s.time
        secs = t // NSEC_PER_SEC
        nsecs = t - secs * NSEC_PER_SEC
        cpu = s.cpu if s.cpu != 0xFFFFFFFF else -1
        pid = self._raw_common_pid(ev, raw)
        comm = thread.comm
        callchain = self.dicts.callchain(ev, s, thread)
        name = fmt.handler_name
        g = self.globals
        fn = g.get(name)
        if fn is not None and callable(fn):
            args = [name, self.capsule, cpu, secs, nsecs, pid, comm, callchain]
            args.extend(values)
            if self.wants_dict(fn, len(args)):
                args.append(self.dicts.sample_dict(ev, s, thread, callchain))
            self.invoke(fn, args)
            return
        fn = g.get("trace_unhandled")
        if fn is None or not callable(fn):
            return
        d = {"common_cpu": cpu, "common_s": secs, "common_ns": nsecs, "common_pid": pid,
             "common_comm": comm, "common_callchain": callchain}
        for field, v in zip(fmt.fields, values):
            d[field.name] = v
        if self.wants_dict(fn, 3):
            self.invoke(fn, (name, self.capsule, d,
                              self.dicts.sample_dict(ev, s, thread, callchain)))
        else:
            self.invoke(fn, (name, self.capsule, d))

    def _raw_common_pid(self, ev, raw):
        """perf passes the record's own common_pid, read as a C int."""
        return self._common_field(ev, raw, "common_pid", signed=True)

    def define_symbols(self, ev):
        """perf's define_* callbacks for the event's flag and symbolic fields, before its
        first handler."""
        self.defined.add(ev.index)
        g = self.globals
        for cb in self._symbol_walker.callbacks(ev.tp_format):
            fn = g.get(cb[0])
            if fn is not None and callable(fn):
                self.invoke(fn, cb[1:])

    # ------------------------------------------------------------ side band

    @property
    def sideband_types(self):
        return _DB_EXPORT_SIDEBAND if self.db_export is not None else _SIDEBAND

    def sideband(self, rec):
        typ = rec.type
        if typ in (C.RECORD_SWITCH, C.RECORD_SWITCH_CPU_WIDE):
            self._switch(rec)
        elif typ in (C.RECORD_THROTTLE, C.RECORD_UNTHROTTLE):
            self._throttle(rec)
        elif typ == C.RECORD_AUXTRACE_ERROR:
            self._auxtrace_error(rec)
        elif typ in STAT_RECORDS:
            if self.stat is None:
                from perfscript.script.stat import StatDispatcher
                self.stat = StatDispatcher(self)
            self.stat.record(rec)
        elif self.db_export is not None:      # COMM, FORK
            self.db_export.task_record(rec)

    def _switch(self, sw):
        if self.db_export is not None:        # db-export mode: context_switch_table
            self.db_export.switch(sw)
            return
        fn = self.globals.get("context_switch")
        if fn is None or not callable(fn):
            return
        s = sw.sample
        cpu = s.cpu if s.cpu != 0xFFFFFFFF else -1
        pid = s.pid if s.pid != 0xFFFFFFFF else -1
        tid = s.tid if s.tid != 0xFFFFFFFF else -1
        self.invoke(fn, (s.time, cpu, pid, tid, sw.next_prev_pid, sw.next_prev_tid, -1,
                          sw.out, sw.preempt, 0, -1))

    def _throttle(self, rec):
        fn = self.globals.get(rec.kind)
        if fn is None or not callable(fn):
            return
        s = rec.sample
        cpu = s.cpu if s.cpu != 0xFFFFFFFF else -1
        pid = s.pid if s.pid != 0xFFFFFFFF else -1
        tid = s.tid if s.tid != 0xFFFFFFFF else -1
        self.invoke(fn, (rec.time, rec.id, rec.stream_id, cpu, pid, tid))

    def _auxtrace_error(self, rec):
        """auxtrace_error(type, code, cpu, pid, tid, ip, time, msg, cpumode, machine_pid,
        vcpu) as perf 6.1 calls it."""
        fn = self.globals.get("auxtrace_error")
        if fn is None or not callable(fn):
            return
        self.invoke(fn, (rec.error_type, rec.code, rec.cpu, rec.pid, rec.tid, rec.ip,
                          rec.time, rec.msg, rec.misc & C.MISC_CPUMODE_MASK,
                          rec.machine_pid, rec.vcpu))

    def feature(self, feat, value):
        """Pipe-mode header features arrive after the script started."""
        if feat == C.FEAT_ARCH:
            syscalls.set_arch(value)
