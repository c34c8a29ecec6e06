"""Typed views of the records that are not samples: one class per layout, one table from
record type to class.

The session reads these records to keep its state (threads, maps, lost counts, stat
counts) and hands them to consumers; printers format them. Offsets and field types are
written here only, so a new record type is one class here, one state change in the
session and one formatter in output/.

Every view has `type`, `misc` and `offset` (where it was read); records the kernel
writes with a sample_id trailer also get `sample` (the trailer) and `evsel` (the event
it names) from the session, which knows the events, once they are delivered. `parse_record` raises struct.error on a
record too short for its layout; the session turns that into a located PerfDataError.
"""

import struct

from perfscript.perfdata import constants as C


def s32(v):
    """A u32 field as the C int perf keeps it in."""
    return v - (1 << 32) if v & 0x80000000 else v


def cstring(buf, start, end):
    """A NUL-terminated string inside a record (comm and file names)."""
    raw = bytes(buf[start:end])
    nul = raw.find(b"\0")
    if nul >= 0:
        raw = raw[:nul]
    return raw.decode("utf-8", "replace")


class Record:
    """Fields every view has."""

    __slots__ = ("type", "misc", "offset", "sample", "evsel")

    def _init(self, typ, misc, off):
        self.type = typ
        self.misc = misc
        self.offset = off
        self.sample = None      # the sample_id trailer, set by the session
        self.evsel = None       # the event the trailer names, set by the session


class MmapRecord(Record):
    """PERF_RECORD_MMAP and MMAP2: a file (or anonymous memory) mapped into a process."""

    __slots__ = ("pid", "tid", "start", "length", "pgoff", "filename", "build_id", "maj",
                 "min", "ino", "ino_generation", "prot", "flags")

    PROT_EXEC = 4

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)
        pid, tid, self.start, self.length, self.pgoff = struct.unpack_from(e + "IIQQQ", buf,
                                                                           off + 8)
        self.pid, self.tid = s32(pid), s32(tid)
        self.build_id = None
        self.maj = self.min = self.ino = self.ino_generation = 0
        if typ == C.RECORD_MMAP:
            # MMAP has no protection bits: perf takes data maps as non-executable
            self.prot = 0 if misc & C.MISC_MMAP_DATA else self.PROT_EXEC
            self.flags = 0
            self.filename = cstring(buf, off + 40, body_end)
            return
        if misc & C.MISC_MMAP_BUILD_ID:
            size = buf[off + 40]
            self.build_id = bytes(buf[off + 44:off + 44 + min(size, 20)]).hex()
        else:
            self.maj, self.min, self.ino, self.ino_generation = struct.unpack_from(
                e + "IIQQ", buf, off + 40)
        self.prot, self.flags = struct.unpack_from(e + "II", buf, off + 64)
        self.filename = cstring(buf, off + 72, body_end)


class CommRecord(Record):
    """PERF_RECORD_COMM: a task's name changed (`exec`: by an exec).

    The session adds `thread`, and the name the thread had before (`old_comm`,
    `old_comm_set`), when it delivers the record."""

    __slots__ = ("pid", "tid", "comm", "exec", "thread", "old_comm", "old_comm_set")

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)
        pid, tid = struct.unpack_from(e + "II", buf, off + 8)
        self.pid, self.tid = s32(pid), s32(tid)
        self.comm = cstring(buf, off + 16, body_end)
        self.exec = bool(misc & C.MISC_COMM_EXEC)
        self.thread = None


class TaskRecord(Record):
    """PERF_RECORD_FORK and EXIT: a task began or ended.

    On FORK the session adds `thread` (the new one), `parent` and `replaced` (the thread
    that had this tid before, if any) when it delivers the record."""

    __slots__ = ("pid", "ppid", "tid", "ptid", "time", "thread", "parent", "replaced")

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)
        pid, ppid, tid, ptid, self.time = struct.unpack_from(e + "IIIIQ", buf, off + 8)
        self.pid, self.ppid, self.tid, self.ptid = s32(pid), s32(ppid), s32(tid), s32(ptid)
        self.thread = self.parent = self.replaced = None


class LostRecord(Record):
    """PERF_RECORD_LOST: `lost` events dropped by the kernel for event `id`."""

    __slots__ = ("id", "lost")

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)
        self.id, self.lost = struct.unpack_from(e + "QQ", buf, off + 8)


class LostSamplesRecord(Record):
    """PERF_RECORD_LOST_SAMPLES: samples the kernel could not write."""

    __slots__ = ("lost",)

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)
        self.lost = struct.unpack_from(e + "Q", buf, off + 8)[0]


