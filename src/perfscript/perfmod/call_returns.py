"""`perf.session(..., call_return=cb)`: perf's thread stack run over every sample, each
call that leaves a stack handed to `cb` as a `perf.call_return`.

The stack is perf's (script/thread_stack.py, shared with db-export): a sample's ip
(and, for branch samples, its addr) resolved to symbols moves it, and a call leaves it
when it returns, when its thread's process execs or its tid is taken by a new thread,
and at the end. Samples get reference numbers from 1 in delivery order (upstream's
sample_db_id); call_return ids come from one counter, a parent's id given as soon as a
child needs it. A stack's calls reach `cb` before the sample that completed them.
"""

from perfscript.names import branch_flags as BF
from perfscript.perfdata import constants as C
from perfscript.perfmod.chains import callchain, callchain_node
from perfscript.script.call_path import CallPath
from perfscript.script.thread_stack import ThreadStacks
from perfscript.session.batched import deliver_each
from perfscript.session.consumer import Consumer

UNKNOWN = "[unknown]"
# sample flags for which perf resolves the sample's addr as the branch target
_TARGET_FLAGS = (BF.PERF_IP_FLAG_CALL | BF.PERF_IP_FLAG_TRACE_BEGIN | BF.PERF_IP_FLAG_RETURN
                 | BF.PERF_IP_FLAG_BRANCH | BF.PERF_IP_FLAG_TRACE_END)
_X86 = ("x86", "x86_64", "i386", "i486", "i586", "i686")


class call_return:  # noqa: N801 - upstream's name
    """A completed (or flushed) call of a thread's stack."""

    __slots__ = ("db_id", "parent_id", "insn_count", "cyc_count", "comm", "machine_pid",
                 "pid", "tid", "call_time", "return_time", "branch_count", "call_ref",
                 "return_ref", "flags", "call_path")
    __module__ = "perf"

    def __init__(self, *args, **kwargs):
        raise TypeError("cannot create 'perf.call_return' instances")

    def __repr__(self):
        return "{ type: call_return }"


class CallReturns(Consumer):
    """Wraps the session's ModuleConsumer: every sample goes through the thread stack
    (record by record), then on to the sample callback."""

    def __init__(self, inner, callback):
        self.inner = inner
        self.callback = callback
        self.session = session = inner.session
        self.sideband_types = inner.sideband_types | {C.RECORD_FORK}
        self.root = CallPath(None, None, 0)
        self.stacks = ThreadStacks(self.root, session.kernel_start(),
                                   (session.arch or "") in _X86, self._emit)
        self.last_id = 0
        self.sample_ref = 0

    # ------------------------------------------------------------ the contract

    def prepare_evsel(self, ev):
        self.inner.prepare_evsel(ev)

    def feature(self, feat, value):
        self.inner.feature(feat, value)

    def deliver_batch(self, batch):
        deliver_each(batch)

    def sideband(self, rec):
        if rec.type == C.RECORD_FORK:
            replaced = getattr(rec, "replaced", None)
            if replaced is not None:
                self.stacks.flush_thread(replaced)
            if rec.type not in self.inner.sideband_types:
                return
        self.inner.sideband(rec)

    def sample(self, ev, s, thread):
        self.sample_ref += 1
        session = self.session
        cpumode = s.misc & C.MISC_CPUMODE_MASK
        from_al = _symbol_at(session, thread, cpumode, s.ip or 0)
        to_al = (None, 0)
        flags = getattr(s, "flags", 0) or 0
        if flags & _TARGET_FLAGS:
            to_al = _symbol_at(session, thread, cpumode, s.addr or 0, fallback=True)
        self.stacks.process(thread, thread.comm, s, from_al, to_al, self.sample_ref)
        self.inner.sample(ev, s, thread)

    def end(self):
        self.stacks.flush_all()
        self.inner.end()

    # ------------------------------------------------------------ calls

    def _emit(self, cr, parent):
        if not cr.db_id:
            self.last_id += 1
            cr.db_id = self.last_id
        parent_id = 0
        if parent is not None:
            if not parent.db_id:
                self.last_id += 1
                parent.db_id = self.last_id
            parent_id = parent.db_id
        out = object.__new__(call_return)
        out.db_id = cr.db_id
        out.parent_id = parent_id
        out.insn_count = cr.insn_count
        out.cyc_count = cr.cyc_count
        out.comm = cr.comm
        out.machine_pid = 0
        th = cr.thread
        out.pid = th.pid if th is not None else None
        out.tid = th.tid if th is not None else None
        out.call_time = cr.call_time
        out.return_time = cr.return_time
        out.branch_count = cr.branch_count
        out.call_ref = cr.call_ref
        out.return_ref = cr.return_ref
        out.flags = cr.flags
        out.call_path = self._path(cr.cp, th)
        self.callback(out)

    def _path(self, cp, thread):
        """The call path as a callchain, outermost caller first."""
        nodes = []
        while cp is not None and cp is not self.root:
            nodes.append(self._node(cp, thread))
            cp = cp.parent
        nodes.reverse()
        return callchain(nodes)

    def _node(self, cp, thread):
        name = cp.sym.name if cp.sym is not None else UNKNOWN
        cpumode = C.MISC_KERNEL if cp.in_kernel else C.MISC_USER
        m = self.session.find_map(thread, cpumode, cp.ip) if thread is not None else None
        if m is None:
            return callchain_node(cp.ip, name, UNKNOWN, None)
        dso = self.session.dso_of(m, cp.in_kernel)
        dso_name = dso.long_name if dso is not None else m.filename
        offset = None
        if cp.sym is not None and dso is not None:
            offset = dso.map_ip(cp.ip, m.start, m.pgoff) - cp.sym.start
        return callchain_node(cp.ip, name, dso_name, offset)


def _symbol_at(session, thread, cpumode, addr, fallback=False):
    """(symbol or None, map-relative address) of an address, as the thread stack takes
    it."""
    found = (session.locate_fallback if fallback else session.locate)(thread, cpumode, addr)
    if found is None:
        return (None, addr)
    m, dso, sym, _ = found
    if dso is None:
        return (sym, addr)
    return (sym, dso.map_ip(addr, m.start, m.pgoff))
