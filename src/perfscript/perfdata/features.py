"""Typed values of perf.data header feature sections (HOSTNAME, EVENT_DESC, CPU_TOPOLOGY...).

One parser per feature id turns the section's bytes into plain Python values or frozen
value classes. Sections come from the file's feature index or from pipe-mode HEADER_FEATURE
records; the caller finds them, this module only reads one section at a time.

Every count and length is checked against the bytes of the section before it is used, so a
corrupt or hostile section raises PerfDataError (with the absolute file offset of the bad
field) instead of allocating, looping for long or failing with IndexError/struct.error.
Callers are expected to catch that per feature: a bad feature must not stop the events.

Strings are decoded as UTF-8 with ``surrogateescape`` (like ``os.fsdecode``), so bytes that
are not UTF-8 survive a round trip and can be written back exactly as perf prints them.
"""

from __future__ import annotations

import struct

from perfscript.bounded_reader import BoundedReader
from perfscript.errors import PerfDataError
from perfscript.value_types import Frozen

__all__ = [
    "FEATURE_NAMES", "FEATURE_IDS", "parse_feature", "feature_name",
    "NrCpus", "BuildIdEntry", "EventDesc", "CpuTopology", "CpuTopologyEntry", "NumaNode",
    "GroupDesc", "AuxtraceIndexEntry", "CacheLevel", "SampleTime", "MemTopology",
    "MemNode", "Compressed", "ClockData", "HybridNode", "CpuDomainInfo", "CpuDomains",
    "SchedDomain",
]

FEATURE_NAMES = {
    1: "TRACING_DATA",
    2: "BUILD_ID",
    3: "HOSTNAME",
    4: "OSRELEASE",
    5: "VERSION",
    6: "ARCH",
    7: "NRCPUS",
    8: "CPUDESC",
    9: "CPUID",
    10: "TOTAL_MEM",
    11: "CMDLINE",
    12: "EVENT_DESC",
    13: "CPU_TOPOLOGY",
    14: "NUMA_TOPOLOGY",
    15: "BRANCH_STACK",
    16: "PMU_MAPPINGS",
    17: "GROUP_DESC",
    18: "AUXTRACE",
    19: "STAT",
    20: "CACHE",
    21: "SAMPLE_TIME",
    22: "MEM_TOPOLOGY",
    23: "CLOCKID",
    24: "DIR_FORMAT",
    25: "BPF_PROG_INFO",
    26: "BPF_BTF",
    27: "COMPRESSED",
    28: "CPU_PMU_CAPS",
    29: "CLOCK_DATA",
    30: "HYBRID_TOPOLOGY",
    31: "PMU_CAPS",
    32: "CPU_DOMAIN_INFO",
}
FEATURE_IDS = {name: fid for fid, name in FEATURE_NAMES.items()}

# perf_record_header_build_id: header(8) pid(4) build_id[20] size(1) pad(3), then filename
_BUILD_ID_FIXED = 36
_BUILD_ID_FIXED_OLD = 32            # before perf added `pid` (kernel a1645ce1)
_BUILD_ID_SIZE = 20
_MISC_BUILD_ID_SIZE = 1 << 15
_MISC_CPUMODE_MASK = 7
_MISC_GUEST_KERNEL = 4
_MISC_GUEST_USER = 5
_HOST_KERNEL_ID = -1
_DEFAULT_GUEST_KERNEL_ID = 0
_STRING_MIN = 4                     # a perf_header_string is at least its u32 length


def feature_name(feat_id: int) -> str:
    """perf's name of a feature bit, or FEAT_<n> for bits this module does not know."""
    return FEATURE_NAMES.get(feat_id, "FEAT_%d" % feat_id)


def _text(raw) -> str:
    """A NUL-padded C string as str; bytes past the first NUL are padding."""
    raw = bytes(raw)
    nul = raw.find(b"\0")
    if nul >= 0:
        raw = raw[:nul]
    return raw.decode("utf-8", "surrogateescape")


# --------------------------------------------------------------------------- values

class NrCpus(Frozen):
    """NRCPUS: CPUs the machine could have (max present + 1) and CPUs online when recorded."""

    __slots__ = ("available", "online")


