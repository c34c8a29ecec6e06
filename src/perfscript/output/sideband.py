"""Side-band records perf script prints with --show-task/mmap/switch/lost-events:
`PERF_RECORD_<NAME>` plus perf_event__fprintf's text for the record, one formatter per
record type (the layouts are perfdata/record_types.py's)."""

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
}


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


_FORMATTERS = {
    C.RECORD_COMM: _comm, C.RECORD_FORK: _task, C.RECORD_EXIT: _task,
    C.RECORD_MMAP: _mmap, C.RECORD_MMAP2: _mmap2, C.RECORD_SWITCH: _switch,
    C.RECORD_SWITCH_CPU_WIDE: _switch, C.RECORD_LOST: _lost,
}


def format_record(rec):
    """perf_event__fprintf of a typed record: "PERF_RECORD_NAME..." with its newline."""
    head = "PERF_RECORD_%s" % RECORD_NAMES.get(rec.type, "<unknown>")
    fmt = _FORMATTERS.get(rec.type)
    return fmt(head, rec) if fmt is not None else head + "\n"
