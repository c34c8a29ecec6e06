"""Recorded events (perf's evsels): attr, name, sample layout, and the id → event map."""

import struct

from perfscript.perfdata import constants as C
from perfscript.perfdata.sample import (SampleLayout, id_position, trailer_id_position,
                                        trailer_id_slot)
from perfscript.session.batched import words_at

HW_NAMES = ("cycles", "instructions", "cache-references", "cache-misses", "branches",
            "branch-misses", "bus-cycles", "stalled-cycles-frontend",
            "stalled-cycles-backend", "ref-cycles")
SW_NAMES = ("cpu-clock", "task-clock", "page-faults", "context-switches", "cpu-migrations",
            "minor-faults", "major-faults", "alignment-faults", "emulation-faults", "dummy",
            "bpf-output", "cgroup-switches")
HW_CACHE_NAMES = ("L1-dcache", "L1-icache", "LLC", "dTLB", "iTLB", "branch", "node")
HW_CACHE_OPS = ("load", "store", "prefetch")
HW_CACHE_RESULTS = ("refs", "misses")

# flag-word bits used by perf's event-name modifiers
_EXCLUDE_USER, _EXCLUDE_KERNEL, _EXCLUDE_HV = 1 << 4, 1 << 5, 1 << 6
_EXCLUDE_HOST, _EXCLUDE_GUEST = 1 << 19, 1 << 20


def _modifiers(attr):
    """perf's `:ukhppp` suffix derived from the exclude_* and precise_ip bits."""
    f = attr.flags
    mods = ""
    guest_default = False
    if f & (_EXCLUDE_KERNEL | _EXCLUDE_USER | _EXCLUDE_HV):
        if not f & _EXCLUDE_KERNEL:
            mods += "k"
        if not f & _EXCLUDE_USER:
            mods += "u"
        if not f & _EXCLUDE_HV:
            mods += "h"
        guest_default = True
    precise = (f >> 15) & 3
    mods += "ppp"[:precise]
    if f & _EXCLUDE_HOST or bool(f & _EXCLUDE_GUEST) == guest_default:
        if not f & _EXCLUDE_HOST:
            mods += "H"
        if not f & _EXCLUDE_GUEST:
            mods += "G"
    return ":" + mods if mods else ""


def synthesized_name(attr, tracepoint_name=None):
    """The name perf gives an event when the recording carries none."""
    t, cfg = attr.type, attr.config
    if t == C.TYPE_TRACEPOINT:
        return tracepoint_name or "unknown tracepoint:%d" % cfg
    if t == C.TYPE_HARDWARE and cfg < len(HW_NAMES):
        base = HW_NAMES[cfg]
    elif t == C.TYPE_SOFTWARE and cfg < len(SW_NAMES):
        base = SW_NAMES[cfg]
    elif t == C.TYPE_HW_CACHE:
        cache, op, result = cfg & 0xff, (cfg >> 8) & 0xff, (cfg >> 16) & 0xff
        if cache < len(HW_CACHE_NAMES) and op < len(HW_CACHE_OPS) and result < 2:
            base = "%s-%s-%s" % (HW_CACHE_NAMES[cache], HW_CACHE_OPS[op],
                                 HW_CACHE_RESULTS[result])
        else:
            base = "unknown-ext-hardware-cache-type"
    elif t == C.TYPE_RAW:
        base = "r%x" % cfg
    elif t == C.TYPE_BREAKPOINT:
        base = "mem:0x%x" % attr.config1
    else:
        base = "unknown attr type: %d" % t
        return base
    return base + _modifiers(attr)


class Evsel:
    """One recorded event."""

    __slots__ = ("index", "attr", "name", "layout", "tp_format", "ids", "handler_name",
                 "is_tracepoint", "default_period", "sample_id_pos", "attr_image",
                 "time_pos", "sample_handler")

    def __init__(self, index, attr, endian):
        self.index = index
        self.attr = attr
        self.name = None
        self.layout = SampleLayout(attr, endian)
        self.tp_format = None
        self.ids = []
        self.is_tracepoint = attr.type == C.TYPE_TRACEPOINT
        self.default_period = attr.sample_period if not attr.freq else 0
        self.sample_id_pos = id_position(attr)
        self.attr_image = attr.memory_image()
        self.handler_name = None
        st = attr.sample_type
        self.time_pos = None       # byte offset of a sample's time from the record start
        if st & C.SAMPLE_TIME:
            self.time_pos = 8 + 8 * sum(bool(st & b) for b in (
                C.SAMPLE_IDENTIFIER, C.SAMPLE_IP, C.SAMPLE_TID))
        self.sample_handler = None  # set by the session from its consumer's sample_handler(ev)

    def __repr__(self):
        return "Evsel(%d, %r)" % (self.index, self.name)


