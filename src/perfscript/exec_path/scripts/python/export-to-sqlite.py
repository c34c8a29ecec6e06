#!/usr/bin/env python3
"""export-to-sqlite: exports a recording's samples, with the threads, commands, dsos,
symbols and call paths they refer to, to an SQLite database (the layout of perf's
export-to-sqlite.py and export-to-postgresql.py, read by exported-sql-viewer.py).

A standalone counterpart of perf 6.1's scripts/python/export-to-sqlite.py, written
for the `perf` module with Python's own sqlite3 (perf's script needed PySide's QtSql):
same arguments and the same tables, views and indexes.

    perfscript export-to-sqlite.py -i perf.data DATABASE [all|branches] [calls]
        [callchains]

    all|branches  the samples table's columns ("branches" leaves out period, weight,
                  transaction_ and data_src)
    calls         a calls table of calls and returns, from the perf module's
                  call_return callback (branch samples, e.g. Intel PT)
    callchains    a call_paths table of the samples' callchains

Where the perf module does not say what perf's script wrote, the rows say less:
perf's rows came from perf's own symbol and thread tables, the perf module gives
names and addresses. See README.md ("export-to-sqlite") for the columns concerned.
"""

import argparse
import datetime
import os
import sqlite3
import struct
import sys

import perf

from export_sqlite_schema import schema

# perf's sample flags (PERF_IP_FLAG_*)
BRANCH, CALL, RETURN, CONDITIONAL = 1 << 0, 1 << 1, 1 << 2, 1 << 3
SYSCALLRET, ASYNC, INTERRUPT, TX_ABORT = 1 << 4, 1 << 5, 1 << 6, 1 << 7
TRACE_BEGIN, TRACE_END, IN_TX, VMENTRY, VMEXIT = 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12
BRANCH_MASK = (BRANCH | CALL | RETURN | CONDITIONAL | SYSCALLRET | ASYNC | INTERRUPT
               | TX_ABORT | TRACE_BEGIN | TRACE_END | VMENTRY | VMEXIT)
BRANCH_TYPES = (
    (0, "no branch"), (BRANCH | CALL, "call"), (BRANCH | RETURN, "return"),
    (BRANCH | CONDITIONAL, "conditional jump"), (BRANCH, "unconditional jump"),
    (BRANCH | CALL | INTERRUPT, "software interrupt"),
    (BRANCH | RETURN | INTERRUPT, "return from interrupt"),
    (BRANCH | CALL | SYSCALLRET, "system call"),
    (BRANCH | RETURN | SYSCALLRET, "return from system call"),
    (BRANCH | ASYNC, "asynchronous branch"),
    (BRANCH | CALL | ASYNC | INTERRUPT, "hardware interrupt"),
    (BRANCH | TX_ABORT, "transaction abort"), (BRANCH | TRACE_BEGIN, "trace begin"),
    (BRANCH | TRACE_END, "trace end"), (BRANCH | CALL | VMENTRY, "vm entry"),
    (BRANCH | CALL | VMEXIT, "vm exit"),
)

PERF_TYPE_SYNTH = 0x80000000        # Intel PT's synthesized events: config says which
SYNTH_PTWRITE, SYNTH_MWAIT, SYNTH_PWRE, SYNTH_EXSTOP, SYNTH_PWRX, SYNTH_CBR = range(6)
MISC_SWITCH_OUT_PREEMPT = 1 << 14
HOST_MACHINE_PID = -1
U64 = 1 << 64
# memory perf maps to itself: addresses in it are not made dso-relative
ANON_NAMES = ("//anon", "[heap]")
ANON_PREFIXES = ("/dev/zero", "/anon_hugepage", "[stack", "/SYSV")
USER_SPECIAL_DSOS = ("[vdso]", "[vdso32]", "[vdsox32]", "[vsyscall]", "[uprobes]", "[heap]",
                     "[stack]")


def d64(v):
    """A 64-bit value as the signed int perf passed to its script."""
    v &= U64 - 1
    return v - U64 if v >> 63 else v


def s32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >> 31 else v


def u64_text_value(v):
    """What SQLite kept of a u64 perf's script bound as text to an integer column: the
    integer, or a float past the signed range."""
    return v if v < (1 << 63) else float(v)


