"""`--header`, `--header-only` and `-I`: the recording's header as perf prints it.

perf prints the file header's offsets, then one block of lines per header feature in
feature-id order (the same listing as `perf report --header-only`), then the features the
file lacks. Four features (CPU/NUMA/memory topology and caches) are only summarised unless
`-I` asks for everything. A pipe-mode recording has no header: perf prints zeros, and
prints each feature as its HEADER_FEATURE record goes by instead.
"""

import os
import struct
import sys
import time

from perfscript.perfdata.attr import Attr
from perfscript.perfdata.features import (CacheLevel, ClockData, Compressed, CpuTopology,
                                          MemTopology, NrCpus, SampleTime, feature_name)
from perfscript.session.filters import FilterError, parse_cpu_list

# perf 6.1 knows features 1..31 (HEADER_LAST_FEATURE is 32); later ones are not listed
LAST_FEATURE = 32
# printed only with -I; otherwise "# NAME info available, use -I to display"
FULL_ONLY = frozenset((13, 14, 20, 22))
# features perf has no printer for
NOT_PRINTED = frozenset((1, 2))
# features perf prints in file mode but never processes from a pipe's HEADER_FEATURE
NOT_PROCESSED = frozenset((15, 19))

# (name, bit) in perf's print order, which is not bit order past STACK_USER
_SAMPLE_TYPE_BITS = (("IP", 0), ("TID", 1), ("TIME", 2), ("ADDR", 3), ("READ", 4),
                     ("CALLCHAIN", 5), ("ID", 6), ("CPU", 7), ("PERIOD", 8), ("STREAM_ID", 9),
                     ("RAW", 10), ("BRANCH_STACK", 11), ("REGS_USER", 12),
                     ("STACK_USER", 13), ("IDENTIFIER", 16), ("REGS_INTR", 18),
                     ("DATA_SRC", 15), ("WEIGHT", 14), ("PHYS_ADDR", 19), ("AUX", 20),
                     ("CGROUP", 21), ("DATA_PAGE_SIZE", 22), ("CODE_PAGE_SIZE", 23),
                     ("WEIGHT_STRUCT", 24))
_BRANCH_TYPE_BITS = ("USER", "KERNEL", "HV", "ANY", "ANY_CALL", "ANY_RETURN", "IND_CALL",
                     "ABORT_TX", "IN_TX", "NO_TX", "COND", "CALL_STACK", "IND_JUMP", "CALL",
                     "NO_FLAGS", "NO_CYCLES", "TYPE_SAVE", "HW_INDEX", "PRIV_SAVE")
_READ_FORMAT_BITS = ("TOTAL_TIME_ENABLED", "TOTAL_TIME_RUNNING", "ID", "GROUP", "LOST")

# the one-bit (and precise_ip's two-bit) flags of perf_event_attr, in perf's print order
_FLAG_FIELDS = (
    ("disabled", 0, 1), ("inherit", 1, 1), ("pinned", 2, 1), ("exclusive", 3, 1),
    ("exclude_user", 4, 1), ("exclude_kernel", 5, 1), ("exclude_hv", 6, 1),
    ("exclude_idle", 7, 1), ("mmap", 8, 1), ("comm", 9, 1), ("freq", 10, 1),
    ("inherit_stat", 11, 1), ("enable_on_exec", 12, 1), ("task", 13, 1),
    ("watermark", 14, 1), ("precise_ip", 15, 2), ("mmap_data", 17, 1),
    ("sample_id_all", 18, 1), ("exclude_host", 19, 1), ("exclude_guest", 20, 1),
    ("exclude_callchain_kernel", 21, 1), ("exclude_callchain_user", 22, 1),
    ("mmap2", 23, 1), ("comm_exec", 24, 1), ("use_clockid", 25, 1),
    ("context_switch", 26, 1), ("write_backward", 27, 1), ("namespaces", 28, 1),
    ("ksymbol", 29, 1), ("bpf_event", 30, 1), ("aux_output", 31, 1), ("cgroup", 32, 1),
    ("text_poke", 33, 1), ("build_id", 34, 1), ("inherit_thread", 35, 1),
    ("remove_on_exec", 36, 1), ("sigtrap", 37, 1),
)

