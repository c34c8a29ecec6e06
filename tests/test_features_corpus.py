"""Header features of every corpus recording, checked against what perf 6.1 prints.

`perf report --header-only -I` shows perf's reading of the header; the lines below are
rebuilt from our parsed values and must match perf's, kind by kind, for every file perf
can read. `perf buildid-list` checks BUILD_ID the same way.
"""

import functools
import glob
import os
import re
import shutil
import struct
import subprocess

import pytest

from perfscript.perfdata.features import (
    FEATURE_IDS, CpuTopology, EventDesc, MemTopology, parse_feature)

CORPUS = "/work/shared/corpus"
FILES = sorted(glob.glob(CORPUS + "/cases/*/perf.data")
               + glob.glob(CORPUS + "/thirdparty/*/perf.data"))
PERF = shutil.which("perf")
F = FEATURE_IDS


def _case(path):
    return os.path.relpath(os.path.dirname(path), CORPUS)


# ----------------------------------------------------------------- test-only section finder

def test_only_feature_sections(path):
    """(feat_id, file offset, bytes) of each feature section, file or pipe mode.

    A stand-in for the real container reader, kept here so these tests need nothing else:
    file mode reads the index at data.offset + data.size; pipe mode walks the leading
    HEADER_ATTR / HEADER_FEATURE records. Little-endian files only (as in the corpus).
    """
    with open(path, "rb") as f:
        b = f.read()
    assert b[:8] == b"PERFILE2"
    out = []
    if struct.unpack_from("<Q", b, 8)[0] == 16:
        pos = 16
        while pos + 8 <= len(b):
            rtype, _misc, size = struct.unpack_from("<IHH", b, pos)
            if size < 8:
                break
            if rtype == 80 and size > 16:
                out.append((struct.unpack_from("<Q", b, pos + 8)[0], pos + 16,
                            b[pos + 16:pos + size]))
            if rtype == 66:                      # tracing data: payload after the record
                pos += size + struct.unpack_from("<I", b, pos + 8)[0]
                continue
            if rtype not in (64, 65, 66, 67, 80):
                break
            pos += size
        return out
    data_off, data_size = struct.unpack_from("<QQ", b, 40)
    bits = int.from_bytes(b[72:104], "little")
    at = data_off + data_size
    for feat in range(256):
        if bits >> feat & 1:
            off, size = struct.unpack_from("<QQ", b, at)
            at += 16
            out.append((feat, off, b[off:off + size]))
    return out


test_only_feature_sections.__test__ = False      # a helper, not a test


@functools.lru_cache(maxsize=None)
def parsed(path):
    """{feat_id: value}, parsed in ascending id order as perf does (NRCPUS before
    CPU_TOPOLOGY, so its `available` count sizes the per-CPU part)."""
    out = {}
    for feat, off, data in sorted(test_only_feature_sections(path)):
        avail = out[F["NRCPUS"]].available if F["NRCPUS"] in out else None
        out[feat] = parse_feature(feat, data, endian="<", path=path, offset=off,
                                  nr_cpus_avail=avail)
    return out