def branch_type_rows():
    """perf's branch types: the plain ones, then each with trace begin and trace end."""
    rows = list(BRANCH_TYPES)
    for typ, name in BRANCH_TYPES:
        if typ == BRANCH or typ & (TRACE_BEGIN | TRACE_END):
            continue
        rows.append((typ | TRACE_BEGIN, "trace begin / %s" % name))
        rows.append((typ | TRACE_END, "%s / trace end" % name))
    return rows


def short_name(name):
    """perf's short name of a dso: a file's base name; "[kernel.kallsyms]" and the
    like as they are."""
    return name.rsplit("/", 1)[-1] if name.startswith("/") else name


def is_anon(name):
    return name in ANON_NAMES or name.startswith(ANON_PREFIXES)


def is_kernel(dso):
    """Whether a dso is the kernel or one of its modules: their symbols are at their
    addresses."""
    return dso.startswith("[") and dso not in USER_SPECIAL_DSOS


def has_map(dso):
    """Whether a callchain frame fell in a map (the perf module names no dso
    otherwise: None, or "[unknown]" as upstream perf says)."""
    return dso is not None and dso != "[unknown]"


def printdate(*args):
    print(datetime.datetime.today(), *args, sep=" ")


class CallPath:
    """A node of the call path tree: one per (parent, symbol, address), the address
    being 0 where the symbol is known."""

    __slots__ = ("parent", "db_id", "sym_id", "ip", "children")

    def __init__(self, parent, sym_id, ip):
        self.parent = parent
        self.sym_id = sym_id
        self.ip = ip
        self.db_id = 0
        self.children = {}

    def child(self, sym_id, ip):
        key = (sym_id, 0 if sym_id else ip)
        got = self.children.get(key)
        if got is None:
            got = self.children[key] = CallPath(self, sym_id, key[1])
        return got


class ThreadRow:
    """A thread as exported: its id and the comm it was exported with last."""

    __slots__ = ("db_id", "comm", "comm_id")

    def __init__(self):
        self.db_id = 0
        self.comm = None
        self.comm_id = 0


