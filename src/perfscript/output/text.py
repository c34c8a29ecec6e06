"""perf script's own text output (no -s): one line per sample, as perf 6.1 prints it.

`TextPrinter` is a session consumer; perfscript.cli.text drives it. The printers of the
fields most runs do not print (registers, branch stacks, instructions, source lines,
metrics, synth and BPF output, stat records) are imported when first needed.
"""

import sys
import time
from collections.abc import Callable
from typing import NamedTuple

from perfscript.output import fields as FD
from perfscript.output.fields import (ADDR, BPF_OUTPUT, BRSTACK, BRSTACKINSN,
                                      BRSTACKINSNLEN, BRSTACKOFF, BRSTACKSYM, CODE_PAGE_SIZE,
                                      COMM, CPU, DATA_PAGE_SIZE, DATA_SRC, DSO, EVNAME,
                                      INS_LAT, INSN, INSNLEN, IP, IREGS, METRIC, MISC, PERIOD,
                                      PHYS_ADDR, PID, SRCCODE, SRCLINE, SYM, SYMOFF, SYNTH,
                                      TID, TIME, TOD, TRACE, UREGS, WEIGHT, output_type)
from perfscript.output.frame_lines import KERNEL_BIT, USER_LIMIT
from perfscript.output.sideband import format_record
from perfscript.output.text_batch import BatchLines
from perfscript.perfdata import constants as C
from perfscript.perfdata.callchain import MISC_USER_UNWOUND, UNWOUND, chain_entries
from perfscript.session.consumer import Consumer
from perfscript.session.maps import LookupCache, space_key
from perfscript.session.stat_records import STAT_RECORDS

NSEC_PER_SEC = 1000000000
U32_MAX = 0xFFFFFFFF
FEAT_AUXTRACE = 18
FEAT_STAT = 19
MAX_STACK = 127

_GUEST_MODES = (C.MISC_GUEST_KERNEL, C.MISC_GUEST_USER)
# fields printed after the event name / body, in perf's order around the ip
_LATE_FIELDS = (IREGS | UREGS | BRSTACK | BRSTACKSYM | BRSTACKOFF | BPF_OUTPUT | INSN | INSNLEN
                | BRSTACKINSN | BRSTACKINSNLEN | PHYS_ADDR | DATA_PAGE_SIZE | CODE_PAGE_SIZE)
# (synth and bpf-output are added per event: only their events print them)
_TAIL_FIELDS = (DATA_SRC | WEIGHT | INS_LAT | SRCCODE | METRIC | _LATE_FIELDS) & ~BPF_OUTPUT
SW_BPF_OUTPUT = 10
FEAT_CLOCK_DATA = 29
_TASK_RECORDS = (C.RECORD_FORK, C.RECORD_EXIT)
# side-band records whose body names their task (the others: their sample_id trailer)
_BODY_NAMES_TASK = (C.RECORD_COMM, C.RECORD_FORK, C.RECORD_EXIT, C.RECORD_MMAP,
                    C.RECORD_MMAP2, C.RECORD_NAMESPACES)


def misc_letters(misc, rtype):
    """perf's `misc` column: the cpumode letters and the record's own flag, padded."""
    out = ""
    mode = misc & C.MISC_CPUMODE_MASK
    for want, letter in ((C.MISC_KERNEL, "K"), (C.MISC_USER, "U"),
                         (C.MISC_HYPERVISOR, "H"), (C.MISC_GUEST_KERNEL, "G"),
                         (C.MISC_GUEST_USER, "g")):
        if mode & want == want:
            out += letter
    if rtype in (C.RECORD_MMAP, C.RECORD_MMAP2):
        if misc & C.MISC_MMAP_DATA:
            out += "M"
    elif rtype == C.RECORD_COMM:
        if misc & C.MISC_COMM_EXEC:
            out += "E"
    elif rtype in (C.RECORD_SWITCH, C.RECORD_SWITCH_CPU_WIDE):
        if misc & C.MISC_SWITCH_OUT:
            out += "S"
            if misc & C.MISC_SWITCH_OUT_PREEMPT:
                out += "p"
    return out + "%*s" % (6 - len(out), " ")


