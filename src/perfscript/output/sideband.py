"""Side-band records perf script prints with --show-task/mmap/switch/lost/namespace/
cgroup/bpf/text-poke/round-events: `PERF_RECORD_<NAME>` plus perf_event__fprintf's text
for the record, one formatter per record type (the layouts are perfdata/record_types.py's).
"""

from perfscript.perfdata import constants as C

RECORD_NAMES = {
    C.RECORD_MMAP: "MMAP", C.RECORD_LOST: "LOST", C.RECORD_COMM: "COMM",
    C.RECORD_EXIT: "EXIT", C.RECORD_THROTTLE: "THROTTLE", C.RECORD_UNTHROTTLE: "UNTHROTTLE",
    C.RECORD_FORK: "FORK", C.RECORD_READ: "READ", C.RECORD_SAMPLE: "SAMPLE",
    C.RECORD_MMAP2: "MMAP2", C.RECORD_AUX: "AUX", C.RECORD_ITRACE_START: "ITRACE_START",
    C.RECORD_LOST_SAMPLES: "LOST_SAMPLES", C.RECORD_SWITCH: "SWITCH",
    C.RECORD_SWITCH_CPU_WIDE: "SWITCH_CPU_WIDE", C.RECORD_NAMESPACES: "NAMESPACES",
    C.RECORD_KSYMBOL: "KSYMBOL", C.RECORD_BPF_EVENT: "BPF_EVENT", C.RECORD_CGROUP: "CGROUP",
    C.RECORD_TEXT_POKE: "TEXT_POKE", C.RECORD_AUX_OUTPUT_HW_ID: "AUX_OUTPUT_HW_ID",
    C.RECORD_HEADER_ATTR: "ATTR", C.RECORD_HEADER_EVENT_TYPE: "EVENT_TYPE",
    C.RECORD_HEADER_TRACING_DATA: "TRACING_DATA", C.RECORD_HEADER_BUILD_ID: "BUILD_ID",
    C.RECORD_FINISHED_ROUND: "FINISHED_ROUND", C.RECORD_ID_INDEX: "ID_INDEX",
    C.RECORD_AUXTRACE_INFO: "AUXTRACE_INFO", C.RECORD_AUXTRACE: "AUXTRACE",
    C.RECORD_AUXTRACE_ERROR: "AUXTRACE_ERROR", C.RECORD_THREAD_MAP: "THREAD_MAP",
    C.RECORD_CPU_MAP: "CPU_MAP", C.RECORD_STAT_CONFIG: "STAT_CONFIG", C.RECORD_STAT: "STAT",
    C.RECORD_STAT_ROUND: "STAT_ROUND", C.RECORD_EVENT_UPDATE: "EVENT_UPDATE",
    C.RECORD_TIME_CONV: "TIME_CONV", C.RECORD_HEADER_FEATURE: "FEATURE",
    C.RECORD_COMPRESSED: "COMPRESSED", C.RECORD_FINISHED_INIT: "FINISHED_INIT",
}
# perf_event__name: types past its table are INVALID, holes in it UNKNOWN
_LAST_NAMED = C.RECORD_FINISHED_INIT
# perf_ns__name: the namespace types in the kernel's order
NAMESPACE_NAMES = ("net", "uts", "ipc", "pid", "user", "mnt", "cgroup")


def record_name(typ):
    """perf_event__name of a record type."""
    if typ > _LAST_NAMED:
        return "INVALID"
    return RECORD_NAMES.get(typ, "UNKNOWN")


def _hx(v):
    """C's %#lx: 0 prints as 0."""
    return "%#x" % v if v else "0"


def _perms(prot, flags):
    return (("r" if prot & 1 else "-") + ("w" if prot & 2 else "-")
            + ("x" if prot & 4 else "-") + ("s" if flags & 1 else "p"))


def _comm(head, r):
    return "%s%s: %s:%d/%d\n" % (head, " exec" if r.exec else "", r.comm, r.pid, r.tid)


def _task(head, r):
    return "%s(%d:%d):(%d:%d)\n" % (head, r.pid, r.tid, r.ppid, r.ptid)


