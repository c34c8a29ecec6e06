"""perf_sample_dict / param_dict and callchain lists, built as perf 6.1 builds them."""

import sys

from perfscript.perfdata import constants as C
from perfscript.perfdata.callchain import chain_entries
from perfscript.session.maps import LookupCache, space_key

U32_MAX = 0xFFFFFFFF
U64_MAX = (1 << 64) - 1
MAX_STACK = 127          # perf script's default callchain depth for scripts
DATA_SRC_NONE = 0x5080021
_NO_MAP = object()              # a frame outside every map: only its ip is given


class SampleDicts:
    """Builds the Python values perf hands to handlers for one sample."""

    def __init__(self, session, max_stack=MAX_STACK, hide_callchain=False):
        self.session = session
        self.max_stack = max_stack
        self.hide_callchain = hide_callchain    # perf script -G
        self._regs = None
        self._mem = None
        self._chains = LookupCache()

    # ------------------------------------------------------------ callchains

    def callchain(self, ev, s, thread):
        """`common_callchain` / the `callchain` key: innermost first, markers dropped.

        Scripts may keep or change the dicts, so each sample gets new ones; what they
        say only depends on the chain and the address spaces, so that is worked out once
        per (maps, their versions, chain)."""
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
            frames = self._frames(ips, thread)
        else:
            key = (space, ips)
            frames = self._chains.get(key)
            if frames is None:
                frames = self._chains.put(key, self._frames(ips, thread))
        out = []
        append = out.append
        for ip, sym, off, dso, srcline in frames:
            if dso is _NO_MAP:
                append({"ip": ip})
            elif sym is None:
                append({"ip": ip, "dso": dso})
            else:
                d = {"ip": ip, "sym": {"start": sym[0], "end": sym[1], "binding": sym[2],
                                       "name": sym[3]},
                     "sym_off": off}
                if srcline is not None:
                    d["sym_srcline"] = srcline
                d["dso"] = dso
                append(d)
        return out

    def _frames(self, ips, thread):
        """(ip, (start, end, binding, name) or None, offset, dso name, srcline or None)
        per frame, up to max_stack frames; none when perf discards the chain.  An unwound
        frame with inlined functions is one entry each (the frame symbol's range under
        the inlined name, and the entry's srcline)."""
        session = self.session
        locate = session.locate
        out = []
        for cpumode, ip in chain_entries(ips, self.max_stack) or ():
            loc = locate(thread, cpumode, ip)
            if loc is None:
                out.append((ip, None, 0, _NO_MAP, None))
                continue
            m, dso, sym, symoff = loc
            name = dso.name if dso is not None else "[unknown]"
            if sym is None:
                out.append((ip, None, 0, name, None))
                continue
            entries = session.inline_entries(thread, cpumode, ip, (m, dso, sym))
            if entries is None:
                out.append((ip, (sym.start, sym.end, sym.binding, sym.name), symoff, name,
                            None))
                continue
            for e in entries:
                out.append((ip, (sym.start, sym.end, sym.binding, e.name), symoff, name,
                            e.srcline))
        return tuple(out)

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
        sd["datasrc_decode"] = self._datasrc(data_src)
        d["sample"] = sd
        d["raw_buf"] = s.raw
        d["comm"] = thread.comm
        loc = session.locate(thread, cpumode, s.ip)
        self._set_location(d, loc, "dso", "dso_bid", "dso_map_start", "dso_map_end",
                           "symbol", "symoff")
        d["callchain"] = callchain if callchain is not None else self.callchain(ev, s, thread)
        d["brstack"], d["brstacksym"] = self._branches(s, thread, cpumode)
        sd["cpumode"] = cpumode
        if ev.attr.sample_type & C.SAMPLE_ADDR and session.addr_correlates(ev):
            aloc = session.locate_fallback(thread, cpumode, s.addr)
            sd["addr_correlates_sym"] = True
            self._set_location(sd, aloc, "addr_dso", "addr_dso_bid", "addr_dso_map_start",
                               "addr_dso_map_end", "addr_symbol", "addr_symoff")
        d["iregs"], d["uregs"] = self._regs_strings(ev, s)
        return d

    @staticmethod
    def _set_location(d, loc, dso_k, bid_k, start_k, end_k, sym_k, off_k):
        if loc is None:
            return
        m, dso, sym, symoff = loc
        d[dso_k] = dso.name if dso is not None else m.filename
        d[bid_k] = (dso.build_id if dso is not None else None) or ""
        d[start_k] = m.start
        d[end_k] = m.end
        if sym is not None:
            d[sym_k] = sym.name
            d[off_k] = symoff

    def _datasrc(self, value):
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