def page_size_name(size):
    """A page size as perf prints it: 4K, 2M ... or N/A."""
    from perfscript.output.header import unit_number
    return unit_number(size) if size else "N/A"


class TextOptions:
    """What the text printer needs from the command line."""

    def __init__(self, ns=False, use_callchain=True, max_stack=MAX_STACK, show_task=False,
                 show_mmap=False, show_switch=False, show_lost=False, reltime=False,
                 deltatime=False, latency=False, show_namespace=False, show_cgroup=False,
                 show_bpf=False, show_text_poke=False, show_round=False,
                 full_source_path=False, max_blocks=0, stop_bt=None):
        self.ns = ns
        # --stop-bt: symbol names a callchain's printing stops after (perf's strlist)
        self.stop_bt = frozenset(n for n in stop_bt.split(",") if n) if stop_bt else None
        self.latency = latency          # -L: comm as %8.8s, cpu as %3d
        self.full_source_path = full_source_path    # srcline: the whole file name
        self.max_blocks = max_blocks                # brstackinsn: blocks printed (0: all)
        self.reltime = reltime          # times since the first line's
        self.deltatime = deltatime      # times since the previous line's
        self.use_callchain = use_callchain
        self.max_stack = max_stack
        self.show_task = show_task
        self.show_mmap = show_mmap
        self.show_switch = show_switch
        self.show_lost = show_lost
        self.show_namespace = show_namespace
        self.show_cgroup = show_cgroup
        self.show_bpf = show_bpf
        self.show_text_poke = show_text_poke
        self.show_round = show_round    # FINISHED_ROUND records (perf then reads unsorted)


def _tracepoint_renderer(session, ev):
    """body(raw bytes) -> str for a tracepoint, rendered from its print_fmt."""
    fmt = ev.tp_format
    if fmt is None:
        return None
    from perfscript.ftrace.render import make_renderer
    tracing = session.tracing

    def symbolize(addr):
        # perf's machine__resolve_kernel_addr: kernel maps only
        loc = session.locate(None, C.MISC_KERNEL, addr)
        if loc is None or loc[2] is None:
            return None
        return (loc[2].name, loc[3])

    def warn(text):
        sys.stderr.write("  %s\n" % text)

    return make_renderer(fmt, long_size=getattr(tracing, "long_size", None),
                         big_endian=getattr(tracing, "big_endian", None),
                         printk=getattr(tracing, "printk", None), symbolize=symbolize,
                         warn=warn, parse_warnings=False)


class LinePlan(NamedTuple):
    """What to print for an event's samples, worked out once per event."""
    fields: int                 # the -F fields of the event's type
    start_format: str | None    # one % format for the usual line start, or None
    has_cpu: int                # start_format has the cpu
    name: str                   # the event name column (and flags), ready to print
    period: int
    body: Callable | None       # raw payload -> text, for tracepoints
    addr: int
    ip: int
    tail: int                   # fields printed after the ip / callchain


# perf's identity-mapped memory (map__new: anon and dso-less maps)
_IDENTITY_PREFIXES = ("[stack", "/SYSV", "//anon", "/dev/zero", "/anon_hugepage", "/tmp/perf-")


def _identity_map(m):
    name = m.filename
    return name == "[heap]" or name.startswith(_IDENTITY_PREFIXES)


