"""A recording being processed: records in perf's order, applied to session state, and
handed to a consumer (session/consumer.py says what a consumer receives and when).
"""

import struct

from perfscript.errors import PerfDataError
from perfscript.perfdata import constants as C
from perfscript.perfdata.attr import Attr
from perfscript.perfdata.callchain import MISC_USER_UNWOUND, UNWOUND, unwinds
from perfscript.perfdata.compressed import mmap_len_of
from perfscript.perfdata.container import PerfData
from perfscript.perfdata.features import feature_name, parse_feature
from perfscript.perfdata.record_types import (BuildIdRecord, EventUpdateRecord,
                                              HeaderFeatureRecord, MmapRecord, parse_record)
from perfscript.perfdata.records import RecordWalker
from perfscript.perfdata.sample import Sample
from perfscript.perfdata.spool import spool
from perfscript.session.batched import BatchedOrder, can_batch, packed
from perfscript.session.evsel import EvselTable, synthesized_name
from perfscript.session.maps import Map, Maps
from perfscript.session.ordering import OrderedQueue, in_slice
from perfscript.session.threads import ThreadTable

_KERNEL_MODES = (C.MISC_KERNEL, C.MISC_GUEST_KERNEL)
_USER_MODES = (C.MISC_USER, C.MISC_GUEST_USER, MISC_USER_UNWOUND)
KSYMBOL_UNREGISTER = 1          # PERF_RECORD_KSYMBOL_FLAGS_UNREGISTER
# perf's anonymous / dso-less memory names (map.c is_anon_memory, is_no_dso_memory)
ANON_NAMES = ("//anon", "[heap]")
ANON_PREFIXES = ("/dev/zero", "/anon_hugepage", "[stack", "/SYSV")
# records the session reads itself when they arrive, outside perf's time order
_HEADER_RECORDS = (C.RECORD_HEADER_ATTR, C.RECORD_HEADER_TRACING_DATA,
                   C.RECORD_HEADER_FEATURE, C.RECORD_HEADER_BUILD_ID, C.RECORD_ID_INDEX,
                   C.RECORD_EVENT_UPDATE, C.RECORD_HEADER_EVENT_TYPE, C.RECORD_FINISHED_INIT)


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
        self._user_stacks = None
        self.event_updates = {}
        self._read_last = {}      # sample id -> last PERF_SAMPLE_READ value
        self.header_struct = struct.Struct(self.endian + "IHH")
        self._replay = ()           # records delivered before the data (limit_to)
        for ea in self.pd.attrs:
            self.evsels.add(ea.attr, ea.ids)
        if self.pd.attrs_offset is not None:
            mismatch = self.evsels.mismatch()
            if mismatch:
                raise PerfDataError(mismatch, self.name, self.pd.attrs_offset)
        for feat, (off, data) in sorted(self.pd.feature_sections.items()):
            self._feature(feat, data, off)
        if self.pd.tracing_data is not None:
            self._tracing_data(*self.pd.tracing_data[::-1])
        self.name_events()
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
        if self.consumer is not None:
            self.consumer.feature(feat, value)
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
        self.name_events()

    def name_events(self):
        for ev in self.evsels:
            if ev.is_tracepoint and ev.tp_format is None and self.tracing is not None:
                fmt = self.tracing.events.get(ev.attr.config)
                if fmt is not None:
                    ev.tp_format = fmt
                    ev.handler_name = fmt.handler_name
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

    def sample_time(self):
        """(first, last) sample time of HEADER_SAMPLE_TIME; (0, 0) when the file has none."""
        st = self.features.get(C.FEAT_SAMPLE_TIME)
        return (getattr(st, "first", 0), getattr(st, "last", 0)) if st is not None else (0, 0)

    # ------------------------------------------------------------ processing

    def limit_to(self, start, end, replay=()):
        """Read only the data section's bytes [start, end) (a chunk of
        session.chunk_plan, between two clean cuts), after delivering the records at
        `replay` ((file offset, evsel index) pairs, in order: the side-band records
        before `start`, in perf's order), so the chunk's records meet the state the
        whole file's records before them leave."""
        pd = self.pd
        if not pd.data_offset <= start <= end <= pd.data_offset + pd.data_size:
            raise ValueError("bytes %d..%d are not in %s's data section (%d..%d)"
                             % (start, end, self.name, pd.data_offset,
                                pd.data_offset + pd.data_size))
        pd.data_offset, pd.data_size = start, end - start
        self._replay = replay

    def process(self, consumer, batched=True, ordered=True, observer=None):
        """Feed every record to `consumer` (a session.consumer.Consumer) in perf's order;
        call its `end()` when the input ends, also on a PerfDataError, which is then
        raised.

        Mapped, uncompressed files are ordered with NumPy a run of records at a time
        (`batched.py`); other input goes record by record. Both give the same order.
        `ordered=False`: records in file order, as perf reads them without its ordering
        (--show-round-events, --dump-unsorted-raw-trace). `observer(typ, misc, size, buf,
        off, where, ev)` sees each record where perf dumps it with -D: user records when
        read, the others when delivered (it makes the run record by record).
        """
        self.consumer = consumer
        self._sideband_types = frozenset(consumer.sideband_types)
        for ev in self.evsels:
            self._prepare(ev)
        self.queue = OrderedQueue()
        walker = self.walker = RecordWalker(self.pd, self.features)
        if observer is not None:
            self._observe(observer)
        try:
            for off, evidx in self._replay:
                self.deliver_at(self.pd.source.buf, off, evidx)
            if not ordered or observer is not None:
                self._process_records(walker, ordered)
            elif batched and can_batch(self):
                self._process_batched(walker, consumer)
            elif batched and packed(self) and self._process_unpacked(consumer):
                walker = self.walker
            else:
                self._process_records(walker)
            if self.pd.truncated_data is not None:
                raise self.pd.truncated_data
        except PerfDataError:
            self.nr_events = walker.count
            consumer.end()
            raise
        self.nr_events = walker.count
        if walker.trailing_garbage:
            off, n = walker.trailing_garbage
            self.warnings.append("ignored %d bytes at offset %d after the last record"
                                 % (n, off))
        consumer.end()

    def _prepare(self, ev):
        """Tell the consumer of an event (again when its format arrives) and take its
        fast path for the event's samples."""
        consumer = self.consumer
        if consumer is not None:
            consumer.prepare_evsel(ev)
            ev.sample_handler = consumer.sample_handler(ev)

    def _process_unpacked(self, consumer):
        """A compressed (perf record -z) file: unpack its data section once into a mapped
        temporary file and read that batched (False: it cannot be, read record by
        record). Offsets reported stay the file's own (`file_offset`)."""
        unpacked = spool(self.pd, mmap_len_of(self.features))
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
        order = BatchedOrder(self, consumer.deliver_batch)
        buf = self.pd.source.buf
        immediate = self._immediate
        try:
            for item in walker.stretches():
                if type(item) is not tuple:
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

    def _observe(self, observer):
        """Show `observer` every record where perf's dump_event sees it (instance
        attributes over the methods, so runs without an observer pay nothing)."""
        deliver, immediate, finished = self._deliver, self._immediate, self._finished_round

        def observed_deliver(item):
            _, typ, ev, misc, size, buf, off, where = item
            observer(typ, misc, size, buf, off, where, ev)
            deliver(item)

        def observed_immediate(typ, misc, size, buf, off, where):
            observer(typ, misc, size, buf, off, where, None)
            immediate(typ, misc, size, buf, off, where)

        def observed_finished(typ, misc, size, buf, off, where, ordered):
            observer(typ, misc, size, buf, off, where, None)
            finished(typ, misc, size, buf, off, where, ordered)

        self._deliver, self._immediate = observed_deliver, observed_immediate
        self._finished_round = observed_finished

    def _finished_round(self, typ, misc, size, buf, off, where, ordered):
        """A FINISHED_ROUND record: the ordered records it releases, then the record
        itself to a consumer that asked for it."""
        if ordered:
            for item in self.queue.finished_round():
                self._deliver(item)
        if typ in self._sideband_types:
            self._sideband_now(typ, misc, size, buf, off, where)

    def _process_records(self, walker, ordered=True):
        queue = self.queue
        deliver = self._deliver
        push = queue.push if ordered else deliver
        finished_round = self._finished_round
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
                        finished_round(typ, misc, size, buf, off, where, ordered)
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
        ts, typ, ev, misc, size, buf, off, where = item
        if typ == C.RECORD_SAMPLE:
            # (a batch's records come without their time: the batch was sliced already)
            if ts is not None and self.time_slice is not None and \
                    not in_slice(self.time_slice, ts):
                return
            if ev is None:
                self.evsels.unknown_id_samples += 1
                return
            handler = ev.sample_handler
            if handler is not None:
                handler(buf, off, size, misc, where)
            else:
                self.deliver_sample_general(ev, buf, off, size, misc, where)
            return
        apply = self._APPLY.get(typ)
        if apply is None and typ not in self._sideband_types:
            return
        body_end = off + size - (ev.layout.trailer_size if ev is not None else 0)
        try:
            rec = parse_record(typ, misc, buf, off, body_end, self.endian)
        except struct.error:
            raise PerfDataError("record of type %d too short (%d bytes)" % (typ, size),
                                self.name, where) from None
        if rec is None:
            return
        if apply is not None:
            apply(self, rec)
        if typ in self._sideband_types:
            rec.evsel = ev
            rec.sample = self._trailer(ev, buf, off, size)
            self.consumer.sideband(rec)

    def deliver_sample_general(self, ev, buf, off, size, misc, where):
        """Parse a sample fully and hand it to the consumer's `sample` method."""
        sample = ev.layout.parse(buf, off, size, misc, self.name, where)
        thread = self.threads.findnew(sample.pid if sample.pid != 0xFFFFFFFF else -1,
                                      sample.tid if sample.tid != 0xFFFFFFFF else -1)
        if sample.read is not None:
            self._deliver_read_values(ev, sample, thread)
        else:
            self.consumer.sample(ev, sample, thread)

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
                self.consumer.sample(member, sample, thread)

    def _trailer(self, ev, buf, off, size):
        s = Sample()
        if ev is not None:
            ev.layout.parse_trailer(buf, off, size, s)
        return s

    # ------------------------------------------------------------ state changes

    def _mmap(self, rec):
        cpumode = rec.misc & C.MISC_CPUMODE_MASK
        start, pid, filename = rec.start, rec.pid, rec.filename
        end = start + rec.length
        if end > 0xFFFFFFFFFFFFFFFF:
            end = 0xFFFFFFFFFFFFFFFF
        build_id = rec.build_id
        if build_id is None:
            key = filename
            if cpumode in _KERNEL_MODES and filename.startswith("[kernel.kallsyms]"):
                key = "[kernel.kallsyms]"
            build_id = self.build_ids.get(key)
        if cpumode not in _KERNEL_MODES and rec.prot & MmapRecord.PROT_EXEC and (
                filename in ANON_NAMES or filename.startswith(ANON_PREFIXES)):
            # perf looks for JIT symbols of executable anonymous memory in a perf map
            filename = "/tmp/perf-%d.map" % pid
        m = Map(start, end, rec.pgoff, filename, rec.prot, rec.flags, build_id)
        m.listed = filename in self.build_ids
        if cpumode in _KERNEL_MODES:
            self.kernel_maps.insert(m)
            return
        th = self.threads.findnew(pid, rec.tid)
        th.maps.insert(m)

    def _comm(self, rec):
        th = rec.thread = self.threads.findnew(rec.pid, rec.tid)
        rec.old_comm, rec.old_comm_set = th.comm, th.comm_set
        th.set_comm(rec.comm)

    def _fork(self, rec):
        rec.replaced = self.threads.get(rec.tid)
        rec.thread, rec.parent = self.threads.fork(rec.pid, rec.tid, rec.ppid, rec.ptid)

    def _exit(self, rec):
        self.threads.exit(rec.pid, rec.tid)

    def _lost(self, rec):
        self.lost_events += rec.lost
        self.lost_chunks += 1

    def _lost_samples(self, rec):
        self.lost_samples += rec.lost

    def _ksymbol(self, rec):
        """perf's machine__process_ksymbol: kernel code (BPF) gets a map and a symbol;
        unregistered, its map goes."""
        m = self.kernel_maps.find(rec.addr)
        if rec.flags & KSYMBOL_UNREGISTER:
            if m is not None and not m.filename.startswith("[kernel.kallsyms]"):
                self.kernel_maps.remove(m)
            return
        if self.resolver is None:
            return
        if m is None:
            m = Map(rec.addr, (rec.addr + rec.len) & 0xFFFFFFFFFFFFFFFF, 0, rec.name)
            m.dso = self.resolver.ksymbol_dso(rec.name)
            self.kernel_maps.insert(m)
        self.resolver.add_ksymbol(self.dso_of(m, True), rec.addr - m.start + m.pgoff,
                                  rec.len, rec.name)

    # what each record type changes in the session's state (types not listed: nothing)
    _APPLY = {
        C.RECORD_MMAP: _mmap,
        C.RECORD_MMAP2: _mmap,
        C.RECORD_COMM: _comm,
        C.RECORD_FORK: _fork,
        C.RECORD_EXIT: _exit,
        C.RECORD_LOST: _lost,
        C.RECORD_LOST_SAMPLES: _lost_samples,
        C.RECORD_KSYMBOL: _ksymbol,
    }

    # ------------------------------------------------------------ records read at once

    def _immediate(self, typ, misc, size, buf, off, where):
        """A record perf handles when it reads it: header records (pipe mode), stat
        records, auxtrace errors."""
        if typ not in _HEADER_RECORDS:
            if typ in self._sideband_types:
                self._sideband_now(typ, misc, size, buf, off, where)
            return
        try:
            if typ == C.RECORD_HEADER_ATTR:
                try:
                    attr = Attr.parse(buf, off + 8, size - 8, self.endian, self.name)
                except PerfDataError as e:
                    # located in the file, not in the buffer (a stream's is the record)
                    raise PerfDataError(e.what, self.name, where + 8) from None
                rest = off + 8 + attr.size
                nids = max(0, (off + size - rest) // 8)
                ids = struct.unpack_from("%s%dQ" % (self.endian, nids), buf, rest)
                self._prepare(self.evsels.add(attr, ids))
            elif typ == C.RECORD_FINISHED_INIT:
                self.name_events()
            elif typ != C.RECORD_HEADER_EVENT_TYPE:
                rec = parse_record(typ, misc, buf, off, off + size, self.endian)
                if rec is not None:
                    self._HEADER_APPLY[typ](self, rec, buf, size, where)
        except struct.error:
            raise PerfDataError("record of type %d too short (%d bytes)" % (typ, size),
                                self.name, where) from None

    def _sideband_now(self, typ, misc, size, buf, off, where):
        """A record handed to the consumer as it is read (no trailer, no event)."""
        try:
            rec = parse_record(typ, misc, buf, off, off + size, self.endian)
        except struct.error:
            raise PerfDataError("record of type %d too short (%d bytes)"
                                % (typ, size), self.name, where) from None
        if rec is not None:
            rec.sample = Sample()
            self.consumer.sideband(rec)

    def _header_tracing_data(self, rec, buf, size, where):
        start = rec.offset + size       # the data follows the record
        self._tracing_data(bytes(buf[start:start + rec.size]), where + size)

    def _header_feature(self, rec, buf, size, where):
        if rec.data:
            self._feature(rec.feat, rec.data, where + HeaderFeatureRecord.DATA_AT)
            if rec.feat == C.FEAT_EVENT_DESC:
                self.name_events()

    def _header_build_id(self, rec, buf, size, where):
        bsize = rec.size if self.pd.pipe else 20
        given = rec.misc & BuildIdRecord.SIZE_GIVEN
        bid = rec.data[:bsize] if given and 0 < bsize <= 20 else rec.data
        if not given:
            bid = bid.rstrip(b"\0") if len(bid.rstrip(b"\0")) >= 16 else bid
        self.build_ids.setdefault(rec.filename, bid.hex())

    def _id_index(self, rec, buf, size, where):
        if rec.nr > rec.room:
            raise PerfDataError("ID_INDEX claims %d entries in %d bytes" % (rec.nr, size),
                                self.name, rec.offset)
        evs = self.evsels.evsels
        for sid, idx in rec.entries:
            if idx < len(evs) and sid not in self.evsels.by_id:
                self.evsels.add_ids(evs[idx], (sid,))

    def _event_update(self, rec, buf, size, where):
        ev = self.evsels.by_id.get(rec.id)
        if ev is None:
            return
        if rec.update_type == EventUpdateRecord.NAME:
            ev.name = rec.name
        self.event_updates.setdefault(rec.id, {})[rec.update_type] = rec.payload

    _HEADER_APPLY = {
        C.RECORD_HEADER_TRACING_DATA: _header_tracing_data,
        C.RECORD_HEADER_FEATURE: _header_feature,
        C.RECORD_HEADER_BUILD_ID: _header_build_id,
        C.RECORD_ID_INDEX: _id_index,
        C.RECORD_EVENT_UPDATE: _event_update,
    }


    # ------------------------------------------------------------ symbols

    def find_map(self, thread, cpumode, addr):
        """The map holding `addr` as perf's thread__find_map sees it."""
        if cpumode in _KERNEL_MODES:
            return self.kernel_maps.find(addr)
        if cpumode in _USER_MODES:
            return thread.maps.find(addr) if thread is not None else None
        return None

    def dso_of(self, m, kernel):
        """The symbol layer's dso for a map, looked up once per map."""
        dso = m.dso
        if dso is None and self.resolver is not None:
            dso = m.dso = self.resolver.dso_for_map(m, kernel)
            extent = getattr(dso, "map_extent", None)
            if kernel and extent is not None:
                # loading kallsyms moves the kernel map to its first/last symbol (a
                # vmlinux: to its .text, its other sections get maps of their own)
                start, end = extent(m.start, m.end)
                pgoff = dso.map_pgoff(m.pgoff)
                if (start, end, pgoff) != (m.start, m.end, m.pgoff):
                    self.kernel_maps.remove(m)
                    m.start, m.end, m.pgoff = start, end, pgoff
                    self.kernel_maps.insert(m)
                for start, end, pgoff, part in dso.section_maps:
                    sm = Map(start, end, pgoff, part.name)
                    sm.dso = part
                    self.kernel_maps.insert(sm)
        return dso

    def user_file_address(self, thread, cpumode, addr):
        """(dso, map-relative address) of an address in a user-space file perf can read
        code and line tables from (not the kernel, not anonymous memory), or None."""
        m = self.find_map(thread, cpumode, addr)
        if m is None:
            return None
        dso = self.dso_of(m, cpumode in _KERNEL_MODES)
        if dso is None or getattr(dso, "kernel", False) or not m.filename.startswith("/"):
            return None
        dso.table                               # loading finds its files
        return dso, dso.map_ip(addr, m.start, m.pgoff)

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

    # the depth perf unwinds user stacks to (its scripting_max_stack: --max-stack or 127)
    unwind_depth = 127
    # perf's inline_name (--inline, on by default): unwound frames show inlined functions
    inline = True
    # perf script's --full-source-path, for the inlined entries' source lines
    full_source_path = False

    def inline_entries(self, thread, cpumode, ip, found=None):
        """The entries perf appends instead of an unwound user frame: its inlined
        functions (symbols.inlines.InlineFrame, innermost first), or None for the plain
        frame (another kind of frame, no symbol, nothing addr2line knows, --no-inline).
        `found`: the frame's (map, dso, symbol) when the caller's lookup differs from
        `locate` (db-export's made-up "unknown" symbols)."""
        if cpumode != MISC_USER_UNWOUND or not self.inline:
            return None
        if found is None:
            loc = self.locate(thread, cpumode, ip)
            if loc is None:
                return None
            found = loc[:3]
        m, dso, sym = found
        if sym is None or dso is None:
            return None
        from perfscript.symbols.inlines import inline_frames
        return inline_frames(dso, sym, dso.map_ip(ip, m.start, m.pgoff),
                             self.full_source_path)

    def chain_of(self, ev, s, thread):
        """The chain perf resolves for a sample: its callchain, followed for
        `--call-graph dwarf` events by the user frames unwound from its stack (after
        callchain.UNWOUND); None when it has none or perf's resolution fails."""
        ips = s.callchain
        if ips is None or not unwinds(ev.attr):
            return ips
        got = s.unwound
        if got is None:
            if self._user_stacks is None:
                # the unwinder reads DWARF: imported by the recordings that need it
                from perfscript.session.user_stack import UserStacks
                self._user_stacks = UserStacks(self)
            user = self._user_stacks.frames(ev.attr, s, thread, self.unwind_depth)
            if user is None:
                got = False
            else:
                got = ips + (UNWOUND,) + user if user else ips
            s.unwound = got
        return None if got is False else got

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

    @property
    def slice_crossed(self):
        """Was a sample delivered after a later one (perf's out-of-order events), so that
        time slices printed one after the other would not be perf's order?"""
        return (self.time_slice is not None and self.queue is not None
                and self.queue.out_of_order > 0)

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
    # (lo, hi): only the samples of times lo <= t < hi reach the consumer (a parallel
    # worker's share of the output; the other records all still apply)
    time_slice = None
    _unpacked = None            # the Spooled data section of a compressed file, once read
    # an observer of the header, apart from the consumer (the header listing of a pipe):
    # called with (feature id, value) as each feature is read
    feature_listener = None
    _sideband_types = frozenset()

