"""perf_sample_dict / param_dict and callchain lists, built as perf 6.1 builds them."""

import sys

from perfscript.perfdata import constants as C
from perfscript.perfdata.callchain import chain_entries
from perfscript.session.maps import LookupCache, space_key

MAX_STACK = 127          # perf script's default callchain depth for scripts
DATA_SRC_NONE = 0x5080021
_SAMPLE_LOCATION_KEYS = ("dso", "dso_bid", "dso_map_start", "dso_map_end", "symbol", "symoff")
_ADDR_LOCATION_KEYS = ("addr_dso", "addr_dso_bid", "addr_dso_map_start", "addr_dso_map_end",
                       "addr_symbol", "addr_symoff")


def location_entries(loc):
    """What perf puts in the dict for a located address: () without a map, (dso name,
    build id, map start, map end), then symbol name and offset when there is a symbol."""
    if loc is None:
        return ()
    m, dso, sym, symoff = loc
    head = (dso.name if dso is not None else m.filename,
            (dso.build_id if dso is not None else None) or "", m.start, m.end)
    if sym is None:
        return head
    return head + (sym.name, symoff)


def put_location(d, entries, keys):
    """Add location entries to `d` under `keys` (in order)."""
    if entries:
        d.update(zip(keys, entries))


def fresh_chain(templates):
    """New dicts for a callchain's frames from their templates: (frame dict, its "sym"
    dict or None) pairs, the frame's "sym" entry a placeholder. Scripts may keep or
    change what they get, so every sample gets its own."""
    out = []
    append = out.append
    for f, s in templates:
        d = f.copy()
        if s is not None:
            d["sym"] = s.copy()
        append(d)
    return out


