"""process_event's param_dict for a batch of plain samples with callchains, column-wise.

Samples whose only variable part is the callchain (cpu-clock -g and the like) have their
fixed fields read as NumPy columns; each row's dict is then made by one function with
dict displays (perf's keys, in perf's order, sample_dict.py's values): the sample's
location and its callchain's frame templates come from SampleDicts' caches, the chain
looked up by its raw bytes. Every row gets new dicts and lists, as under perf.
"""

import struct

import numpy as np

from perfscript.perfdata import constants as C
from perfscript.script.call_stream import RowFailed, no_calls, process_event_calls
from perfscript.script.sample_dict import DATA_SRC_NONE, fresh_chain, location_entries
from perfscript.session.maps import LookupCache, space_key

_ALLOWED = (C.SAMPLE_IDENTIFIER | C.SAMPLE_IP | C.SAMPLE_TID | C.SAMPLE_TIME | C.SAMPLE_ID
            | C.SAMPLE_STREAM_ID | C.SAMPLE_CPU | C.SAMPLE_PERIOD | C.SAMPLE_CALLCHAIN)
U32_MAX = 0xFFFFFFFF
U64_MAX = (1 << 64) - 1


def _unsigned32(col):
    """perf's u32 values back from a signed column (-1: all ones, or absent)."""
    return np.where(col == -1, U32_MAX, col)


class SamplePlan:
    """How one event's samples become process_event calls, column-wise."""

    uses_maps = True        # the rows look addresses up: segments end at MMAPs

    def __init__(self, engine, ev):
        self.ev = ev
        self.little = engine.session.endian == "<"
        self.fn = None
        self.build = _row_builder(engine.dicts, ev, engine.session.pd.source.buf,
                                  self.little)

    @staticmethod
    def usable(engine, ev):
        st = ev.layout.sample_type
        return (not ev.is_tracepoint and engine.db_export is None
                and st & C.SAMPLE_CALLCHAIN and not st & ~_ALLOWED
                and ev.layout.fixed.size % 8 == 0)

    def choose(self, engine):
        """Whether this batch's rows go column-wise: a process_event to call, or none
        at all (perf calls nothing); a non-callable one is left to the per-record path."""
        fn = engine.globals.get("process_event")
        self.fn = fn if fn is not None and callable(fn) else None
        return fn is None or self.fn is not None

    def columns(self, batch, sel):
        """([pid, tid, cpu, ip, time, period, cpumode, chain start, chain length] as
        NumPy arrays, tid and pid arrays), or None (a damaged record). The rows' lists
        are made a segment at a time."""
        layout = self.ev.layout
        sc = batch.chain_columns(sel, layout, self.little)
        if sc is None:
            return None
        n = len(sel)
        o = batch.offs[sel]
        head = batch.words[o >> 3]
        misc = (head >> np.uint64(32)) if self.little else (head >> np.uint64(16))
        cpumode = (misc & np.uint64(0xFFFF)).astype(np.int64) & C.MISC_CPUMODE_MASK
        slots = layout.word_slots()
        if "ip" in slots:
            ip = batch.word_at((o >> 3) + 1 + slots["ip"][0])
        else:
            ip = np.zeros(n, dtype=np.uint64)
        t = sc["time"]
        time = t if t is not None else np.full(n, U64_MAX, dtype=np.uint64)
        p = sc["period"]
        period = p if p is not None else np.full(n, self.ev.default_period, dtype=np.uint64)
        cols = [_unsigned32(sc["pid"]), _unsigned32(sc["tid"]), _unsigned32(sc["cpu"]), ip,
                time, period, cpumode, sc["chain_start"], sc["chain_nr"]]
        return cols, sc["tid"], sc["pid"]

    def stream(self, engine, cols, lo, hi, threads):
        if self.fn is None:
            return no_calls(engine.globals, ("process_event",))
        return process_event_calls(engine.globals, self.fn, self.build,
                                   [c[lo:hi].tolist() for c in cols] + [threads.per_row()])


def _row_builder(dicts, ev, buf, little):
    """build(_, pid, tid, cpu, ip, time, period, cpumode, chain start, chain length,
    thread) -> the row's param_dict, as SampleDicts.sample_dict makes it for a sample of
    this kind (no raw data, read values, branches or registers)."""
    session = dicts.session
    kernel_maps = session.kernel_maps
    locations = dicts.locations
    locate = session.locate
    templates_of = dicts.chain_templates
    chains = LookupCache()          # (spaces, chain bytes) -> frame templates
    order = "<" if little else ">"
    ev_name = ev.name
    attr = ev.attr_image
    datasrc_decode = dicts.datasrc_text(DATA_SRC_NONE)

    def unpack(start, nr):
        return struct.unpack_from("%s%dQ" % (order, nr), buf, start)

    def build(_, pid, tid, cpu, ip, time, period, cpumode, start, nr, thread):
        try:
            sd = {"pid": pid, "tid": tid, "cpu": cpu, "ip": ip, "time": time,
                  "period": period, "phys_addr": 0, "addr": 0, "values": [(0, 0, 0)],
                  "weight": 0, "transaction": 0, "datasrc": DATA_SRC_NONE,
                  "datasrc_decode": datasrc_decode, "cpumode": cpumode}
            space = space_key(thread, kernel_maps)
            if space is None:       # nothing about this thread's lookups is kept
                where = location_entries(locate(thread, cpumode, ip))
                chain = fresh_chain(templates_of(unpack(start, nr), thread, None)) \
                    if nr else []
            else:
                key = (space, cpumode, ip)
                where = locations.get(key)
                if where is None:
                    where = locations.put(key, location_entries(locate(thread, cpumode, ip)))
                if nr:
                    key = (space, buf[start:start + 8 * nr])
                    templates = chains.get(key)
                    if templates is None:
                        templates = chains.put(key, templates_of(unpack(start, nr), thread,
                                                                 space))
                    chain = fresh_chain(templates)
                else:
                    chain = []
            if len(where) == 6:
                return {"ev_name": ev_name, "attr": attr, "sample": sd, "raw_buf": b"",
                        "comm": thread.comm, "dso": where[0], "dso_bid": where[1],
                        "dso_map_start": where[2], "dso_map_end": where[3],
                        "symbol": where[4], "symoff": where[5], "callchain": chain,
                        "brstack": [], "brstacksym": [], "iregs": "", "uregs": ""}
            if where:
                return {"ev_name": ev_name, "attr": attr, "sample": sd, "raw_buf": b"",
                        "comm": thread.comm, "dso": where[0], "dso_bid": where[1],
                        "dso_map_start": where[2], "dso_map_end": where[3],
                        "callchain": chain, "brstack": [], "brstacksym": [], "iregs": "",
                        "uregs": ""}
            return {"ev_name": ev_name, "attr": attr, "sample": sd, "raw_buf": b"",
                    "comm": thread.comm, "callchain": chain, "brstack": [], "brstacksym": [],
                    "iregs": "", "uregs": ""}
        except Exception as e:      # the lookups' errors are not the handler's
            raise RowFailed(e) from None

    return build
