"""One pass over a recording's records, in perf's order, into per-event columns.

The session orders the records (`session.batched`) and applies COMM/FORK/EXIT/MMAP to
its thread state; this consumer turns the samples into columns:

- in batches (mapped, uncompressed files), the samples of events whose sample_type is
  all fixed-position fields (+ RAW, or + CALLCHAIN) are gathered from the file's u64
  view with NumPy and their tracepoint payloads decoded column-wise
  (`columns.TypedDecoder`) straight from the mapped file. The batch is cut into segments
  (session.batch_delivery); the comm of each sample is looked up once per distinct tid
  per segment, and its callchain once per distinct chain and address spaces. Every
  other record goes through the session's per-record path in place, so the thread
  state is what perf has at each sample;
- other samples (callchains, PERF_SAMPLE_READ groups, registers…, or files that are
  not batched: pipe mode, compressed) arrive through `sample()` one by one; their
  header values are appended to lists and their payloads are decoded column-wise in
  chunks, by the same TypedDecoder.
"""

import struct

import numpy as np

from perfscript.errors import PerfDataError
from perfscript.perfdata import constants as C
from perfscript.perfdata.callchain import MISC_USER_UNWOUND, chain_entries
from perfscript.frames.columns import TypedDecoder
from perfscript.frames.task_log import TASK_RECORDS, TaskLog
from perfscript.session.batch_delivery import SKIPPED, ColumnarDelivery, segment_threads
from perfscript.session.consumer import Consumer
from perfscript.session.maps import LookupCache, space_key
from perfscript.frames.extras import require

pa = require("pyarrow")

# sample_type bits laid out at fixed positions (then RAW): these go column-wise
_FIXED_BITS = (C.SAMPLE_IDENTIFIER | C.SAMPLE_IP | C.SAMPLE_TID | C.SAMPLE_TIME
               | C.SAMPLE_ADDR | C.SAMPLE_ID | C.SAMPLE_STREAM_ID | C.SAMPLE_CPU
               | C.SAMPLE_PERIOD)
_U32 = np.uint64(0xFFFFFFFF)
_FLUSH_ROWS = 1 << 16
_SW_DUMMY = 9           # PERF_COUNT_SW_DUMMY
HEADER = ("seq", "time", "cpu", "pid", "tid", "comm", "period", "ip", "addr")


def is_side_band(ev):
    """Whether `ev` is a dummy event: perf adds one (`dummy:HG`, `dummy:u`…) to carry
    side-band records (COMM, MMAP…), and the kernel never samples it; perf report
    leaves it out too (its empty events)."""
    return ev.attr.type == C.TYPE_SOFTWARE and ev.attr.config == _SW_DUMMY


def wall_clock_offset(session):
    """ns to add to a sample time for the time of day (UTC), from the recording's
    CLOCK_DATA (what perf record writes with -k/--clockid); None without it."""
    from perfscript.perfdata.features import FEATURE_IDS
    clock = session.features.get(FEATURE_IDS["CLOCK_DATA"])
    if clock is None:
        return None
    return clock.wall_clock_ns - clock.clockid_time_ns


