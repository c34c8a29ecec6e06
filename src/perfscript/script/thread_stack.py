"""perf's thread stack: call/return pairs rebuilt per thread from exported samples.

With `perf_db_export_calls`, perf 6.1 feeds every exported sample that has an `addr`
location (page faults and BTS with PERF_SAMPLE_ADDR) to a per-thread stack, and reports
each entry that leaves the stack as one call_return row.  Written from perf's documented
behaviour and its output on real recordings; the rules:

* An empty stack first gets a bottom entry: the sample's own symbol at its ip (else the
  addr's, when ip is 0), marked "no call".  Every sample then counts one branch.
* Samples with branch flags move the stack: a call pushes the target, a return pops to
  the matching return address (entries skipped on the way are "no return"), trace
  begin/end bracket gaps in an instruction trace, and a jump to the start of another
  symbol is kept as a "non call" entry.  Samples without flags (page faults) only count.
* A stack is flushed (every entry "no return", at the last sample time, return ref 0) when
  its main thread execs (its exec comm changes), when perf frees the thread (a new thread
  takes its tid) and at the end of the session, before trace_end: then thread by thread
  in perf's thread-table order, tid modulo 256, then tid.
* The idle task (pid = tid = 0) has one stack per cpu.
"""

from perfscript.names import branch_flags as BF

NO_CALL = 1 << 0
NO_RETURN = 1 << 1
NON_CALL = 1 << 2

F_BRANCH = BF.PERF_IP_FLAG_BRANCH
F_CALL = BF.PERF_IP_FLAG_CALL
F_RETURN = BF.PERF_IP_FLAG_RETURN
F_TRACE_BEGIN = BF.PERF_IP_FLAG_TRACE_BEGIN
F_TRACE_END = BF.PERF_IP_FLAG_TRACE_END

THREAD_TABLE_SIZE = 256

# perf's x86 retpoline detection states
RETPOLINE_NONE, RETPOLINE_POSSIBLE, RETPOLINE_DETECTED = range(3)


class Entry:
    """One stack entry; `db_id` is given when a child's row needs its parent's id."""

    __slots__ = ("ret_addr", "timestamp", "ref", "branch_count", "insn_count", "cyc_count",
                 "cp", "no_call", "trace_end", "non_call", "db_id")


class CallReturn:
    """What leaves the stack: one call_return row before ids are given."""

    __slots__ = ("thread", "comm", "cp", "call_time", "return_time", "branch_count",
                 "insn_count", "cyc_count", "db_id", "call_ref", "return_ref", "flags")


class Stack:
    __slots__ = ("thread", "entries", "branch_count", "insn_count", "cyc_count",
                 "last_time", "comm", "rstate")

    def __init__(self, thread, comm, rstate):
        self.thread = thread
        self.entries = []
        self.branch_count = 0
        self.insn_count = 0
        self.cyc_count = 0
        self.last_time = 0
        self.comm = comm
        self.rstate = rstate


def _is_x86_retpoline(name):
    return name.startswith("__x86_indirect_thunk_") or name == "__indirect_thunk_start"