class Exporter:
    def __init__(self, con, branches, calls, callchains):
        self.con = con
        self.branches = branches
        self.calls = calls
        self.callchains = callchains
        self.session = None
        self.last = {}                  # table -> last id given
        self.evsel_ids = {}             # str(evsel) -> id
        self.kinds = {}                 # str(evsel) -> "tracepoint", "synth" or None
        self.machine_id = 0
        self.threads = {}               # tid -> ThreadRow
        self.dso_ids = {}               # dso name -> id
        self.dso_known = set()          # dso ids whose long name and build id a sample gave
        self.symbol_ids = {}            # (dso id, name) -> id
        self.symbol_known = set()       # symbol ids whose range a sample gave
        self.unknowns = {}              # (dso id, address) -> id of an "unknown" symbol
        self.maps = {}                  # (pid, dso name) -> (map start, pgoff)
        # symbol id -> (pid, dso, address) of the symbols first met in a callchain of a
        # process whose map of the dso no sample had shown yet
        self.unplaced = {}
        self.root = CallPath(None, 0, 0)      # exported with the first path
        self.unhandled = 0

    # ------------------------------------------------------------ rows

    def next_id(self, table):
        n = self.last.get(table, 0) + 1
        self.last[table] = n
        return n

    def insert(self, table, row):
        self.con.execute("INSERT INTO %s VALUES (%s)" % (table, ",".join("?" * len(row))),
                         row)

    def begin(self):
        """The rows of id 0 ("unknown") and the branch types."""
        self.insert("selected_events", (0, "unknown"))
        self.insert("machines", (0, 0, "unknown"))
        self.insert("threads", (0, 0, 0, -1, -1))
        self.insert("comms", (0, "unknown", 0, 0, 0))
        self.insert("dsos", (0, 0, "unknown", "unknown", ""))
        self.insert("symbols", (0, 0, 0, 0, 0, "unknown"))
        self.insert("samples", (0,) * (21 if self.branches else 25))
        if self.calls or self.callchains:
            self.insert("call_paths", (0, 0, 0, 0))
        if self.calls:
            self.insert("calls", (0,) * 14)
        for typ, name in branch_type_rows():
            self.insert("branch_types", (typ, name))

    def evsel_id(self, evsel, key):
        got = self.evsel_ids.get(key)
        if got is None:
            got = self.evsel_ids[key] = self.next_id("evsel")
            self.insert("selected_events", (got, key[6:-1]))
            if not self.machine_id:
                self.machine_id = self.next_id("machine")
                self.insert("machines", (self.machine_id, HOST_MACHINE_PID, ""))
        return got

    def thread_row(self, pid, tid, process_id):
        row = self.threads.get(tid)
        if row is None:
            row = self.threads[tid] = ThreadRow()
        if not row.db_id:
            row.db_id = self.next_id("thread")
            self.insert("threads", (row.db_id, self.machine_id,
                                    process_id if process_id is not None else row.db_id,
                                    s32(pid), s32(tid)))
        return row

    def comm_row(self, row, tid):
        """The thread's comm row, a new one when its name changed since the last."""
        thread = self.session.find_thread(tid)
        name = thread.comm() if thread is not None else ":%d" % tid
        if row.comm != name:
            row.comm = name
            row.comm_id = self.next_id("comm")
            # (when the comm began, and whether by exec, the perf module does not say)
            self.insert("comms", (row.comm_id, name, row.db_id, 0, 0))
            return True
        return False

    def thread_ids(self, pid, tid):
        """(thread id, the id of its process's comm) of a task, the rows made as perf
        does: the process's main thread and its comm first, then the thread."""
        main = None
        if pid == tid or (pid != -1 and self.session.find_thread(pid) is not None):
            main = self.thread_row(pid, pid, None)
            if self.comm_row(main, pid):
                self.insert("comm_threads", (self.next_id("comm_thread"), main.comm_id,
                                             main.db_id))
        row = main
        if tid != pid or main is None:
            known = tid in self.threads and self.threads[tid].db_id
            row = self.thread_row(pid, tid, main.db_id if main is not None else 0)
            if main is not None and not known:
                self.insert("comm_threads", (self.next_id("comm_thread"), main.comm_id,
                                             row.db_id))
            self.comm_row(row, tid)
        return row.db_id, main.comm_id if main is not None else 0

    def dso_id(self, name, long_name=None, build_id=None):
        got = self.dso_ids.get(name)
        if got is None:
            got = self.dso_ids[name] = self.next_id("dso")
            self.insert("dsos", (got, self.machine_id, short_name(name), long_name or name,
                                 build_id or ""))
            if long_name is not None:
                self.dso_known.add(got)
        elif long_name is not None and got not in self.dso_known:
            # first met in a callchain, which names the dso only
            self.dso_known.add(got)
            self.con.execute("UPDATE dsos SET long_name = ?, build_id = ? WHERE id = ?",
                             (long_name, build_id or "", got))
        return got

    def symbol_id(self, dso_id, name, start, end, exact):
        got = self.symbol_ids.get((dso_id, name))
        if got is None:
            got = self.symbol_ids[(dso_id, name)] = self.next_id("symbol")
            # (the perf module does not say a symbol's binding)
            self.insert("symbols", (got, dso_id, d64(start), d64(end), 0, name))
            if exact:
                self.symbol_known.add(got)
        elif exact and got not in self.symbol_known:
            self.symbol_known.add(got)
            self.con.execute("UPDATE symbols SET sym_start = ?, sym_end = ? WHERE id = ?",
                             (d64(start), d64(end), got))
        return got

    def unknown_symbol(self, dso_id, addr, again=False):
        """perf's stand-in for a missing symbol: "unknown", zero-length at `addr`, found
        again by later lookups of that address in the dso. `again`: made even if there
        is one (perf looked the address up before the first was made); lookups keep
        finding the first."""
        got = self.unknowns.get((dso_id, addr))
        if got is None or again:
            got = self.next_id("symbol")
            self.unknowns.setdefault((dso_id, addr), got)
            self.insert("symbols", (got, dso_id, d64(addr), d64(addr), 0, "unknown"))
        return got

    # ------------------------------------------------------------ addresses

    def relative(self, pid, dso, ip):
        """ip as an address in its dso (perf's symbols are dso-relative), when a sample
        of the process showed where the dso's code is mapped; None otherwise."""
        if is_anon(dso):
            return ip
        m = self.maps.get((pid, dso))
        if m is None:
            return None
        return ip - m[0] + m[1]

    def sample_location(self, sample, pid):
        """(dso id, symbol id, offset) of the sample's ip."""
        dso = sample.dso
        if dso is None:
            return 0, 0, 0
        dso_id = self.dso_id(dso, sample.dso_long_name, sample.dso_bid)
        start = sample.map_start
        if start is not None:
            self.maps[(pid, dso)] = (start, sample.map_pgoff)
        name = sample.symbol
        if name is not None:
            return (dso_id, self.symbol_id(dso_id, name, sample.sym_start, sample.sym_end,
                                           True), sample.sym_offset)
        addr = self.relative(pid, dso, sample.sample_ip)
        return dso_id, self.unknown_symbol(dso_id, addr), 0

    def frame_symbol(self, frame, pid, dso_id, dso):
        """The symbol id of a callchain frame in a dso."""
        name = frame.symbol
        ip = frame.ip
        if name is not None and name != "[unknown]":
            return self.named_symbol(dso_id, dso, name, ip - (frame.sym_offset or 0), pid)
        # no symbol at the frame's dso address: perf had one if it made an "unknown"
        # there before, else looked again by the absolute address, and made one there
        rel = self.relative(pid, dso, ip)
        got = self.unknowns.get((dso_id, rel)) if rel is not None else None
        return got if got is not None else self.unknown_symbol(dso_id, ip)

    def named_symbol(self, dso_id, dso, name, start, pid):
        """The id of a symbol met at an address (a callchain frame, a sampled data
        address), `start` its absolute address; its end is known once a sample lands
        in it."""
        rel = start if is_kernel(dso) else self.relative(pid, dso, start)
        at = start if rel is None else rel
        got = self.symbol_id(dso_id, name, at, at, False)
        if rel is None and got not in self.symbol_known:
            self.unplaced.setdefault(got, (pid, dso, start))
        return got

    def addr_unknown(self, sample, pid):
        """Where the sampled data address has no symbol: (its dso-relative address, the
        "unknown" symbol already there or None), looked up before the ip's rows are
        made, as perf resolves both first; None when it has a symbol or no dso."""
        dso = sample.addr_dso
        if dso is None or sample.addr_symbol is not None:
            return None
        addr = sample.sample_addr
        # (a data address is made relative with the code's map, the one a sample showed:
        # the same address of the dso in any process, if not the one perf computed)
        rel = self.relative(pid, dso, addr)
        rel = addr if rel is None else rel
        dso_id = self.dso_ids.get(dso)
        return rel, self.unknowns.get((dso_id, rel)) if dso_id is not None else None

    def addr_location(self, sample, pid, unknown):
        """(dso id, symbol id, offset) of the sampled data address, made as the ip's:
        an "unknown" symbol where the dso has none (`unknown`: addr_unknown's)."""
        dso = sample.addr_dso
        if dso is None:
            return 0, 0, 0
        dso_id = self.dso_id(dso)
        if unknown is None:
            offset = sample.addr_sym_offset or 0
            start = sample.sample_addr - offset
            return dso_id, self.named_symbol(dso_id, dso, sample.addr_symbol, start,
                                             pid), offset
        rel, found = unknown
        if found is not None:
            return dso_id, found, 0
        return dso_id, self.unknown_symbol(dso_id, rel, again=True), 0

    def path_node(self, frames, pid):
        """The exported call path node of frames given outermost first (the root for
        none)."""
        node = self.root
        for frame in frames:
            dso = frame.dso
            if has_map(dso):
                node = node.child(self.frame_symbol(frame, pid, self.dso_id(dso), dso), 0)
            else:
                node = node.child(0, frame.ip)
        if node is not self.root:
            self.export_path(node)
        return node

    def export_path(self, node):
        """Rows for the nodes of a path not exported yet, the outermost first."""
        new = []
        while node is not None and not node.db_id:
            new.append(node)
            node = node.parent
        for n in reversed(new):
            n.db_id = self.next_id("call_path")
            parent_id = n.parent.db_id if n.parent is not None else 0
            self.insert("call_paths", (n.db_id, parent_id, n.sym_id, d64(n.ip)))

    # ------------------------------------------------------------ callbacks

    def kind(self, evsel, key):
        got = self.kinds.get(key, False)
        if got is False:
            got = self.kinds[key] = ("tracepoint" if evsel.type == perf.TYPE_TRACEPOINT
                                     else "synth" if evsel.type == PERF_TYPE_SYNTH else None)
        return got

    def sample(self, sample):
        evsel = sample.evsel
        key = str(evsel)
        kind = self.kind(evsel, key)
        if kind == "tracepoint":
            # perf exports no tracepoint samples; perf's script had a handler (that did
            # nothing) for sched:sched_switch and counted the others
            if not key.startswith("evsel(sched:sched_switch"):
                self.unhandled += 1
            return
        evsel_id = self.evsel_id(evsel, key)
        pid, tid = sample.sample_pid, sample.sample_tid
        thread_id, comm_id = self.thread_ids(pid, tid)
        sample_id = self.next_id("sample")
        addr_unknown = self.addr_unknown(sample, pid)
        dso_id, sym_id, offset = self.sample_location(sample, pid)
        call_path_id = 0
        if self.callchains:
            chain = sample.callchain
            if chain is not None:
                call_path_id = self.path_node(reversed(chain), pid).db_id
        to_dso_id, to_sym_id, to_offset = self.addr_location(sample, pid, addr_unknown)
        flags = sample.flags or 0
        head = (sample_id, evsel_id, self.machine_id, thread_id, comm_id, dso_id, sym_id,
                d64(offset), d64(sample.sample_ip), d64(sample.sample_time),
                s32(sample.sample_cpu), to_dso_id, to_sym_id, d64(to_offset),
                d64(sample.sample_addr or 0))
        more = () if self.branches else (
            d64(sample.sample_period or 0), d64(sample.sample_weight or 0),
            d64(sample.transaction or 0), d64(sample.sample_data_src or 0))
        tail = (s32(flags & BRANCH_MASK), 1 if flags & IN_TX else 0, call_path_id,
                d64(sample.sample_insn_count or 0), d64(sample.sample_cyc_count or 0),
                s32(flags))
        self.insert("samples", head + more + tail)
        if kind == "synth":
            self.synth_row(sample_id, evsel.config, sample.raw_buf or b"")

    def synth_row(self, sample_id, config, raw):
        """The row of an Intel PT synthesized event, from its raw payload."""
        try:
            if config == SYNTH_PTWRITE:
                flags, payload = struct.unpack_from("<IQ", raw)
                self.insert("ptwrite", (sample_id, u64_text_value(payload), flags & 1))
            elif config == SYNTH_MWAIT:
                payload = struct.unpack_from("<IQ", raw)[1]
                self.insert("mwait", (sample_id, payload & 0xff, (payload >> 32) & 0x3))
            elif config == SYNTH_PWRE:
                payload = struct.unpack_from("<IQ", raw)[1]
                self.insert("pwre", (sample_id, (payload >> 12) & 0xf, (payload >> 8) & 0xf,
                                     (payload >> 7) & 1))
            elif config == SYNTH_EXSTOP:
                self.insert("exstop", (sample_id, struct.unpack_from("<I", raw)[0] & 1))
            elif config == SYNTH_PWRX:
                payload = struct.unpack_from("<IQ", raw)[1]
                self.insert("pwrx", (sample_id, payload & 0xf, (payload >> 4) & 0xf,
                                     (payload >> 8) & 0xf))
            elif config == SYNTH_CBR:
                cbr, _, max_nonturbo, _, _, freq = struct.unpack_from("<BBBBII", raw)
                self.insert("cbr", (sample_id, cbr, (freq + 500) / 1000,
                                    ((cbr * 1000 / max_nonturbo) + 5) / 10))
        except struct.error:
            pass

    def switch_side(self, pid, tid):
        """(thread id, comm id, is the idle task) of one side of a context switch; 0s
        for a task not known, or known by its tid only."""
        if pid is None or tid is None:
            return 0, 0, False
        thread = self.session.find_thread(pid, tid)
        if thread is None or thread.comm() == ":%d" % tid:
            return 0, 0, False
        thread_id, comm_id = self.thread_ids(thread.pid, tid)
        return thread_id, comm_id, thread.pid == 0 and tid == 0

    def context_switch(self, ev):
        if not self.machine_id:
            self.machine_id = self.next_id("machine")
            self.insert("machines", (self.machine_id, HOST_MACHINE_PID, ""))
        a_id, a_comm, a_idle = self.switch_side(ev.sample_pid, ev.sample_tid)
        b_id, b_comm, b_idle = self.switch_side(ev.next_prev_pid, ev.next_prev_tid)
        if (not a_id or a_idle) and (not b_id or b_idle):
            return
        out = bool(ev.misc & perf.RECORD_MISC_SWITCH_OUT)
        flags = (1 if out else 0) | (2 if out and ev.misc & MISC_SWITCH_OUT_PREEMPT else 0)
        sides = (a_id, a_comm, b_id, b_comm) if out else (b_id, b_comm, a_id, a_comm)
        self.insert("context_switches", (self.next_id("context_switch"), self.machine_id,
                                         d64(ev.sample_time or 0), s32(ev.sample_cpu))
                    + sides + (flags,))

    def call_return(self, cr):
        """A call and its return, from perf's thread stack."""
        row = self.threads.get(cr.tid)
        thread_id = row.db_id if row is not None else 0
        comm_id = row.comm_id if row is not None and row.comm == cr.comm else 0
        node = self.path_node(cr.call_path, cr.pid)
        parent_path_id = node.parent.db_id if node.parent is not None else 0
        self.insert("calls", (d64(cr.db_id), thread_id, comm_id, node.db_id,
                              d64(cr.call_time), d64(cr.return_time), d64(cr.branch_count),
                              d64(cr.call_ref), d64(cr.return_ref), parent_path_id,
                              s32(cr.flags), d64(cr.parent_id), d64(cr.insn_count),
                              d64(cr.cyc_count)))

    # ------------------------------------------------------------ end

    def table_empty(self, table):
        return self.con.execute("SELECT * FROM %s LIMIT 1" % table).fetchone() is None

    def drop(self, name):
        self.con.execute("DROP VIEW %s_view" % name)
        self.con.execute("DROP TABLE %s" % name)

    def finish(self):
        con = self.con
        for sym_id, (pid, dso, start) in self.unplaced.items():
            rel = self.relative(pid, dso, start)
            if rel is not None and sym_id not in self.symbol_known:
                con.execute("UPDATE symbols SET sym_start = ?, sym_end = ? WHERE id = ?",
                            (d64(rel), d64(rel), sym_id))
        printdate("Adding indexes")
        if self.calls:
            con.execute("CREATE INDEX pcpid_idx ON calls (parent_call_path_id)")
            con.execute("CREATE INDEX pid_idx ON calls (parent_id)")
            con.execute("ALTER TABLE comms ADD has_calls boolean")
            con.execute("UPDATE comms SET has_calls = 1 WHERE comms.id IN "
                        "(SELECT DISTINCT comm_id FROM calls)")
        printdate("Dropping unused tables")
        if self.table_empty("ptwrite"):
            self.drop("ptwrite")
        if all(self.table_empty(t) for t in ("mwait", "pwre", "exstop", "pwrx")):
            con.execute("DROP VIEW power_events_view")
            for t in ("mwait", "pwre", "exstop", "pwrx"):
                self.drop(t)
            if self.table_empty("cbr"):
                self.drop("cbr")
        if self.table_empty("context_switches"):
            self.drop("context_switches")
        if self.unhandled:
            printdate("Warning: ", self.unhandled, " unhandled events")
        printdate("Done")


