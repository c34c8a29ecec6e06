"""A recording being processed: records in perf's order, applied to session state, and
handed to a consumer (the script engine, the text printer…).

The consumer is any object with some of these methods (missing ones are skipped):
`sample(evsel, sample, thread)`, `switch(record, sample)`, `throttle(kind, values, sample)`,
`stat(...)`, `stat_round(...)`, `auxtrace_error(...)`, `header_ready(session)`.
"""

import struct

from perfscript.errors import PerfDataError
from perfscript.perfdata import constants as C
from perfscript.perfdata.attr import Attr
from perfscript.perfdata.container import PerfData
from perfscript.perfdata.features import feature_name, parse_feature
from perfscript.perfdata.records import RecordWalker
from perfscript.perfdata.sample import Sample
from perfscript.perfdata.spool import spool
from perfscript.session.batched import BatchedOrder, can_batch, deliver_each, packed
from perfscript.session.evsel import EvselTable, synthesized_name
from perfscript.session.maps import Map, Maps
from perfscript.session.ordering import OrderedQueue
from perfscript.session.threads import ThreadTable

_KERNEL_MODES = (C.MISC_KERNEL, C.MISC_GUEST_KERNEL)
_PROT_EXEC = 4
# perf's anonymous / dso-less memory names (map.c is_anon_memory, is_no_dso_memory)
_ANON_NAMES = ("//anon", "[heap]")
_ANON_PREFIXES = ("/dev/zero", "/anon_hugepage", "[stack", "/SYSV")


def _cstr(buf, start, end):
    """A NUL-terminated string inside a record (perf's comm/filename fields)."""
    raw = bytes(buf[start:end])
    nul = raw.find(b"\0")
    if nul >= 0:
        raw = raw[:nul]
    return raw.decode("utf-8", "replace")


class Switch:
    """A PERF_RECORD_SWITCH(_CPU_WIDE) record with its sample_id trailer."""

    __slots__ = ("out", "preempt", "next_prev_pid", "next_prev_tid", "sample", "cpu_wide",
                 "misc")