class EventColumns:
    """The samples of one event, as chunks of columns, in delivery order."""

    def __init__(self, ev, session):
        self.ev = ev
        st = ev.attr.sample_type
        self.sample_type = st
        self.has_time = bool(st & C.SAMPLE_TIME)
        self.has_cpu = bool(st & C.SAMPLE_CPU)
        self.has_ip = bool(st & C.SAMPLE_IP)
        self.has_addr = bool(st & C.SAMPLE_ADDR)
        self.has_callchain = bool(st & C.SAMPLE_CALLCHAIN)
        self.has_raw = bool(st & C.SAMPLE_RAW)
        self.decoder = None
        self.stacks = None     # the pass's Stacks (collect.Frames), for stack ids
        self.sink = None       # callable(self, chunk) taking the chunks as they are made
        fmt = ev.tp_format
        if ev.is_tracepoint and fmt is not None and self.has_raw and session.tracing:
            self.decoder = TypedDecoder(fmt, session.tracing.big_endian)
        # samples whose only variable part is the callchain (cpu-clock -g ...) go
        # column-wise too; their frames are looked up a segment at a time (_columns)
        self.chain_columnar = (st & ~_FIXED_BITS == C.SAMPLE_CALLCHAIN
                               and ev.layout.fixed.size % 8 == 0)
        self.columnar = ((not st & ~(_FIXED_BITS | C.SAMPLE_RAW)
                          and (not self.has_raw or self.decoder is not None)
                          and ev.layout.fixed.size % 8 == 0) or self.chain_columnar)
        self.slots = ev.layout.word_slots()
        self.raw_word = ev.layout.fixed.size // 8
        self.chunks = []       # dicts: header numpy arrays, "fields": [pa.Array], "chain"
        self._reset_lists()
        self.count = 0

    def _reset_lists(self):
        self.l_head = {k: [] for k in HEADER}
        self.l_chain = []
        self.l_raw = []

    # ------------------------------------------------------------ per-record input

    def add_sample(self, s, comm_id, seq, chain=None):
        h = self.l_head
        h["seq"].append(seq)
        h["time"].append(s.time)
        h["cpu"].append(s.cpu)
        h["pid"].append(s.pid)
        h["tid"].append(s.tid)
        h["comm"].append(comm_id)
        h["period"].append(s.period if s.period is not None else self.ev.default_period)
        h["ip"].append(s.ip)
        h["addr"].append(s.addr)
        if self.has_callchain:
            self.l_chain.append(chain or ())
        if self.decoder is not None:
            self.l_raw.append(s.raw)
        self.count += 1
        if len(h["time"]) >= _FLUSH_ROWS:
            self.flush()

    def flush(self):
        h = self.l_head
        n = len(h["time"])
        if not n:
            return
        chunk = {
            "seq": np.array(h["seq"], dtype=np.int64),
            "time": np.array(h["time"], dtype=np.uint64),
            "cpu": np.array(h["cpu"], dtype=np.uint64).astype(np.uint32).view(np.int32),
            "pid": np.array(h["pid"], dtype=np.uint64).astype(np.uint32).view(np.int32),
            "tid": np.array(h["tid"], dtype=np.uint64).astype(np.uint32).view(np.int32),
            "comm": np.array(h["comm"], dtype=np.int32),
            "period": np.array(h["period"], dtype=np.uint64),
            "ip": np.array(h["ip"], dtype=np.uint64),
            "addr": np.array(h["addr"], dtype=np.uint64),
        }
        if self.has_callchain:
            chain = self.l_chain
            lens = np.fromiter(map(len, chain), np.int64, n)
            offsets = np.zeros(n + 1, dtype=np.int32)
            np.cumsum(lens, out=offsets[1:])
            flat = [f for c in chain for f in c]
            chunk["chain"] = (offsets, np.array(flat, dtype=np.int32))
            chunk["stack"] = self.stacks.ids_of(chain)
        if self.decoder is not None:
            raws = self.l_raw
            sizes = np.fromiter(map(len, raws), np.int64, n)
            starts = np.zeros(n, dtype=np.int64)
            np.cumsum(sizes[:-1], out=starts[1:])
            blob = np.frombuffer(b"".join(raws) + bytes(8), dtype=np.uint8)
            chunk["fields"] = self.decoder.decode(blob, starts, sizes)
        self.add_chunk(chunk)
        self._reset_lists()

    def add_chunk(self, chunk):
        """Keep a chunk, or hand it to the sink (frames.stream) when there is one."""
        if self.sink is not None:
            self.sink(self, chunk)
        else:
            self.chunks.append(chunk)

    # ------------------------------------------------------------ column-wise input

    def gather(self, batch, sel, little, seq0):
        """Header columns and decoded fields of the batch's records at `sel`; tids/pids
        are returned for the comm lookup."""
        words = batch.words
        o = batch.offs[sel]
        batch.check_fixed(o, self.ev.layout, little)
        base = (o >> 3) + 1
        n = len(o)
        slots = self.slots

        def field(name):
            word, half = slots[name]
            w = batch.word_at(base + word)
            if half is None:
                return w
            if (half == 0) == little:
                return (w & _U32).astype(np.uint32)
            return (w >> np.uint64(32)).astype(np.uint32)

        def s32(name):
            if name in slots:
                return field(name).view(np.int32)
            return np.full(n, -1, dtype=np.int32)

        chunk = {
            "seq": sel + seq0,
            "time": field("time") if "time" in slots else np.full(n, 2**64 - 1, np.uint64),
            "cpu": s32("cpu"),
            "pid": s32("pid"),
            "tid": s32("tid"),
            "period": (field("period") if "period" in slots
                       else np.full(n, self.ev.default_period, dtype=np.uint64)),
            "ip": field("ip") if "ip" in slots else np.zeros(n, np.uint64),
            "addr": field("addr") if "addr" in slots else np.zeros(n, np.uint64),
        }
        if self.chain_columnar:
            start, nr = batch.chain_extent(o, self.ev.layout, little)
            chunk["chain_start"] = start.tolist()
            chunk["chain_nr"] = nr.tolist()
        if self.decoder is not None:
            sw = batch.word_at(base + self.raw_word)
            sizes = ((sw & _U32) if little else (sw >> np.uint64(32))).astype(np.int64)
            starts = o + 8 + 8 * self.raw_word + 4
            head = words[o >> 3]
            rec_size = ((head >> np.uint64(48)) if little
                        else (head & np.uint64(0xFFFF))).astype(np.int64)
            bad = np.flatnonzero(starts + sizes > o + rec_size)
            if len(bad):
                raise PerfDataError("sample's raw data (%d bytes) overruns its record"
                                    % sizes[bad[0]], batch.session.name, int(o[bad[0]]))
            chunk["fields"] = self.decoder.decode(batch.bytes, starts, sizes,
                                                     words.view(np.uint64))
        self.count += n
        return chunk

    # ------------------------------------------------------------ result

    def finish(self):
        self.flush()