class BuildIdEntry(Frozen):
    """One BUILD_ID table entry: which DSO had which build id, in which machine (pid)."""

    __slots__ = ("pid", "misc", "build_id_hex", "filename")

    @property
    def cpumode(self) -> int:
        """PERF_RECORD_MISC_* cpumode (1 kernel, 2 user, 4 guest kernel, 5 guest user)."""
        return self.misc & _MISC_CPUMODE_MASK

    @property
    def build_id(self) -> bytes:
        return bytes.fromhex(self.build_id_hex)


class EventDesc(Frozen):
    """One EVENT_DESC entry: the attr exactly as recorded (decoded by the attr layer), the
    event's name as perf printed it on the command line, and its sample ids."""

    __slots__ = ("attr_bytes", "name", "ids")


class CpuTopologyEntry(Frozen):
    """Per-CPU ids of CPU_TOPOLOGY; die_id is None in files written before dies existed."""

    __slots__ = ("core_id", "socket_id", "die_id")
    _defaults = {"die_id": None}


class CpuTopology(Frozen):
    """CPU_TOPOLOGY. `cores` are the package (socket) sibling lists perf prints as
    "sibling sockets", `threads` the core sibling lists ("sibling threads"). Older perf
    wrote only those lists: `cpus` and `dies` are None when the section stops there."""

    __slots__ = ("cores", "threads", "cpus", "dies")
    _defaults = {"cpus": None, "dies": None}


class NumaNode(Frozen):
    """One NUMA_TOPOLOGY node: memory in kB and its CPU list string (e.g. "0-3")."""

    __slots__ = ("node", "mem_total", "mem_free", "cpus")


class GroupDesc(Frozen):
    """One GROUP_DESC entry; name is "{anon_group}" for groups given without a name."""

    __slots__ = ("name", "leader_idx", "nr_members")


class AuxtraceIndexEntry(Frozen):
    """Where one PERF_RECORD_AUXTRACE sits in the file (absolute offset and record size)."""

    __slots__ = ("file_offset", "size")


class CacheLevel(Frozen):
    """One CACHE entry: geometry numbers and the sysfs strings (type, size like "32K",
    shared_cpu_list)."""

    __slots__ = ("level", "line_size", "sets", "ways", "type", "size", "map")


class SampleTime(Frozen):
    """SAMPLE_TIME: first and last sample time in ns (0, 0 when perf did not compute them)."""

    __slots__ = ("first", "last")


class MemNode(Frozen):
    """One MEM_TOPOLOGY node: bit i of `bitmap` set = memory block i belongs to the node;
    `nbits` is the bitmap's recorded length in bits."""

    __slots__ = ("node", "nbits", "bitmap")

    @property
    def blocks(self) -> tuple:
        """Indexes of the memory blocks of this node."""
        bits, out, i = self.bitmap, [], 0
        while bits:
            if bits & 1:
                out.append(i)
            bits >>= 1
            i += 1
        return tuple(out)


class MemTopology(Frozen):
    """MEM_TOPOLOGY: memory block size in bytes and the nodes' block bitmaps."""

    __slots__ = ("version", "block_size", "nodes")


class Compressed(Frozen):
    """COMPRESSED: how PERF_RECORD_COMPRESSED payloads were made (type 1 = zstd)."""

    __slots__ = ("version", "type", "level", "ratio", "mmap_len")


class ClockData(Frozen):
    """CLOCK_DATA: one instant read on the wall clock and on the recording's clockid,
    which lets sample times be converted to time of day."""

    __slots__ = ("version", "clockid", "wall_clock_ns", "clockid_time_ns")


class HybridNode(Frozen):
    """One HYBRID_TOPOLOGY entry: a core PMU (e.g. cpu_core) and the CPUs it covers."""

    __slots__ = ("pmu_name", "cpus")


class SchedDomain(Frozen):
    """One scheduler domain of a CPU; name is None before schedstat version 17."""

    __slots__ = ("domain", "name", "cpumask", "cpulist")


class CpuDomains(Frozen):
    """The scheduler domains of one CPU."""

    __slots__ = ("cpu", "domains")


class CpuDomainInfo(Frozen):
    """CPU_DOMAIN_INFO (perf >= 6.18): /proc/schedstat's domain layout per CPU."""

    __slots__ = ("schedstat_version", "max_sched_domains", "cpus")


# --------------------------------------------------------------------------- reading

_SHORT = "%(what)s needs %(need)d bytes, only %(left)d left in the section"