class SwitchRecord(Record):
    """PERF_RECORD_SWITCH and SWITCH_CPU_WIDE: a context switch in or out; the cpu-wide
    form also names the task switched to or from (-1 otherwise)."""

    __slots__ = ("out", "preempt", "cpu_wide", "next_prev_pid", "next_prev_tid")

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)
        self.out = bool(misc & C.MISC_SWITCH_OUT)
        self.preempt = bool(misc & C.MISC_SWITCH_OUT_PREEMPT)
        self.cpu_wide = typ == C.RECORD_SWITCH_CPU_WIDE
        if self.cpu_wide:
            self.next_prev_pid, self.next_prev_tid = struct.unpack_from(e + "ii", buf,
                                                                        off + 8)
        else:
            self.next_prev_pid = self.next_prev_tid = -1


class ThrottleRecord(Record):
    """PERF_RECORD_THROTTLE and UNTHROTTLE (`kind` is the script handler's name)."""

    __slots__ = ("time", "id", "stream_id", "kind")

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)
        self.time, self.id, self.stream_id = struct.unpack_from(e + "QQQ", buf, off + 8)
        self.kind = "throttle" if typ == C.RECORD_THROTTLE else "unthrottle"


class AuxtraceErrorRecord(Record):
    """PERF_RECORD_AUXTRACE_ERROR: a hardware-trace decoder's error. Format 0 has no time
    and its message right after the ip; format 2 adds machine_pid and vcpu."""

    __slots__ = ("error_type", "code", "cpu", "pid", "tid", "fmt", "ip", "time", "msg",
                 "machine_pid", "vcpu")

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)
        (self.error_type, self.code, self.cpu, self.pid, self.tid,
         self.fmt) = struct.unpack_from(e + "IIiiiI", buf, off + 8)
        self.ip = struct.unpack_from(e + "Q", buf, off + 32)[0]
        if self.fmt == 0 or off + 48 > body_end:
            self.time, msg_at = 0, off + 40
        else:
            self.time, msg_at = struct.unpack_from(e + "Q", buf, off + 40)[0], off + 48
        raw = bytes(buf[msg_at:min(msg_at + 64, body_end)])
        self.msg = raw.split(b"\0", 1)[0].decode("utf-8", "replace")
        self.machine_pid, self.vcpu = 0, -1
        if self.fmt >= 2 and msg_at + 72 <= body_end:
            self.machine_pid, self.vcpu = struct.unpack_from(e + "Ii", buf, msg_at + 64)


class StatConfigRecord(Record):
    """PERF_RECORD_STAT_CONFIG: (tag, value) pairs of `perf stat record`'s settings."""

    __slots__ = ("entries",)

    AGGR_MODE, INTERVAL, SCALE = 0, 1, 2

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)
        nr = min(struct.unpack_from(e + "Q", buf, off + 8)[0], (body_end - off - 16) // 16)
        self.entries = [struct.unpack_from(e + "QQ", buf, off + 16 + 16 * k)
                        for k in range(max(0, nr))]


class StatRecord(Record):
    """PERF_RECORD_STAT: one counter's value, enabled and running times on a cpu (by
    number) and thread (by index in the thread map)."""

    __slots__ = ("id", "cpu", "thread", "val", "ena", "run")

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)
        (self.id, cpu, self.thread, self.val, self.ena,
         self.run) = struct.unpack_from(e + "QIIQQQ", buf, off + 8)
        self.cpu = s32(cpu)


class StatRoundRecord(Record):
    """PERF_RECORD_STAT_ROUND: the counts so far are reported at `time`."""

    __slots__ = ("round_type", "time")

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)
        self.round_type, self.time = struct.unpack_from(e + "QQ", buf, off + 8)


class ThreadMapRecord(Record):
    """PERF_RECORD_THREAD_MAP: the pids `perf stat record` counted (24-byte entries:
    pid and a comm)."""

    __slots__ = ("pids",)

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)
        nr = min(struct.unpack_from(e + "Q", buf, off + 8)[0], (body_end - off - 16) // 24)
        self.pids = [struct.unpack_from(e + "Q", buf, off + 16 + 24 * k)[0]
                     for k in range(max(0, nr))]


class CpuMapRecord(Record):
    """PERF_RECORD_CPU_MAP: the cpus counted, as a list, a bitmask or a range; `cpus` is
    None for a form perf 6.1 does not know."""

    __slots__ = ("cpus",)

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)
        self.cpus = self.cpus_of(buf, off, body_end - off, e)

    @staticmethod
    def cpus_of(buf, off, size, e):
        """The cpus of a cpu map's data at buf[off + 8:off + size] (a CPU_MAP record's
        body, or an EVENT_UPDATE's cpus after 8 bytes of padding)."""
        kind = struct.unpack_from(e + "H", buf, off + 8)[0]
        if kind == 0:
            nr = struct.unpack_from(e + "H", buf, off + 10)[0]
            nr = min(nr, (size - 12) // 2)
            return list(struct.unpack_from(e + "%dH" % nr, buf, off + 12))
        if kind == 1:
            nr, long_size = struct.unpack_from(e + "HH", buf, off + 10)
            code = "I" if long_size == 4 else "Q"
            step = 4 if long_size == 4 else 8
            start = off + 14 if long_size == 4 else off + 16
            cpus = []
            for k in range(nr):
                if start + step * (k + 1) > off + size:
                    break
                word = struct.unpack_from(e + code, buf, start + step * k)[0]
                for b in range(step * 8):
                    if word >> b & 1:
                        cpus.append(k * step * 8 + b)
            return cpus
        if kind == 2:
            any_cpu, _, start, end = struct.unpack_from(e + "BBHH", buf, off + 10)
            cpus = list(range(start, end + 1))
            return ([-1] + cpus) if any_cpu else cpus
        return None


class HeaderFeatureRecord(Record):
    """PERF_RECORD_HEADER_FEATURE (pipe mode): one header feature section, `data`, read
    at file offset `data_offset` relative to the record."""

    __slots__ = ("feat", "data")

    DATA_AT = 16

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)
        self.feat = struct.unpack_from(e + "Q", buf, off + 8)[0]
        self.data = bytes(buf[off + self.DATA_AT:body_end])


