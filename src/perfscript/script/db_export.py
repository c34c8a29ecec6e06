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
"""

from perfscript.names import branch_flags as BF
from perfscript.perfdata import constants as C
from perfscript.perfdata.callchain import MISC_USER_UNWOUND, chain_entries
from perfscript.perfdata.attr import FLAG_COMM_EXEC
from perfscript.script.call_path import CallPath
from perfscript.script.thread_stack import ThreadStacks
from perfscript.session.evsel import synthesized_name
from perfscript.session.maps import LookupCache, space_key
from perfscript.session.session import ANON_NAMES, ANON_PREFIXES
from perfscript.symbols.symbol import Symbol

U64 = 1 << 64
DATA_SRC_NONE = 0x5080021
PERF_MAX_STACK_DEPTH = 127
HOST_KERNEL_ID = -1
CHAIN_CACHE_LIMIT = 1 << 18     # distinct callchains remembered at once
RESOLVE_CACHE_LIMIT = 1 << 20   # distinct addresses remembered at once
_S64 = 1 << 63
_S32 = 1 << 31
_NOT_LOOKED_UP = object()
_KERNEL_LOOKUP = (C.MISC_KERNEL, C.MISC_GUEST_KERNEL)
_USER_LOOKUP = (C.MISC_USER, C.MISC_GUEST_USER, MISC_USER_UNWOUND)

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


def _identity_map(m):
    """perf maps addresses in anonymous and dso-less memory to themselves."""
    name = m.filename
    return name in ANON_NAMES or name.startswith(ANON_PREFIXES)


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
        self.unknown = {}        # id(dso) -> {address: "unknown" Symbol}
        self.last_find = {}      # id(dso) -> [address, symbol, dso]: perf's lookup cache
        # dsos whose lookup cache holds a symbol that is not the one at its address (an
        # "unknown" inserted below it): only they can make a lookup's answer history-bound
        self.armed = set()
        # (maps serial, maps version, kernel maps version, callchain) -> (call path,
        # lookup-cache state after it): a callchain seen before in the same address space
        # gives the same call path; replaying it only sets the lookup caches it left
        self.chain_cache = LookupCache(CHAIN_CACHE_LIMIT)
        self._touched = None     # dsos looked up while a callchain is resolved
        # (maps serial, version, address) -> (map, dso, address)
        self.resolve_cache = LookupCache(RESOLVE_CACHE_LIMIT)
        # (id(dso), address) -> the dso's own symbol there
        self.table_cache = LookupCache(RESOLVE_CACHE_LIMIT)
        self._misses = []        # ... the (dso, address) lookups that found nothing
        self._tainted = False    # ... and whether that resolution can be replayed
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

    def _find_symbol(self, dso, addr):
        """perf's dso__find_symbol, including the "unknown" symbols db-export added, and
        its one-entry cache: the same address as the last lookup gives the same symbol."""
        key = id(dso)
        if self._touched is not None:
            self._touched[key] = dso
            if key in self.armed:
                self._tainted = True
        last = self.last_find.get(key)
        if last is None:
            last = self.last_find[key] = [0, None, dso]
        elif last[0] == addr and last[1] is not None:
            return last[1]
        sym = self._symbol_at(dso, addr)
        last[0] = addr
        last[1] = sym
        if self.armed:
            self.armed.discard(key)
        if sym is None and self._touched is not None:
            # an "unknown" symbol added here later would change this answer
            self._misses.append((key, addr))
        return sym

    def _symbol_at(self, dso, addr):
        """The symbol at addr, from the dso or the "unknown" ones added to it."""
        key = (id(dso), addr)
        sym = self.table_cache.get(key, _NOT_LOOKED_UP)
        if sym is _NOT_LOOKED_UP:
            sym = self.table_cache.put(key, dso.table.find(addr))
        if sym is None:
            extra = self.unknown.get(id(dso))
            if extra is not None:
                sym = extra.get(addr)
        return sym

    def _unknown_symbol(self, dso, addr):
        """A new "unknown" symbol added to the dso; as in perf, a second one at the same
        address is added too (an address resolved before the first existed), and lookups
        keep finding the first."""
        sym = Symbol(addr, addr, 0, "unknown")
        self.unknown.setdefault(id(dso), {}).setdefault(addr, sym)
        # perf's insertion refreshes the lookup cache when its address is at or above a
        # zero-length symbol, whichever address that was: the next lookup of that
        # address finds this symbol
        self._tainted = True
        last = self.last_find.get(id(dso))
        if last is not None and last[0] >= addr:
            last[1] = sym
            if self._symbol_at(dso, last[0]) is not sym:
                self.armed.add(id(dso))
        return sym

    def _resolve(self, thread, cpumode, ip):
        """(map, dso, symbol, map-relative address) as perf's thread__find_symbol.

        Which map and dso an address falls in, and its map-relative address, only change
        with the maps: they are cached per (address space, its version, address). The
        symbol lookup itself runs every time, for perf's lookup cache."""
        session = self.session
        kernel = cpumode in _KERNEL_LOOKUP
        if kernel:
            maps = session.kernel_maps
        elif cpumode in _USER_LOOKUP and thread is not None:
            maps = thread.maps
        else:
            return None, None, None, ip
        key = (maps.serial, maps.version, ip)
        hit = self.resolve_cache.get(key)
        if hit is None:
            m = maps.find(ip)
            if m is None:
                hit = (None, None, ip)
            else:
                dso = session.dso_of(m, kernel)
                # (after dso_of: loading the kernel can move its map)
                if dso is None:
                    hit = (m, None, ip)
                else:
                    hit = (m, dso, ip if _identity_map(m)
                           else dso.map_ip(ip, m.start, m.pgoff))
            self.resolve_cache.put(key, hit)
        m, dso, addr = hit
        if dso is None:
            return m, None, None, addr
        return m, dso, self._find_symbol(dso, addr), addr

    def _ids_from_al(self, dso, sym, addr):
        """perf's db_ids_from_al: (dso id, symbol id, offset, symbol)."""
        if dso is None:
            return 0, 0, 0, sym
        dso_id = self._dso(dso)
        if sym is None:
            sym = self._unknown_symbol(dso, addr)
        sym_id = self._symbol(sym, dso_id)
        return dso_id, sym_id, addr - sym.start, sym

    # ------------------------------------------------------------ call paths

    def _call_path_from_sample(self, ev, s, thread):
        if s.callchain is None:
            return None
        ips = self.session.chain_of(ev, s, thread)
        if not ips:
            return None
        space = space_key(thread, self.session.kernel_maps)
        if space is None:
            return self._walk_callchain(ips, thread)
        key = (space, tuple(ips))
        hit = self.chain_cache.get(key)
        if hit is not None:
            node, lasts, misses = hit
            armed = self.armed
            unknown = self.unknown
            if (not armed or not any(k in armed for k, _, _, _ in lasts)) and \
                    not any(a in unknown.get(k, ()) for k, a in misses):
                last_find = self.last_find
                for k, addr, sym, dso in lasts:
                    entry = last_find.get(k)
                    if entry is None:
                        last_find[k] = [addr, sym, dso]
                    else:
                        entry[0] = addr
                        entry[1] = sym
                return node
        self._touched, self._tainted, self._misses = {}, False, []
        try:
            node = self._walk_callchain(ips, thread)
        finally:
            touched, self._touched = self._touched, None
        if not self._tainted:
            last_find = self.last_find
            self.chain_cache.put(key, (node, [(k, last_find[k][0], last_find[k][1], dso)
                                              for k, dso in touched.items()],
                                       tuple(self._misses)))
        return node

    def _walk_callchain(self, ips, thread):
        """Resolve a callchain whole, then export it frame by frame: its call path."""
        current = self.root
        kernel_start = self.session.kernel_start()
        # perf walks the chain root first (caller order); None: perf drops it
        entries = chain_entries(ips, PERF_MAX_STACK_DEPTH, caller_first=True)
        if entries is None:
            return None
        # perf resolves the whole chain first, then exports it frame by frame: the
        # order of symbol lookups matters to its lookup cache (_find_symbol)
        resolve = self._resolve
        frames = []
        for cpumode, ip in entries:
            m, dso, sym = resolve(thread, cpumode, ip)[:3]
            inlined = (self._inline_symbols(thread, cpumode, ip, m, dso, sym)
                       if cpumode == MISC_USER_UNWOUND and sym is not None else None)
            if inlined is None:
                frames.append((ip, m, dso, sym))
            else:
                frames.extend((ip, m, dso, isym) for isym in inlined)
        for ip, m, dso, sym in frames:
            if m is not None and dso is not None:
                if sym is None:
                    sym = self._find_symbol(dso, ip)
                _, _, _, sym = self._ids_from_al(dso, sym, ip)
            elif m is None:
                sym = None
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
        evsel_id = self._evsel(ev)
        machine_id = self._machine()
        st, comm = self._threads(thread)
        comm_id = comm.db_id if comm is not None else 0
        self.last["sample"] += 1
        sample_id = self.last["sample"]
        cpumode = s.misc & C.MISC_CPUMODE_MASK
        # perf resolves the sample's ip and addr before exporting anything
        m, dso, sym, addr = self._resolve(thread, cpumode, s.ip)
        addr_al = None
        if ev.attr.sample_type & C.SAMPLE_ADDR and self.session.addr_correlates(ev):
            addr_al = self._resolve_fb(thread, cpumode, s.addr or 0)
        dso_id, sym_id, offset, sym = self._ids_from_al(dso, sym, addr)
        call_path_id = 0
        if self.export_callchains:
            cp = self._call_path_from_sample(ev, s, thread)
            if cp is not None:
                self._export_call_path(cp)
                call_path_id = cp.db_id
        to_dso_id = to_sym_id = to_offset = 0
        if addr_al is not None:
            am, adso, asym, aaddr = addr_al
            to_dso_id, to_sym_id, to_offset, asym = self._ids_from_al(adso, asym, aaddr)
            if self.export_calls:
                self._thread_stacks().process(thread, comm, s, (sym, addr), (asym, aaddr),
                                              sample_id)
        flags = getattr(s, "flags", None) or 0
        period = s.period if s.period is not None else ev.default_period
        data_src = s.data_src if s.data_src is not None else DATA_SRC_NONE
        t = s.time if s.time is not None else U64 - 1
        cpu = s.cpu if s.cpu is not None else 0xFFFFFFFF
        ip = s.ip
        addr = s.addr or 0
        period = period or 0
        # d64/s32 inline for the common small values: this runs once per sample
        row = (sample_id, evsel_id, machine_id, st.db_id, comm_id, dso_id, sym_id,
               offset if 0 <= offset < _S64 else d64(offset),
               ip if ip < _S64 else ip - U64,
               t if t < _S64 else t - U64,
               cpu if cpu < _S32 else s32(cpu),
               to_dso_id, to_sym_id, to_offset if 0 <= to_offset < _S64 else d64(to_offset),
               addr if addr < _S64 else d64(addr), period if period < _S64 else d64(period),
               d64(s.weight or 0), d64(s.transaction or 0), d64(data_src),
               s32(flags & BRANCH_MASK) if flags else 0, 1 if flags & F_IN_TX else 0,
               call_path_id,
               d64(getattr(s, "insn_cnt", 0) or 0), d64(getattr(s, "cyc_cnt", 0) or 0),
               s32(flags) if flags else 0)
        self._call("sample", row)
        if ev.attr.type == C.TYPE_SYNTH and self.synth_handler is not None:
            engine.invoke(self.synth_handler, (sample_id, d64(ev.attr.config), s.raw))

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