# features printed as one line of their one value
_ONE_LINE = {3: "# hostname : %s\n", 4: "# os release : %s\n", 5: "# perf version : %s\n",
             6: "# arch : %s\n", 8: "# cpudesc : %s\n", 9: "# cpuid : %s\n",
             10: "# total memory : %d kB\n"}

_CLOCK_NAMES = {1: "monotonic", 4: "monotonic_raw", 0: "realtime", 7: "boottime", 11: "tai"}


def _bits(value, names):
    """Names of the set bits; `names` lists names (bit = position) or (name, bit) pairs."""
    pairs = names if isinstance(names[0], tuple) else ((n, i) for i, n in enumerate(names))
    return "|".join(name for name, bit in pairs if value >> bit & 1)


def attr_fields(attr):
    """perf's `name = value` pairs for one attr: every non-zero field, in its order."""
    out = []

    def put(name, value, fmt=str):
        if value:
            out.append((name, fmt(value)))

    put("type", attr.type)
    put("size", attr.size)
    put("config", attr.config, hex)
    put("{ sample_period, sample_freq }", attr.sample_period)
    put("sample_type", attr.sample_type, lambda v: _bits(v, _SAMPLE_TYPE_BITS))
    put("read_format", attr.read_format, lambda v: _bits(v, _READ_FORMAT_BITS))
    for name, bit, width in _FLAG_FIELDS:
        put(name, attr.flags >> bit & ((1 << width) - 1))
    put("{ wakeup_events, wakeup_watermark }", attr.wakeup_events)
    put("bp_type", attr.bp_type)
    put("{ bp_addr, config1 }", attr.config1, hex)
    put("{ bp_len, config2 }", attr.config2, hex)
    put("branch_sample_type", attr.branch_sample_type,
        lambda v: _bits(v, _BRANCH_TYPE_BITS))
    put("sample_regs_user", attr.sample_regs_user, hex)
    put("sample_stack_user", attr.sample_stack_user)
    put("clockid", attr.clockid)
    put("sample_regs_intr", attr.sample_regs_intr, hex)
    put("aux_watermark", attr.aux_watermark)
    put("sample_max_stack", attr.sample_max_stack)
    put("aux_sample_size", attr.aux_sample_size)
    put("sig_data", attr.sig_data)
    return out


def cpu_list(text):
    """A cpu list re-printed the way perf's cpu maps print it: sorted, ranges merged."""
    try:
        return ranges(sorted(parse_cpu_list(text)))
    except FilterError:
        return text


def ranges(items):
    """Sorted ints as "0-3,8,10-11"."""
    out, i = [], 0
    while i < len(items):
        j = i
        while j + 1 < len(items) and items[j + 1] == items[j] + 1:
            j += 1
        out.append("%d" % items[i] if i == j else "%d-%d" % (items[i], items[j]))
        i = j + 1
    return ",".join(out)


def unit_number(n):
    """perf's unit_number__scnprintf: bytes as 4K, 24G ... (a unit up while n/1024 > 1)."""
    unit = 0
    while n // 1024 > 1 and unit < 3:
        n //= 1024
        unit += 1
    return "%d%s" % (n, "BKMG"[unit])


