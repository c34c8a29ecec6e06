"""A trace-cmd trace.dat as the same tables as a perf.data's tracepoints.

The records come as arrays (tracedat.arrays: the pages walked without Python per
record, merged in trace-cmd's order); each event's payloads are decoded column-wise by
the same TypedDecoder as perf.data's, and the rows go through the same build_table.
What trace.dat cannot say is filled as docs/frames.md ("trace.dat input") describes:
tid is common_pid, pid is -1 (trace.dat keeps no thread-group ids), period is 1,
comm is what `trace-cmd report` prints (saved cmdlines, then the comms its sched
plugins learn from earlier records, "<idle>" for pid 0, "<...>" when unknown).
"""

import numpy as np

from perfscript.frames.columns import TypedDecoder
from perfscript.frames.tables import (Tables, build_table, resolve_event,
                                     unique_event_names, unique_view_names)
from perfscript.tracedat import open_tracedat
from perfscript.tracedat.arrays import record_arrays
from perfscript.tracedat.pagewalk import read_uint

# the (pid, comm) fields whose comm libtraceevent's sched plugins remember while
# trace-cmd prints (first one wins; saved cmdlines are never replaced)
_COMM_FIELDS = {
    ("sched", "sched_switch"): (("prev_pid", "prev_comm"), ("next_pid", "next_comm")),
    ("sched", "sched_wakeup"): (("pid", "comm"),),
    ("sched", "sched_wakeup_new"): (("pid", "comm"),),
}
_INT_DTYPES = {1: np.int8, 2: np.int16, 4: np.int32, 8: np.int64}


class _EventRows:
    """The rows of one event, shaped as build_table wants (collect.EventColumns)."""

    has_time = True
    has_ip = has_addr = has_callchain = False

    def __init__(self, event, decoder):
        self.event = event
        self.decoder = decoder
        self.chunks = []
        self.count = 0


def _common(rec, first, name, signed, big_endian):
    """The common field `name` of every record, read where the file's first event
    has it (as libtraceevent reads every record's type and pid); 0 when too short."""
    out = np.zeros(len(rec.size), np.int64)
    f = first.find_any_field(name) if first is not None else None
    if f is None or f.size not in _INT_DTYPES:
        return out
    ok = np.flatnonzero(rec.size >= f.offset + f.size)
    v = read_uint(rec.blob, rec.start[ok] + f.offset, f.size, big_endian)
    if signed:
        v = v.astype("u%d" % f.size).view(_INT_DTYPES[f.size])
    out[ok] = v.astype(np.int64)
    return out


def _numbers(arr):
    """A numeric Arrow array without nulls as NumPy (to_numpy() may import pandas)."""
    dtype = np.dtype(arr.type.to_pandas_dtype())
    return np.frombuffer(arr.buffers()[1], dtype, len(arr), arr.offset * dtype.itemsize)