class Collector(Consumer):
    """The session consumer of the columnar pass."""

    sideband_types = TASK_RECORDS

    def __init__(self, session, progress=None, symbols=True, wanted=None,
                 symbol_options=None):
        self.session = session
        self.wanted = wanted        # evsel indices to collect (None: all)
        self.sink = None            # given to each EventColumns (frames.stream)
        self.progress = progress
        self.total = len(session.pd.source.buf) if progress and session.pd.source.buf else 0
        self.events = {}            # evsel index -> EventColumns
        self.comm_ids = {}
        self.comms = []
        self._columnar = None
        self.frames = Frames(session, symbols, symbol_options)
        self._batches = _BatchColumns(self)
        self.in_batch = False
        self.seq = 0              # position of the record being delivered
        self.little = session.endian == "<"
        self.task_log = TaskLog(session.threads)

    def intern(self, comm):
        i = self.comm_ids.get(comm)
        if i is None:
            i = self.comm_ids[comm] = len(self.comms)
            self.comms.append(comm)
        return i

    def columns_of(self, ev):
        ec = self.events.get(ev.index)
        if ec is None:
            ec = self.events[ev.index] = EventColumns(ev, self.session)
            ec.stacks = self.frames.stacks
            ec.sink = self.sink
        return ec

    def skips(self, ev):
        """Whether `ev`'s records can be skipped unparsed: not asked for, and not
        carrying other events' samples (a PERF_SAMPLE_READ record is split into a
        sample of each counter it reads: `{a,b}:S` delivers b's samples in a's)."""
        return (self.wanted is not None and ev.index not in self.wanted
                and not ev.attr.sample_type & C.SAMPLE_READ)

    # the session's per-record path
    def sample_handler(self, ev):
        return self._skip if self.skips(ev) else None

    def _skip(self, *record):
        """A sample of an event not asked for: not even parsed."""
        if not self.in_batch:
            self.seq += 1

    def sample(self, ev, s, thread):
        if self.wanted is not None and ev.index not in self.wanted:
            self._skip()        # a counter value of a read group, not asked for
            return
        ec = self.columns_of(ev)
        chain = None
        if ec.has_callchain:
            if s.user_stack is not None:
                self.frames.ensure_resolver()    # unwinding reads the mapped files
            chain = self.frames.chain(self.session.chain_of(ev, s, thread), thread)
        ec.add_sample(s, self.intern(thread.comm), self.seq, chain)
        if not self.in_batch:
            self.seq += 1

    def sideband(self, record):
        self.task_log.record(record)

    def columnar_mask(self):
        evs = self.session.evsels.evsels
        if self._columnar is None or len(self._columnar) != len(evs) + 1:
            self._columnar = np.array([self.columns_of(ev).columnar for ev in evs] + [False])
        return self._columnar

    def deliver_batch(self, batch):
        n = len(batch)
        if self.total:
            self.progress(int(batch.offs.max()), self.total)
        seq0 = self.seq
        self.in_batch = True
        try:
            self._batches.deliver(batch, seq0)
        finally:
            self.in_batch = False
            self.seq = seq0 + n

    def release(self):
        """Let go of the collected columns (what the tables made from them share
        stays with the tables)."""
        for ec in self.events.values():
            ec.chunks = []

    def end(self):
        for ec in self.events.values():
            ec.finish()
        for ev in self.session.evsels:
            self.columns_of(ev)