def _usec(ns):
    return "%d.%06d" % (ns // 1000000000, ns % 1000000000 // 1000)


class HeaderPrinter:
    """Renders feature blocks; knows the evsels because GROUP_DESC prints their names."""

    def __init__(self, session, full):
        self.session = session
        self.full = full

    # ---------------------------------------------------------------- one feature

    def feature_lines(self, feat, value):
        """The lines perf prints for feature `feat` (already parsed), newline-ended."""
        if feat in NOT_PRINTED or feat >= LAST_FEATURE:
            return []
        if feat in FULL_ONLY and not self.full:
            return ["# %s info available, use -I to display\n" % feature_name(feat)]
        line = _ONE_LINE.get(feat)
        if line is not None:
            return [line % value]
        fn = getattr(self, "_f%d" % feat, None)
        if fn is None:
            return []
        return fn(value)

    def _f7(self, v):
        if not isinstance(v, NrCpus):
            return []
        return ["# nrcpus online : %d\n" % v.online, "# nrcpus avail : %d\n" % v.available]

    def _f11(self, v):
        return ["# cmdline : %s\n" % "".join(a.replace("'", "\\'") + " " for a in v)]

    def _f12(self, descs):
        out = []
        for d in descs:
            attr = Attr(d.attr_bytes, self.session.endian)
            line = "# event : name = %s, " % d.name
            if d.ids:
                line += ", id = {%s }" % ",".join(" %d" % i for i in d.ids)
            line += "".join(", %s = %s" % kv for kv in attr_fields(attr))
            out.append(line + "\n")
        return out

    def _f13(self, v):
        if not isinstance(v, CpuTopology):
            return []
        out = ["# sibling sockets : %s\n" % s for s in v.cores]
        if v.dies:
            out += ["# sibling dies    : %s\n" % s for s in v.dies]
        out += ["# sibling threads : %s\n" % s for s in v.threads]
        if v.dies:
            if v.cpus is not None:
                out += ["# CPU %d: Core ID %d, Die ID %d, Socket ID %d\n"
                        % (i, _i32(c.core_id), _i32(c.die_id), _i32(c.socket_id))
                        for i, c in enumerate(v.cpus)]
            else:
                out.append("# Core ID, Die ID and Socket ID information is not available\n")
        elif v.cpus is not None:
            out += ["# CPU %d: Core ID %d, Socket ID %d\n"
                    % (i, _i32(c.core_id), _i32(c.socket_id)) for i, c in enumerate(v.cpus)]
        else:
            out.append("# Core ID and Socket ID information is not available\n")
        return out

    def _f14(self, nodes):
        out = []
        for n in nodes:
            out.append("# node%d meminfo  : total = %d kB, free = %d kB\n"
                       % (n.node, n.mem_total, n.mem_free))
            out.append("# node%d cpu list : %s\n" % (n.node, cpu_list(n.cpus)))
        return out

    def _f15(self, _v):
        return ["# contains samples with branch stack\n"]

    def _f16(self, mappings):
        if not mappings:
            return ["# pmu mappings: not available\n"]
        return ["# pmu mappings: %s\n"
                % ", ".join("%s = %d" % (name, typ) for typ, name in mappings.items())]

    def _f17(self, groups):
        names = [ev.name for ev in self.session.evsels.evsels]
        out = []
        for g in groups:
            if g.nr_members <= 1 or g.leader_idx >= len(names):
                continue
            members = names[g.leader_idx:g.leader_idx + g.nr_members]
            if len(members) < g.nr_members:
                continue
            label = "" if g.name == "{anon_group}" else g.name
            out.append("# group: %s{%s}\n" % (label, ",".join(members)))
        return out

    def _f18(self, _v):
        return ["# contains AUX area data (e.g. instruction trace)\n"]

    def _f19(self, _v):
        return ["# contains stat data\n"]

    def _f20(self, caches):
        out = ["# CPU cache info:\n"]
        for c in caches:
            if isinstance(c, CacheLevel):
                out.append("#  L%d %-15s %8s [%s]\n" % (c.level, c.type, c.size, c.map))
        return out

    def _f21(self, v):
        if not isinstance(v, SampleTime):
            return []
        return ["# time of first sample : %s\n" % _usec(v.first),
                "# time of last sample : %s\n" % _usec(v.last),
                "# sample duration : %10.3f ms\n" % ((v.last - v.first) % (1 << 64) / 1e6)]

    def _f22(self, v):
        if not isinstance(v, MemTopology):
            return []
        out = ["# memory nodes (nr %d, block size %#x):\n" % (len(v.nodes), v.block_size)]
        for n in v.nodes:
            blocks = n.blocks
            out.append("#  %3d [%s]: %s\n" % (n.node, unit_number(v.block_size * len(blocks)),
                                             ranges(list(blocks))))
        return out

    def _f23(self, v):
        return ["# clockid frequency: %d MHz\n" % (v * 1000 % (1 << 64))]

    def _f24(self, v):
        return ["# directory data version : %d\n" % v]

    def _f26(self, raw):
        return ["# btf info of id %d\n" % i for i in _btf_ids(raw, self.session.endian)]

    def _f27(self, v):
        if not isinstance(v, Compressed):
            return []
        kind = "Zstd" if v.type == 1 else "Unknown"
        return ["# compressed : %s, level = %d, ratio = %d\n" % (kind, _i32(v.level),
                                                                _i32(v.ratio))]

    def _f28(self, caps):
        return [_pmu_caps_line("cpu", caps)]

    def _f29(self, v):
        if not isinstance(v, ClockData):
            return []
        sec, usec = v.wall_clock_ns // 1000000000, v.wall_clock_ns % 1000000000 // 1000
        try:
            date = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(sec))
            tstr = "%s.%06d" % (date, usec)
        except (OverflowError, OSError, ValueError):
            tstr = "<error>"
        name = _CLOCK_NAMES.get(v.clockid, "(not found)")
        csec, cns = v.clockid_time_ns // 1000000000, v.clockid_time_ns % 1000000000
        return ["# clockid: %s (%d)\n" % (name, v.clockid),
                "# reference time: %s = %d.%06d (TOD) = %d.%09d (%s)\n"
                % (tstr, sec, usec, csec, cns, name)]

    def _f30(self, nodes):
        return (["# hybrid cpu system:\n"]
                + ["# %s cpu list : %s\n" % (n.pmu_name, n.cpus) for n in nodes])

    def _f31(self, pmus):
        return [_pmu_caps_line(name, caps) for name, caps in pmus.items()]

    # ---------------------------------------------------------------- whole header

    def info_lines(self, pd, features, mtime):
        """perf_header's info block for a recording opened as `pd` (container) whose
        feature sections parsed into `features`; mtime of the input file."""
        out = ["# captured on    : %s\n" % time.ctime(mtime),
               "# header version : 1\n",
               "# data offset    : %d\n" % pd.header_data_offset,
               "# data size      : %d\n" % pd.header_data_size,
               "# feat offset    : %d\n" % pd.header_feat_offset]
        if pd.pipe:
            return out
        for feat in sorted(pd.feature_sections):
            if feat in features:
                out += self.feature_lines(feat, features[feat])
        missing = [feature_name(f) for f in range(1, LAST_FEATURE)
                   if not pd.feature_mask >> f & 1]
        out.append("# missing features: %s\n" % "".join(m + " " for m in missing))
        return out