def _section_reader(buf, endian, path, base, feat) -> BoundedReader:
    """A reader of one section: errors say "<FEATURE> feature: ..." at the file offset."""
    return BoundedReader(buf, path, big_endian=endian == ">", base=base,
                         prefix="%s feature: " % feature_name(feat), short=_SHORT)


def _perf_string(c, what) -> str:
    """perf_header_string: u32 length (NUL and padding included), then the bytes."""
    at = c.pos
    n = c.u32(what + " length")
    if n > c.left:
        raise c.error("%s length %d runs past the section (%d bytes left)"
                      % (what, n, c.left), at)
    return _text(c.take(n, what))


def _perf_strings(c, what) -> tuple:
    """u32 count, then that many perf_header_strings."""
    n = c.count(c.u32(what + " count"), _STRING_MIN, what)
    return tuple(_perf_string(c, what) for _ in range(n))


def _only_padding_left(c) -> bool:
    """True at the end, or when what is left is the zero padding that 8-byte aligned
    pipe-mode HEADER_FEATURE records (perf >= 6.12) add after the payload."""
    left = c.left
    return left == 0 or (left < 8 and not any(c.buf[c.pos:c.end]))


# --------------------------------------------------------------------------- parsers

def _raw(c, **_):
    return bytes(c.buf)


def _flag(c, **_):
    """BRANCH_STACK and STAT carry no payload: being set is the information."""
    return True


def _string(c, **_):
    return _perf_string(c, "string")


def _nrcpus(c, **_):
    available = c.u32("nr_cpus_available")
    online = c.u32("nr_cpus_online")
    return NrCpus(available, online)


def _u64(c, **_):
    return c.u64("value")


def _cmdline(c, **_):
    return list(_perf_strings(c, "argument"))


def _build_id_entries(c, old_layout):
    fixed = _BUILD_ID_FIXED_OLD if old_layout else _BUILD_ID_FIXED
    out = []
    while not _only_padding_left(c):
        at = c.pos
        c.u32("build id record type")
        misc = c.u16("build id record misc")
        size = c.u16("build id record size")
        if size < fixed or size - 8 > c.left:
            raise c.error("bad build id record size %d" % size, at + 6)
        if old_layout:
            pid = _HOST_KERNEL_ID
            if misc in (_MISC_GUEST_KERNEL, _MISC_GUEST_USER):
                pid = _DEFAULT_GUEST_KERNEL_ID
        else:
            pid = c.i32("pid")
        raw = bytes(c.take(24, "build id"))
        name_raw = bytes(c.take(size - fixed, "filename"))
        if not old_layout and name_raw.startswith(b"nel.kallsyms]"):
            # A table written before `pid` existed: its first name, "[kernel.kallsyms]",
            # loses 4 bytes when read with the new layout. Re-read it all the old way.
            return None
        n = _BUILD_ID_SIZE
        if misc & _MISC_BUILD_ID_SIZE:
            n = min(raw[_BUILD_ID_SIZE], _BUILD_ID_SIZE)
        out.append(BuildIdEntry(pid, misc, raw[:n].hex(), _text(name_raw)))
    return out


def _build_id(c, **_):
    """Without the size bit perf takes all 20 bytes, so a shorter (e.g. 16-byte md5) id
    keeps its trailing zero bytes in the hex string, as perf prints it."""
    entries = _build_id_entries(c, old_layout=False)
    if entries is None:
        c.pos = 0
        entries = _build_id_entries(c, old_layout=True)
    return entries


def _event_desc(c, **_):
    nre = c.u32("event count")
    sz = c.u32("attr size")
    c.count(nre, sz + 4 + _STRING_MIN, "event", 0)
    out = []
    for _i in range(nre):
        attr = bytes(c.take(sz, "perf_event_attr"))
        at = c.pos
        nr_ids = c.u32("id count")
        name = _perf_string(c, "event name")
        c.count(nr_ids, 8, "sample id", at)
        ids = c.u64s(nr_ids, "sample ids")
        out.append(EventDesc(attr, name, ids))
    return out


