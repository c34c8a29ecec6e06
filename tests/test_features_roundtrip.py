"""Feature sections of both byte orders, built by a test-only writer, and the layouts the
corpus lacks: old build-id tables, old CPU_TOPOLOGY, CPU_DOMAIN_INFO, padding, errors."""

import struct
import time

import pytest
from hypothesis import given, settings, strategies as st

from cost import measured
from perfscript.errors import PerfDataError
from perfscript.perfdata.features import (
    FEATURE_IDS, FEATURE_NAMES, AuxtraceIndexEntry, BuildIdEntry, CacheLevel, ClockData,
    Compressed, CpuDomainInfo, CpuDomains, CpuTopology, CpuTopologyEntry, EventDesc,
    GroupDesc, HybridNode, MemNode, MemTopology, NrCpus, NumaNode, SampleTime, SchedDomain,
    feature_name, parse_feature)

F = FEATURE_IDS
ENDIANS = ("<", ">")


# ----------------------------------------------------------------- test-only writer

def _str(e, text):
    """perf_header_string: u32 len (NUL included, rounded up to 64), bytes, zero padding."""
    raw = text.encode("utf-8", "surrogateescape") + b"\0"
    size = (len(raw) + 63) // 64 * 64
    return struct.pack(e + "I", size) + raw.ljust(size, b"\0")


def _strs(e, items):
    return struct.pack(e + "I", len(items)) + b"".join(_str(e, s) for s in items)


def _caps(e, caps):
    return struct.pack(e + "I", len(caps)) + b"".join(
        _str(e, k) + _str(e, v) for k, v in caps.items())


