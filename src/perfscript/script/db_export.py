"""perf's db-export mode: the `*_table` callbacks of export-to-sqlite.py and friends.

When a script sets `perf_db_export_mode` (read after trace_begin returns), perf 6.1 stops
calling process_event/context_switch and instead turns every non-tracepoint sample and
every context switch into rows: evsel, machine, thread, comm, comm_thread, dso, symbol,
sample, call_path (with `perf_db_export_callchains`) and context_switch, each the first
time it is referenced, with ids counted from 1 per table.  Every id and address goes out
as a signed 64-bit int (perf's "d64"), cpu and flags as signed 32-bit ints.  Tracepoint
samples are not exported; they still reach their handlers.

Written from perf's documented behaviour and its output on real recordings.  Notes on
perf's rules that shape the rows:

* A sample whose address has a map but no symbol gets a zero-length symbol "unknown" at
  the map-relative address, added to the dso: later lookups of that exact address (the
  sample's own callchain leaf, later samples) find it.
* Call paths are built from the callchain resolved root first (perf's ORDER_CALLER): a
  node is (parent, symbol, ip) with ip 0 when the symbol is known.  A frame with a map but
  no symbol is looked up again by its absolute address (perf passes node->ip there), and
  gets an "unknown" symbol at that absolute address when that fails too.
* Comms are tracked with their start time and exec flag, as perf's thread comm lists:
  the first COMM of a thread overrides its ":tid" placeholder, later ones are new comms;
  a forked thread inherits its parent's current comm at the fork time.
* call_return rows (with `perf_db_export_calls`) come from perf's thread stack
  (thread_stack.py), which perf 6.1 only runs for samples whose `addr` correlates with a
  symbol (page faults, BTS with PERF_SAMPLE_ADDR); other samples give none.  Its call
  paths live in the same tree as the callchains' (call_path.py), so ids are shared.
* Addresses in anonymous and dso-less memory ("//anon", "[stack]", "[heap]"...) stay
  absolute (perf's identity map_ip), so their "unknown" symbols are at the address.

The symbol lookups themselves, with perf's one-entry lookup cache, are db_lookups.py's; a
sample whose address spaces, ip and callchain were met before replays them (sample()).
"""

from perfscript.names import branch_flags as BF
from perfscript.perfdata import constants as C
from perfscript.perfdata.callchain import MISC_USER_UNWOUND, chain_entries, unwinds
from perfscript.perfdata.attr import FLAG_COMM_EXEC
from perfscript.script.call_path import CallPath
from perfscript.script.db_lookups import Lookups
from perfscript.script.thread_stack import ThreadStacks
from perfscript.session.evsel import synthesized_name
from perfscript.session.maps import LookupCache
from perfscript.symbols.symbol import Symbol

U64 = 1 << 64
DATA_SRC_NONE = 0x5080021
PERF_MAX_STACK_DEPTH = 127
HOST_KERNEL_ID = -1
LOCATION_CACHE_LIMIT = 1 << 16  # distinct (address spaces, ip, callchain) remembered at once
_S64 = 1 << 63
_S32 = 1 << 31
# sample fields that put more than zeros and perf's defaults in a sample row
_ROW_FIELDS = (C.SAMPLE_ADDR | C.SAMPLE_WEIGHT | C.SAMPLE_WEIGHT_STRUCT | C.SAMPLE_TRANSACTION
               | C.SAMPLE_DATA_SRC)