def test_only_perf61_copy(path, tmpdir):
    """A copy of a file-mode recording whose attrs perf 6.1 accepts, or None.

    perf 6.1 refuses attrs bigger than its own 128 bytes ("incompatible file format"),
    which newer perf writes. The copy rewrites only the attrs section (128-byte attrs,
    same ids); the feature sections keep their bytes and offsets, so perf's reading of
    them is still a check of ours.
    """
    with open(path, "rb") as f:
        b = bytearray(f.read())
    if struct.unpack_from("<Q", b, 8)[0] != 104:
        return None
    attr_size, aoff, asize = struct.unpack_from("<QQQ", b, 16)
    if attr_size <= 144:
        return None
    new = bytearray()
    for i in range(asize // attr_size):
        entry = b[aoff + i * attr_size:aoff + (i + 1) * attr_size]
        attr = bytearray(entry[:128])
        struct.pack_into("<I", attr, 4, 128)
        new += attr + entry[attr_size - 16:]
    b[aoff:aoff + asize] = new + bytes(asize - len(new))
    struct.pack_into("<QQQ", b, 16, 144, aoff, len(new))
    out = os.path.join(str(tmpdir), "perf61.data")
    with open(out, "wb") as f:
        f.write(b)
    return out


test_only_perf61_copy.__test__ = False


def _perf_readable(path, tmp_path):
    """path itself, or its perf-6.1-readable copy, or None (the caller skips)."""
    if perf_header(path) is not None:
        return path
    copy = test_only_perf61_copy(path, tmp_path)
    if copy is not None and perf_header(copy) is not None:
        return copy
    return None


@functools.lru_cache(maxsize=None)
def perf_header(path):
    if PERF is None:
        return None
    r = subprocess.run([PERF, "report", "--header-only", "-I", "-i", path],
                       capture_output=True, timeout=120)
    text = r.stdout.decode("utf-8", "surrogateescape")
    if "# hostname" not in text and "# event" not in text:
        return None
    return [ln for ln in text.splitlines() if ln.startswith("#")]


# ----------------------------------------------------------------- perf's text, rebuilt

def _cpu_ranges(nums):
    nums = sorted(set(nums))
    parts, i = [], 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        parts.append(str(nums[i]) if i == j else "%d-%d" % (nums[i], nums[j]))
        i = j + 1
    return ",".join(parts)


def _cpu_list(text):
    nums = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        nums.extend(range(int(lo), int(hi or lo) + 1))
    return _cpu_ranges(nums)


def _unit(n):
    units, i = "BKMG", 0
    while n // 1024 > 1 and i < 3:
        n //= 1024
        i += 1
    return "%d%s" % (n, units[i])


def _s32(v):
    return v - (1 << 32) if v >= 1 << 31 else v


def _usec(ns):
    return "%d.%06d" % (ns // 10**9, ns % 10**9 // 1000)


def rebuilt_lines(feats):
    """{line kind: [lines]} as perf 6.1's header printer would write them."""
    out = {}

    def put(kind, line):
        out.setdefault(kind, []).append(line)

    for fid, label in ((3, "hostname"), (4, "os release"), (5, "perf version"),
                       (6, "arch"), (8, "cpudesc"), (9, "cpuid")):
        if fid in feats:
            put(label, "# %s : %s" % (label, feats[fid]))
    if F["NRCPUS"] in feats:
        n = feats[F["NRCPUS"]]
        put("nrcpus", "# nrcpus online : %d" % n.online)
        put("nrcpus", "# nrcpus avail : %d" % n.available)
    if F["TOTAL_MEM"] in feats:
        put("total memory", "# total memory : %d kB" % feats[F["TOTAL_MEM"]])
    if F["CMDLINE"] in feats:
        put("cmdline", "# cmdline : " + "".join(a.replace("'", "\\'") + " "
                                                for a in feats[F["CMDLINE"]]))
    for ev in feats.get(F["EVENT_DESC"], ()):
        assert isinstance(ev, EventDesc)
        line = "# event : name = %s, " % ev.name
        if ev.ids:
            line += ", id = { %s }" % ", ".join(str(i) for i in ev.ids)
        put("event", line)
    topo = feats.get(F["CPU_TOPOLOGY"])
    if topo is not None:
        assert isinstance(topo, CpuTopology)
        for s in topo.cores:
            put("topology", "# sibling sockets : %s" % s)
        for s in topo.dies or ():
            put("topology", "# sibling dies    : %s" % s)
        for s in topo.threads:
            put("topology", "# sibling threads : %s" % s)
        if topo.dies:
            if topo.cpus is None:
                put("topology", "# Core ID, Die ID and Socket ID information is not available")
            for i, c in enumerate(topo.cpus or ()):
                put("topology", "# CPU %d: Core ID %d, Die ID %d, Socket ID %d"
                    % (i, _s32(c.core_id), _s32(c.die_id), _s32(c.socket_id)))
        else:
            if topo.cpus is None:
                put("topology", "# Core ID and Socket ID information is not available")
            for i, c in enumerate(topo.cpus or ()):
                put("topology", "# CPU %d: Core ID %d, Socket ID %d"
                    % (i, _s32(c.core_id), _s32(c.socket_id)))
    for n in feats.get(F["NUMA_TOPOLOGY"], ()):
        put("numa", "# node%d meminfo  : total = %d kB, free = %d kB"
            % (n.node, n.mem_total, n.mem_free))
        put("numa", "# node%d cpu list : %s" % (n.node, _cpu_list(n.cpus)))
    if F["PMU_MAPPINGS"] in feats:
        m = feats[F["PMU_MAPPINGS"]]
        put("pmu mappings", "# pmu mappings: " + (", ".join(
            "%s = %d" % (name, t) for t, name in m.items()) if m else "not available"))
    if F["GROUP_DESC"] in feats:
        names = [e.name for e in feats.get(F["EVENT_DESC"], ())]
        for g in feats[F["GROUP_DESC"]]:
            label = "" if g.name == "{anon_group}" else g.name
            members = names[g.leader_idx:g.leader_idx + g.nr_members]
            put("group", "# group: %s{%s}" % (label, ",".join(members)))
    if feats.get(F["STAT"]):
        put("stat", "# contains stat data")
    if feats.get(F["BRANCH_STACK"]):
        put("branch stack", "# contains samples with branch stack")
    if F["CACHE"] in feats:
        put("cache", "# CPU cache info:")
        for c in feats[F["CACHE"]]:
            put("cache", "#  L%d %-15s %8s [%s]" % (c.level, c.type, c.size, c.map))
    if F["SAMPLE_TIME"] in feats:
        t = feats[F["SAMPLE_TIME"]]
        put("sample time", "# time of first sample : %s" % _usec(t.first))
        put("sample time", "# time of last sample : %s" % _usec(t.last))
        put("sample time", "# sample duration : %10.3f ms" % ((t.last - t.first) / 1e6))
    if F["MEM_TOPOLOGY"] in feats:
        m = feats[F["MEM_TOPOLOGY"]]
        assert isinstance(m, MemTopology)
        put("memory", "# memory nodes (nr %d, block size 0x%x):" % (len(m.nodes), m.block_size))
        for n in m.nodes:
            blocks = n.blocks
            put("memory", "#  %3d [%s]: %s" % (n.node, _unit(m.block_size * len(blocks)),
                                               _cpu_ranges(blocks)))
    if F["CLOCKID"] in feats:
        put("clockid", "# clockid frequency: %d MHz" % (feats[F["CLOCKID"]] * 1000))
    if F["CLOCK_DATA"] in feats:
        c = feats[F["CLOCK_DATA"]]
        put("clock data", "(%d)" % c.clockid)
        put("clock data", "= %s (TOD) = %d.%09d" % (_usec(c.wall_clock_ns),
                                                    c.clockid_time_ns // 10**9,
                                                    c.clockid_time_ns % 10**9))
    if F["COMPRESSED"] in feats:
        c = feats[F["COMPRESSED"]]
        put("compressed", "# compressed : %s, level = %d, ratio = %d"
            % ("Zstd" if c.type == 1 else "Unknown", c.level, c.ratio))

    def caps_line(pmu, caps):
        body = ", ".join("%s=%s" % kv for kv in caps.items()) if caps else "not available"
        return "# %s pmu capabilities: %s" % (pmu, body)

    if F["CPU_PMU_CAPS"] in feats:
        put("pmu caps", caps_line("cpu", feats[F["CPU_PMU_CAPS"]]))
    for pmu, caps in feats.get(F["PMU_CAPS"], {}).items():
        put("pmu caps", caps_line(pmu, caps))
    if F["HYBRID_TOPOLOGY"] in feats:
        put("hybrid", "# hybrid cpu system:")
        for n in feats[F["HYBRID_TOPOLOGY"]]:
            put("hybrid", "# %s cpu list : %s" % (n.pmu_name, n.cpus))
    return out


_PERF_KINDS = [
    ("hostname", re.compile(r"# hostname : ")),
    ("os release", re.compile(r"# os release : ")),
    ("perf version", re.compile(r"# perf version : ")),
    ("arch", re.compile(r"# arch : ")),
    ("cpudesc", re.compile(r"# cpudesc : ")),
    ("cpuid", re.compile(r"# cpuid : ")),
    ("nrcpus", re.compile(r"# nrcpus ")),
    ("total memory", re.compile(r"# total memory : ")),
    ("cmdline", re.compile(r"# cmdline : ")),
    ("event", re.compile(r"# event : ")),
    ("topology", re.compile(r"# (sibling |CPU \d+: |Core ID)")),
    ("numa", re.compile(r"# node\d+ ")),
    ("pmu mappings", re.compile(r"# pmu mappings: ")),
    ("group", re.compile(r"# group: ")),
    ("stat", re.compile(r"# contains stat data")),
    ("branch stack", re.compile(r"# contains samples with branch stack")),
    ("cache", re.compile(r"# (CPU cache info:| L\d)")),
    ("sample time", re.compile(r"# (time of (first|last) sample|sample duration) ")),
    ("memory", re.compile(r"# (memory nodes |\s+\d+ \[)")),
    ("clockid", re.compile(r"# clockid frequency: ")),
    ("clock data", re.compile(r"# (clockid: |reference time: )")),
    ("compressed", re.compile(r"# compressed : ")),
    ("pmu caps", re.compile(r"# \S+ pmu capabilities: ")),
    ("hybrid", re.compile(r"# (hybrid cpu system:|\S+ cpu list : )")),
]


def perf_lines(lines):
    """perf's header lines, grouped by the same kinds as rebuilt_lines."""
    out = {}
    for ln in lines:
        for kind, rx in _PERF_KINDS:
            if rx.match(ln):
                if kind == "event":
                    # keep what comes from EVENT_DESC itself: the name and the ids
                    m = re.match(r"(# event : name = .*?, (, id = \{[^}]*\})?)", ln)
                    ln = m.group(1)
                elif kind == "clock data":
                    m = re.search(r"\(\d+\)$", ln) or re.search(
                        r"= \d+\.\d+ \(TOD\) = \d+\.\d+", ln)
                    ln = m.group(0)
                out.setdefault(kind, []).append(ln)
                break
    return out


# ----------------------------------------------------------------- tests

@pytest.mark.parametrize("path", FILES, ids=_case)
def test_every_feature_parses(path):
    feats = parsed(path)
    for feat, _off, data in test_only_feature_sections(path):
        assert feat in feats
        if feat in (1, 25, 26):
            assert feats[feat] == bytes(data)
    if not test_only_feature_sections(path):
        pytest.skip("no feature sections (pipe mode from before HEADER_FEATURE records)")


@pytest.mark.skipif(PERF is None, reason="perf is not installed")
@pytest.mark.parametrize("path", FILES, ids=_case)
def test_matches_perf_header_output(path, tmp_path):
    readable = _perf_readable(path, tmp_path)
    if readable is None:
        pytest.skip("perf 6.1 cannot read this file")
    lines = perf_header(readable)
    got = rebuilt_lines(parsed(path))
    want = perf_lines(lines)
    assert set(got) == set(want), "kinds of header lines differ"
    for kind in want:
        assert got[kind] == want[kind], kind


@pytest.mark.skipif(PERF is None, reason="perf is not installed")
@pytest.mark.parametrize("path", FILES, ids=_case)
def test_build_ids_match_perf_buildid_list(path, tmp_path):
    feats = parsed(path)
    if F["BUILD_ID"] not in feats:
        pytest.skip("no BUILD_ID feature")
    readable = _perf_readable(path, tmp_path) or path
    r = subprocess.run([PERF, "buildid-list", "-i", readable], capture_output=True,
                       timeout=120)
    if r.returncode != 0:
        pytest.skip("perf 6.1 cannot read this file")
    want = set()
    for ln in r.stdout.decode("utf-8", "surrogateescape").splitlines():
        hexid, _, name = ln.partition(" ")
        want.add((hexid, name))
    got = {(e.build_id_hex, e.filename) for e in feats[F["BUILD_ID"]] if e.cpumode in (1, 2, 4, 5)}
    assert got == want


def test_event_desc_attrs_are_whole_records():
    """Each attr_bytes is exactly one recorded attr: its own size field fits in it and the
    type/config read from it agree with what perf printed for that event."""
    checked = 0
    for path in FILES:
        lines = perf_header(path) if PERF else None
        events = [ln for ln in lines or () if ln.startswith("# event : ")]
        descs = parsed(path).get(F["EVENT_DESC"], [])
        for i, ev in enumerate(descs):
            typ, size = struct.unpack_from("<II", ev.attr_bytes, 0)
            config = struct.unpack_from("<Q", ev.attr_bytes, 8)[0]
            assert size <= len(ev.attr_bytes)
            if events:
                m_type = re.search(r", type = (\d+)", events[i])
                m_size = re.search(r", size = (\d+)", events[i])
                m_conf = re.search(r", config = 0x([0-9a-f]+)", events[i])
                assert (int(m_type.group(1)) if m_type else 0) == typ
                assert int(m_size.group(1)) == size
                assert (int(m_conf.group(1), 16) if m_conf else 0) == config
                checked += 1
    if PERF:
        assert checked >= 40