class _BatchColumns(ColumnarDelivery):
    """A Collector's batches: an event's plan is its EventColumns (when columnar), its
    columns a chunk, which gets its comm ids and frame ids segment by segment."""

    def __init__(self, collector):
        super().__init__(collector.session)
        self.collector = collector
        self.seq0 = 0           # the collector's seq of the batch's first record

    def deliver(self, batch, seq0):
        c = self.collector
        n = len(batch)
        self.seq0 = seq0
        self.columnar = c.columnar_mask()
        self.tid_all = np.empty(n, dtype=np.int32)
        self.pid_all = np.empty(n, dtype=np.int32)
        self.comm_all = np.empty(n, dtype=np.int32)
        for rows in self.deliver_batch(batch):
            chunk = rows.cols
            chunk["comm"] = self.comm_all[rows.sel]
            if rows.plan.chain_columnar:
                chains = chunk.pop("chain_ids")
                del chunk["chain_start"], chunk["chain_nr"]
                lens = np.fromiter(map(len, chains), np.int64, len(chains))
                offsets = np.zeros(len(chains) + 1, dtype=np.int32)
                np.cumsum(lens, out=offsets[1:])
                flat = [f for c in chains for f in c]
                chunk["chain"] = (offsets, np.array(flat, dtype=np.int32))
                chunk["stack"] = c.frames.stacks.ids_of(chains)
            rows.plan.add_chunk(chunk)

    def deliver_records(self, batch, ks):
        c = self.collector
        seq0 = self.seq0
        deliver = batch.deliver
        for k in ks:
            c.seq = seq0 + k
            deliver(k)

    def event_plan(self, ev):
        if self.collector.skips(ev):
            return SKIPPED
        return self.collector.events[ev.index] if self.columnar[ev.index] else None

    def event_columns(self, batch, ev, ec, sel):
        chunk = ec.gather(batch, sel, self.collector.little, self.seq0)
        self.tid_all[sel] = chunk["tid"]
        self.pid_all[sel] = chunk["pid"]
        if ec.chain_columnar:
            chunk["chain_ids"] = [None] * len(sel)
        return chunk

    def uses_maps(self, ec):
        return ec.chain_columnar

    def segment_parts(self, batch, spans, s, e):
        # comms: one lookup per distinct tid of the segment, every event's rows together
        lo, hi = np.searchsorted(self.covered, [s, e]).tolist()
        pos = self.covered[lo:hi]
        uniq, _, inv = segment_threads(self.session.threads, self.tid_all[pos],
                                       self.pid_all[pos], inverse=True)
        table = self.session.threads.threads
        intern = self.collector.intern
        ids = np.array([intern(table[tid].comm) for tid in uniq.tolist()], dtype=np.int32)
        self.comm_all[pos] = ids[inv.reshape(-1)]
        for rows, c0, c1 in spans:
            if rows.plan.chain_columnar:
                self._chains(batch, rows.cols, c0, c1)
        return None

    def _chains(self, batch, chunk, c0, c1):
        """Frame indices of rows c0..c1 of a chunk, with the maps of their segment."""
        table = self.session.threads.threads
        kernel_maps = self.session.kernel_maps
        frames = self.collector.frames
        cache = frames.raw_chains
        buf = batch.buf
        fmt = "<%dQ" if self.collector.little else ">%dQ"
        out = chunk["chain_ids"]
        tids = chunk["tid"][c0:c1].tolist()
        for k, start, nr, tid in zip(range(c0, c1), chunk["chain_start"][c0:c1],
                                     chunk["chain_nr"][c0:c1], tids):
            thread = table[tid]
            raw = buf[start:start + 8 * nr]
            key = (space_key(thread, kernel_maps), raw)
            got = cache.get(key)
            if got is None:
                got = cache.put(key, frames.chain(struct.unpack(fmt % nr, raw), thread))
            out[k] = got