def _mmap(head, r):
    return "%s %d/%d: [%s(%s) @ %s]: %s %s\n" % (
        head, r.pid, r.tid, _hx(r.start), _hx(r.length), _hx(r.pgoff),
        "r" if r.misc & C.MISC_MMAP_DATA else "x", r.filename)


def _mmap2(head, r):
    if r.build_id is not None:
        where = "%s <%s>" % (_hx(r.pgoff), r.build_id)
    else:
        where = "%s %02x:%02x %d %d" % (_hx(r.pgoff), r.maj, r.min, r.ino, r.ino_generation)
    return "%s %d/%d: [%s(%s) @ %s]: %s %s\n" % (
        head, r.pid, r.tid, _hx(r.start), _hx(r.length), where, _perms(r.prot, r.flags),
        r.filename)


def _switch(head, r):
    in_out = "IN         " if not r.out else (
        "OUT preempt" if r.preempt else "OUT        ")
    if not r.cpu_wide:
        return "%s %s\n" % (head, in_out)
    return "%s %s  %s pid/tid: %5d/%-5d\n" % (head, in_out, "next" if r.out else "prev",
                                             r.next_prev_pid, r.next_prev_tid)


def _lost(head, r):
    return "%s lost %d\n" % (head, r.lost)


def _namespaces(head, r):
    parts = [" %d/%d - nr_namespaces: %u\n\t\t[" % (r.pid, r.tid, r.nr & 0xFFFFFFFF)]
    last = len(r.links) - 1
    for idx, (dev, ino) in enumerate(r.links):
        if idx and idx % 4 == 0:
            parts.append("\n\t\t ")
        name = NAMESPACE_NAMES[idx] if idx < len(NAMESPACE_NAMES) else "UNKNOWN"
        parts.append("%u/%s: %d/%s%s" % (idx, name, dev, _hx(ino),
                                          "]\n" if idx == last else ", "))
    return head + "".join(parts)


def _cgroup(head, r):
    return "%s cgroup: %d %s\n" % (head, r.id, r.path)


def _ksymbol(head, r):
    return "%s addr %x len %u type %u flags 0x%x name %s\n" % (
        head, r.addr, r.len, r.ksym_type, r.flags, r.name)


def _bpf(head, r):
    return "%s type %u, flags %u, id %u\n" % (head, r.bpf_type, r.flags, r.id)


def _text_poke(head, r, kernel_symbol=None):
    where = ""
    if kernel_symbol is not None:
        found = kernel_symbol(r.addr)
        if found is not None:
            where = "%s+0x%x" % found
    return "%s %x %s old len %u new len %u\n%s%s" % (
        head, r.addr, where, len(r.old), len(r.new), _poke_bytes("Old", r.old),
        _poke_bytes("New", r.new))


def _poke_bytes(which, data):
    """perf's binary__fprintf of poked bytes: 16 a line."""
    return "".join("            %s bytes:%s\n" % (which, "".join(" %02x" % b
                                                            for b in data[i:i + 16]))
                   for i in range(0, len(data), 16))


_FORMATTERS = {
    C.RECORD_COMM: _comm, C.RECORD_FORK: _task, C.RECORD_EXIT: _task,
    C.RECORD_MMAP: _mmap, C.RECORD_MMAP2: _mmap2, C.RECORD_SWITCH: _switch,
    C.RECORD_SWITCH_CPU_WIDE: _switch, C.RECORD_LOST: _lost,
    C.RECORD_NAMESPACES: _namespaces, C.RECORD_CGROUP: _cgroup, C.RECORD_KSYMBOL: _ksymbol,
    C.RECORD_BPF_EVENT: _bpf,
}


def format_record(rec, kernel_symbol=None):
    """perf_event__fprintf of a typed record: "PERF_RECORD_NAME..." with its newline;
    `kernel_symbol(addr)` -> (name, offset) or None names a text poke's address."""
    head = "PERF_RECORD_%s" % record_name(rec.type)
    if rec.type == C.RECORD_TEXT_POKE:
        return _text_poke(head, rec, kernel_symbol)
    fmt = _FORMATTERS.get(rec.type)
    return fmt(head, rec) if fmt is not None else head + "\n"
