"""Side-band records perf script prints with --show-task/mmap/switch/lost-events:
`PERF_RECORD_<NAME>` plus perf_event__fprintf's text for the record."""

import struct

from perfscript.perfdata import constants as C
from perfscript.session.session import Session

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


def _cstr(buf, start, end):
    raw = bytes(buf[start:end])
    nul = raw.find(b"\0")
    return (raw[:nul] if nul >= 0 else raw).decode("utf-8", "replace")


def _s32(v):
    return v - (1 << 32) if v & 0x80000000 else v


def format_record(typ, misc, buf, off, size, endian, body_end=None):
    """perf_event__fprintf: "PERF_RECORD_NAME..." with its newline."""
    end = body_end if body_end is not None else off + size
    head = "PERF_RECORD_%s" % RECORD_NAMES.get(typ, "<unknown>")
    e = endian
    if typ == C.RECORD_COMM:
        pid, tid = struct.unpack_from(e + "ii", buf, off + 8)
        s = " exec" if misc & C.MISC_COMM_EXEC else ""
        return "%s%s: %s:%d/%d\n" % (head, s, _cstr(buf, off + 16, end), pid, tid)
    if typ in (C.RECORD_FORK, C.RECORD_EXIT):
        pid, ppid, tid, ptid = struct.unpack_from(e + "iiii", buf, off + 8)
        return "%s(%d:%d):(%d:%d)\n" % (head, pid, tid, ppid, ptid)
    if typ == C.RECORD_MMAP:
        pid, tid, start, length, pgoff = struct.unpack_from(e + "iiQQQ", buf, off + 8)
        return "%s %d/%d: [%s(%s) @ %s]: %s %s\n" % (
            head, pid, tid, _hx(start), _hx(length), _hx(pgoff),
            "r" if misc & C.MISC_MMAP_DATA else "x", _cstr(buf, off + 40, end))
    if typ == C.RECORD_MMAP2:
        pid, tid, start, length, pgoff = struct.unpack_from(e + "iiQQQ", buf, off + 8)
        prot, flags = struct.unpack_from(e + "II", buf, off + 64)
        perms = ("r" if prot & 1 else "-") + ("w" if prot & 2 else "-") + \
            ("x" if prot & 4 else "-") + ("s" if flags & 1 else "p")
        name = _cstr(buf, off + 72, end)
        if misc & C.MISC_MMAP_BUILD_ID:
            n = buf[off + 40]
            bid = bytes(buf[off + 44:off + 44 + min(n, 20)]).hex()
            return "%s %d/%d: [%s(%s) @ %s <%s>]: %s %s\n" % (
                head, pid, tid, _hx(start), _hx(length), _hx(pgoff), bid, perms, name)
        maj, mino, ino, gen = struct.unpack_from(e + "IIQQ", buf, off + 40)
        return "%s %d/%d: [%s(%s) @ %s %02x:%02x %d %d]: %s %s\n" % (
            head, pid, tid, _hx(start), _hx(length), _hx(pgoff), maj, mino, ino, gen,
            perms, name)
    if typ in (C.RECORD_SWITCH, C.RECORD_SWITCH_CPU_WIDE):
        out = bool(misc & C.MISC_SWITCH_OUT)
        in_out = "IN         " if not out else (
            "OUT preempt" if misc & C.MISC_SWITCH_OUT_PREEMPT else "OUT        ")
        if typ == C.RECORD_SWITCH:
            return "%s %s\n" % (head, in_out)
        npid, ntid = struct.unpack_from(e + "ii", buf, off + 8)
        return "%s %s  %s pid/tid: %5d/%-5d\n" % (head, in_out, "next" if out else "prev",
                                                 npid, ntid)
    if typ == C.RECORD_LOST:
        _, lost = struct.unpack_from(e + "QQ", buf, off + 8)
        return "%s lost %d\n" % (head, lost)
    return head + "\n"


class SidebandSession(Session):
    """A Session that also shows the printer the side-band records perf script prints
    with --show-task-events, --show-mmap-events, --show-switch-events and
    --show-lost-events (the session's own state keeping is unchanged)."""

    def __init__(self, path, resolver, topts, warn=None):
        self.topts = topts
        super().__init__(path, resolver, warn)
        handlers = dict(Session._HANDLERS)
        if topts.show_task:
            handlers[C.RECORD_COMM] = SidebandSession._show_comm
            handlers[C.RECORD_FORK] = SidebandSession._show_fork
            handlers[C.RECORD_EXIT] = SidebandSession._show_exit
        if topts.show_mmap:
            handlers[C.RECORD_MMAP] = SidebandSession._show_mmap
            handlers[C.RECORD_MMAP2] = SidebandSession._show_mmap
        if topts.show_switch:
            handlers[C.RECORD_SWITCH] = SidebandSession._show_switch
            handlers[C.RECORD_SWITCH_CPU_WIDE] = SidebandSession._show_switch
        if topts.show_lost:
            handlers[C.RECORD_LOST] = SidebandSession._show_lost
        self._HANDLERS = handlers

    def _print(self, typ, misc, size, buf, off, ev, pid, tid, timestamp=0):
        s = self._trailer(ev, buf, off, size)
        body_end = off + size - (ev.layout.trailer_size if ev is not None else 0)
        if ev is not None and not ev.attr.sample_id_all:
            s.time = timestamp
        cb = getattr(self.consumer, "sideband", None)
        if cb is not None:
            cb(typ, misc, buf, off, size, ev, s, pid, tid, body_end)

    def _show_comm(self, misc, size, buf, off, where, ev):
        Session._comm(self, misc, size, buf, off, where, ev)
        pid, tid = struct.unpack_from(self.endian + "ii", buf, off + 8)
        self._print(C.RECORD_COMM, misc, size, buf, off, ev, pid, tid)

    def _show_fork(self, misc, size, buf, off, where, ev):
        Session._fork(self, misc, size, buf, off, where, ev)
        pid, _, tid, _, t = struct.unpack_from(self.endian + "iiiiQ", buf, off + 8)
        self._print(C.RECORD_FORK, misc, size, buf, off, ev, pid, tid, t)

    def _show_exit(self, misc, size, buf, off, where, ev):
        pid, _, tid, _, t = struct.unpack_from(self.endian + "iiiiQ", buf, off + 8)
        self._print(C.RECORD_EXIT, misc, size, buf, off, ev, pid, tid, t)
        Session._exit(self, misc, size, buf, off, where, ev)

    def _show_mmap(self, misc, size, buf, off, where, ev):
        typ = self.header_struct.unpack_from(buf, off)[0]
        if typ == C.RECORD_MMAP:
            Session._mmap(self, misc, size, buf, off, where, ev)
        else:
            Session._mmap2(self, misc, size, buf, off, where, ev)
        pid, tid = struct.unpack_from(self.endian + "ii", buf, off + 8)
        self._print(typ, misc, size, buf, off, ev, pid, tid)

    def _show_switch(self, misc, size, buf, off, where, ev):
        typ = self.header_struct.unpack_from(buf, off)[0]
        Session._HANDLERS[typ](self, misc, size, buf, off, where, ev)
        s = self._trailer(ev, buf, off, size)
        self._print(typ, misc, size, buf, off, ev, _s32(s.pid), _s32(s.tid))

    def _show_lost(self, misc, size, buf, off, where, ev):
        Session._lost(self, misc, size, buf, off, where, ev)
        s = self._trailer(ev, buf, off, size)
        self._print(C.RECORD_LOST, misc, size, buf, off, ev, _s32(s.pid), _s32(s.tid))