class Frames:
    """The distinct callchain frames of a pass: each (map, ip) resolved once.

    A chain's addresses are looked up as perf does (session.locate): in the address
    space the last context marker names (user space until one says otherwise), in the
    thread's maps at that moment; the symbol layer finds the symbol once per distinct
    (map, ip). A chain is a list of indices into this table."""

    def __init__(self, session, symbols=True, symbol_options=None):
        self.session = session
        self.symbols = symbols      # False: frames keep their maps' dso, no symbols
        self.symbol_options = symbol_options or {}   # SymbolResolver's kallsyms=...
        self.ids = {}
        self.chains = LookupCache()
        self.raw_chains = LookupCache()   # the column-wise path's: by the raw chain bytes
        self.ip, self.sym, self.sym_off, self.dso = [], [], [], []
        self.stacks = Stacks()

    def chain(self, ips, thread):
        """The frame indices of a chain; the same chain in the same address spaces has
        the same ones, so they are kept per (maps, their versions, chain)."""
        if not ips:
            return ()
        space = space_key(thread, self.session.kernel_maps)
        if space is None:
            return self._chain(ips, thread)
        key = (space, ips)
        got = self.chains.get(key)
        if got is None:
            got = self.chains.put(key, self._chain(ips, thread))
        return got

    def ensure_resolver(self):
        """The symbol layer (and its imports), only for recordings with callchains."""
        session = self.session
        if session.resolver is None:
            from perfscript.symbols.resolver import SymbolResolver
            session.resolver = SymbolResolver(**self.symbol_options)

    def _chain(self, ips, thread):
        session = self.session
        if self.symbols:
            self.ensure_resolver()
        out = []
        ids = self.ids
        find_map = session.find_map
        for cpumode, ip in chain_entries(ips) or ():     # None: perf drops the chain
            m = find_map(thread, cpumode, ip)
            if cpumode == MISC_USER_UNWOUND and m is not None and self.symbols:
                key = (m, ip, "inlined")
                got = ids.get(key)
                if got is None:
                    got = ids[key] = self._add_unwound(m, thread, cpumode, ip)
                out.extend(got)
                continue
            key = (m, ip) if m is not None else (None, cpumode, ip)
            i = ids.get(key)
            if i is None:
                i = ids[key] = self._add(m, thread, cpumode, ip)
            out.append(i)
        return tuple(out)

    def _add_unwound(self, m, thread, cpumode, ip):
        """An unwound user frame: one frame per inlined function perf shows there
        (inlined entries under their own names), else the frame itself."""
        entries = self.session.inline_entries(thread, cpumode, ip)
        if entries is None:
            return (self._add(m, thread, cpumode, ip),)
        return tuple(self._add(m, thread, cpumode, ip, e.name) for e in entries)

    def _add(self, m, thread, cpumode, ip, name=None):
        sym = dso = None
        off = None
        if m is not None:
            loc = self.session.locate(thread, cpumode, ip)
            if loc is not None:
                _, d, symbol, symoff = loc
                if d is not None:
                    dso = d.name
                else:       # perf's "[unknown]"; without symbols, the map's file
                    dso = "[unknown]" if self.symbols else getattr(m, "filename", None)
                if symbol is not None:
                    sym, off = name or symbol.name, symoff
        self.ip.append(ip)
        self.sym.append(sym)
        self.sym_off.append(off)
        self.dso.append(dso)
        return len(self.ip) - 1

    def table(self):
        """The frames as one Arrow struct array (ip, sym, sym_off, dso). `sym` and `dso`
        are plain strings, not dictionary-encoded: polars' list operations on a list of
        structs do not take categoricals (`list.join` of the syms fails)."""
        from perfscript.frames.columns import np_array, str_array
        n = len(self.ip)

        def texts(vals):
            arr = str_array([v or "" for v in vals])
            valid = np.array([v is not None for v in vals], dtype=bool)
            if valid.all():
                return arr
            return pa.Array.from_buffers(pa.string(), n, [pa.py_buffer(np.packbits(
                valid, bitorder="little"))] + arr.buffers()[1:])
        offs = np.array([o if o is not None else 0 for o in self.sym_off], np.uint64)
        has_off = np.array([o is not None for o in self.sym_off], dtype=bool)
        off_arr = np_array(offs)
        if not has_off.all():
            off_arr = pa.Array.from_buffers(pa.uint64(), n, [pa.py_buffer(
                np.packbits(has_off, bitorder="little")), off_arr.buffers()[1]])
        return pa.StructArray.from_arrays(
            [np_array(np.array(self.ip, np.uint64)), texts(self.sym), off_arr,
             texts(self.dso)], names=["ip", "sym", "sym_off", "dso"])