class TextPrinter(Consumer):
    """Session consumer printing perf script's default text."""

    def __init__(self, session, spec, topts, sfilter, out):
        self.session = session
        self.spec = spec
        self.o = topts
        self.filter = sfilter
        self.out = out
        self.write = out.write
        self.name_width = 0
        self._compiled = {}
        self._symcache = {}
        self._source_lines = None
        self._insn = None           # InsnText, GroupMetrics: made when a field needs them
        self._metrics = None
        self._chains = LookupCache()
        self._data_src_width = 0
        self._first_time = self._prev_time = 0      # for --reltime / --deltatime
        self._clock = session.features.get(FEAT_CLOCK_DATA)
        self.stat = None
        self.has_stat = FEAT_STAT in session.pd.feature_sections
        self.has_auxtrace = FEAT_AUXTRACE in session.pd.feature_sections
        self.pipe = bool(session.pd.pipe)
        self._seen_types = set()
        self.sideband_types = STAT_RECORDS | shown_records(topts)
        if not self.pipe:
            self._check_output_opt()
        self._batch_lines = BatchLines(self)

    @property
    def source_lines(self):
        """The SourceLines of srcline and srccode, made on first use."""
        if self._source_lines is None:
            from perfscript.output.source_lines import SourceLines
            self._source_lines = SourceLines(self.o.full_source_path)
        return self._source_lines

    def deliver_batch(self, batch):
        """The usual lines column-wise (text_batch.py)."""
        self._batch_lines.deliver_batch(batch)

    # ------------------------------------------------------------ setup

    def _check_output_opt(self):
        """perf_session__check_output_opt: checks against the first event of each type."""
        spec = self.spec
        evs = list(self.session.evsels)
        firsts = {}
        for ev in evs:
            firsts.setdefault(output_type(ev.attr.type), ev)
        for t in range(8):
            ev = firsts.get(t)
            if ev is None:
                continue        # perf 6.1 accepts -F for a type the file does not have
            if spec.fields[t]:
                spec.check_attr(ev, self.has_stat, self.has_auxtrace, self._branch_types())
        if self.o.use_callchain:
            if evs and not any(ev.attr.sample_type & C.SAMPLE_CALLCHAIN for ev in evs):
                self.o.use_callchain = False
        if self.o.use_callchain and not spec.user_set[FD.T_TRACE]:
            for ev in evs:
                if ev.attr.type == C.TYPE_TRACEPOINT and \
                        ev.attr.sample_type & C.SAMPLE_CALLCHAIN:
                    spec.fields[FD.T_TRACE] |= IP | SYM | SYMOFF | DSO
                    break

    def _branch_types(self):
        """evlist__combined_branch_type."""
        combined = 0
        for ev in self.session.evsels:
            combined |= ev.attr.branch_sample_type
        return combined

    def prepare_evsel(self, ev):
        """Pipe mode: perf checks each event type's first event as its attr arrives."""
        if not self.pipe:
            return
        t = output_type(ev.attr.type)
        if t in self._seen_types:
            return
        self._seen_types.add(t)
        if ev.attr.type >= 6 and ev.attr.type != C.TYPE_SYNTH:
            return
        if ev.attr.sample_type:
            self.spec.check_attr(ev, self.has_stat, self.has_auxtrace, self._branch_types())
        st = 0
        for e in self.session.evsels:
            st |= e.attr.sample_type
        if self.o.use_callchain and (st & C.SAMPLE_CALLCHAIN or st & C.SAMPLE_BRANCH_STACK
                                     or (st & C.SAMPLE_REGS_USER
                                         and st & C.SAMPLE_STACK_USER)):
            if not self.spec.user_unset_fields[t] & IP:
                self.spec.fields[t] |= IP
            if not self.spec.user_unset_fields[t] & SYM:
                self.spec.fields[t] |= SYM
        self._compiled.clear()

    # ------------------------------------------------------------ the line start

    def metric_line_start(self, ev, s, thread, f):
        """The start of a `metric` line: perf prints it without a script, so with an empty
        time of day."""
        return self._start(ev, s, thread, f, tod=False)

    def _start(self, ev, s, thread, f, rtype=C.RECORD_SAMPLE, tod=True):
        """perf_sample__fprintf_start: comm, pid/tid, [cpu], misc, tod, time."""
        parts = []
        if f & COMM:
            comm = thread.comm if thread is not None else ":-1"
            if self.o.latency:
                parts.append("%8.8s " % comm)
            elif f & IP and ev.attr.sample_type & C.SAMPLE_CALLCHAIN and self.o.use_callchain:
                parts.append("%s " % comm)
            else:
                parts.append("%16s " % comm)
        if f & PID and f & TID:
            parts.append("%5d/%-5d " % (_s32(s.pid), _s32(s.tid)))
        elif f & PID:
            parts.append("%5d " % _s32(s.pid))
        elif f & TID:
            parts.append("%5d " % _s32(s.tid))
        if f & CPU:
            parts.append(("%3d " if self.o.latency else "[%03d] ") % _s32(s.cpu))
        if f & MISC:
            parts.append(misc_letters(s.misc, rtype))
        if f & TOD:
            parts.append((self._tod(s.time) if tod else "") + " ")
        if f & TIME:
            t = s.time
            if self.o.reltime:
                if not self._first_time:
                    self._first_time = t
                t = (t - self._first_time) % (1 << 64)
            elif self.o.deltatime:
                prev, self._prev_time = self._prev_time, t
                t = (t - prev) % (1 << 64) if prev else 0
            secs, nsecs = divmod(t, NSEC_PER_SEC)
            if self.o.ns:
                parts.append("%5d.%09d: " % (secs, nsecs))
            else:
                parts.append("%12s: " % ("%d.%06d" % (secs, nsecs // 1000)))
        return "".join(parts)

    @staticmethod
    def sample_misc(misc):
        """The misc column of a sample with header misc `misc`."""
        return misc_letters(misc, C.RECORD_SAMPLE)

    # ------------------------------------------------------------ samples

    def line_plan(self, ev):
        """The LinePlan of an event's samples."""
        plan = self._compiled.get(ev.index)
        return plan if plan is not None else self._plan(ev)

    def _plan(self, ev):
        """Work an event's LinePlan out and keep it."""
        f = self.spec.fields[output_type(ev.attr.type)]
        if f & EVNAME:
            if ev.name is None:
                self.session.name_events()     # pipe mode: attrs arrive unnamed
            if not self.name_width:
                self.name_width = max((len(e.name or "") for e in self.session.evsels),
                                      default=0)
        name = "%*s: " % (self.name_width, ev.name or "[unknown]") if f & EVNAME else ""
        plain_comm = not (f & IP and ev.attr.sample_type & C.SAMPLE_CALLCHAIN
                          and self.o.use_callchain)
        fast = None
        if f & (MISC | TOD) or self.o.reltime or self.o.deltatime or self.o.latency:
            pass
        elif f & (COMM | PID | TID | CPU | TIME) == COMM | TID | CPU | TIME and not self.o.ns:
            # one format for the usual start: "%12s" of "secs.usecs" is "%5d.%06d"
            fast = ("%16s %5d [%03d] %5d.%06d: " if plain_comm
                    else "%s %5d [%03d] %5d.%06d: ")
        elif f & (COMM | PID | TID | CPU | TIME) == COMM | TID | TIME and not self.o.ns:
            fast = "%16s %5d %5d.%06d: " if plain_comm else "%s %5d %5d.%06d: "
        body = None
        if f & TRACE:
            body = _tracepoint_renderer(self.session, ev) or (lambda raw: "")
        if self.spec.print_flags:
            from perfscript.names.branch_flags import sample_flags_disp
            name += "  %-21s " % sample_flags_disp(0)
        tail = f & _TAIL_FIELDS
        if ev.attr.type == C.TYPE_SYNTH:
            tail |= f & SYNTH
        if ev.attr.type == C.TYPE_SOFTWARE and ev.attr.config == SW_BPF_OUTPUT:
            tail |= f & BPF_OUTPUT
        plan = LinePlan(f, fast, f & CPU, name, f & PERIOD, body, f & ADDR, f & IP, tail)
        self._compiled[ev.index] = plan
        return plan

    def sample(self, ev, s, thread):
        if self.filter.active and self.filter.skip(s, thread, ev):
            return
        if s.misc & C.MISC_CPUMODE_MASK in _GUEST_MODES:
            return          # perf filters guest samples out unless --guest
        plan = self._compiled.get(ev.index) or self.line_plan(ev)
        f, fast, has_cpu, name, period, body, addr, ip, tail = plan
        if not f:
            return
        if fast is not None:
            t = s.time
            secs = t // NSEC_PER_SEC
            tid = s.tid
            if has_cpu:
                cpu = s.cpu
                line = fast % (thread.comm, tid - 0x100000000 if tid & 0x80000000 else tid,
                               cpu - 0x100000000 if cpu & 0x80000000 else cpu, secs,
                               (t - secs * NSEC_PER_SEC) // 1000)
            else:
                line = fast % (thread.comm, tid - 0x100000000 if tid & 0x80000000 else tid,
                               secs, (t - secs * NSEC_PER_SEC) // 1000)
        else:
            line = self._start(ev, s, thread, f)
        if period:
            p = s.period if s.period is not None else ev.attr.sample_period
            line += "%10d " % p
        line += name
        if body is not None and s.raw_size:
            line += body(s.buf[s.raw_off:s.raw_off + s.raw_size])
        if tail & SYNTH:
            from perfscript.output.synth import synth_text
            line += synth_text(ev, s)
        if addr:
            line += self._addr(ev, s, thread, f)
        if tail & (DATA_SRC | WEIGHT | INS_LAT):
            line += self._mem_fields(s, tail)
        if ip:
            chain = None
            if self.o.use_callchain and s.callchain is not None:
                chain = self._callchain(ev, s, thread, f)
            if chain is not None:
                line += "\n" + chain
            else:
                line += self._ip(s, thread, f)
        if tail & _LATE_FIELDS:
            line += self._late_fields(ev, s, thread, tail, f)
        line += "\n"
        if tail & (SRCCODE | METRIC):
            line += self._after_line(ev, s, thread, tail)
        self.write(line)

    def _mem_fields(self, s, tail):
        """data_src (padded to the widest printed so far, like perf), weight, ins_lat."""
        text = ""
        if tail & DATA_SRC:
            from perfscript.names.mem_info import datasrc_decode
            ds = s.data_src or 0
            out = "%16x %s" % (ds, datasrc_decode(ds))[:99]
            self._data_src_width = max(self._data_src_width, len(out))
            text += "%-*s" % (self._data_src_width, out)
        if tail & WEIGHT:
            text += "%16d" % s.weight
        if tail & INS_LAT:
            text += "%16d" % (s.ins_lat & 0xFFFF)
        return text

    def _late_fields(self, ev, s, thread, tail, f):
        """The fields perf prints after the ip/callchain: registers, branch stack, BPF
        output, instructions, physical address, page sizes."""
        text = ""
        attr = ev.attr
        if tail & (IREGS | UREGS):
            from perfscript.names.regs import format_regs
        if tail & IREGS and s.intr_regs:
            text += " ABI:%d %s" % (s.intr_regs_abi,
                                    format_regs(self.session.arch, attr.sample_regs_intr,
                                                s.intr_regs))
        if tail & UREGS and s.user_regs:
            text += " ABI:%d %s" % (s.user_regs_abi,
                                    format_regs(self.session.arch, attr.sample_regs_user,
                                                s.user_regs))
        if tail & (BRSTACK | BRSTACKSYM | BRSTACKOFF) and s.branch_stack:
            from perfscript.output.branch_stack import branch_stack_text
            text += branch_stack_text(self.session, s, thread, f)
        if tail & BPF_OUTPUT:
            from perfscript.output.bpf_output import bpf_output_text
            text += bpf_output_text(s.buf[s.raw_off:s.raw_off + s.raw_size]
                                    if s.raw_size else b"")
        if tail & (INSN | INSNLEN | BRSTACKINSN | BRSTACKINSNLEN):
            if self._insn is None:
                from perfscript.output.insn_text import InsnText
                self._insn = InsnText(self)
            text += self._insn.text(ev, s, thread, f)
        if tail & PHYS_ADDR:
            text += "%16x" % s.phys_addr
        if tail & DATA_PAGE_SIZE:
            text += " " + page_size_name(s.data_page_size)
        if tail & CODE_PAGE_SIZE:
            text += " " + page_size_name(s.code_page_size)
        return text

    def _after_line(self, ev, s, thread, tail):
        """What perf prints after a sample's line: its source code line, the metrics of
        its event group."""
        text = ""
        if tail & SRCCODE:
            m, dso, addr = self.map_addr(thread, s.misc & C.MISC_CPUMODE_MASK, s.ip)
            code = self.source_lines.srccode(thread, m, dso, addr)
            if code:
                text += code + "\n"
        if tail & METRIC:
            if self._metrics is None:
                from perfscript.output.group_metrics import GroupMetrics
                self._metrics = GroupMetrics(self)
            text += self._metrics.text(ev, s, thread)
        return text

    def map_addr(self, thread, cpumode, ip):
        """(map, dso, map-relative address) of an address, as perf's thread__find_map."""
        session = self.session
        m = session.find_map(thread, cpumode, ip)
        if m is None:
            return None, None, ip
        dso = session.dso_of(m, cpumode in (C.MISC_KERNEL, C.MISC_GUEST_KERNEL))
        if dso is not None and not dso.kernel and not _identity_map(m):
            return m, dso, dso.map_ip(ip, m.start, m.pgoff)
        return m, dso, ip

    def _tod(self, t):
        """Time of day of a sample time, from the CLOCK_DATA reference point."""
        clock = self._clock
        tod = clock.wall_clock_ns + t - clock.clockid_time_ns
        sec, nsec = divmod(tod, NSEC_PER_SEC)
        try:
            date = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(sec))
        except (OverflowError, OSError, ValueError):
            return "failed"
        if self.o.ns:
            return "%s.%09d" % (date, nsec)
        return "%s.%06d" % (date, nsec // 1000)

    def _addr(self, ev, s, thread, f):
        text = "%16x" % s.addr
        if not self.session.addr_correlates(ev):
            return text
        loc = self.session.locate_fallback(thread, s.misc & C.MISC_CPUMODE_MASK, s.addr)
        m, dso, sym, symoff = loc if loc is not None else (None, None, None, 0)
        if f & SYM:
            text += " " + (sym.name if sym is not None else "[unknown]")
            if sym is not None and f & SYMOFF:
                text += "+0x%x" % symoff
        if f & DSO:
            text += " (%s)" % (dso.name if dso is not None else
                               (m.filename if m is not None else "[unknown]"))
        return text

    def _where(self, thread, cpumode, ip, f, keep=True):
        """(printed address, "sym+off (dso)" text) of an address, cached per map unless
        the caller keeps it itself (`keep` false: frame_lines); with srcline, the text
        goes on with the address's source line on a line of its own."""
        if f & SRCLINE:
            addr, text = self._where(thread, cpumode, ip, f & ~SRCLINE, keep)
            m = self.session.find_map(thread, cpumode, ip)
            line = self.source_lines.srcline(m, m.dso if m is not None else None, addr)
            return addr, text + "\n  " + line if line else text
        session = self.session
        m = session.find_map(thread, cpumode, ip)
        key = (m, ip, f)
        hit = self._symcache.get(key)
        if hit is not None:
            return hit
        loc = session.locate(thread, cpumode, ip)
        if loc is None:
            m = dso = sym = None
            symoff = 0
        else:
            m, dso, sym, symoff = loc
        parts = []
        if f & SYM:
            if sym is not None:
                parts.append(" %s+0x%x" % (sym.name, symoff) if f & SYMOFF
                             else " " + sym.name)
            else:
                parts.append(" [unknown]")
        if f & DSO:
            name = dso.name if dso is not None else (m.filename if m is not None
                                                     else "[unknown]")
            parts.append(" (%s)" % name)
        addr = ip
        if m is not None and dso is not None and not dso.kernel and not _identity_map(m):
            addr = dso.map_ip(ip, m.start, m.pgoff)
        hit = (addr, "".join(parts))
        if not keep:
            return hit
        if len(self._symcache) > 200000:
            self._symcache.clear()
        self._symcache[key] = hit
        return hit

    def _ip(self, s, thread, f):
        """The ip column (" %16x%s"), from the frame lines kept per space."""
        ip = s.ip
        cpumode = s.misc & C.MISC_CPUMODE_MASK
        if cpumode == C.MISC_KERNEL and ip >= KERNEL_BIT or \
                cpumode == C.MISC_USER and ip < USER_LIMIT:
            table, space = self._batch_lines.frame_lines.frame_key(thread, f, False)
            return table[ip if cpumode == C.MISC_KERNEL else ip | space]
        _, text = self._where(thread, cpumode, ip, f)
        return " %16x%s" % (ip, text)

    def _callchain(self, ev, s, thread, f):
        """The callchain lines (None when perf cannot resolve the chain). Chains with
        user frames perf unwound itself (--call-graph dwarf), costly to print, are kept
        per (maps, their versions, chain): the same chain in the same address spaces
        prints the same."""
        ips = self.session.chain_of(ev, s, thread)
        if ips is None:
            return None
        if UNWOUND not in ips:
            return self.chain_text(ips, thread, f)
        key = (space_key(thread, self.session.kernel_maps), f, ips)
        text = self._chains.get(key)
        if text is None:
            text = self._chains.put(key, self.chain_text(ips, thread, f))
        return text

    def chain_text(self, ips, thread, f):
        """The lines of a callchain (up to --max-stack frames; none when perf discards
        the chain), printed with fields `f`; with --stop-bt, up to the first frame whose
        symbol it names."""
        entries = chain_entries(ips, self.o.max_stack) or ()
        stop = self.o.stop_bt
        if stop is None and thread is not None:
            return self._chain_lines(entries, thread, f)
        out = []
        where = self._where
        for cpumode, ip in entries:
            if cpumode == MISC_USER_UNWOUND:
                entries = self._inline_lines(thread, cpumode, ip, f)
                if entries is not None:
                    for line, name in entries:
                        out.append(line)
                        if stop is not None and name in stop:
                            return "".join(out)
                    continue
            addr, text = where(thread, cpumode, ip, f)
            out.append("\t%16x%s\n" % (addr, text))
            if stop is not None:
                loc = self.session.locate(thread, cpumode, ip)
                if loc is not None and loc[2] is not None and loc[2].name in stop:
                    break
        return "".join(out)

    def _chain_lines(self, entries, thread, f):
        """chain_text without --stop-bt: the frames' lines kept per space."""
        table, space = self._batch_lines.frame_lines.frame_key(thread, f, True)
        out = []
        append = out.append
        for cpumode, ip in entries:
            if cpumode == C.MISC_KERNEL and ip >= KERNEL_BIT:
                append(table[ip])
            elif cpumode == C.MISC_USER and ip < USER_LIMIT:
                append(table[ip | space])
            else:
                if cpumode == MISC_USER_UNWOUND:
                    lines = self._inline_lines(thread, cpumode, ip, f)
                    if lines is not None:
                        out.extend(line for line, _ in lines)
                        continue
                addr, text = self._where(thread, cpumode, ip, f)
                append("\t%16x%s\n" % (addr, text))
        return "".join(out)

    def _inline_lines(self, thread, cpumode, ip, f):
        """An unwound frame's lines when perf shows inlined functions there (None: the
        plain frame): (line, symbol name) per entry, the frame symbol's own printed as
        usual, an inlined one as "name+0x<frame offset>", its srcline, " (inlined)",
        without dso."""
        session = self.session
        key = (session.find_map(thread, cpumode, ip), ip, f, "inlined")
        hit = self._symcache.get(key, False)
        if hit is not False:
            return hit
        loc = session.locate(thread, cpumode, ip)
        entries = session.inline_entries(thread, cpumode, ip, loc[:3]) if loc else None
        lines = None
        if entries is not None:
            m, dso, sym, symoff = loc
            addr, own = self._where(thread, cpumode, ip, f & ~SRCLINE)
            where_line = None
            lines = []
            for e in entries:
                srcline = ""
                if f & SRCLINE:
                    # each entry's own source line (perf keeps it on the callchain node)
                    line = e.srcline
                    if not line:
                        if where_line is None:
                            where_line = self.source_lines.srcline(m, dso, addr) or ""
                        line = where_line
                    srcline = "\n  " + line if line else ""
                if not e.inlined:
                    lines.append(("\t%16x%s%s\n" % (addr, own, srcline), e.name))
                    continue
                text = ""
                if f & SYM:
                    text = " %s+0x%x" % (e.name, symoff) if f & SYMOFF else " " + e.name
                lines.append(("\t%16x%s%s (inlined)\n" % (addr, text, srcline), e.name))
            lines = tuple(lines)
        self._symcache[key] = lines
        return lines

    # ------------------------------------------------------------ side band

    def _sideband_start(self, ev, s, thread):
        if ev is None:
            return ""
        f = self.spec.fields[output_type(ev.attr.type)]
        return self._start(ev, s, thread, f, self._rtype)

    _rtype = C.RECORD_SAMPLE

    def sideband(self, rec):
        """A record perf prints with --show-*-events, or a perf stat record."""
        if rec.type in STAT_RECORDS:
            if self.stat is None:
                from perfscript.output.stat import StatPrinter
                self.stat = StatPrinter(self.session, self.write)
            self.stat.record(rec)
            return
        if rec.type == C.RECORD_FINISHED_ROUND:
            self.write(format_record(rec))
            return
        ev, s = rec.evsel, rec.sample
        if rec.type in _BODY_NAMES_TASK:
            pid, tid = rec.pid, rec.tid
        else:
            pid, tid = _s32(s.pid), _s32(s.tid)
        if ev is not None and not ev.attr.sample_id_all:
            # no trailer: perf takes the task (and FORK/EXIT's time) from the body
            s.time = rec.time if rec.type in _TASK_RECORDS else 0
            s.cpu = 0
            s.pid = pid & U32_MAX
            s.tid = tid & U32_MAX
        if self.filter.cpus is not None and self.filter.skip_cpu(s.cpu):
            return
        thread = self.session.threads.findnew(pid, tid) if tid != -1 else None
        s.misc = rec.misc
        self._rtype = rec.type
        self.write(self._sideband_start(ev, s, thread)
                   + format_record(rec, self._kernel_symbol))

    def _kernel_symbol(self, addr):
        """(name, offset) of a kernel address, for a text poke's line."""
        loc = self.session.locate(None, C.MISC_KERNEL, addr)
        if loc is None or loc[2] is None:
            return None
        return loc[2].name, loc[3]


# the --show-*-events options (TextOptions flags) and the records each prints
_SHOWN_BY = (
    ("show_task", (C.RECORD_COMM, C.RECORD_FORK, C.RECORD_EXIT)),
    ("show_mmap", (C.RECORD_MMAP, C.RECORD_MMAP2)),
    ("show_switch", (C.RECORD_SWITCH, C.RECORD_SWITCH_CPU_WIDE)),
    ("show_lost", (C.RECORD_LOST,)),
    ("show_namespace", (C.RECORD_NAMESPACES,)),
    ("show_cgroup", (C.RECORD_CGROUP,)),
    ("show_bpf", (C.RECORD_KSYMBOL, C.RECORD_BPF_EVENT)),
    ("show_text_poke", (C.RECORD_KSYMBOL, C.RECORD_TEXT_POKE)),
    ("show_round", (C.RECORD_FINISHED_ROUND,)),
)


def shown_records(topts):
    """The side-band records the --show-*-events options print."""
    shown = set()
    for flag, records in _SHOWN_BY:
        if vars(topts)[flag]:
            shown.update(records)
    return shown


def _s32(v):
    return v - (1 << 32) if v & 0x80000000 else v
