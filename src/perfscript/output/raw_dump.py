"""-D/--dump-raw-trace: every record as perf 6.1 dumps it, around perf script's own output.

For each record perf prints (dump_event) a blank line, `OFFSET@FILE [SIZE]: event: TYPE`,
the record's bytes in hex and ASCII, the sample's cpu and time (evlist__print_tstamp),
`OFFSET [SIZE]: PERF_RECORD_NAME`, then what the code that handles the record prints in
dump mode: the sample's fields (dump_sample), the body of a side-band record, the entries
of an ID_INDEX... User records (types >= 64) are dumped as they are read, the others as
they are delivered in time order: the session's `observer` hook calls `record` at exactly
those points. A sample that passes the time and cpu filters also gets the thread and dso
perf resolves (machine__resolve): the sample filter calls `resolved`.
"""

import struct

from perfscript.names.regs import reg_name
from perfscript.output.header import ranges
from perfscript.output.sideband import format_record, record_name
from perfscript.perfdata import constants as C
from perfscript.perfdata.record_types import CpuMapRecord, parse_record
from perfscript.perfdata.sample import Sample

U32_MAX = 0xFFFFFFFF
NR_NAMESPACES = 7
_REGS_ABI = ("none", "32-bit", "64-bit")
# records whose body names itself in dump mode as it does with --show-*-events
_BODY_TEXT = (C.RECORD_MMAP, C.RECORD_MMAP2, C.RECORD_COMM, C.RECORD_FORK, C.RECORD_EXIT,
              C.RECORD_CGROUP, C.RECORD_SWITCH, C.RECORD_SWITCH_CPU_WIDE, C.RECORD_KSYMBOL,
              C.RECORD_BPF_EVENT)
_UNHANDLED = (C.RECORD_TIME_CONV, C.RECORD_FINISHED_INIT)
_EVENT_UPDATE = {0: "unit", 1: "scale", 2: "name", 3: "cpus"}


def hex_dump(data):
    """perf's trace_event: the record's bytes, 16 a line, with their printable ASCII."""
    out = [".\n. ... raw event: size %d bytes\n" % len(data)]
    for i in range(0, len(data), 16):
        chunk = data[i:i + 16]
        pad = 16 - len(chunk)
        out.append(".  %04x: %s%s  %s%s\n" % (
            i, "".join(" %02x" % b for b in chunk), "   " * pad,
            "".join(chr(b) if 0x20 <= b < 0x7f else "." for b in chunk), " " * pad))
    return "".join(out) + "\n"


def _hx(v):
    """C's %#lx: 0 prints as 0."""
    return "%#x" % v if v else "0"


def _s32(v):
    return v - (1 << 32) if v & 0x80000000 else v