class TraceDatTables(Tables):
    """A trace.dat's events as columnar tables (see docs/frames.md)."""

    def __init__(self, path, progress=None, events=None):
        if isinstance(events, str):
            raise TypeError("events= takes a list of event names, not one string")
        self._wanted = list(events) if events is not None else None
        self._chosen = None
        self.path = path
        self.progress = progress
        self.tdat = open_tracedat(path)
        self._events = None        # name -> _EventRows, in the file's format order
        self._comms = []
        self._comm_ids = {}
        self._tables = {}
        self.warnings = []
        self._unknown = 0

    def _close_source(self):
        self.tdat.close()

    def _is_read(self):
        return self._events is not None

    def _intern(self, comm):
        i = self._comm_ids.get(comm)
        if i is None:
            i = self._comm_ids[comm] = len(self._comms)
            self._comms.append(comm)
        return i

    # ------------------------------------------------------------ the one pass

    def _load(self):
        if self._events is not None:
            return self._events
        tdat = self.tdat
        meta = tdat.meta
        big = tdat.big_endian
        rec = record_arrays(tdat, self.progress)
        n = len(rec.ts)
        first = meta.events.first()
        types = _common(rec, first, "common_type", False, big)
        tids = _common(rec, first, "common_pid", True, big).astype(np.int32)
        order = np.argsort(types, kind="stable")
        ids, starts = np.unique(types[order], return_index=True)
        groups = dict(zip(ids.tolist(), np.split(order, starts[1:]) if n else []))
        names, type_ids, found = [], [], []
        regs = []
        for type_id in [i for i in meta.events if i in groups]:     # file order
            sel = groups.pop(type_id)
            event = meta.events[type_id]
            dec = TypedDecoder(event, big, tdat.long_size)
            fields = dec.decode(rec.blob, rec.start[sel], rec.size[sel])
            rows = _EventRows(event, dec)
            names.append("%s:%s" % (event.system, event.name))
            type_ids.append(type_id)
            found.append(rows)
            rows.count = len(sel)
            rows.chunks.append({
                "seq": sel.astype(np.int64), "time": rec.ts[sel], "cpu": rec.cpu[sel],
                "pid": np.full(len(sel), -1, np.int32), "tid": tids[sel],
                "period": np.ones(len(sel), np.uint64), "fields": fields,
            })
            regs.extend(self._registrations(event, dec, fields, sel))
        events = dict(zip(unique_event_names(names, type_ids), found))
        comm = self._comm_column(tids, regs)
        for rows in events.values():
            chunk = rows.chunks[0]
            chunk["comm"] = comm[chunk["seq"]]
        self._unknown = sum(len(sel) for sel in groups.values())
        self._warn(rec, groups)
        self._events = events
        return events

    def _warn(self, rec, unknown):
        if self.tdat.meta.unparsed:
            self.warnings.append("%d event formats could not be parsed"
                                 % len(self.tdat.meta.unparsed))
        if unknown:
            self.warnings.append("%d records of unknown event types (ids %s) left out"
                                 % (self._unknown, ", ".join(map(str, sorted(unknown)))))
        for cpu in np.unique(rec.cpu[rec.missed != 0]).tolist():
            missed = rec.missed[rec.cpu == cpu]
            known = int(missed[missed > 0].sum())
            text = "CPU %d: %d events dropped" % (cpu, known) if known else \
                "CPU %d: events dropped" % cpu
            if known and (missed < 0).any():
                text += " (and an unknown number more)"
            self.warnings.append(text)

    def _registrations(self, event, dec, fields, sel):
        """(seq, order within the record, pid, comm id) arrays of the comms the sched
        plugins would remember from this event's records."""
        pairs = _COMM_FIELDS.get((event.system, event.name))
        if pairs is None or event.failed:
            return []
        names = [name for name, _ in dec.schema_fields()]
        out = []
        for k, (pid_name, comm_name) in enumerate(pairs):
            if pid_name not in names or comm_name not in names:
                continue
            text = fields[names.index(comm_name)]
            if not hasattr(text, "dictionary"):
                continue        # a format whose comm is not text (a damaged file)
            pid = _numbers(fields[names.index(pid_name)])
            ids = np.array([self._intern(c) for c in text.dictionary.to_pylist()],
                           np.int32)
            idx = _numbers(text.indices)
            out.append((sel, np.full(len(sel), k), pid.astype(np.int64).astype(np.int32),
                        ids[idx]))
        return out

    def _comm_column(self, tids, regs):
        """The comm id of every record, as trace-cmd report resolves its common_pid."""
        saved = {}
        for pid, comm in self.tdat.meta.cmdlines:
            saved[pid] = comm                  # a later line for the same pid wins
        if regs:
            seq, k, pid, comm = (np.concatenate(x) for x in zip(*regs))
            keep = (pid != 0) & ~np.isin(pid, np.array(list(saved), np.int64))
            seq, k, pid, comm = seq[keep], k[keep], pid[keep], comm[keep]
            first = np.lexsort((k, seq))
            reg_pid, at = np.unique(pid[first], return_index=True)
            reg_seq, reg_comm = seq[first][at], comm[first][at]
        else:
            reg_pid = reg_seq = reg_comm = np.zeros(0, np.int64)
        uniq, inv = np.unique(tids, return_inverse=True)
        inv = inv.reshape(-1)
        base = np.array([self._intern("<idle>") if not p else
                         self._intern(saved[p]) if p in saved else self._intern("<...>")
                         for p in uniq.tolist()], np.int32)
        out = base[inv] if len(tids) else np.zeros(0, np.int32)
        if len(reg_pid) and len(tids):
            j = np.minimum(np.searchsorted(reg_pid, uniq), len(reg_pid) - 1)
            found = reg_pid[j] == uniq
            when = np.where(found, reg_seq[j], np.iinfo(np.int64).max)[inv]
            learnt = when < np.arange(len(tids))
            out[learnt] = reg_comm[j][inv][learnt]
        return out

    # ------------------------------------------------------------ the API

    def _read_events(self):
        """{name: rows} of the events read: all, or those `events=` named. (All are
        decoded: the comms of every record depend on the sched events' fields.)"""
        if self._chosen is None:
            every = self._load()
            if self._wanted is None:
                self._chosen = every
            else:
                formats = self._all_formats()
                views = unique_view_names(formats)
                keep = {resolve_event(n, formats, views, self.path) for n in self._wanted}
                self._chosen = {n: rows for n, rows in every.items() if n in keep}
        return self._chosen

    @property
    def event_names(self):
        """The events that have records, in the order of their formats in the file
        (`sched:sched_switch`, `ftrace:print`…; a name an earlier event has gets `#`
        and its format id)."""
        return list(self._read_events())

    def _all_formats(self):
        return {name: rows.event for name, rows in self._load().items()}

    def _formats(self):
        return {name: rows.event for name, rows in self._read_events().items()}

    @property
    def header(self):
        """What the trace.dat says (see docs/frames.md)."""
        tdat = self.tdat
        opts = tdat.options
        uname = opts.uname
        parts = uname.split() if uname else []
        if len(parts) != 4:
            parts = [None] * 4
        h = {
            "path": str(self.path),
            "format": "trace.dat",
            "file_version": tdat.version,
            "tracecmd_version": opts.version,
            "uname": uname,
            "hostname": parts[1],
            "os_release": parts[2],
            "arch": parts[3],
            "cpus": tdat.cpus,
            "page_size": tdat.page_size,
            "long_size": tdat.long_size,
            "big_endian": tdat.big_endian,
            "clock": tdat.trace_clock,
            "time_unit": "ns" if tdat.in_usecs else "clock",
            "compression": " ".join(tdat.compression) if tdat.compression else None,
            "latency_format": tdat.latency_text is not None,
            "instances_not_read": list(tdat.instances),
            "events": self.event_names,
            "unknown_records": self._unknown,
        }
        h["first_time"], h["last_time"] = self._time_range()
        return h

    def counts(self):
        """{event name: records}: the lines `trace-cmd report` prints per event."""
        return {name: rows.count for name, rows in self._read_events().items()}

    def table(self, name):
        """The records of event `name` as a pyarrow.Table (see docs/frames.md); `name`:
        `system:event` or the SQL view (`system__event`), see `event_name`."""
        t = self._tables.get(name)
        if t is None:
            name = self.event_name(name)
            t = self._tables.get(name)
        if t is None:
            t = self._tables[name] = build_table(self._load()[name], self._comms)
        return t