class SampleDicts:
    """Builds the Python values perf hands to handlers for one sample."""

    def __init__(self, session, max_stack=MAX_STACK, hide_callchain=False):
        self.session = session
        self.max_stack = max_stack
        self.hide_callchain = hide_callchain    # perf script -G
        self._regs = None
        self._mem = None
        self._chains = LookupCache()    # (spaces, chain) -> frame templates
        self._frame_cache = LookupCache()   # (spaces, cpumode, address) -> templates
        self.locations = LookupCache()  # (spaces, cpumode, ip) -> location entries

    # ------------------------------------------------------------ callchains

    def callchain(self, ev, s, thread):
        """`common_callchain` / the `callchain` key: innermost first, markers dropped."""
        if s.callchain is None or self.hide_callchain:
            return []
        ips = self.session.chain_of(ev, s, thread)
        if ips is None:
            sys.stderr.write("Failed to resolve callchain. Skipping\n")
            return []
        if not ips:
            return []
        space = space_key(thread, self.session.kernel_maps)
        if space is None:
            return fresh_chain(self.chain_templates(ips, thread, None))
        key = (space, ips)
        templates = self._chains.get(key)
        if templates is None:
            templates = self._chains.put(key, self.chain_templates(ips, thread, space))
        return fresh_chain(templates)

    def chain_templates(self, ips, thread, space):
        """The frame templates (fresh_chain) of a chain, up to max_stack addresses.

        What a frame says only depends on its address and the address spaces, so each
        is worked out once per (spaces, cpumode, address) and shared by the chains that
        pass through it; `space` is the thread's space_key (None: nothing is kept)."""
        entries = chain_entries(ips, self.max_stack)
        if not entries:
            return ()
        if space is None:
            out = ()
            for cpumode, ip in entries:
                out += self._frame_templates(thread, cpumode, ip)
            return out
        cache = self._frame_cache
        kernel_space = space[2]
        out = []
        for cpumode, ip in entries:
            key = (kernel_space, cpumode, ip) if cpumode == C.MISC_KERNEL else \
                (space, cpumode, ip)
            got = cache.get(key)
            if got is None:
                got = cache.put(key, self._frame_templates(thread, cpumode, ip))
            out += got
        return tuple(out)

    def _frame_templates(self, thread, cpumode, ip):
        """The templates of one callchain address: a frame outside every map gives only
        its ip, one without a symbol its dso too; an unwound frame with inlined
        functions is one entry each (the frame symbol's range under the inlined name,
        and the entry's srcline)."""
        session = self.session
        loc = session.locate(thread, cpumode, ip)
        if loc is None:
            return (({"ip": ip}, None),)
        m, dso, sym, symoff = loc
        name = dso.name if dso is not None else "[unknown]"
        if sym is None:
            return (({"ip": ip, "dso": name}, None),)
        entries = session.inline_entries(thread, cpumode, ip, (m, dso, sym))
        if entries is None:
            named = ((sym.name, None),)
        else:
            named = tuple((e.name, e.srcline) for e in entries)
        out = []
        for sym_name, srcline in named:
            f = {"ip": ip, "sym": None, "sym_off": symoff}
            if srcline is not None:
                f["sym_srcline"] = srcline
            f["dso"] = name
            out.append((f, {"start": sym.start, "end": sym.end, "binding": sym.binding,
                            "name": sym_name}))
        return tuple(out)

    def location(self, thread, cpumode, ip):
        """The sample's own location entries (location_entries), once per address and
        address spaces."""
        space = space_key(thread, self.session.kernel_maps)
        if space is None:
            return location_entries(self.session.locate(thread, cpumode, ip))
        key = (space, cpumode, ip)
        got = self.locations.get(key)
        if got is None:
            got = self.locations.put(key, location_entries(self.session.locate(thread, cpumode,
                                                                           ip)))
        return got

    # ------------------------------------------------------------ the dict

    def sample_dict(self, ev, s, thread, callchain=None):
        session = self.session
        d = {"ev_name": ev.name, "attr": ev.attr_image}
        cpumode = s.misc & C.MISC_CPUMODE_MASK
        sd = {
            "pid": s.pid, "tid": s.tid, "cpu": s.cpu, "ip": s.ip, "time": s.time,
            "period": s.period if s.period is not None else ev.default_period,
            "phys_addr": s.phys_addr, "addr": s.addr,
        }
        read = s.read
        if read is None:
            sd["values"] = [(0, 0, 0)]
        else:
            sd["values"] = [(i, v, lost if lost is not None else 0) for i, v, lost in read]
            if s.time_enabled is not None:
                sd["time_enabled"] = s.time_enabled
            if s.time_running is not None:
                sd["time_running"] = s.time_running
        sd["weight"] = s.weight
        sd["transaction"] = s.transaction
        data_src = s.data_src if s.data_src is not None else DATA_SRC_NONE
        sd["datasrc"] = data_src
        sd["datasrc_decode"] = self.datasrc_text(data_src)
        d["sample"] = sd
        d["raw_buf"] = s.raw
        d["comm"] = thread.comm
        put_location(d, self.location(thread, cpumode, s.ip), _SAMPLE_LOCATION_KEYS)
        d["callchain"] = callchain if callchain is not None else self.callchain(ev, s, thread)
        d["brstack"], d["brstacksym"] = self._branches(s, thread, cpumode)
        sd["cpumode"] = cpumode
        if ev.attr.sample_type & C.SAMPLE_ADDR and session.addr_correlates(ev):
            aloc = session.locate_fallback(thread, cpumode, s.addr)
            sd["addr_correlates_sym"] = True
            put_location(sd, location_entries(aloc), _ADDR_LOCATION_KEYS)
        d["iregs"], d["uregs"] = self._regs_strings(ev, s)
        return d

    def datasrc_text(self, value):
        """perf's decoded text of a data_src value."""
        if self._mem is None:
            try:
                from perfscript.names.mem_info import datasrc_decode
            except ImportError:
                def datasrc_decode(v):
                    return ""
            self._mem = datasrc_decode
        return self._mem(value)

    def _regs_strings(self, ev, s):
        if s.intr_regs is None and s.user_regs is None:
            return "", ""
        if self._regs is None:
            from perfscript.names.regs import sample_regs_strings
            self._regs = sample_regs_strings
        attr = ev.attr
        return self._regs(self.session.arch, attr.sample_regs_intr, s.intr_regs or (),
                          attr.sample_regs_user, s.user_regs or ())

    def _branches(self, s, thread, cpumode):
        if not s.branch_stack:
            return [], []
        from perfscript.names.branch_flags import decode_branch_flags
        session = self.session
        brstack, brstacksym = [], []
        big_endian = session.endian == ">"
        for frm, to, flags in s.branch_stack:
            bf = decode_branch_flags(flags, big_endian)
            floc = session.locate_fallback(thread, cpumode, frm)
            tloc = session.locate_fallback(thread, cpumode, to)
            brstack.append({
                "from": frm, "to": to, "mispred": bf.mispred, "predicted": bf.predicted,
                "in_tx": bf.in_tx, "abort": bf.abort, "cycles": bf.cycles,
                "from_dsoname": _dso_name(floc), "to_dsoname": _dso_name(tloc),
            })
            brstacksym.append({
                "from": _sym_text(floc), "to": _sym_text(tloc),
                "pred": "M" if bf.mispred else ("P" if bf.predicted else "-"),
                "in_tx": "X" if bf.in_tx else "-",
                "abort": "A" if bf.abort else "-",
            })
        return brstack, brstacksym


def _dso_name(loc):
    if loc is None or loc[1] is None:
        return "[unknown]"
    return loc[1].name


def _sym_text(loc):
    if loc is None or loc[2] is None:
        return "[unknown]"
    return "%s+0x%x" % (loc[2].name, loc[3])