def test_only_encode(feat, value, e):
    """Bytes perf would write for `value` (as parse_feature returns it) in byte order e."""
    P = struct.pack
    name = FEATURE_NAMES.get(feat)
    if name in ("HOSTNAME", "OSRELEASE", "VERSION", "ARCH", "CPUDESC", "CPUID"):
        return _str(e, value)
    if name in ("TOTAL_MEM", "CLOCKID", "DIR_FORMAT"):
        return P(e + "Q", value)
    if name in ("BRANCH_STACK", "STAT"):
        return b""
    if name == "NRCPUS":
        return P(e + "II", value.available, value.online)
    if name == "CMDLINE":
        return _strs(e, value)
    if name == "EVENT_DESC":
        sz = len(value[0].attr_bytes) if value else 0
        out = P(e + "II", len(value), sz)
        for ev in value:
            assert len(ev.attr_bytes) == sz
            out += ev.attr_bytes + P(e + "I", len(ev.ids)) + _str(e, ev.name)
            out += P(e + "%dQ" % len(ev.ids), *ev.ids)
        return out
    if name == "BUILD_ID":
        out = b""
        for b in value:
            fname = b.filename.encode("utf-8", "surrogateescape") + b"\0"
            fname = fname.ljust((len(fname) + 63) // 64 * 64, b"\0")
            bid = bytes.fromhex(b.build_id_hex)
            out += P(e + "IHHi", 67, b.misc, 36 + len(fname), b.pid)
            out += bid.ljust(20, b"\0") + bytes([len(bid)]) + b"\0\0\0" + fname
        return out
    if name == "CPU_TOPOLOGY":
        out = _strs(e, value.cores) + _strs(e, value.threads)
        if value.cpus is not None:
            out += b"".join(P(e + "II", c.core_id, c.socket_id) for c in value.cpus)
            if value.dies is not None:
                out += _strs(e, value.dies)
                out += b"".join(P(e + "I", c.die_id) for c in value.cpus)
        return out
    if name == "NUMA_TOPOLOGY":
        return P(e + "I", len(value)) + b"".join(
            P(e + "IQQ", n.node, n.mem_total, n.mem_free) + _str(e, n.cpus) for n in value)
    if name == "PMU_MAPPINGS":
        return P(e + "I", len(value)) + b"".join(
            P(e + "I", t) + _str(e, n) for t, n in value.items())
    if name == "GROUP_DESC":
        return P(e + "I", len(value)) + b"".join(
            _str(e, g.name) + P(e + "II", g.leader_idx, g.nr_members) for g in value)
    if name == "AUXTRACE":
        return P(e + "Q", len(value)) + b"".join(
            P(e + "QQ", a.file_offset, a.size) for a in value)
    if name == "CACHE":
        return P(e + "II", 1, len(value)) + b"".join(
            P(e + "4I", c.level, c.line_size, c.sets, c.ways)
            + _str(e, c.type) + _str(e, c.size) + _str(e, c.map) for c in value)
    if name == "SAMPLE_TIME":
        return P(e + "QQ", value.first, value.last)
    if name == "MEM_TOPOLOGY":
        out = P(e + "QQQ", value.version, value.block_size, len(value.nodes))
        for n in value.nodes:
            words = (n.nbits + 63) // 64
            raw = n.bitmap.to_bytes(words * 8, "little")
            out += P(e + "QQQ", n.node, n.nbits, n.nbits)
            out += P(e + "%dQ" % words, *struct.unpack("<%dQ" % words, raw))
        return out
    if name == "COMPRESSED":
        return P(e + "5I", value.version, value.type, value.level, value.ratio, value.mmap_len)
    if name == "CPU_PMU_CAPS":
        return _caps(e, value)
    if name == "CLOCK_DATA":
        return P(e + "IIQQ", value.version, value.clockid, value.wall_clock_ns,
                 value.clockid_time_ns)
    if name == "HYBRID_TOPOLOGY":
        return P(e + "I", len(value)) + b"".join(
            _str(e, n.pmu_name) + _str(e, n.cpus) for n in value)
    if name == "PMU_CAPS":
        return P(e + "I", len(value)) + b"".join(
            _caps(e, caps) + _str(e, pmu) for pmu, caps in value.items())
    if name == "CPU_DOMAIN_INFO":
        out = P(e + "II", value.schedstat_version, value.max_sched_domains)
        for c in value.cpus:
            out += P(e + "II", c.cpu, len(c.domains))
            for d in c.domains:
                out += P(e + "I", d.domain)
                if value.schedstat_version >= 17:
                    out += _str(e, d.name)
                out += _str(e, d.cpumask) + _str(e, d.cpulist)
        return out
    return bytes(value)


test_only_encode.__test__ = False


def parse(feat, data, e="<", **kw):
    return parse_feature(feat, data, endian=e, path="x.data", offset=1000, **kw)


# ----------------------------------------------------------------- value strategies

u32 = st.integers(0, 2**32 - 1)
u64 = st.integers(0, 2**64 - 1)
text = st.binary(max_size=70).filter(lambda b: b"\0" not in b).map(
    lambda b: b.decode("utf-8", "surrogateescape"))
small = lambda s, n=4: st.lists(s, max_size=n)     # noqa: E731


def _topology(draw):
    cores = tuple(draw(small(text)))
    threads = tuple(draw(small(text)))
    if not draw(st.booleans()):
        return CpuTopology(cores, threads), None
    n = draw(st.integers(1, 6))
    dies = tuple(draw(small(text))) if draw(st.booleans()) else None
    cpus = tuple(CpuTopologyEntry(draw(u32), draw(u32), draw(u32) if dies is not None else None)
                 for _ in range(n))
    return CpuTopology(cores, threads, cpus, dies), n


def _domains(draw):
    version = draw(st.sampled_from([15, 16, 17]))
    cpus = tuple(CpuDomains(draw(u32), tuple(
        SchedDomain(draw(u32), draw(text) if version >= 17 else None, draw(text), draw(text))
        for _ in range(draw(st.integers(0, 3))))) for _ in range(draw(st.integers(0, 3))))
    return CpuDomainInfo(version, draw(u32), cpus)


def _mem(draw):
    nodes = []
    for _ in range(draw(st.integers(0, 3))):
        nbits = draw(st.integers(0, 300))
        nodes.append(MemNode(draw(u64), nbits, draw(st.integers(0, 2**nbits - 1))))
    return MemTopology(1, draw(u64), tuple(nodes))


@st.composite
def feature_values(draw):
    """(feat id, value as parse_feature returns it, extra kwargs)."""
    name = draw(st.sampled_from(sorted(FEATURE_IDS)))
    fid = F[name]
    kw = {}
    if name in ("HOSTNAME", "OSRELEASE", "VERSION", "ARCH", "CPUDESC", "CPUID"):
        v = draw(text)
    elif name in ("TOTAL_MEM", "CLOCKID", "DIR_FORMAT"):
        v = draw(u64)
    elif name in ("BRANCH_STACK", "STAT"):
        v = True
    elif name in ("TRACING_DATA", "BPF_PROG_INFO", "BPF_BTF"):
        v = draw(st.binary(max_size=100))
    elif name == "NRCPUS":
        v = NrCpus(draw(u32), draw(u32))
    elif name == "CMDLINE":
        v = draw(small(text))
    elif name == "EVENT_DESC":
        sz = draw(st.sampled_from([64, 72, 120, 128, 136]))
        v = [EventDesc(draw(st.binary(min_size=sz, max_size=sz)), draw(text),
                       tuple(draw(small(u64, 6)))) for _ in range(draw(st.integers(0, 3)))]
    elif name == "BUILD_ID":
        v = []
        for _ in range(draw(st.integers(0, 3))):
            n = draw(st.integers(0, 20))
            misc = draw(st.integers(0, 7)) | 1 << 15
            v.append(BuildIdEntry(draw(st.integers(-2**31, 2**31 - 1)), misc,
                                  draw(st.binary(min_size=n, max_size=n)).hex(), draw(text)))
        v = [b for b in v if not b.filename.startswith("nel.kallsyms]")]
    elif name == "CPU_TOPOLOGY":
        v, n = _topology(draw)
        kw = {"nr_cpus_avail": n}
    elif name == "NUMA_TOPOLOGY":
        v = [NumaNode(draw(u32), draw(u64), draw(u64), draw(text))
             for _ in range(draw(st.integers(0, 3)))]
    elif name == "PMU_MAPPINGS":
        v = draw(st.dictionaries(u32, text, max_size=4))
    elif name == "GROUP_DESC":
        v = [GroupDesc(draw(text), draw(u32), draw(u32)) for _ in range(draw(st.integers(0, 3)))]
    elif name == "AUXTRACE":
        v = [AuxtraceIndexEntry(draw(u64), draw(u64)) for _ in range(draw(st.integers(0, 3)))]
    elif name == "CACHE":
        v = [CacheLevel(draw(u32), draw(u32), draw(u32), draw(u32), draw(text), draw(text),
                        draw(text)) for _ in range(draw(st.integers(0, 3)))]
    elif name == "SAMPLE_TIME":
        v = SampleTime(draw(u64), draw(u64))
    elif name == "MEM_TOPOLOGY":
        v = _mem(draw)
    elif name == "COMPRESSED":
        v = Compressed(*(draw(u32) for _ in range(5)))
    elif name in ("CPU_PMU_CAPS",):
        v = draw(st.dictionaries(text, text, max_size=4))
    elif name == "CLOCK_DATA":
        v = ClockData(1, draw(u32), draw(u64), draw(u64))
    elif name == "HYBRID_TOPOLOGY":
        v = [HybridNode(draw(text), draw(text)) for _ in range(draw(st.integers(0, 3)))]
    elif name == "PMU_CAPS":
        v = draw(st.dictionaries(text, st.dictionaries(text, text, max_size=3), max_size=3))
    elif name == "CPU_DOMAIN_INFO":
        v = _domains(draw)
    else:                                                   # pragma: no cover
        raise AssertionError(name)
    return fid, v, kw


# ----------------------------------------------------------------- round trips

@settings(max_examples=600, deadline=None)
@given(feature_values(), st.sampled_from(ENDIANS))
def test_round_trip_both_byte_orders(fv, e):
    fid, value, kw = fv
    data = test_only_encode(fid, value, e)
    assert parse(fid, data, e, **kw) == value


@settings(max_examples=200, deadline=None)
@given(feature_values())
def test_other_byte_order_is_not_mistaken(fv):
    """The same value written big-endian reads back only with endian='>'."""
    fid, value, kw = fv
    data = test_only_encode(fid, value, ">")
    assert parse(fid, memoryview(b"xx" + data)[2:], ">", **kw) == value


@pytest.mark.parametrize("e", ENDIANS)
def test_corpus_values_round_trip_in_both_byte_orders(e):
    """Every real section's value, rewritten in each byte order, reads back the same."""
    from test_features_corpus import FILES, parsed
    n = 0
    for path in FILES:
        feats = parsed(path)
        avail = feats[F["NRCPUS"]].available if F["NRCPUS"] in feats else None
        for fid, value in feats.items():
            data = test_only_encode(fid, value, e)
            assert parse(fid, data, e, nr_cpus_avail=avail) == value, (path, fid)
            n += 1
    assert n > 500


# ----------------------------------------------------------------- layouts and quirks

def test_string_stops_at_first_nul_and_keeps_undecodable_bytes():
    data = struct.pack("<I", 12) + b"ab\xffc\0junk\0\0\0\0"
    v = parse(F["HOSTNAME"], data)
    assert v == "ab\udcffc"
    assert v.encode("utf-8", "surrogateescape") == b"ab\xffc"
    assert parse(F["HOSTNAME"], struct.pack("<I", 3) + b"abc") == "abc"   # no NUL at all


def _bid(misc, bid20, size_byte, name, pid=-1, e="<"):
    fname = name.encode() + b"\0"
    fname = fname.ljust((len(fname) + 63) // 64 * 64, b"\0")
    return (struct.pack(e + "IHHi", 67, misc, 36 + len(fname), pid)
            + bid20 + bytes([size_byte]) + b"\0\0\0" + fname)


def test_build_id_honours_size_byte_only_with_misc_bit():
    md5 = bytes(range(1, 17))
    with_bit = _bid(2 | 1 << 15, md5 + b"\0" * 4, 16, "/lib/a.so")
    without = _bid(2, md5 + b"\0" * 4, 16, "/lib/a.so")
    (a,) = parse(F["BUILD_ID"], with_bit)
    (b,) = parse(F["BUILD_ID"], without)
    assert a.build_id_hex == md5.hex() and a.cpumode == 2 and a.build_id == md5
    # perf takes all 20 bytes without the bit: the zero tail is part of the id
    assert b.build_id_hex == md5.hex() + "00000000"
    (c,) = parse(F["BUILD_ID"], _bid(1 | 1 << 15, b"\x11" * 20, 200, "[kernel.kallsyms]"))
    assert c.build_id_hex == "11" * 20                      # a size past 20 is capped


def test_build_id_big_endian_and_guest_pid():
    data = _bid(4 | 1 << 15, b"\xab" * 20, 20, "[guest.kernel.kallsyms]", pid=0, e=">")
    (a,) = parse(F["BUILD_ID"], data, ">")
    assert (a.pid, a.cpumode, a.filename) == (0, 4, "[guest.kernel.kallsyms]")


def test_build_id_table_from_before_pid_existed():
    """No pid field: the first name then reads as 'nel.kallsyms]' with the new layout."""
    def old(misc, bid, name):
        fname = name.encode() + b"\0"
        fname = fname.ljust((len(fname) + 63) // 64 * 64, b"\0")
        return struct.pack("<IHH", 67, misc, 32 + len(fname)) + bid + b"\0" * 4 + fname

    data = (old(1, b"\x01" * 20, "[kernel.kallsyms]") + old(2, b"\x02" * 20, "/bin/true")
            + old(5, b"\x03" * 20, "/guest/lib.so"))
    got = parse(F["BUILD_ID"], data)
    assert [(b.pid, b.misc, b.build_id_hex, b.filename) for b in got] == [
        (-1, 1, "01" * 20, "[kernel.kallsyms]"),
        (-1, 2, "02" * 20, "/bin/true"),
        (0, 5, "03" * 20, "/guest/lib.so"),
    ]


@pytest.mark.parametrize("size", [0, 8, 35])
def test_build_id_record_too_small_is_an_error_not_a_hang(size):
    data = struct.pack("<IHHi", 67, 2, size, -1) + bytes(100)
    with pytest.raises(PerfDataError) as ei:
        parse(F["BUILD_ID"], data)
    assert ei.value.offset == 1000 + 6 and ei.value.path == "x.data"
    assert "BUILD_ID" in str(ei.value)


def test_cpu_topology_generations():
    e = "<"
    lists = _strs(e, ["0-3"]) + _strs(e, ["0-1", "2-3"])
    pairs = b"".join(struct.pack("<II", i // 2, 0) for i in range(4))
    dies = _strs(e, ["0-3"]) + struct.pack("<4I", 0, 0, 0, 0)
    old = parse(F["CPU_TOPOLOGY"], lists, nr_cpus_avail=4)
    assert old == CpuTopology(("0-3",), ("0-1", "2-3"))
    mid = parse(F["CPU_TOPOLOGY"], lists + pairs, nr_cpus_avail=4)
    assert [c.core_id for c in mid.cpus] == [0, 0, 1, 1] and mid.dies is None
    assert mid.cpus[0].die_id is None
    new = parse(F["CPU_TOPOLOGY"], lists + pairs + dies, nr_cpus_avail=4)
    assert new.dies == ("0-3",) and [c.die_id for c in new.cpus] == [0, 0, 0, 0]
    # without NRCPUS the CPU count is inferred from the lists and the section size
    assert parse(F["CPU_TOPOLOGY"], lists + pairs + dies) == new
    assert parse(F["CPU_TOPOLOGY"], lists + pairs) == mid
    # 6.12 pipe records pad the payload to 8 bytes
    assert parse(F["CPU_TOPOLOGY"], lists + pairs + dies + b"\0" * 4, nr_cpus_avail=4) == new
    assert parse(F["CPU_TOPOLOGY"], lists + pairs + b"\0" * 4, nr_cpus_avail=4) == mid


def test_cpu_topology_short_per_cpu_part_is_located():
    lists = _strs("<", ["0-3"]) + _strs("<", ["0", "1", "2", "3"])
    with pytest.raises(PerfDataError) as ei:
        parse(F["CPU_TOPOLOGY"], lists + bytes(16), nr_cpus_avail=4)
    assert ei.value.offset == 1000 + len(lists)


def test_padding_after_counted_features_is_ignored():
    assert parse(F["HOSTNAME"], _str("<", "host") + b"\0" * 4) == "host"
    v = CpuDomainInfo(17, 2, (CpuDomains(0, (SchedDomain(0, "SMT", "3", "0-1"),)),))
    assert parse(F["CPU_DOMAIN_INFO"], test_only_encode(32, v, "<") + b"\0" * 4) == v


def test_flags_raw_and_unknown_features():
    assert parse(F["BRANCH_STACK"], b"") is True
    assert parse(F["STAT"], b"") is True
    assert parse(F["TRACING_DATA"], bytearray(b"\x17\x08Dtracing")) == b"\x17\x08Dtracing"
    assert parse(200, memoryview(b"abc")) == b"abc"
    assert feature_name(200) == "FEAT_200" and feature_name(3) == "HOSTNAME"
    with pytest.raises(ValueError):
        parse_feature(3, b"", endian="little")


@pytest.mark.parametrize("feat,data,at", [
    (F["CACHE"], struct.pack("<II", 2, 0), 0),                 # unknown version
    (F["CLOCK_DATA"], struct.pack("<IIQQ", 7, 1, 0, 0), 0),
    (F["MEM_TOPOLOGY"], struct.pack("<QQQ", 3, 0, 0), 0),
    (F["HOSTNAME"], struct.pack("<I", 0xFFFFFFFF) + b"x" * 8, 0),   # length past the end
    (F["CMDLINE"], struct.pack("<I", 0x7FFFFFFF), 0),          # count that cannot fit
    (F["EVENT_DESC"], struct.pack("<II", 0xFFFFFFFF, 128), 0),
    (F["EVENT_DESC"], struct.pack("<II", 1, 8) + bytes(8) + struct.pack("<I", 99)
     + _str("<", "e"), 16),                                    # 99 ids, none there
    (F["AUXTRACE"], struct.pack("<Q", 2**63), 0),
    (F["MEM_TOPOLOGY"], struct.pack("<6Q", 1, 0, 1, 0, 0, 2**64 - 1), 40),  # bitmap size
    (F["NRCPUS"], b"\1\0\0\0", 4),                             # truncated value
    (F["PMU_CAPS"], struct.pack("<II", 1, 0x10000) + bytes(8), 4),
])
def test_bad_sections_raise_located_errors(feat, data, at):
    with pytest.raises(PerfDataError) as ei:
        parse(feat, data)
    assert ei.value.offset == 1000 + at
    assert ei.value.path == "x.data"
    assert FEATURE_NAMES[feat] in ei.value.what


# ----------------------------------------------------------------- hostile input

def _mutate(data, draw):
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cut", "byte", "word", "insert"]))
        if kind == "cut":
            del data[draw(st.integers(0, len(data))):]
        elif not data:
            continue
        elif kind == "byte":
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        elif kind == "word":
            at = draw(st.integers(0, len(data) - 1))
            word = draw(st.sampled_from([0, 1, 0x7FFFFFFF, 0xFFFFFFFF, 0x10000, 65]))
            data[at:at + 4] = struct.pack("<I", word)[:len(data) - at]
        else:
            at = draw(st.integers(0, len(data)))
            data[at:at] = draw(st.binary(max_size=8))
    return bytes(data)


@st.composite
def hostile_sections(draw):
    fid, value, kw = draw(feature_values())
    e = draw(st.sampled_from(ENDIANS))
    data = test_only_encode(fid, value, e)
    if draw(st.booleans()):
        data = _mutate(data, draw)
    else:
        data = draw(st.binary(max_size=300))
        fid = draw(st.integers(0, 40))
    return fid, data, e, kw


@settings(max_examples=3000, deadline=None)
@given(hostile_sections())
def test_hostile_sections_only_raise_perfdataerror(section):
    fid, data, e, kw = section
    start = time.process_time()
    try:
        parse_feature(fid, data, endian=e, path="h.data", offset=500, **kw)
    except PerfDataError as err:
        assert 500 <= err.offset <= 500 + len(data)
        assert err.path == "h.data"
    assert time.process_time() - start < 0.5    # backstop: ~1 ms is normal


_READS = ("perfscript.bounded_reader.BoundedReader.need",
          "perfscript.bounded_reader.BoundedReader.count")


@pytest.mark.parametrize("fid", sorted(FEATURE_NAMES))
@pytest.mark.parametrize("fill", [b"\xff", b"\x00", b"\x01\x00\x00\x00", b"\x40\x00\x00\x00"])
def test_large_hostile_sections_cost_linear_work_and_memory(fid, fill):
    """Counts and lengths read from a 1 MB section of one repeated pattern cannot make
    the parser loop or allocate beyond what the section's bytes allow."""
    data = (fill * (1 << 20))[:1 << 20]
    start = time.process_time()
    try:
        parse_feature(fid, data, endian="<", offset=0)
    except PerfDataError:
        pass
    assert time.process_time() - start < 3.0    # backstop: at most ~0.3 s is normal
    with measured(*_READS) as cost:
        try:
            parse_feature(fid, data, endian="<", offset=0)
        except PerfDataError:
            pass
    # every checked read consumes input (at worst 3 checks per 8 bytes: CPU_DOMAIN_INFO
    # of zeros), so a hostile count cannot buy more loop steps than the bytes there
    assert sum(cost.calls.values()) <= len(data) // 2
    # one decoded entry per few input bytes (CPU_TOPOLOGY ids: ~21 bytes held per byte)
    assert cost.peak <= 48 * len(data)