# sample flags (perf's PERF_IP_FLAG_*, script/branch_flags.py)
F_BRANCH = BF.PERF_IP_FLAG_BRANCH
F_CALL = BF.PERF_IP_FLAG_CALL
F_RETURN = BF.PERF_IP_FLAG_RETURN
F_CONDITIONAL = BF.PERF_IP_FLAG_CONDITIONAL
F_SYSCALLRET = BF.PERF_IP_FLAG_SYSCALLRET
F_ASYNC = BF.PERF_IP_FLAG_ASYNC
F_INTERRUPT = BF.PERF_IP_FLAG_INTERRUPT
F_TX_ABORT = BF.PERF_IP_FLAG_TX_ABORT
F_TRACE_BEGIN = BF.PERF_IP_FLAG_TRACE_BEGIN
F_TRACE_END = BF.PERF_IP_FLAG_TRACE_END
F_IN_TX = BF.PERF_IP_FLAG_IN_TX
F_VMENTRY = BF.PERF_IP_FLAG_VMENTRY
F_VMEXIT = BF.PERF_IP_FLAG_VMEXIT
BRANCH_MASK = (F_BRANCH | F_CALL | F_RETURN | F_CONDITIONAL | F_SYSCALLRET | F_ASYNC
               | F_INTERRUPT | F_TX_ABORT | F_TRACE_BEGIN | F_TRACE_END | F_VMENTRY
               | F_VMEXIT)

BRANCH_TYPES = (
    (0, "no branch"),
    (F_BRANCH | F_CALL, "call"),
    (F_BRANCH | F_RETURN, "return"),
    (F_BRANCH | F_CONDITIONAL, "conditional jump"),
    (F_BRANCH, "unconditional jump"),
    (F_BRANCH | F_CALL | F_INTERRUPT, "software interrupt"),
    (F_BRANCH | F_RETURN | F_INTERRUPT, "return from interrupt"),
    (F_BRANCH | F_CALL | F_SYSCALLRET, "system call"),
    (F_BRANCH | F_RETURN | F_SYSCALLRET, "return from system call"),
    (F_BRANCH | F_ASYNC, "asynchronous branch"),
    (F_BRANCH | F_CALL | F_ASYNC | F_INTERRUPT, "hardware interrupt"),
    (F_BRANCH | F_TX_ABORT, "transaction abort"),
    (F_BRANCH | F_TRACE_BEGIN, "trace begin"),
    (F_BRANCH | F_TRACE_END, "trace end"),
    (F_BRANCH | F_CALL | F_VMENTRY, "vm entry"),
    (F_BRANCH | F_CALL | F_VMEXIT, "vm exit"),
)

TABLES = ("evsel", "machine", "thread", "comm", "comm_thread", "dso", "symbol",
          "branch_type", "sample", "call_path", "call_return", "context_switch")


def d64(v):
    """perf's tuple_set_d64: a u64 as a signed 64-bit int."""
    v &= U64 - 1
    return v - U64 if v >> 63 else v


def s32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >> 31 else v


def branch_type_rows():
    """(type, name) in the order perf 6.1 exports them, trace begin/end variants last."""
    rows = list(BRANCH_TYPES)
    for typ, name in BRANCH_TYPES:
        if typ == F_BRANCH or typ & (F_TRACE_BEGIN | F_TRACE_END):
            continue
        rows.append((typ | F_TRACE_BEGIN, "trace begin / %s" % name))
        rows.append((typ | F_TRACE_END, "%s / trace end" % name))
    return rows


def short_name(dso):
    """perf's dso short name: "[mod]" for kernel modules, the basename of a file path,
    else the name as it is."""
    module = getattr(dso, "module", None)
    if module:
        return module
    name = dso.name
    if name.startswith("/"):
        return name.rsplit("/", 1)[-1]
    return name


def _truthy(g, name):
    v = g.get(name)
    return v is not None and bool(v)


def setup(engine):
    """The DbExport for the engine's script, or None when it did not ask for db-export."""
    if not _truthy(engine.globals, "perf_db_export_mode"):
        return None
    dbx = DbExport(engine)
    dbx.start()
    return dbx


class Comm:
    """One entry of a thread's comm list (perf's struct comm)."""

    __slots__ = ("name", "start", "exec", "db_id")

    def __init__(self, name, start, exec_):
        self.name = name
        self.start = start
        self.exec = exec_
        self.db_id = 0