def _i32(v):
    return v - (1 << 32) if v >= 1 << 31 else v


def _pmu_caps_line(pmu, caps):
    if not caps:
        return "# %s pmu capabilities: not available\n" % pmu
    return "# %s pmu capabilities: %s\n" % (
        pmu, ", ".join("%s=%s" % kv for kv in caps.items()))


def _btf_ids(raw, endian):
    """BPF_BTF: a count, then (id, size, data) entries; perf lists the ids, sorted."""
    ids, at = [], 4
    if len(raw) < 4:
        return ids
    (count,) = struct.unpack_from(endian + "I", raw, 0)
    for _i in range(count):
        if at + 8 > len(raw):
            break
        bid, size = struct.unpack_from(endian + "II", raw, at)
        ids.append(bid)
        at += 8 + size
    return sorted(set(ids))


def input_mtime(pd):
    """perf stats its input: the file's mtime, or the pipe's (now, near enough)."""
    try:
        if pd.source.buf is None and pd.path in (None, "-"):
            return os.fstat(sys.stdin.fileno()).st_mtime
        return os.stat(pd.path).st_mtime
    except (OSError, ValueError):
        return time.time()


def print_header(session, full, out):
    """The `# ========` block perf script prints for --header / --header-only."""
    printer = HeaderPrinter(session, full)
    lines = printer.info_lines(session.pd, session.features, input_mtime(session.pd))
    out.write("# ========\n" + "".join(lines) + "# ========\n#\n")


def pipe_feature_printer(session, full, out):
    """For pipe input: a callback printing each HEADER_FEATURE record as perf does."""
    printer = HeaderPrinter(session, full)

    def show(feat, value):
        if feat in NOT_PROCESSED:
            return
        out.write("".join(printer.feature_lines(feat, value)))
    return show


def show_header(session, out, *, header=False, header_only=False, full=False):
    """Apply perf script's --header / --header-only / -I to a just-opened session.

    Returns True when only the header was asked for (the caller stops there)."""
    if header or header_only:
        print_header(session, full, out)
        if header_only:
            return True
    if session.pd.pipe and (header or full):
        session.feature_listener = pipe_feature_printer(session, full, out)
    return False