class RawDump:
    """Writes perf's dump of each record; `write` is where perf's stdout goes."""

    def __init__(self, session, write, input_path, ordered=True, shown=frozenset()):
        self.session = session
        self.write = write
        self.pipe = bool(session.pd.pipe)
        self.path = "pipe" if self.pipe else input_path
        self.ordered = ordered      # False: --dump-unsorted-raw-trace
        # the record types the text output prints (--show-*-events): perf's handlers of
        # those dump a little differently
        self.shown = shown
        self._tail = ""             # an EXIT's body, printed after its --show line
        self._base = None           # a pipe's offsets count from its first record
        self._combined = 0          # perf caches the events' combined sample_type
        evsels = session.evsels.evsels
        if not self.pipe and evsels and not evsels[0].attr.sample_id_all and ordered:
            write("WARNING: No sample_id_all support, falling back to unordered "
                  "processing\n")

    # ------------------------------------------------------------ the record

    def record(self, typ, misc, size, buf, off, where, ev):
        """One record, at the point perf dumps it (session observer)."""
        if self.pipe:
            if self._base is None:
                self._base = where
            where -= self._base
        data = bytes(buf[off:off + size])
        sample = self._sample(typ, misc, size, buf, off, where, ev)
        details = self._details(typ, misc, size, buf, off, ev, sample)
        if typ == C.RECORD_EXIT and typ in self.shown:
            details, tail = "", details   # perf prints the --show line first
        else:
            tail = ""
        text = [self.flush_tail(),
                "\n%s@%s [%#x]: event: %d\n" % (_hx(where), self.path, size, typ),
                hex_dump(data), self._tstamp(typ, sample),
                "%s [%#x]: PERF_RECORD_%s" % (_hx(where), size, record_name(typ)),
                details]
        self.write("".join(text))
        self._tail = tail

    def flush_tail(self):
        """What is still to be said of the last record (also at the end of the run)."""
        tail, self._tail = self._tail, ""
        return tail

    def _sample(self, typ, misc, size, buf, off, where, ev):
        """perf's parsed sample of the record: all of it for a sample, the sample_id
        trailer for another kernel record, zeroes for a user record."""
        s = Sample()
        if typ >= C.RECORD_USER_TYPE_START:
            s.time = s.cpu = 0
            return s
        if ev is None:
            return s
        if typ == C.RECORD_SAMPLE:
            try:
                return ev.layout.parse(buf, off, size, misc, self.session.name, where)
            except Exception:       # the session reports a damaged sample itself
                return s
        if ev.attr.sample_id_all:
            ev.layout.parse_trailer(buf, off, size, s)
        return s

    def _tstamp(self, typ, s):
        """evlist__print_tstamp."""
        evsels = self.session.evsels.evsels
        if typ != C.RECORD_SAMPLE and not (evsels and evsels[0].attr.sample_id_all):
            return "-1 -1 "
        if not self._combined:
            for ev in evsels:
                self._combined |= ev.attr.sample_type
        st = self._combined
        out = ""
        if st & C.SAMPLE_CPU:
            out += "%u " % (s.cpu & U32_MAX)
        if st & C.SAMPLE_TIME:
            out += "%d " % s.time
        return out

    # ------------------------------------------------------------ what follows the name

    def _details(self, typ, misc, size, buf, off, ev, sample):
        if typ == C.RECORD_SAMPLE:
            return self._sample_text(ev, sample, misc, buf, off, size) if ev is not None else ""
        if typ == C.RECORD_FINISHED_ROUND:      # ordered: a blank line, then the flush
            if typ in self.shown:
                return ""
            return "\n" if self.ordered else ": unhandled!\n"
        if typ == C.RECORD_BPF_EVENT and typ in self.shown:
            return _bpf_read_as_ksymbol(buf, off, size, self.session.endian)
        if typ == C.RECORD_LOST and typ in self.shown:
            return ""
        if typ in _UNHANDLED:
            return self._time_conv(buf, off, size) + ": unhandled!\n" \
                if typ == C.RECORD_TIME_CONV else ": unhandled!\n"
        body_end = off + size
        if ev is not None and typ < C.RECORD_USER_TYPE_START:
            body_end -= ev.layout.trailer_size
        try:
            rec = parse_record(typ, misc, buf, off, body_end, self.session.endian)
        except struct.error:
            rec = None
        if rec is None:
            return ""
        if typ in _BODY_TEXT:
            return format_record(rec)[len("PERF_RECORD_") + len(record_name(typ)):]
        if typ == C.RECORD_NAMESPACES:
            return self._namespaces(rec)
        if typ == C.RECORD_TEXT_POKE:
            return format_record(rec, self._kernel_symbol)[
                len("PERF_RECORD_TEXT_POKE"):]
        if typ == C.RECORD_LOST:
            return ": id:%d: lost:%d\n" % (rec.id, rec.lost)
        if typ == C.RECORD_LOST_SAMPLES:
            return ": id:%d: lost samples :%d\n" % (sample.id, rec.lost)
        if typ == C.RECORD_ID_INDEX:
            return self._id_index(buf, off, size)
        if typ == C.RECORD_EVENT_UPDATE:
            return self._event_update(rec)
        if typ == C.RECORD_THREAD_MAP:
            return " nr: %d thread%s: %s\n" % (len(rec.pids), "s" if len(rec.pids) > 1 else "",
                                              ", ".join("%d" % _s32(p & U32_MAX)
                                                        for p in rec.pids))
        if typ == C.RECORD_CPU_MAP:
            return ": %s\n" % ranges(sorted(-1 if c == 0xFFFF else c for c in rec.cpus or ()))
        return ""

    def _sample_text(self, ev, s, misc, buf, off, size):
        """dump_sample."""
        st = ev.attr.sample_type
        period = s.period if s.period is not None else ev.attr.sample_period
        out = ["(IP, 0x%x): %d/%d: %s period: %d addr: %s\n" % (
            misc, _s32(s.pid), _s32(s.tid), _hx(s.ip), period, _hx(s.addr))]
        if st & C.SAMPLE_CALLCHAIN and s.callchain is not None:
            out.append("... FP chain: nr:%d\n" % len(s.callchain))
            out.extend("..... %2d: %016x\n" % (i, ip) for i, ip in enumerate(s.callchain))
        if st & C.SAMPLE_BRANCH_STACK and s.branch_stack is not None:
            out.append(self._branch_stack(s))
        arch = self.session.arch
        if st & C.SAMPLE_REGS_USER and s.user_regs is not None:
            out.append(_regs("user", ev.attr.sample_regs_user, s.user_regs_abi, s.user_regs,
                             arch))
        if st & C.SAMPLE_REGS_INTR and s.intr_regs is not None:
            out.append(_regs("intr", ev.attr.sample_regs_intr, s.intr_regs_abi, s.intr_regs,
                             arch))
        if st & C.SAMPLE_STACK_USER:
            out.append("... ustack: size %d, offset 0x%x\n" % self._user_stack(st, s, buf, off,
                                                                            size))
        if st & (C.SAMPLE_WEIGHT | C.SAMPLE_WEIGHT_STRUCT):
            out.append("... weight: %d" % s.weight)
            if st & C.SAMPLE_WEIGHT_STRUCT:
                out.append(",0x%x,0x%x" % (s.ins_lat, 0))
            out.append("\n")
        if st & C.SAMPLE_DATA_SRC:
            out.append(" . data_src: 0x%x\n" % (s.data_src or 0))
        if st & C.SAMPLE_PHYS_ADDR:
            out.append(" .. phys_addr: 0x%x\n" % s.phys_addr)
        if st & C.SAMPLE_TRANSACTION:
            out.append("... transaction: %x\n" % s.transaction)
        if st & C.SAMPLE_READ and s.read is not None:
            out.append(_sample_read(ev.attr.read_format, s))
        return "".join(out)

    def _user_stack(self, st, s, buf, off, size):
        """(dyn_size, offset of the stack's size field in the record), as perf's parser
        keeps them (size 0 for an empty dump)."""
        u64 = self.session.endian + "Q"
        if s.user_stack is not None:
            pos, ssize = s.user_stack
            return struct.unpack_from(u64, buf, pos + ssize)[0], pos - 8 - off
        after = 8 * sum(bool(st & bit) for bit in (
            C.SAMPLE_DATA_SRC, C.SAMPLE_TRANSACTION, C.SAMPLE_PHYS_ADDR, C.SAMPLE_CGROUP,
            C.SAMPLE_DATA_PAGE_SIZE, C.SAMPLE_CODE_PAGE_SIZE))
        if st & (C.SAMPLE_WEIGHT | C.SAMPLE_WEIGHT_STRUCT):
            after += 8
        if st & C.SAMPLE_REGS_INTR:
            after += 8 + 8 * len(s.intr_regs or ())
        if st & C.SAMPLE_AUX:
            after += 8 + (s.aux[1] if s.aux else 0)
        return 0, size - after - 8

    @staticmethod
    def _branch_stack(s):
        out = ["... branch stack: nr:%d\n" % len(s.branch_stack)]
        for i, (frm, to, flags) in enumerate(s.branch_stack):
            out.append("..... %2d: %016x -> %016x %d cycles %s%s%s%s %x\n" % (
                i, frm, to, (flags >> 4) & 0xFFFF, "M" if flags & 1 else " ",
                "P" if flags & 2 else " ", "A" if flags & 8 else " ",
                "T" if flags & 4 else " ", (flags >> 24) & 0xFFFFFFFFFF))
        return "".join(out)

    def _namespaces(self, rec):
        warn = ""
        if rec.nr > NR_NAMESPACES:
            warn = ("\nWARNING: kernel seems to support more namespaces than perf tool.\n"
                    "Try updating the perf tool..\n\n")
        elif rec.nr < NR_NAMESPACES:
            warn = ("\nWARNING: perf tool seems to support more namespaces than the "
                    "kernel.\nTry updating the kernel..\n\n")
        return warn + format_record(rec)[len("PERF_RECORD_NAMESPACES"):]

    def _id_index(self, buf, off, size):
        e = self.session.endian
        nr = struct.unpack_from(e + "Q", buf, off + 8)[0]
        out = [" nr: %d\n" % nr]
        for k in range(min(nr, (size - 16) // 32)):
            sid, idx, cpu, tid = struct.unpack_from(e + "QQqq", buf, off + 16 + 32 * k)
            out.append(" ... id: %d  idx: %d  cpu: %d  tid: %d\n" % (sid, idx, cpu, tid))
        return "".join(out)

    def _event_update(self, rec):
        out = "\n... id:    %d\n" % rec.id
        kind = _EVENT_UPDATE.get(rec.update_type)
        if kind == "cpus":
            cpus = CpuMapRecord.cpus_of(b"\0" * 8 + rec.payload, 0, 8 + len(rec.payload),
                                        self.session.endian)
            if cpus is None:
                return out + "... failed to get cpus\n"
            return out + "... %s\n" % ranges(sorted(-1 if c == 0xFFFF else c for c in cpus))
        if kind == "unit" or kind == "name":
            text = rec.payload.split(b"\0", 1)[0].decode("utf-8", "replace")
            return out + "... %s:  %s\n" % (kind, text)
        if kind == "scale":
            value = struct.unpack("<d", rec.payload[:8])[0] if len(rec.payload) >= 8 else 0.0
            return out + "... scale: %f\n" % value
        return out + "... unknown type\n"

    def _time_conv(self, buf, off, size):
        e = self.session.endian
        shift, mult, zero = struct.unpack_from(e + "QQQ", buf, off + 8)
        out = ("\n... Time Shift      %d\n... Time Muliplier  %d\n... Time Zero       %d\n"
               % (shift, mult, zero))
        if size >= 56:
            cycles, mask, cap_zero, cap_short = struct.unpack_from(e + "QQBB", buf, off + 32)
            out += ("... Time Cycles     %d\n... Time Mask       %s\n"
                    "... Cap Time Zero   %d\n... Cap Time Short  %d\n"
                    % (cycles, _hx(mask), cap_zero, cap_short))
        return out

    def _kernel_symbol(self, addr):
        loc = self.session.locate(None, C.MISC_KERNEL, addr)
        if loc is None or loc[2] is None:
            return None
        return loc[2].name, loc[3]

    # ------------------------------------------------------------ machine__resolve

    def resolved(self, sample, thread, loc):
        """The thread and dso perf resolves for a sample it goes on to handle."""
        if loc is not None and loc[1] is not None:
            dso = loc[1].long_name
        elif sample.misc & C.MISC_CPUMODE_MASK in (C.MISC_KERNEL, C.MISC_USER):
            dso = "<not found>"
        else:
            dso = "[hypervisor]"
        self.write(" ... thread: %s:%d\n ...... dso: %s\n" % (thread.comm, thread.tid, dso))


def _bpf_read_as_ksymbol(buf, off, size, e):
    """With --show-bpf-events perf hands BPF_EVENT records to its KSYMBOL code, which
    dumps the body (and the trailer after it) read as a KSYMBOL record's."""
    addr, length, ktype, flags = struct.unpack_from(e + "QIHH", buf, off + 8)
    raw = bytes(buf[off + 24:off + size])
    name = raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
    return " addr %x len %u type %u flags 0x%x name %s\n" % (addr, length, ktype, flags, name)


def _regs(kind, mask, abi, values, arch):
    """regs__printf: the mask and ABI, then each register the mask names."""
    out = ["... %s regs: mask 0x%x ABI %s\n" % (kind, mask, _REGS_ABI[abi] if abi < 3
                                                else "unknown")]
    i = 0
    for bit in range(64):
        if mask >> bit & 1:
            if i >= len(values):
                break
            out.append(".... %-5s 0x%016x\n" % (reg_name(bit, arch), values[i]))
            i += 1
    return "".join(out)


def _sample_read(read_format, s):
    out = ["... sample_read:\n"]
    if read_format & C.FORMAT_TOTAL_TIME_ENABLED:
        out.append("...... time enabled %016x\n" % (s.time_enabled or 0))
    if read_format & C.FORMAT_TOTAL_TIME_RUNNING:
        out.append("...... time running %016x\n" % (s.time_running or 0))
    lost = read_format & C.FORMAT_LOST
    if read_format & C.FORMAT_GROUP:
        out.append(".... group nr %d\n" % len(s.read))
    for vid, value, nlost in s.read:
        out.append("..... id %016x, value %016x%s\n" % (
            vid, value, ", lost %d" % (nlost or 0) if lost else ""))
    return "".join(out)