class Session:
    """Reads one recording and keeps the state perf keeps while processing it."""

    def __init__(self, path, resolver=None, warn=None):
        self.path = path
        # where libtraceevent's format warnings go (perf prints them to stderr when it
        # reads the tracing data, in every mode)
        self.warn = warn
        self.pd = PerfData(path)
        self.name = self.pd.name
        self.endian = self.pd.endian
        self.evsels = EvselTable(self.endian)
        self.threads = ThreadTable()
        self.kernel_maps = Maps()
        self.resolver = resolver
        self.tracing = None
        self.features = {}
        self.build_ids = {}
        self.lost_events = 0
        self.lost_chunks = 0
        self.lost_samples = 0       # PERF_RECORD_LOST_SAMPLES counts
        self.nr_samples = 0         # sample records read (perf's nr_events[SAMPLE])
        self.nr_events = 0
        self.warnings = list(self.pd.warnings)
        self.stat_config = {}
        self.event_updates = {}
        self._read_last = {}      # sample id -> last PERF_SAMPLE_READ value
        self._u32 = struct.Struct(self.endian + "I")
        self._u64 = struct.Struct(self.endian + "Q")
        self.header_struct = struct.Struct(self.endian + "IHH")
        for ea in self.pd.attrs:
            self.evsels.add(ea.attr, ea.ids)
        for feat, (off, data) in sorted(self.pd.feature_sections.items()):
            self._feature(feat, data, off)
        if self.pd.tracing_data is not None:
            self._tracing_data(*self.pd.tracing_data[::-1])
        self._name_events()
        self._check_tracepoint_formats()

    # ------------------------------------------------------------ header parts

    def _feature(self, feat, data, off):
        if feat == C.FEAT_TRACING_DATA:
            return
        nrcpus = self.features.get(C.FEAT_NRCPUS)
        try:
            value = parse_feature(feat, data, endian=self.endian, path=self.name, offset=off,
                                  nr_cpus_avail=getattr(nrcpus, "available", None))
        except PerfDataError as e:
            self.warnings.append("ignoring header feature %s: %s" % (feature_name(feat), e))
            return
        self.features[feat] = value
        cb = getattr(self.consumer, "feature", None)
        if cb is not None:
            cb(feat, value)
        if self.feature_listener is not None:
            self.feature_listener(feat, value)
        if feat == C.FEAT_BUILD_ID and isinstance(value, (list, tuple)):
            for entry in value:
                self.build_ids.setdefault(entry.filename, entry.build_id_hex)
        if feat == C.FEAT_EVENT_DESC and isinstance(value, (list, tuple)):
            self._event_desc(value)

    def _event_desc(self, descs):
        """EVENT_DESC names events; match by sample id, else by position."""
        for i, desc in enumerate(descs):
            ev = None
            for sid in desc.ids:
                ev = self.evsels.by_id.get(sid)
                if ev is not None:
                    break
            if ev is None and i < len(self.evsels.evsels):
                ev = self.evsels.evsels[i]
            if ev is not None and desc.name:
                ev.name = desc.name

    def _tracing_data(self, data, off):
        from perfscript.ftrace.render import format_warnings
        from perfscript.ftrace.tracing_data import parse_tracing_data
        self.tracing = parse_tracing_data(data, path=self.name, base_offset=off)
        texts = format_warnings(self.tracing)
        if texts and self.warn is not None:
            # perf's plugin lookup leaves this errno, which libtraceevent reports first
            self.warn("libtraceevent: No such file or directory")
            for text in texts:
                self.warn("  " + text)
        self._name_events()

    def _name_events(self):
        for ev in self.evsels:
            if ev.is_tracepoint and ev.tp_format is None and self.tracing is not None:
                fmt = self.tracing.events.get(ev.attr.config)
                if fmt is not None:
                    ev.tp_format = fmt
                    ev.handler_name = fmt.handler_name
                    if self._prepare is not None:
                        self._prepare(ev)
            if ev.name is None:
                tp = None
                if ev.tp_format is not None:
                    tp = "%s:%s" % (ev.tp_format.system, ev.tp_format.name)
                ev.name = synthesized_name(ev.attr, tp)

    def _check_tracepoint_formats(self):
        """perf refuses a file-mode recording whose tracepoint events lack formats (it
        could not decode them); we say which and where."""
        if self.pd.pipe:
            return          # pipe mode: the tracing data comes later in the stream
        missing = [ev for ev in self.evsels if ev.is_tracepoint and ev.tp_format is None]
        if not missing:
            return
        lost = self.pd.truncated_data
        if lost is not None and self.tracing is None:
            raise PerfDataError("file truncated: its tracepoint formats (tracing data) were "
                                "after offset %d" % lost.offset, self.name, lost.offset)
        if self.tracing is None:
            raise PerfDataError("the recording has tracepoint events (%s) but no tracing "
                                "data" % missing[0].name, self.name, 72)
        off = self.pd.tracing_data[0] if self.pd.tracing_data else None
        raise PerfDataError("the tracing data has no format for tracepoint id %d (event %s)"
                            % (missing[0].attr.config, missing[0].name), self.name, off)

    @property
    def arch(self):
        return self.features.get(C.FEAT_ARCH)

    # ------------------------------------------------------------ processing

    def process(self, consumer, batched=True):
        """Feed every record to `consumer` in perf's order; return when the input ends.

        Mapped, uncompressed files are ordered with NumPy a run of records at a time
        (`batched.py`); other input goes record by record. Both give the same order.
        """
        self.consumer = consumer
        self._sample_cb = getattr(consumer, "sample", None)
        prepare = getattr(consumer, "prepare_evsel", None)
        self._prepare = prepare
        if prepare is not None:
            for ev in self.evsels:
                prepare(ev)
        self.queue = OrderedQueue()
        walker = self.walker = RecordWalker(self.pd)
        try:
            if batched and can_batch(self):
                self._process_batched(walker, consumer)
            elif batched and packed(self) and self._process_unpacked(consumer):
                walker = self.walker
            else:
                self._process_records(walker)
        finally:
            self.nr_events = walker.count
        if self.pd.truncated_data is not None:
            raise self.pd.truncated_data
        if walker.trailing_garbage:
            off, n = walker.trailing_garbage
            self.warnings.append("ignored %d bytes at offset %d after the last record"
                                 % (n, off))

    def _process_unpacked(self, consumer):
        """A compressed (perf record -z) file: unpack its data section once into a mapped
        temporary file and read that batched (False: it cannot be, read record by
        record). Offsets reported stay the file's own (`file_offset`)."""
        unpacked = spool(self.pd)
        if unpacked is None:
            return False
        original = self.pd
        walker = self.walker = RecordWalker(unpacked)
        self.pd = unpacked
        self._unpacked = unpacked
        try:
            self._process_batched(walker, consumer)
        except PerfDataError as e:
            if e.offset is not None and e.path == original.name:
                e.offset = unpacked.file_offset(e.offset)
            raise
        finally:
            self.pd = original
            walker.count += unpacked.compressed_records
        unpacked.close()        # the temporary file goes; its offset map stays
        return True

    def file_offset(self, off):
        """The file offset of a record handed out at `off` (they differ for records
        read out of COMPRESSED ones, which are unpacked elsewhere)."""
        unpacked = self._unpacked
        return off if unpacked is None else unpacked.file_offset(off)

    def _process_batched(self, walker, consumer):
        order = BatchedOrder(self, getattr(consumer, "deliver_batch", None) or deliver_each)
        buf = self.pd.source.buf
        immediate = self._immediate
        try:
            for item in walker.stretches():
                if type(item) is list:
                    order.add_run(item)
                elif item[0] == C.RECORD_FINISHED_ROUND:
                    order.finished_round()
                else:
                    order.flush_window()
                    typ, misc, size, off = item
                    immediate(typ, misc, size, buf, off, off)
        except PerfDataError:
            order.drain()
            raise
        order.drain()

    def _process_records(self, walker):
        queue = self.queue
        push = queue.push
        deliver = self._deliver
        evsels = self.evsels
        for_sample = evsels.for_sample
        immediate = self._immediate
        time_of = struct.Struct(self.endian + "Q").unpack_from
        try:
            for typ, misc, size, buf, off, where in walker:
                if typ == C.RECORD_SAMPLE:
                    self.nr_samples += 1
                    ev = for_sample(buf, off)
                    tpos = ev.time_pos if ev is not None else None
                    ts = time_of(buf, off + tpos)[0] if tpos is not None else None
                elif typ >= C.RECORD_USER_TYPE_START:
                    if typ == C.RECORD_FINISHED_ROUND:
                        for item in queue.finished_round():
                            deliver(item)
                    else:
                        immediate(typ, misc, size, buf, off, where)
                    continue
                else:
                    ev = evsels.for_record(buf, off, size)
                    ts = ev.layout.trailer_time(buf, off, size) if ev is not None else None
                item = (ts, typ, ev, misc, size, buf, off, where)
                if ts is None or ts == 0 or ts == 0xFFFFFFFFFFFFFFFF:
                    deliver(item)      # perf delivers records without a time at once
                else:
                    push(item)
        except PerfDataError:
            self._drain()
            raise
        self._drain()

    def deliver_at(self, buf, off, evidx):
        """Deliver the record at buf[off] whose evsel index is known (-1: none)."""
        typ, misc, size = self.header_struct.unpack_from(buf, off)
        ev = self.evsels.evsels[evidx] if evidx >= 0 else None
        self._deliver((None, typ, ev, misc, size, buf, off, off))

    def _drain(self):
        for item in self.queue.drain():
            self._deliver(item)

    # ------------------------------------------------------------ ordered records

    def _deliver(self, item):
        _, typ, ev, misc, size, buf, off, where = item
        if typ == C.RECORD_SAMPLE:
            if ev is None:
                self.evsels.unknown_id_samples += 1
                return
            fast = ev.fast
            if fast is not None:
                fast(buf, off, size, misc, where)
            else:
                self.deliver_sample_general(ev, buf, off, size, misc, where)
            return
        handler = self._HANDLERS.get(typ)
        if handler is not None:
            try:
                handler(self, misc, size, buf, off, where, ev)
            except struct.error:
                raise PerfDataError("record of type %d too short (%d bytes)" % (typ, size),
                                    self.name, where) from None

    def deliver_sample_general(self, ev, buf, off, size, misc, where):
        """Parse a sample fully and hand it to the consumer's `sample` method."""
        sample = ev.layout.parse(buf, off, size, misc, self.name, where)
        if self._sample_cb is not None:
            thread = self.threads.findnew(sample.pid if sample.pid != 0xFFFFFFFF else -1,
                                          sample.tid if sample.tid != 0xFFFFFFFF else -1)
            if sample.read is not None:
                self._deliver_read_values(ev, sample, thread)
            else:
                self._sample_cb(ev, sample, thread)

    def _deliver_read_values(self, ev, sample, thread):
        """perf splits a PERF_SAMPLE_READ sample into one sample per counter value, each
        with the counter's own event and the growth since its last value as period."""
        by_id = self.evsels.by_id
        last = self._read_last
        for vid, value, _ in sample.read:
            member = by_id.get(vid)
            if member is None:
                self.evsels.unknown_id_samples += 1
                continue
            sample.id = vid
            sample.period = value - last.get(vid, 0)
            last[vid] = value
            if sample.period:
                self._sample_cb(member, sample, thread)

    def _trailer(self, ev, buf, off, size):
        s = Sample()
        if ev is not None:
            ev.layout.parse_trailer(buf, off, size, s)
        return s

    def _mmap(self, misc, size, buf, off, where, ev):
        e = self.endian
        pid, tid, start, length, pgoff = struct.unpack_from(e + "IIQQQ", buf, off + 8)
        end_of_body = off + size - (ev.layout.trailer_size if ev is not None else 0)
        filename = _cstr(buf, off + 40, end_of_body)
        prot = 0 if misc & C.MISC_MMAP_DATA else _PROT_EXEC
        self._add_map(misc, _s32(pid), _s32(tid), start, length, pgoff, filename, None, prot, 0)

    def _mmap2(self, misc, size, buf, off, where, ev):
        e = self.endian
        pid, tid, start, length, pgoff = struct.unpack_from(e + "IIQQQ", buf, off + 8)
        build_id = None
        if misc & C.MISC_MMAP_BUILD_ID:
            bsize = buf[off + 40]
            build_id = bytes(buf[off + 44:off + 44 + min(bsize, 20)]).hex()
        prot, flags = struct.unpack_from(e + "II", buf, off + 64)
        end_of_body = off + size - (ev.layout.trailer_size if ev is not None else 0)
        filename = _cstr(buf, off + 72, end_of_body)
        self._add_map(misc, _s32(pid), _s32(tid), start, length, pgoff, filename, build_id,
                      prot, flags)

    def _add_map(self, misc, pid, tid, start, length, pgoff, filename, build_id, prot, flags):
        cpumode = misc & C.MISC_CPUMODE_MASK
        end = start + length
        if end > 0xFFFFFFFFFFFFFFFF:
            end = 0xFFFFFFFFFFFFFFFF
        if build_id is None:
            key = filename
            if cpumode in _KERNEL_MODES and filename.startswith("[kernel.kallsyms]"):
                key = "[kernel.kallsyms]"
            build_id = self.build_ids.get(key)
        if cpumode not in _KERNEL_MODES and prot & _PROT_EXEC and (
                filename in _ANON_NAMES or filename.startswith(_ANON_PREFIXES)):
            # perf looks for JIT symbols of executable anonymous memory in a perf map
            filename = "/tmp/perf-%d.map" % pid
        m = Map(start, end, pgoff, filename, prot, flags, build_id)
        m.listed = filename in self.build_ids
        if cpumode in _KERNEL_MODES:
            self.kernel_maps.insert(m)
            return
        th = self.threads.findnew(pid, tid)
        th.maps.insert(m)

    def _comm(self, misc, size, buf, off, where, ev):
        pid, tid = struct.unpack_from(self.endian + "II", buf, off + 8)
        end_of_body = off + size - (ev.layout.trailer_size if ev is not None else 0)
        comm = _cstr(buf, off + 16, end_of_body)
        th = self.threads.findnew(_s32(pid), _s32(tid))
        th.set_comm(comm)
        cb = getattr(self.consumer, "comm", None)
        if cb is not None:
            cb(th, misc, self._trailer(ev, buf, off, size))

    def _fork(self, misc, size, buf, off, where, ev):
        pid, ppid, tid, ptid = struct.unpack_from(self.endian + "IIII", buf, off + 8)
        self.threads.fork(_s32(pid), _s32(tid), _s32(ppid), _s32(ptid))

    def _exit(self, misc, size, buf, off, where, ev):
        pid, ppid, tid, ptid = struct.unpack_from(self.endian + "IIII", buf, off + 8)
        self.threads.exit(_s32(pid), _s32(tid))

    def _lost(self, misc, size, buf, off, where, ev):
        _, lost = struct.unpack_from(self.endian + "QQ", buf, off + 8)
        self.lost_events += lost
        self.lost_chunks += 1

    def _lost_samples(self, misc, size, buf, off, where, ev):
        self.lost_samples += self._u64.unpack_from(buf, off + 8)[0]

    def _switch(self, misc, size, buf, off, where, ev, cpu_wide=False):
        cb = getattr(self.consumer, "switch", None)
        if cb is None:
            return
        sw = Switch()
        sw.misc = misc
        sw.out = bool(misc & C.MISC_SWITCH_OUT)
        sw.preempt = bool(misc & C.MISC_SWITCH_OUT_PREEMPT)
        sw.cpu_wide = cpu_wide
        if cpu_wide:
            sw.next_prev_pid, sw.next_prev_tid = struct.unpack_from(self.endian + "ii", buf,
                                                                    off + 8)
        else:
            sw.next_prev_pid = sw.next_prev_tid = -1
        sw.sample = self._trailer(ev, buf, off, size)
        cb(sw)

    def _switch_cpu_wide(self, misc, size, buf, off, where, ev):
        self._switch(misc, size, buf, off, where, ev, cpu_wide=True)

    def _throttle(self, misc, size, buf, off, where, ev, kind="throttle"):
        cb = getattr(self.consumer, "throttle", None)
        if cb is None:
            return
        values = struct.unpack_from(self.endian + "QQQ", buf, off + 8)
        cb(kind, values, self._trailer(ev, buf, off, size))

    def _unthrottle(self, misc, size, buf, off, where, ev):
        self._throttle(misc, size, buf, off, where, ev, kind="unthrottle")

    _HANDLERS = {
        C.RECORD_MMAP: _mmap,
        C.RECORD_MMAP2: _mmap2,
        C.RECORD_COMM: _comm,
        C.RECORD_FORK: _fork,
        C.RECORD_EXIT: _exit,
        C.RECORD_LOST: _lost,
        C.RECORD_LOST_SAMPLES: _lost_samples,
        C.RECORD_SWITCH: _switch,
        C.RECORD_SWITCH_CPU_WIDE: _switch_cpu_wide,
        C.RECORD_THROTTLE: _throttle,
        C.RECORD_UNTHROTTLE: _unthrottle,
    }

    # ------------------------------------------------------------ user records

    def _immediate(self, typ, misc, size, buf, off, where):
        e = self.endian
        try:
            if typ == C.RECORD_HEADER_ATTR:
                attr = Attr.parse(buf, off + 8, size - 8, e, self.name)
                rest = off + 8 + attr.size
                nids = max(0, (off + size - rest) // 8)
                ids = struct.unpack_from("%s%dQ" % (e, nids), buf, rest)
                ev = self.evsels.add(attr, ids)
                if self._prepare is not None:
                    self._prepare(ev)
            elif typ == C.RECORD_HEADER_TRACING_DATA:
                tsize = self._u32.unpack_from(buf, off + 8)[0]
                start = off + size
                self._tracing_data(bytes(buf[start:start + tsize]), where + size)
            elif typ == C.RECORD_HEADER_FEATURE:
                feat = self._u64.unpack_from(buf, off + 8)[0]
                if size > 16:
                    self._feature(feat, bytes(buf[off + 16:off + size]), where + 16)
                    if feat == C.FEAT_EVENT_DESC:
                        self._name_events()
            elif typ == C.RECORD_HEADER_BUILD_ID:
                self._header_build_id(buf, off, size)
            elif typ == C.RECORD_ID_INDEX:
                self._id_index(buf, off, size)
            elif typ == C.RECORD_EVENT_UPDATE:
                self._event_update(buf, off, size)
            elif typ == C.RECORD_HEADER_EVENT_TYPE:
                pass
            elif typ in (C.RECORD_STAT_CONFIG, C.RECORD_STAT, C.RECORD_STAT_ROUND,
                         C.RECORD_THREAD_MAP, C.RECORD_CPU_MAP, C.RECORD_AUXTRACE_ERROR):
                cb = getattr(self.consumer, "user_record", None)
                if cb is not None:
                    cb(typ, misc, size, buf, off, where)
            elif typ == C.RECORD_FINISHED_INIT:
                self._name_events()
        except struct.error:
            raise PerfDataError("record of type %d too short (%d bytes)" % (typ, size),
                                self.name, where) from None

    def _header_build_id(self, buf, off, size):
        bsize = buf[off + 32] if self.pd.pipe else 20
        misc = struct.unpack_from(self.endian + "H", buf, off + 4)[0]
        n = bsize if (misc & (1 << 15)) and 0 < bsize <= 20 else 20
        bid = bytes(buf[off + 12:off + 12 + n])
        if not misc & (1 << 15):
            bid = bid.rstrip(b"\0") if len(bid.rstrip(b"\0")) >= 16 else bid
        filename = _cstr(buf, off + 36, off + size)
        self.build_ids.setdefault(filename, bid.hex())

    def _id_index(self, buf, off, size):
        nr = self._u64.unpack_from(buf, off + 8)[0]
        if nr > (size - 16) // 32:
            raise PerfDataError("ID_INDEX claims %d entries in %d bytes" % (nr, size),
                                self.name, off)
        entries = struct.unpack_from("%s%dQ" % (self.endian, 4 * nr), buf, off + 16)
        evs = self.evsels.evsels
        for k in range(0, 4 * nr, 4):
            sid, idx = entries[k], entries[k + 1]
            if idx < len(evs) and sid not in self.evsels.by_id:
                self.evsels.add_ids(evs[idx], (sid,))

    def _event_update(self, buf, off, size):
        utype, sid = struct.unpack_from(self.endian + "QQ", buf, off + 8)
        ev = self.evsels.by_id.get(sid)
        if ev is None:
            return
        if utype == 2:   # name
            ev.name = _cstr(buf, off + 24, off + size)
        self.event_updates.setdefault(sid, {})[utype] = bytes(buf[off + 24:off + size])

    # ------------------------------------------------------------ symbols

    def find_map(self, thread, cpumode, addr):
        """The map holding `addr` as perf's thread__find_map sees it."""
        if cpumode in _KERNEL_MODES:
            return self.kernel_maps.find(addr)
        if cpumode == C.MISC_USER or cpumode == C.MISC_GUEST_USER:
            return thread.maps.find(addr) if thread is not None else None
        return None

    def dso_of(self, m, kernel):
        """The symbol layer's dso for a map, looked up once per map."""
        dso = m.dso
        if dso is None and self.resolver is not None:
            dso = m.dso = self.resolver.dso_for_map(m, kernel)
            extent = getattr(dso, "map_extent", None)
            if kernel and extent is not None:
                # loading kallsyms moves the kernel map to its first/last symbol
                start, end = extent(m.start, m.end)
                if (start, end) != (m.start, m.end):
                    self.kernel_maps.remove(m)
                    m.start, m.end = start, end
                    self.kernel_maps.insert(m)
        return dso

    def locate(self, thread, cpumode, addr):
        """(map, dso, symbol, symbol offset) for an address, or None without a map."""
        m = self.find_map(thread, cpumode, addr)
        if m is None:
            return None
        dso = self.dso_of(m, cpumode in _KERNEL_MODES)
        if dso is None:
            return (m, None, None, 0)
        found = dso.find(addr, m.start, m.pgoff)
        if found is None:
            return (m, dso, None, 0)
        return (m, dso, found[0], found[1])

    def kernel_start(self):
        maps = self.kernel_maps.maps
        for m in maps:
            if m.filename.startswith("[kernel.kallsyms]"):
                return m.start
        return 1 << 63

    def locate_fallback(self, thread, cpumode, addr):
        """perf's thread__find_map_fb: retry in the address's own space (user/kernel)."""
        loc = self.locate(thread, cpumode, addr)
        if loc is not None:
            return loc
        if cpumode in (C.MISC_KERNEL, C.MISC_USER):
            other = C.MISC_KERNEL if addr >= self.kernel_start() else C.MISC_USER
            if other != cpumode:
                return self.locate(thread, other, addr)
        return None

    @staticmethod
    def addr_correlates(ev):
        """perf resolves `addr` to a symbol only for page faults (and BTS)."""
        a = ev.attr
        return a.type == C.TYPE_SOFTWARE and a.config in (2, 5, 6)

    def finish_warnings(self):
        """perf's end-of-run warnings, as lines for stderr."""
        out = []
        if self.lost_events:
            out.append("Warning:\nProcessed %d events and lost %d chunks!\n\n"
                       "Check IO/CPU overload!\n\n" % (self.nr_events, self.lost_chunks))
        if self.lost_samples:
            total = self.nr_samples + self.lost_samples
            rate = self.lost_samples / total
            if rate > 0.05:
                out.append("Warning:\nProcessed %d samples and lost %3.2f%%!\n\n"
                           % (total, rate * 100.0))
        if self.evsels.unknown_id_samples:
            out.append("Warning:\n%d samples with id not present in the header\n"
                       % self.evsels.unknown_id_samples)
        if self.queue is not None and self.queue.out_of_order:
            out.append("Warning:\n%d out of order events recorded.\n"
                       % self.queue.out_of_order)
        return out

    queue = None
    consumer = None
    _unpacked = None            # the Spooled data section of a compressed file, once read
    feature_listener = None     # called with (feature id, value) as each feature is read
    _prepare = None


def _s32(v):
    return v - (1 << 32) if v & 0x80000000 else v