class TracingDataRecord(Record):
    """PERF_RECORD_HEADER_TRACING_DATA (pipe mode): `size` bytes of tracing data follow
    the record itself."""

    __slots__ = ("size",)

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)
        self.size = struct.unpack_from(e + "I", buf, off + 8)[0]


class BuildIdRecord(Record):
    """PERF_RECORD_HEADER_BUILD_ID: a DSO's build id (`data`, 20 bytes as stored; with
    misc bit 15 set, `size` says how many of them are the id) and its file name."""

    __slots__ = ("pid", "data", "size", "filename")

    SIZE_GIVEN = 1 << 15

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)
        self.pid = s32(struct.unpack_from(e + "I", buf, off + 8)[0])
        self.data = bytes(buf[off + 12:off + 32])
        self.size = buf[off + 32]
        self.filename = cstring(buf, off + 36, body_end)


class IdIndexRecord(Record):
    """PERF_RECORD_ID_INDEX: which event (by index in the attrs) each sample id belongs
    to. `nr` is the count the record claims; `entries` the (id, index) pairs that fit."""

    __slots__ = ("nr", "room", "entries")

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)
        self.nr = struct.unpack_from(e + "Q", buf, off + 8)[0]
        self.room = max(0, (body_end - off - 16) // 32)
        n = min(self.nr, self.room)
        flat = struct.unpack_from("%s%dQ" % (e, 4 * n), buf, off + 16)
        self.entries = [(flat[k], flat[k + 1]) for k in range(0, 4 * n, 4)]


class EventUpdateRecord(Record):
    """PERF_RECORD_EVENT_UPDATE: a new unit, scale, name or cpu list for event `id`;
    `payload` is what follows the header, `name` set for a name update."""

    __slots__ = ("update_type", "id", "payload", "name")

    NAME = 2

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)
        self.update_type, self.id = struct.unpack_from(e + "QQ", buf, off + 8)
        self.payload = bytes(buf[off + 24:body_end])
        self.name = cstring(buf, off + 24, body_end) if self.update_type == self.NAME \
            else None


class NamespacesRecord(Record):
    """PERF_RECORD_NAMESPACES: a task's namespaces, (dev, inode) per namespace type in
    the kernel's order (net, uts, ipc, pid, user, mnt, cgroup...)."""

    __slots__ = ("pid", "tid", "nr", "links")

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)
        pid, tid, self.nr = struct.unpack_from(e + "IIQ", buf, off + 8)
        self.pid, self.tid = s32(pid), s32(tid)
        room = max(0, (body_end - off - 24) // 16)
        n = min(self.nr, room)
        flat = struct.unpack_from(e + "%dQ" % (2 * n), buf, off + 24)
        self.links = list(zip(flat[::2], flat[1::2]))


class CgroupRecord(Record):
    """PERF_RECORD_CGROUP: a cgroup's id and its path."""

    __slots__ = ("id", "path")

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)
        self.id = struct.unpack_from(e + "Q", buf, off + 8)[0]
        self.path = cstring(buf, off + 16, body_end)


class KsymbolRecord(Record):
    """PERF_RECORD_KSYMBOL: kernel code (a BPF program, a trampoline) appeared or went."""

    __slots__ = ("addr", "len", "ksym_type", "flags", "name")

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)
        self.addr, self.len, self.ksym_type, self.flags = struct.unpack_from(
            e + "QIHH", buf, off + 8)
        self.name = cstring(buf, off + 24, body_end)