class ThreadStacks:
    """All threads' stacks.  `emit(call_return, parent_entry)` receives each row;
    `parent_entry` (None at the bottom) is where the parent's row id is kept."""

    def __init__(self, root, kernel_start, x86, emit):
        self.root = root
        self.kernel_start = kernel_start
        self.x86 = x86
        self.emit = emit
        self.stacks = {}      # id(thread) -> (thread, {cpu: Stack})

    # ------------------------------------------------------------ stacks

    def _stack(self, thread, cpu, comm):
        got = self.stacks.get(id(thread))
        if got is None or got[0] is not thread:
            got = self.stacks[id(thread)] = (thread, {})
        per_cpu = got[1]
        key = max(cpu, 0) if thread.pid == 0 and thread.tid == 0 else 0
        ts = per_cpu.get(key)
        if ts is None:
            rstate = RETPOLINE_POSSIBLE if self.x86 else RETPOLINE_NONE
            ts = per_cpu[key] = Stack(thread, comm, rstate)
        return ts

    def _push(self, ts, ret_addr, time, ref, cp, no_call, trace_end):
        e = Entry()
        e.ret_addr = ret_addr
        e.timestamp = time
        e.ref = ref
        e.branch_count = ts.branch_count
        e.insn_count = ts.insn_count
        e.cyc_count = ts.cyc_count
        e.cp = cp
        e.no_call = no_call
        e.trace_end = trace_end
        e.non_call = False
        e.db_id = 0
        ts.entries.append(e)
        return e

    def _pop_out(self, ts, time, ref, no_return):
        """Take the top entry off and report it."""
        entries = ts.entries
        e = entries.pop()
        cr = CallReturn()
        cr.thread = ts.thread
        cr.comm = ts.comm
        cr.cp = e.cp
        cr.call_time = e.timestamp
        cr.return_time = time
        cr.branch_count = ts.branch_count - e.branch_count
        cr.insn_count = ts.insn_count - e.insn_count
        cr.cyc_count = ts.cyc_count - e.cyc_count
        cr.db_id = e.db_id
        cr.call_ref = e.ref
        cr.return_ref = ref
        cr.flags = ((NO_CALL if e.no_call else 0) | (NO_RETURN if no_return else 0)
                    | (NON_CALL if e.non_call else 0))
        self.emit(cr, entries[-1] if entries else None)

    def _flush(self, ts):
        while ts.entries:
            self._pop_out(ts, ts.last_time, 0, True)

    def flush_thread(self, thread):
        """perf freeing a thread: its stacks' entries leave as "no return"."""
        got = self.stacks.pop(id(thread), None)
        if got is not None and got[0] is thread:
            for cpu in sorted(got[1]):
                self._flush(got[1][cpu])

    def flush_all(self):
        """The end of the session, in perf's thread-table order."""
        threads = sorted((t for t, _ in self.stacks.values()),
                         key=lambda t: ((t.tid & 0xFFFFFFFF) % THREAD_TABLE_SIZE, t.tid))
        for t in threads:
            self.flush_thread(t)

    # ------------------------------------------------------------ samples

    def process(self, thread, comm, s, from_al, to_al, ref):
        """One exported sample.  `from_al`/`to_al` are (symbol, map-relative address)
        of its ip and addr; `ref` is the sample's row id."""
        cpu = s.cpu if s.cpu is not None else -1
        if cpu >= 1 << 31:
            cpu -= 1 << 32
        ts = self._stack(thread, cpu, comm)
        rstate = ts.rstate
        if rstate == RETPOLINE_DETECTED:
            ts.rstate = RETPOLINE_POSSIBLE
        if ts.comm is not comm and thread.pid == thread.tid:
            self._flush(ts)            # the process exec'd
            ts.comm = comm
        ip = s.ip or 0
        addr = s.addr or 0
        time = s.time or 0
        ks = self.kernel_start
        from_sym, to_sym = from_al[0], to_al[0]
        entries = ts.entries
        if not entries:
            if ip:
                cp = self.root.findnew(from_sym, ip, ks)
                self._push(ts, ip, time, ref, cp, True, False)
            elif addr:
                cp = self.root.findnew(to_sym, addr, ks)
                self._push(ts, addr, time, ref, cp, True, False)
        ts.branch_count += 1
        ts.insn_count += getattr(s, "insn_cnt", 0) or 0
        ts.cyc_count += getattr(s, "cyc_cnt", 0) or 0
        ts.last_time = time
        flags = getattr(s, "flags", 0) or 0
        if not flags or not entries:
            return
        if flags & F_CALL:
            if not ip or not addr:
                return
            ret_addr = ip + (getattr(s, "insn_len", 0) or 0)
            if ret_addr == addr:
                return                 # a zero-length call
            cp = entries[-1].cp.findnew(to_sym, addr, ks)
            self._push(ts, ret_addr, time, ref, cp, False, bool(flags & F_TRACE_END))
            if (rstate == RETPOLINE_POSSIBLE and to_sym is not None and from_sym is to_sym
                    and to_al[1] != to_sym.start):
                ts.rstate = RETPOLINE_DETECTED
        elif flags & F_RETURN:
            if not ip or not addr:
                return
            if (rstate == RETPOLINE_DETECTED and len(entries) > 2
                    and entries[-1].ret_addr != addr):
                self._retpoline(ts, s, to_al)
                return
            if not self._pop_to(ts, addr, time, ref, from_sym):
                self._no_call_return(ts, s, from_al, to_al, ref)
        elif flags & F_TRACE_BEGIN:
            if entries[-1].trace_end:
                self._pop_out(ts, time, ref, False)
        elif flags & F_TRACE_END:
            if len(entries) == 1 and entries[0].ref == ref:
                return                 # no point in a trace end at the bottom
            cp = entries[-1].cp.findnew(None, 0, ks)
            ret_addr = ip + (getattr(s, "insn_len", 0) or 0)
            self._push(ts, ret_addr, time, ref, cp, False, True)
        elif (flags & F_BRANCH and to_sym is not None and from_sym is not to_sym
              and to_al[1] == to_sym.start):
            # a jump to the start of another symbol (an optimised call/return) is kept,
            # so a later return pops it first
            cp = entries[-1].cp.findnew(to_sym, addr, ks)
            self._push(ts, 0, time, ref, cp, False, False).non_call = True

    def _pop_to(self, ts, ret_addr, time, ref, sym):
        """A return: pop to the entry it returns from.  False when none matches."""
        entries = ts.entries
        if not entries:
            return False
        if len(entries) == 1 and entries[0].cp.sym is sym:
            self._pop_out(ts, time, ref, False)
            return True
        top = entries[-1]
        if top.ret_addr == ret_addr and not top.non_call:
            self._pop_out(ts, time, ref, False)
            return True
        for i in range(len(entries) - 2, -1, -1):
            e = entries[i]
            if e.ret_addr != ret_addr or e.non_call:
                continue
            while len(entries) > i + 1:
                self._pop_out(ts, time, ref, True)
            self._pop_out(ts, time, ref, False)
            return True
        return False

    def _no_call_return(self, ts, s, from_al, to_al, ref):
        """A return with no matching call on the stack."""
        entries = ts.entries
        ks = self.kernel_start
        ip, addr, time = s.ip, s.addr, s.time or 0
        from_sym, to_sym = from_al[0], to_al[0]
        if ip >= ks and addr < ks:
            # back to user space: the kernel part of the stack is done
            while entries and entries[-1].cp.in_kernel:
                self._pop_out(ts, time, ref, True)
            if not entries:
                cp = self.root.findnew(to_sym, addr, ks)
                self._push(ts, 0, time, ref, cp, True, False)
                return
        elif entries and entries[-1].cp.in_kernel and ip < ks:
            while entries and entries[-1].cp.in_kernel:
                self._pop_out(ts, time, ref, True)
        parent = entries[-1].cp if entries else self.root
        if parent.sym is from_sym:
            # at the bottom, the call came before the trace began: replace the bottom
            if len(entries) == 1:
                self._pop_out(ts, time, ref, False)
            if not entries:
                cp = self.root.findnew(to_sym, addr, ks)
                self._push(ts, addr, time, ref, cp, True, False)
                return
            # otherwise the return is used as a jump (a retpoline): push the target
            cp = parent.findnew(to_sym, addr, ks)
            self._push(ts, 0, time, ref, cp, True, False).non_call = True
            return
        # the parent has not returned yet: push the target, then push and pop the source
        cp = parent.findnew(to_sym, addr, ks)
        self._push(ts, addr, time, ref, cp, True, False)
        cp = cp.findnew(from_sym, ip, ks)
        self._push(ts, ip, time, ref, cp, True, False)
        self._pop_out(ts, time, ref, False)

    def _retpoline(self, ts, s, to_al):
        """Drop x86 retpoline thunks from the stack, putting the real target in place."""
        entries = ts.entries
        to_sym = to_al[0]
        sym = entries[-1].cp.sym
        if sym is not None and _is_x86_retpoline(sym.name):
            entries.pop()
            sym = entries[-2].cp.sym
            if sym is not None and sym is to_sym and to_al[1] != to_sym.start:
                entries.pop()          # back into the middle of the caller: a jump
                return
        elif sym is not None and sym is to_sym:
            entries.pop()
            return
        entries[-1].cp = entries[-2].cp.findnew(to_sym, s.addr, self.kernel_start)