def parse_args():
    ap = argparse.ArgumentParser(description="Export perf data to an SQLite database.")
    ap.add_argument("-i", "--input", default="perf.data", help="input file (perf.data)")
    ap.add_argument("database", help="the database to create")
    ap.add_argument("columns", nargs="?", default="all", choices=["all", "branches"],
                    help="'all' or 'branches' (fewer sample columns)")
    ap.add_argument("tables", nargs="*", metavar="calls|callchains",
                    help="'calls': calls table; 'callchains': call_paths table")
    args = ap.parse_args()
    for word in args.tables:
        # (perf's script took "pyside-version-1" too, to choose its Qt binding)
        if word not in ("calls", "callchains", "pyside-version-1"):
            ap.error("unknown argument %r: 'calls' or 'callchains' expected" % word)
    args.calls = "calls" in args.tables
    args.callchains = "callchains" in args.tables
    return args


def main():
    args = parse_args()
    printdate("Creating database ...")
    if os.path.exists(args.database):
        sys.exit("export-to-sqlite.py: %s already exists" % args.database)
    con = sqlite3.connect(args.database, isolation_level=None)
    con.execute("PRAGMA journal_mode = OFF")
    exporter = Exporter(con, args.columns == "branches", args.calls, args.callchains)
    con.execute("BEGIN TRANSACTION")
    for statement in schema(exporter.branches, args.calls or args.callchains, args.calls):
        con.execute(statement)
    con.execute("END TRANSACTION")

    printdate("Writing records...")
    con.execute("BEGIN TRANSACTION")
    exporter.begin()
    callbacks = {"sample": exporter.sample, "context_switch": exporter.context_switch}
    if args.calls:
        callbacks["call_return"] = exporter.call_return
    session = perf.session(perf.data(args.input), **callbacks)
    exporter.session = session
    session.process_events()
    con.execute("END TRANSACTION")
    exporter.finish()
    con.close()


if __name__ == "__main__":
    main()