class EvselTable:
    """The events of a recording and the sample ids that name them."""

    def __init__(self, endian):
        self.endian = endian
        self.evsels = []
        self.by_id = {}
        self.u64 = struct.Struct(endian + "Q")
        self.unknown_id_samples = 0
        self._single = None       # the evsel every sample belongs to, when that is certain
        self._id_off = None
        self._id_arrays = None    # sorted ids and their evsel indices, for NumPy lookups

    def add(self, attr, ids=(), name=None):
        ev = Evsel(len(self.evsels), attr, self.endian)
        ev.name = name
        self.evsels.append(ev)
        self.add_ids(ev, ids)
        self._update_lookup()
        return ev

    def add_ids(self, ev, ids):
        for i in ids:
            self.by_id[i] = ev
            ev.ids.append(i)
        self._update_lookup()

    def mismatch(self):
        """perf's words for why it cannot tell the events of a file apart, or None.

        Several events share one data stream only when every sample and every
        sample_id trailer holds its id at the same place, they agree on sample_id_all,
        and (like perf) PERF_SAMPLE_READ comes with ids in the read values."""
        evs = self.evsels
        if not evs:
            return None
        first = evs[0].attr
        if len(evs) > 1:
            places = {(id_position(e.attr), trailer_id_slot(e.attr.sample_type)) for e in evs}
            if len(places) > 1 or None in next(iter(places)):
                return "non matching sample_type"
            if any(e.attr.sample_id_all != first.sample_id_all for e in evs):
                return "non matching sample_id_all"
        if first.sample_type & C.SAMPLE_READ and not first.read_format & C.FORMAT_ID:
            return "non matching read_format"
        return None

    def sample_evsel_indices(self, words, heads):
        """Evsel index of each SAMPLE record whose header is word `heads` (np.int64) of a
        u64 view `words`; -1 for ids no attr claims."""
        import numpy as np
        n = len(heads)
        if self._single is not None:
            return np.full(n, self._single.index, dtype=np.int64)
        if self._id_off is None or not self.evsels:
            return np.full(n, -1, dtype=np.int64)
        if self._id_arrays is None:
            self._id_arrays = self._id_lookup(np)
        low, table, keys, vals = self._id_arrays
        ids = words_at(words, heads + (self._id_off >> 3))
        if table is not None:
            # ids below the lowest wrap around and, like those above the highest, land
            # on the table's last entry (-1)
            out = table[np.minimum(ids - low, np.uint64(len(table) - 1))]
        elif len(keys):
            pos = np.searchsorted(keys, ids)
            np.minimum(pos, len(keys) - 1, out=pos)
            out = np.where(keys[pos] == ids, vals[pos], -1)
        else:
            out = np.full(n, -1, dtype=np.int64)
        if n and out.min() < 0:
            # an id no attr claims: none, but 0 (no id written) is the first event's
            unknown = np.flatnonzero(out < 0)
            out[unknown] = np.where(ids[unknown] == 0, 0, -1)
        return out

    def _id_lookup(self, np):
        """(lowest id, table of evsel indices by id - lowest or None, sorted ids, their
        evsel indices): a table when the ids are close together (they usually are:
        the kernel numbers an event's ids one after the other)."""
        keys = np.array(sorted(self.by_id), dtype=np.uint64)
        vals = np.array([self.by_id[k].index for k in keys.tolist()], dtype=np.int64)
        if not len(keys) or int(keys[-1]) - int(keys[0]) >= 1 << 16:
            return np.uint64(0), None, keys, vals
        low = keys[0]
        table = np.full(int(keys[-1] - low) + 2, -1, dtype=np.int64)
        table[(keys - low).astype(np.int64)] = vals
        return low, table, keys, vals

    def _update_lookup(self):
        self._id_arrays = None
        evs = self.evsels
        pos = evs[0].sample_id_pos if evs else None
        if len(evs) == 1 or (evs and pos is None):
            self._single = evs[0]
        else:
            self._single = None
        self._id_off = 8 + pos if pos is not None else None

    def __len__(self):
        return len(self.evsels)

    def __iter__(self):
        return iter(self.evsels)

    def first(self):
        return self.evsels[0] if self.evsels else None

    def for_sample(self, buf, off):
        """The evsel a SAMPLE record belongs to (None: an id no attr claims)."""
        single = self._single
        if single is not None:
            return single
        if self._id_off is None:
            return None
        sid = self.u64.unpack_from(buf, off + self._id_off)[0]
        ev = self.by_id.get(sid)
        if ev is None and sid == 0:
            return self.evsels[0]
        return ev

    def for_record(self, buf, off, size):
        """The evsel a non-sample record's sample_id trailer names."""
        evs = self.evsels
        if len(evs) <= 1:
            return evs[0] if evs else None
        first = evs[0]
        pos = trailer_id_position(first.attr)
        if pos is None or size - 8 < first.layout.trailer_size:
            return first
        sid = self.u64.unpack_from(buf, off + size - pos)[0]
        return self.by_id.get(sid) or first
