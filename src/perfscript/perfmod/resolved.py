"""What a sample resolves to through the session's maps and symbols, worked out when a
script asks (upstream resolves these getters lazily too): its location (dso, map,
symbol), its address's location, its callchain, branch stack, source line and
instruction.
"""

from perfscript.perfdata import constants as C
from perfscript.perfdata.callchain import chain_entries
from perfscript.perfmod.chains import branch_entry, branch_stack, callchain, callchain_node

MAX_STACK = 127         # PERF_MAX_STACK_DEPTH: upstream resolves callchains this deep


class Location:
    """A resolved address: each part None when unresolved."""

    __slots__ = ("dso_name", "dso_long_name", "dso_bid", "map_start", "map_end", "map_pgoff",
                 "sym_name", "sym_start", "sym_end", "sym_offset")

    def __init__(self, found=None):
        self.dso_name = self.dso_long_name = self.dso_bid = None
        self.map_start = self.map_end = self.map_pgoff = None
        self.sym_name = self.sym_start = self.sym_end = self.sym_offset = None
        if found is None:
            return
        m, dso, sym, symoff = found
        self.map_start, self.map_end, self.map_pgoff = m.start, m.end, m.pgoff
        if dso is not None:
            self.dso_name = dso.name
            self.dso_long_name = dso.long_name
            self.dso_bid = dso.build_id or ""
        else:
            self.dso_name = self.dso_long_name = m.filename
            self.dso_bid = ""
        if sym is not None:
            self.sym_name = sym.name
            self.sym_start = sym.start
            self.sym_end = sym.end
            self.sym_offset = symoff


_NOWHERE = Location()


def _parts(ev):
    """(recorded event, parsed sample, session, thread) of a sample_event."""
    rows = type(ev)._rows
    s, evsel = rows.sample_and_event(ev)
    session = rows.session
    thread = session.threads.findnew(_c_int(s.pid), _c_int(s.tid))
    return evsel, s, session, thread


def _c_int(v):
    return v - (1 << 32) if v & 0x80000000 else v


def sample_location(ev):
    """The sample ip's Location (kept on the parsed sample: one lookup per sample)."""
    loc = getattr(type(ev)._rows.sample(ev), "_perfmod_loc", None)
    if loc is None:
        evsel, s, session, thread = _parts(ev)
        found = session.locate(thread, s.misc & C.MISC_CPUMODE_MASK, s.ip)
        loc = s._perfmod_loc = Location(found) if found is not None else _NOWHERE
    return loc


def addr_location(ev):
    """The sampled data address's Location (perf's addr_al, thread__find_symbol_fb)."""
    evsel, s, session, thread = _parts(ev)
    if not evsel.attr.sample_type & C.SAMPLE_ADDR:
        return _NOWHERE
    found = session.locate_fallback(thread, s.misc & C.MISC_CPUMODE_MASK, s.addr)
    return Location(found) if found is not None else _NOWHERE


UNKNOWN = "[unknown]"


def callchain_of(ev):
    """The sample's callchain (innermost first, no inlined frames), or None when it has
    none or perf's resolution fails. A frame's dso is its long name (upstream's session
    shows kernel paths), "[unknown]" like its symbol when unresolved. Kept on the
    parsed sample: the same object on every access."""
    got = getattr(type(ev)._rows.sample(ev), "_perfmod_chain", False)
    if got is not False:
        return got
    evsel, s, session, thread = _parts(ev)
    got = None
    if s.callchain is not None:
        ips = session.chain_of(evsel, s, thread)
        entries = chain_entries(ips, MAX_STACK) if ips is not None else None
        if entries is not None:
            got = callchain([_node(session, thread, cpumode, ip) for cpumode, ip in entries])
    s._perfmod_chain = got
    return got


def _node(session, thread, cpumode, ip):
    found = session.locate(thread, cpumode, ip)
    if found is None:
        return callchain_node(ip, UNKNOWN, UNKNOWN, None)
    m, dso, sym, symoff = found
    dso_name = dso.long_name if dso is not None else m.filename
    if sym is None:
        return callchain_node(ip, UNKNOWN, dso_name, None)
    return callchain_node(ip, sym.name, dso_name, symoff)


def brstack_of(ev):
    """The sample's branch stack (empty when it recorded none), or None when the event
    records none; the same object on every access."""
    s = type(ev)._rows.sample(ev)
    got = getattr(s, "_perfmod_brstack", False)
    if got is False:
        got = None
        if s.branch_stack is not None:
            big_endian = type(ev)._rows.session.endian == ">"
            got = branch_stack([branch_entry.from_raw(frm, to, flags, big_endian)
                                for frm, to, flags in s.branch_stack])
        s._perfmod_brstack = got
    return got


def srccode_of(ev, addr=None):
    """(source file, line, that line's text) of an address (the sample's ip by
    default); (None, 0, None) without debug information, None when the sample's ip
    does not resolve."""
    evsel, s, session, thread = _parts(ev)
    if sample_location(ev) is _NOWHERE:
        return None
    ip = s.ip if addr is None else addr
    loc = session.user_file_address(thread, s.misc & C.MISC_CPUMODE_MASK, ip)
    if loc is None:
        return (None, 0, None)
    from perfscript.symbols.srcline import source_file_lines, srcline
    found = srcline(*loc)
    if found is None:
        return (None, 0, None)
    path, line = found
    lines = source_file_lines(path)
    text = None
    if 1 <= line <= len(lines):
        text = lines[line - 1].decode("utf-8", "surrogateescape")
    return (path, line, text)


def insn_of(ev):
    """The bytes of the instruction at the sample's ip, or None."""
    evsel, s, session, thread = _parts(ev)
    if not s.ip or s.ip >= session.kernel_start():
        return None
    loc = session.user_file_address(thread, C.MISC_USER, s.ip)
    if loc is None:
        return None
    from perfscript.symbols.code import insn_at
    return insn_at(*loc)