class Stacks:
    """The distinct chains of a pass as a tree of callsites: a callsite is a frame
    reached from its parent callsite (None at the outermost frame), and a chain's stack
    id is the callsite of its innermost frame, so chains sharing their outer frames
    share those callsites (a flame graph's nodes)."""

    def __init__(self):
        self.of_chain = {}          # chain (frame ids, innermost first) -> stack id
        self.of_node = {}           # (parent callsite, frame id) -> callsite
        self.parent, self.frame, self.depth = [], [], []

    def id_of(self, chain):
        got = self.of_chain.get(chain)
        if got is not None:
            return got
        if not chain:
            return -1
        parent = None
        of_node = self.of_node
        for depth, frame in enumerate(reversed(chain)):
            key = (parent, frame)
            node = of_node.get(key)
            if node is None:
                node = of_node[key] = len(self.frame)
                self.parent.append(parent)
                self.frame.append(frame)
                self.depth.append(depth)
            parent = node
        self.of_chain[chain] = parent
        return parent

    def ids_of(self, chains):
        """The stack ids of a list of chains (-1 for an empty one) as int32."""
        get = self.of_chain.get
        ids = [get(c) for c in chains]
        if None in ids:
            ids = [self.id_of(c) if i is None else i for c, i in zip(chains, ids)]
        return np.array(ids, dtype=np.int32)

    def table(self):
        """stack_id, parent_id (null at the root), frame_id, depth (0: outermost)."""
        from perfscript.frames.columns import np_array
        n = len(self.frame)
        return pa.table({
            "stack_id": pa.array(np.arange(n, dtype=np.int32)),
            "parent_id": pa.array(self.parent, pa.int32()),
            "frame_id": np_array(np.array(self.frame, np.int32)),
            "depth": np_array(np.array(self.depth, np.int32)),
        })