def _cpu_topology(c, *, nr_cpus_avail=None, **_):
    """The per-CPU parts have no count of their own: perf uses NRCPUS' `available`.
    Without it, the count is inferred from the sibling lists and the section size."""
    cores = _perf_strings(c, "core siblings list")
    threads = _perf_strings(c, "thread siblings list")
    if _only_padding_left(c):
        return CpuTopology(cores, threads)
    if nr_cpus_avail is None:
        nr_cpus_avail = _guess_nr_cpus(c, cores + threads)
        if nr_cpus_avail is None:
            return CpuTopology(cores, threads)
    n = c.count(nr_cpus_avail, 8, "per-cpu core/socket id", c.pos)
    pairs = [(c.u32("core id"), c.u32("socket id")) for _i in range(n)]
    if _only_padding_left(c):
        return CpuTopology(cores, threads, tuple(CpuTopologyEntry(a, b) for a, b in pairs))
    dies = _perf_strings(c, "die siblings list")
    c.count(n, 4, "per-cpu die id", c.pos)
    cpus = tuple(CpuTopologyEntry(a, b, c.u32("die id")) for a, b in pairs)
    return CpuTopology(cores, threads, cpus, dies)


def _guess_nr_cpus(c, lists):
    """Find a CPU count that makes the rest of a CPU_TOPOLOGY section parse exactly."""
    top = -1
    for s in lists:
        for part in s.replace("-", ",").split(","):
            if part.isdigit() and len(part) < 10:
                top = max(top, int(part))
    candidates = []
    if top >= 0:
        candidates.append(top + 1)
    if c.left % 8 == 0:
        candidates.append(c.left // 8)
    for n in candidates:
        if _topology_fits(c, n):
            return n
    return None


def _topology_fits(c, n):
    probe = c.at(c.pos)
    try:
        probe.count(n, 8, "cpu")
        probe.pos += 8 * n
        if _only_padding_left(probe):
            return True
        _perf_strings(probe, "die siblings list")
        probe.need(4 * n, "die ids")
        probe.pos += 4 * n
        return _only_padding_left(probe)
    except PerfDataError:
        return False


def _numa_topology(c, **_):
    nr = c.count(c.u32("node count"), 4 + 8 + 8 + _STRING_MIN, "node")
    out = []
    for _i in range(nr):
        node = c.u32("node")
        total = c.u64("mem_total")
        free = c.u64("mem_free")
        out.append(NumaNode(node, total, free, _perf_string(c, "cpu list")))
    return out


def _pmu_mappings(c, **_):
    nr = c.count(c.u32("pmu count"), 4 + _STRING_MIN, "pmu")
    out = {}
    for _i in range(nr):
        typ = c.u32("pmu type")
        out[typ] = _perf_string(c, "pmu name")
    return out


def _group_desc(c, **_):
    nr = c.count(c.u32("group count"), _STRING_MIN + 8, "group")
    out = []
    for _i in range(nr):
        name = _perf_string(c, "group name")
        leader = c.u32("leader_idx")
        out.append(GroupDesc(name, leader, c.u32("nr_members")))
    return out


def _auxtrace(c, **_):
    nr = c.count(c.u64("index entry count"), 16, "index entry", 0)
    vals = c.u64s(2 * nr, "index entries")
    return [AuxtraceIndexEntry(vals[i], vals[i + 1]) for i in range(0, 2 * nr, 2)]


def _version(c, got, at, want=1):
    """perf refuses versions it does not know: their layout may differ."""
    if got != want:
        raise c.error("unsupported version %d (only %d is known)" % (got, want), at)


def _cache(c, **_):
    _version(c, c.u32("version"), 0)
    nr = c.count(c.u32("cache count"), 16 + 3 * _STRING_MIN, "cache level")
    out = []
    for _i in range(nr):
        level, line, sets, ways = (c.u32(w) for w in ("level", "line_size", "sets", "ways"))
        out.append(CacheLevel(level, line, sets, ways, _perf_string(c, "type"),
                              _perf_string(c, "size"), _perf_string(c, "shared cpu map")))
    return out


def _sample_time(c, **_):
    first = c.u64("first sample time")
    return SampleTime(first, c.u64("last sample time"))


def _mem_topology(c, **_):
    version = c.u64("version")
    _version(c, version, 0)
    bsize = c.u64("block size")
    nr = c.count(c.u64("node count"), 24, "node", c.pos - 8)
    nodes = []
    for _i in range(nr):
        node = c.u64("node")
        c.u64("node size")              # the bitmap repeats it; perf keeps the bitmap's
        at = c.pos
        nbits = c.u64("bitmap size")
        words = (nbits + 63) // 64
        if words > c.left // 8:
            raise c.error("bitmap of %d bits runs past the section" % nbits, at)
        words_le = struct.pack("<%dQ" % words, *c.u64s(words, "bitmap"))
        bits = int.from_bytes(words_le, "little") & ((1 << nbits) - 1)
        nodes.append(MemNode(node, nbits, bits))
    return MemTopology(version, bsize, tuple(nodes))


def _compressed(c, **_):
    return Compressed(*(c.u32(w) for w in ("version", "type", "level", "ratio", "mmap_len")))


def _caps(c, what):
    n = c.count(c.u32(what + " count"), 2 * _STRING_MIN, what)
    out = {}
    for _i in range(n):
        name = _perf_string(c, what + " name")
        out[name] = _perf_string(c, what + " value")
    return out


def _cpu_pmu_caps(c, **_):
    return _caps(c, "capability")


def _pmu_caps(c, **_):
    nr = c.count(c.u32("pmu count"), 4 + _STRING_MIN, "pmu")
    out = {}
    for _i in range(nr):
        caps = _caps(c, "capability")
        out[_perf_string(c, "pmu name")] = caps
    return out


def _clock_data(c, **_):
    version = c.u32("version")
    _version(c, version, 0)
    clockid = c.u32("clockid")
    tod = c.u64("wall clock time")
    return ClockData(version, clockid, tod, c.u64("clockid time"))


def _hybrid_topology(c, **_):
    nr = c.count(c.u32("node count"), 2 * _STRING_MIN, "node")
    out = []
    for _i in range(nr):
        pmu = _perf_string(c, "pmu name")
        out.append(HybridNode(pmu, _perf_string(c, "cpu list")))
    return out


def _cpu_domain_info(c, **_):
    """Written for each CPU that has domains, with no count: read entries to the end."""
    version = c.u32("schedstat version")
    max_domains = c.u32("max sched domains")
    min_domain = 4 + (_STRING_MIN if version >= 17 else 0) + 2 * _STRING_MIN
    cpus = []
    while not _only_padding_left(c):
        cpu = c.u32("cpu")
        nr = c.count(c.u32("domain count"), min_domain, "domain")
        doms = []
        for _i in range(nr):
            dom = c.u32("domain")
            name = _perf_string(c, "domain name") if version >= 17 else None
            doms.append(SchedDomain(dom, name, _perf_string(c, "cpumask"),
                                    _perf_string(c, "cpulist")))
        cpus.append(CpuDomains(cpu, tuple(doms)))
    return CpuDomainInfo(version, max_domains, tuple(cpus))


_PARSERS = {
    1: _raw,
    2: _build_id,
    3: _string,
    4: _string,
    5: _string,
    6: _string,
    7: _nrcpus,
    8: _string,
    9: _string,
    10: _u64,
    11: _cmdline,
    12: _event_desc,
    13: _cpu_topology,
    14: _numa_topology,
    15: _flag,
    16: _pmu_mappings,
    17: _group_desc,
    18: _auxtrace,
    19: _flag,
    20: _cache,
    21: _sample_time,
    22: _mem_topology,
    23: _u64,
    24: _u64,
    25: _raw,
    26: _raw,
    27: _compressed,
    28: _cpu_pmu_caps,
    29: _clock_data,
    30: _hybrid_topology,
    31: _pmu_caps,
    32: _cpu_domain_info,
}


def parse_feature(feat_id: int, data, *, endian: str, path=None, offset: int = 0,
                  nr_cpus_avail: int | None = None):
    """Decode one feature section.

    data: the section's bytes (bytes, bytearray or memoryview); endian: '<' or '>' as the
    file's magic says; path and offset (absolute file offset of data[0]) only locate
    errors. nr_cpus_avail (NRCPUS.available) sizes CPU_TOPOLOGY's per-CPU part as perf
    does; without it the count is inferred. TRACING_DATA, BPF_PROG_INFO, BPF_BTF and
    unknown ids come back as bytes. Bad input raises PerfDataError.
    """
    if endian not in ("<", ">"):
        raise ValueError("endian must be '<' or '>', not %r" % (endian,))
    buf = memoryview(data)
    if buf.format != "B" or buf.ndim != 1:
        buf = buf.cast("B")
    parser = _PARSERS.get(feat_id, _raw)
    return parser(_section_reader(buf, endian, path, offset, feat_id),
                  nr_cpus_avail=nr_cpus_avail)