class ThreadState:
    """What db-export keeps per perf thread: its id and comm list (newest last)."""

    __slots__ = ("thread", "db_id", "comms", "comm_set")

    def __init__(self, thread, comm, comm_set):
        """`comm`, `comm_set`: the thread's name when db-export first meets it."""
        self.thread = thread
        self.db_id = 0
        self.comms = [Comm(comm if comm_set else ":%d" % thread.tid, 0, False)]
        self.comm_set = comm_set

    def set_comm(self, name, time, exec_):
        if not self.comm_set:
            c = self.comms[-1]
            c.name = name
            c.start = time
            if exec_:
                c.exec = True
        else:
            self.comms.append(Comm(name, time, exec_))
        self.comm_set = True

    @property
    def comm(self):
        return self.comms[-1]

    def exec_comm(self):
        """perf's thread__exec_comm."""
        comms = self.comms
        for c in reversed(comms):
            if c.exec:
                return c
        last = comms[0]
        if len(comms) > 1 and not last.start and self.thread.pid == self.thread.tid:
            return comms[1]
        return last


class DbExport:
    def __init__(self, engine):
        self.engine = engine
        self.session = engine.session
        g = engine.globals
        self.export_calls = _truthy(g, "perf_db_export_calls")
        self.export_callchains = _truthy(g, "perf_db_export_callchains")
        self.handlers = {}
        for t in TABLES:
            fn = g.get(t + "_table")
            if fn is not None:
                self.handlers[t] = fn
        self.synth_handler = g.get("synth_data")
        self.last = dict.fromkeys(TABLES, 0)
        self.machine_id = 0
        self.evsel_ids = {}
        self.dso_ids = {}        # id(dso) -> (db id, dso)
        self.sym_ids = {}        # id(symbol) -> (db id, symbol)
        self.inline_syms = {}    # (id(dso), address, entry) -> an inlined function's Symbol
        self.lookups = Lookups(self.session)
        # (maps serial, maps version, kernel maps version, cpumode, ip, callchain) ->
        # ((dso id, symbol id, offset, call path id), recorded lookups): a sample met
        # before in the same address spaces gets the same ids, its lookups replayed
        self.located = LookupCache(LOCATION_CACHE_LIMIT)
        self.plans = {}          # evsel index -> what its samples need (_plan)
        self._kernel_start_at = (None, None, 0)   # (kernel maps, their version, start)
        self.states = {}         # id(thread) -> ThreadState
        self._epoch = 0          # COMM/FORK records seen: they change threads' rows
        self._thread_memo = {}   # id(thread) -> (thread, epoch, threads, state, comm)
        self.root = CallPath(None, None, 0)
        self.stacks = None       # perf's thread stack, made at the first sample
        self.comm_exec = any(ev.attr.flags & FLAG_COMM_EXEC
                             for ev in self.session.evsels.evsels)

    # ------------------------------------------------------------ plumbing

    def _call(self, table, row):
        fn = self.handlers.get(table)
        if fn is not None:
            self.engine.invoke(fn, row)

    def task_record(self, rec):
        """A COMM or FORK record the session has applied: comm start times and exec
        flags for the comm rows, threads a fork replaced off the thread stacks."""
        self._epoch += 1
        if rec.type == C.RECORD_COMM:
            self._comm_record(rec)
        else:
            self._fork_record(rec)

    def _comm_record(self, rec):
        th = rec.thread
        st = self.states.get(id(th))
        if st is None or st.thread is not th:
            # first seen now: its comm list starts with the name it had before
            st = self.states[id(th)] = ThreadState(th, rec.old_comm, rec.old_comm_set)
        st.set_comm(th.comm, rec.sample.time or 0, rec.exec)
        if rec.exec:
            # perf's machine learns comm_exec from the records too: a pipe-mode
            # recording has no attrs when the session starts
            self.comm_exec = True

    def _fork_record(self, rec):
        pst = self._state(rec.parent)
        old, th = rec.replaced, rec.thread
        if old is not None and th is not old and self.stacks is not None:
            self.stacks.flush_thread(old)     # perf frees the thread it replaced
        if th is old and id(th) in self.states:
            return
        st = self.states[id(th)] = ThreadState(th, ":%d" % th.tid, False)
        if pst.comm_set:
            st.set_comm(pst.comm.name, rec.sample.time or 0, False)

    def _state(self, thread):
        st = self.states.get(id(thread))
        if st is None or st.thread is not thread:
            st = ThreadState(thread, thread.comm, thread.comm_set)
            self.states[id(thread)] = st
        return st

    # ------------------------------------------------------------ start

    def start(self):
        if "branch_type" in self.handlers:
            for typ, name in branch_type_rows():
                self._call("branch_type", (s32(typ), name))

    # ------------------------------------------------------------ ids

    def _machine(self):
        if not self.machine_id:
            self.last["machine"] += 1
            self.machine_id = self.last["machine"]
            self._call("machine", (self.machine_id, HOST_KERNEL_ID, ""))
        return self.machine_id

    def _evsel(self, ev):
        i = self.evsel_ids.get(ev.index)
        if i is None:
            self.last["evsel"] += 1
            i = self.evsel_ids[ev.index] = self.last["evsel"]
            name = ev.name
            if name is None:     # a pipe-mode event not named by the time it samples
                name = synthesized_name(ev.attr)
            self._call("evsel", (i, name))
        return i

    def _thread(self, st, main_st):
        if st.db_id:
            return
        self.last["thread"] += 1
        st.db_id = self.last["thread"]
        main_id = main_st.db_id if main_st is not None else 0
        th = st.thread
        self._call("thread", (st.db_id, self.machine_id, main_id, s32(th.pid), s32(th.tid)))

    def _comm(self, comm, st):
        self.last["comm"] += 1
        comm.db_id = self.last["comm"]
        self._call("comm", (comm.db_id, comm.name, st.db_id, d64(comm.start),
                            1 if comm.exec else 0))

    def _comm_thread(self, comm, st):
        self.last["comm_thread"] += 1
        self._call("comm_thread", (self.last["comm_thread"], comm.db_id, st.db_id))

    def _main_thread(self, thread):
        if thread.pid == thread.tid:
            return thread
        if thread.pid == -1:
            return None
        return self.session.threads.get(thread.pid)

    def _threads(self, thread):
        """perf's db_export__threads: main thread, its exec comm, the thread, its comm.
        Returns (ThreadState, the main thread's exec comm or None).

        Once a thread's rows are out, the answer only changes with a COMM or FORK record
        (`_epoch`) or a thread appearing (its main thread may be one): it is kept till then."""
        n = len(self.session.threads.threads)
        memo = self._thread_memo.get(id(thread))
        if memo is not None and memo[0] is thread and memo[1] == self._epoch and memo[2] == n:
            return memo[3], memo[4]
        st, comm = self._export_threads(thread)
        self._thread_memo[id(thread)] = (thread, self._epoch, n, st, comm)
        return st, comm

    def _export_threads(self, thread):
        main = self._main_thread(thread)
        main_st = self._state(main) if main is not None else None
        comm = None
        if main_st is not None:
            self._thread(main_st, main_st)
            comm = main_st.exec_comm() if self.comm_exec else main_st.comm
            if not comm.db_id:
                self._comm(comm, main_st)
                self._comm_thread(comm, main_st)
        st = self._state(thread)
        if thread is not main:
            export_ct = comm is not None and not st.db_id
            self._thread(st, main_st)
            if export_ct:
                self._comm_thread(comm, st)
        cur = st.comm
        if not cur.db_id:
            self._comm(cur, st)
        return st, comm

    def _dso(self, dso):
        key = id(dso)
        got = self.dso_ids.get(key)
        if got is None:
            self.last["dso"] += 1
            got = self.dso_ids[key] = (self.last["dso"], dso)
            self._call("dso", (got[0], self.machine_id, short_name(dso), dso.long_name,
                               dso.build_id or ""))
        return got[0]

    def _symbol(self, sym, dso_id):
        key = id(sym)
        got = self.sym_ids.get(key)
        if got is None:
            self.last["symbol"] += 1
            got = self.sym_ids[key] = (self.last["symbol"], sym)
            self._call("symbol", (got[0], dso_id, d64(sym.start), d64(sym.end),
                                  s32(sym.binding), sym.name))
        return got[0]

    # ------------------------------------------------------------ symbols

    def _resolve(self, thread, cpumode, ip):
        """(map, dso, symbol, map-relative address) as perf's thread__find_symbol."""
        f = self.lookups.frame_of(thread, cpumode, ip)
        if f is None:
            return None, None, None, ip
        if f[1] is None:
            return f[0], None, None, f[2]
        return f[0], f[1], self.lookups.find_frame(f), f[2]

    def _ids_from_al(self, dso, sym, addr):
        """perf's db_ids_from_al: (dso id, symbol id, offset, symbol)."""
        if dso is None:
            return 0, 0, 0, sym
        dso_id = self._dso(dso)
        if sym is None:
            sym = self.lookups.add_unknown(dso, addr)
        sym_id = self._symbol(sym, dso_id)
        return dso_id, sym_id, addr - sym.start, sym

    def _kernel_start(self):
        kmaps = self.session.kernel_maps
        at = self._kernel_start_at
        if at[0] is not kmaps or at[1] != kmaps.version:
            at = self._kernel_start_at = (kmaps, kmaps.version, self.session.kernel_start())
        return at[2]

    # ------------------------------------------------------------ call paths

    def _chain_path(self, chain, thread):
        """The call path id of a callchain (0: none)."""
        cp = self._walk_callchain(chain, thread)
        if cp is None:
            return 0
        self._export_call_path(cp)
        return cp.db_id

    def _resolve_sample(self, thread, cpumode, ip, chain):
        """(dso id, symbol id, offset, call path id) of a sample's ip and callchain, in
        perf's order: the ip's lookup, its rows, then the chain's."""
        m, dso, sym, addr = self._resolve(thread, cpumode, ip)
        dso_id, sym_id, offset, _ = self._ids_from_al(dso, sym, addr)
        call_path_id = self._chain_path(chain, thread) if chain else 0
        return dso_id, sym_id, offset if 0 <= offset < _S64 else d64(offset), call_path_id

    def _walk_callchain(self, ips, thread):
        """Resolve a callchain whole, then export it frame by frame: its call path."""
        kernel_start = self._kernel_start()
        # perf walks the chain root first (caller order); None: perf drops it
        entries = chain_entries(ips, PERF_MAX_STACK_DEPTH, caller_first=True)
        if entries is None:
            return None
        # perf resolves the whole chain first, then exports it frame by frame: the
        # order of symbol lookups matters to its lookup cache (db_lookups)
        frames = self.lookups.resolve_chain(thread, entries)
        lookups = self.lookups
        current = self.root
        dso_ids, sym_ids = self.dso_ids, self.sym_ids
        for cpumode, ip, f, dso, sym in frames:
            if dso is not None:
                if cpumode == MISC_USER_UNWOUND and sym is not None:
                    inlined = self._inline_symbols(thread, cpumode, ip, f[0], dso, sym)
                    if inlined is not None:
                        for isym in inlined:
                            if id(dso) not in dso_ids or id(isym) not in sym_ids:
                                self._ids_from_al(dso, isym, ip)
                            current = current.findnew(isym, ip, kernel_start)
                        continue
                if sym is None:
                    # perf looks a frame without a symbol up again by its own address
                    sym = lookups.find(dso, ip)
                if sym is None or id(dso) not in dso_ids or id(sym) not in sym_ids:
                    sym = self._ids_from_al(dso, sym, ip)[3]
            current = current.findnew(sym, ip, kernel_start)
        if current is self.root:
            return None
        return current

    def _inline_symbols(self, thread, cpumode, ip, m, dso, sym):
        """The symbols perf's call path gets for an unwound frame with inlined
        functions, outermost first: the frame's own symbol where an entry names it,
        else a symbol of its own per (dso, address, entry), as perf makes one; None for
        the plain frame."""
        entries = self.session.inline_entries(thread, cpumode, ip, (m, dso, sym))
        if entries is None:
            return None
        addr = dso.map_ip(ip, m.start, m.pgoff)
        out = []
        for i in range(len(entries) - 1, -1, -1):
            e = entries[i]
            if not e.inlined:
                out.append(sym)
                continue
            key = (id(dso), addr, i)
            isym = self.inline_syms.get(key)
            if isym is None:
                isym = self.inline_syms[key] = Symbol(sym.start, sym.end, sym.binding,
                                                      e.name)
            out.append(isym)
        return out

    def _export_call_path(self, cp):
        if cp.db_id:
            return
        chain = []
        while cp is not None and not cp.db_id:
            chain.append(cp)
            cp = cp.parent
        for cp in reversed(chain):
            self.last["call_path"] += 1
            cp.db_id = self.last["call_path"]
            parent_id = cp.parent.db_id if cp.parent is not None else 0
            sym_id = self.sym_ids[id(cp.sym)][0] if cp.sym is not None else 0
            self._call("call_path", (cp.db_id, parent_id, sym_id, d64(cp.ip)))

    # ------------------------------------------------------------ records

    def sample(self, ev, s, thread):
        engine = self.engine
        engine.current = (ev, b"", s.time, s.offset)
        plan = self.plans.get(ev.index)
        if plan is None:
            plan = self._plan(ev)
        evsel_id, plain, with_addr, synth, unwinding = plan
        memo = self._thread_memo.get(id(thread))
        if memo is not None and memo[0] is thread and memo[1] == self._epoch \
                and memo[2] == len(self.session.threads.threads):
            st, comm = memo[3], memo[4]
        else:
            st, comm = self._threads(thread)
        last = self.last
        sample_id = last["sample"] = last["sample"] + 1
        cpumode = s.misc & C.MISC_CPUMODE_MASK
        ip = s.ip
        if with_addr:
            dso_id, sym_id, offset, call_path_id, to_dso_id, to_sym_id, to_offset = \
                self._locate_with_addr(ev, s, thread, cpumode, comm, sample_id)
        else:
            # a sample met before in the same address spaces, with the same ip and
            # callchain, has the same ids: its lookups are replayed (db_lookups)
            chain = None
            if self.export_callchains:
                chain = s.callchain
                if unwinding and chain is not None:
                    chain = self.session.chain_of(ev, s, thread)
            maps = thread.maps
            key = (maps.serial, maps.version, self.session.kernel_maps.version, cpumode, ip,
                   chain)
            got = self.located.get(key)
            if got is None or not self.lookups.replay(got[1]):
                got = self._located(key, self._resolve_sample, thread, cpumode, ip, chain)
            dso_id, sym_id, offset, call_path_id = got[0]
            to_dso_id = to_sym_id = to_offset = 0
        t = s.time if s.time is not None else U64 - 1
        cpu = s.cpu if s.cpu is not None else 0xFFFFFFFF
        period = s.period if s.period is not None else ev.default_period
        period = period or 0
        flags = getattr(s, "flags", None) or 0
        insn_cnt = getattr(s, "insn_cnt", 0) or 0
        cyc_cnt = getattr(s, "cyc_cnt", 0) or 0
        # d64/s32 inline for the common small values: this runs once per sample
        if plain and not (flags or insn_cnt or cyc_cnt):
            # no addr, weight, transaction or data source: perf's zeros and defaults
            row = (sample_id, evsel_id, self.machine_id, st.db_id,
                   comm.db_id if comm is not None else 0, dso_id, sym_id, offset,
                   ip if ip < _S64 else ip - U64, t if t < _S64 else t - U64,
                   cpu if cpu < _S32 else s32(cpu), 0, 0, 0, 0,
                   period if period < _S64 else d64(period), 0, 0, DATA_SRC_NONE, 0, 0,
                   call_path_id, 0, 0, 0)
        else:
            data_src = s.data_src if s.data_src is not None else DATA_SRC_NONE
            addr = s.addr or 0
            weight = s.weight or 0
            transaction = s.transaction or 0
            row = (sample_id, evsel_id, self.machine_id, st.db_id,
                   comm.db_id if comm is not None else 0, dso_id, sym_id, offset,
                   ip if ip < _S64 else ip - U64, t if t < _S64 else t - U64,
                   cpu if cpu < _S32 else s32(cpu), to_dso_id, to_sym_id, to_offset,
                   addr if addr < _S64 else d64(addr),
                   period if period < _S64 else d64(period),
                   weight if 0 <= weight < _S64 else d64(weight),
                   transaction if 0 <= transaction < _S64 else d64(transaction),
                   data_src if 0 <= data_src < _S64 else d64(data_src),
                   s32(flags & BRANCH_MASK) if flags else 0, 1 if flags & F_IN_TX else 0,
                   call_path_id,
                   insn_cnt if 0 <= insn_cnt < _S64 else d64(insn_cnt),
                   cyc_cnt if 0 <= cyc_cnt < _S64 else d64(cyc_cnt),
                   s32(flags) if flags else 0)
        fn = self.handlers.get("sample")
        if fn is not None:
            engine.invoke(fn, row)
        if synth and self.synth_handler is not None:
            engine.invoke(self.synth_handler, (sample_id, d64(ev.attr.config), s.raw))

    def _plan(self, ev):
        """(evsel id, whether its samples lack addr, weight, transaction and data source,
        whether their addr has a location, whether it is a synthesized event, whether perf
        unwinds its user stacks) of an event, at its first sample: its row (and the
        machine's, the first time) goes out then."""
        evsel_id = self._evsel(ev)
        self._machine()
        attr = ev.attr
        st = attr.sample_type
        synth = attr.type == C.TYPE_SYNTH
        with_addr = bool(st & C.SAMPLE_ADDR) and self.session.addr_correlates(ev)
        plain = not synth and not st & _ROW_FIELDS
        plan = self.plans[ev.index] = (evsel_id, plain, with_addr, synth, unwinds(attr))
        return plan

    def _located(self, key, resolve, *args):
        """(resolve(*args), its recorded lookups), kept under `key` (the address spaces
        and addresses the answer depends on) when it can be replayed."""
        lookups = self.lookups
        lookups.record()
        try:
            value = resolve(*args)
        finally:
            rec = lookups.recorded()
        if rec is None:
            return value, None
        return self.located.put(key, (value, rec))

    def _locate_with_addr(self, ev, s, thread, cpumode, comm, sample_id):
        """The ids of a sample whose addr has a location too (page faults, BTS): perf
        resolves the ip and the addr before exporting either, and feeds both to the
        thread stack. Its call path is replayed as a sample's is."""
        m, dso, sym, addr = self._resolve(thread, cpumode, s.ip)
        am, adso, asym, aaddr = self._resolve_fb(thread, cpumode, s.addr or 0)
        dso_id, sym_id, offset, sym = self._ids_from_al(dso, sym, addr)
        call_path_id = 0
        if self.export_callchains and s.callchain is not None:
            chain = self.session.chain_of(ev, s, thread)
            if chain:
                maps = thread.maps
                key = (maps.serial, maps.version, self.session.kernel_maps.version, None,
                       None, chain)
                got = self.located.get(key)
                if got is None or not self.lookups.replay(got[1]):
                    got = self._located(key, self._chain_path, chain, thread)
                call_path_id = got[0]
        to_dso_id, to_sym_id, to_offset, asym = self._ids_from_al(adso, asym, aaddr)
        if self.export_calls:
            self._thread_stacks().process(thread, comm, s, (sym, addr), (asym, aaddr),
                                          sample_id)
        return (dso_id, sym_id, d64(offset), call_path_id, to_dso_id, to_sym_id,
                d64(to_offset))

    def _resolve_fb(self, thread, cpumode, addr):
        m, dso, sym, a = self._resolve(thread, cpumode, addr)
        if m is None and cpumode in (C.MISC_KERNEL, C.MISC_USER):
            other = C.MISC_KERNEL if addr >= self.session.kernel_start() else C.MISC_USER
            if other != cpumode:
                return self._resolve(thread, other, addr)
        return m, dso, sym, a

    def _pid_tid(self, pid, tid):
        """perf's db_export__pid_tid: (thread db id, its exec comm, is idle)."""
        th = self.session.threads.get(tid)
        if th is None or (pid != -1 and th.pid not in (pid, -1)):
            return 0, None, False
        if not self._state(th).comm_set:
            return 0, None, False
        idle = th.pid == 0 and th.tid == 0
        st, comm = self._threads(th)
        return st.db_id, comm, idle

    def switch(self, sw):
        self._machine()
        s = sw.sample
        pid = s32(s.pid) if s.pid is not None else -1
        tid = s32(s.tid) if s.tid is not None else -1
        a_id, comm_a, idle_a = self._pid_tid(pid, tid)
        b_id, comm_b, idle_b = 0, None, False
        if sw.cpu_wide:
            b_id, comm_b, idle_b = self._pid_tid(sw.next_prev_pid, sw.next_prev_tid)
        if (not a_id or idle_a) and (not b_id or idle_b):
            return
        self.last["context_switch"] += 1
        flags = (1 if sw.out else 0) | (2 if sw.out and sw.preempt else 0)
        ca = comm_a.db_id if comm_a is not None else 0
        cb = comm_b.db_id if comm_b is not None else 0
        if sw.out:
            row = (a_id, ca, b_id, cb)
        else:
            row = (b_id, cb, a_id, ca)
        t = s.time if s.time is not None else 0
        cpu = s.cpu if s.cpu is not None else 0xFFFFFFFF
        self._call("context_switch", (self.last["context_switch"], self.machine_id, d64(t),
                                      s32(cpu)) + row + (flags,))

    # ------------------------------------------------------------ calls

    def _thread_stacks(self):
        if self.stacks is None:
            arch = self.session.arch or ""
            x86 = arch in ("x86", "x86_64", "i386", "i486", "i586", "i686")
            self.stacks = ThreadStacks(self.root, self.session.kernel_start(), x86,
                                       self._call_return)
        return self.stacks

    def _call_return(self, cr, parent):
        """perf's db_export__call_return: ids for the row, its path and its parent."""
        self._export_call_path(cr.cp)
        last = self.last
        if not cr.db_id:
            last["call_return"] += 1
            cr.db_id = last["call_return"]
        parent_id = 0
        if parent is not None:
            if not parent.db_id:
                last["call_return"] += 1
                parent.db_id = last["call_return"]
            parent_id = parent.db_id
        st = self.states.get(id(cr.thread))
        thread_id = st.db_id if st is not None and st.thread is cr.thread else 0
        comm_id = cr.comm.db_id if cr.comm is not None else 0
        self._call("call_return", (
            d64(cr.db_id), d64(thread_id), d64(comm_id), d64(cr.cp.db_id),
            d64(cr.call_time), d64(cr.return_time), d64(cr.branch_count), d64(cr.call_ref),
            d64(cr.return_ref), d64(cr.cp.parent.db_id), s32(cr.flags), d64(parent_id),
            d64(cr.insn_count), d64(cr.cyc_count)))

    def end(self):
        """perf frees its threads before trace_end: what is left on the stacks goes out."""
        if self.stacks is not None:
            self.stacks.flush_all()