class BpfEventRecord(Record):
    """PERF_RECORD_BPF_EVENT: a BPF program was loaded or unloaded."""

    __slots__ = ("bpf_type", "flags", "id", "tag")

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)
        self.bpf_type, self.flags, self.id = struct.unpack_from(e + "HHI", buf, off + 8)
        self.tag = bytes(buf[off + 16:off + 24])


class TextPokeRecord(Record):
    """PERF_RECORD_TEXT_POKE: kernel text at `addr` changed from `old` to `new` bytes."""

    __slots__ = ("addr", "old", "new")

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)
        self.addr, old_len, new_len = struct.unpack_from(e + "QHH", buf, off + 8)
        start = off + 20
        self.old = bytes(buf[start:min(start + old_len, body_end)])
        self.new = bytes(buf[start + old_len:min(start + old_len + new_len, body_end)])


class FinishedRoundRecord(Record):
    """PERF_RECORD_FINISHED_ROUND: every record before it is older than any after the
    round before (perf's ordering window)."""

    __slots__ = ()

    def __init__(self, typ, misc, buf, off, body_end, e):
        self._init(typ, misc, off)


LAYOUTS = {
    C.RECORD_MMAP: MmapRecord,
    C.RECORD_MMAP2: MmapRecord,
    C.RECORD_COMM: CommRecord,
    C.RECORD_FORK: TaskRecord,
    C.RECORD_EXIT: TaskRecord,
    C.RECORD_LOST: LostRecord,
    C.RECORD_LOST_SAMPLES: LostSamplesRecord,
    C.RECORD_SWITCH: SwitchRecord,
    C.RECORD_SWITCH_CPU_WIDE: SwitchRecord,
    C.RECORD_THROTTLE: ThrottleRecord,
    C.RECORD_UNTHROTTLE: ThrottleRecord,
    C.RECORD_AUXTRACE_ERROR: AuxtraceErrorRecord,
    C.RECORD_STAT_CONFIG: StatConfigRecord,
    C.RECORD_STAT: StatRecord,
    C.RECORD_STAT_ROUND: StatRoundRecord,
    C.RECORD_THREAD_MAP: ThreadMapRecord,
    C.RECORD_CPU_MAP: CpuMapRecord,
    C.RECORD_HEADER_FEATURE: HeaderFeatureRecord,
    C.RECORD_HEADER_TRACING_DATA: TracingDataRecord,
    C.RECORD_HEADER_BUILD_ID: BuildIdRecord,
    C.RECORD_ID_INDEX: IdIndexRecord,
    C.RECORD_EVENT_UPDATE: EventUpdateRecord,
    C.RECORD_NAMESPACES: NamespacesRecord,
    C.RECORD_CGROUP: CgroupRecord,
    C.RECORD_KSYMBOL: KsymbolRecord,
    C.RECORD_BPF_EVENT: BpfEventRecord,
    C.RECORD_TEXT_POKE: TextPokeRecord,
    C.RECORD_FINISHED_ROUND: FinishedRoundRecord,
}

# Bytes up to the end of each type's fixed fields (header included): a record shorter
# than its type's has no view, so no view reads past its record.
MIN_SIZES = {
    C.RECORD_MMAP: 40, C.RECORD_MMAP2: 72, C.RECORD_COMM: 16, C.RECORD_FORK: 32,
    C.RECORD_EXIT: 32, C.RECORD_LOST: 24, C.RECORD_LOST_SAMPLES: 16, C.RECORD_SWITCH: 8,
    C.RECORD_SWITCH_CPU_WIDE: 16, C.RECORD_THROTTLE: 32, C.RECORD_UNTHROTTLE: 32,
    C.RECORD_AUXTRACE_ERROR: 40, C.RECORD_STAT_CONFIG: 16, C.RECORD_STAT: 48,
    C.RECORD_STAT_ROUND: 24, C.RECORD_THREAD_MAP: 16, C.RECORD_CPU_MAP: 16,
    C.RECORD_HEADER_FEATURE: 16, C.RECORD_HEADER_TRACING_DATA: 12,
    C.RECORD_HEADER_BUILD_ID: 36, C.RECORD_ID_INDEX: 16, C.RECORD_EVENT_UPDATE: 24,
    C.RECORD_NAMESPACES: 24, C.RECORD_CGROUP: 16, C.RECORD_KSYMBOL: 24,
    C.RECORD_BPF_EVENT: 24, C.RECORD_TEXT_POKE: 20, C.RECORD_FINISHED_ROUND: 8,
}


def parse_record(typ, misc, buf, off, body_end, endian):
    """The typed view of a record (None for a type without one here, or a record too
    short for its type's fixed fields); `body_end` is where its body stops (before any
    sample_id trailer)."""
    layout = LAYOUTS.get(typ)
    if layout is None or body_end - off < MIN_SIZES[typ]:
        return None
    return layout(typ, misc, buf, off, body_end, endian)
