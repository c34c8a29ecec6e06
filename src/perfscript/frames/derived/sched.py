"""Scheduling slices and thread states, derived from sched_switch and the wakeups.

Every scheduler analysis starts by replaying sched_switch per CPU (who ran from when to
when) and per thread (running, runnable, sleeping): `perf sched timehist`/`latency`,
Perfetto's `sched` and `thread_state` tables, LISA's task states. These two tables are
that replay, made column-wise: one lexsort of the switches by CPU and time gives the
slices; one lexsort of every thread's transitions (switch in, switch out, wakeup) by
thread and time gives the states, the only rule that is not a neighbour's value (which
wakeup starts a runnable interval) being a segmented first-of-group. docs/derived/sched.md
says what each column means and where perf's tools count differently.
"""

import numpy as np

from perfscript.frames.columns import np_array, str_array
from perfscript.frames.derived import NotRecorded, has_fields
from perfscript.frames.extras import require

pa = require("pyarrow")

SWITCH = "sched:sched_switch"
WAKING = "sched:sched_waking"
WAKEUP = "sched:sched_wakeup"
WAKEUP_NEW = "sched:sched_wakeup_new"

RUNNING = "Running"
_RECORD = ("perf record -a -e sched:sched_switch -e sched:sched_waking "
           "-e sched:sched_wakeup_new")


def _has_switch(source):
    return SWITCH in source.event_names


def _has_switch_and_wakeup(source):
    names = source.event_names
    return SWITCH in names and (WAKING in names or WAKEUP in names)


AVAILABLE = {"sched_slices": _has_switch, "thread_states": _has_switch_and_wakeup}


# -- columns in and out, without to_numpy()/pa.array() (both import pandas) -----------

def _valid(chunk):
    """The validity of each row of an Arrow array, as a bool array."""
    n = len(chunk)
    bitmap = chunk.buffers()[0]
    if chunk.null_count == 0 or bitmap is None:
        return np.ones(n, bool)
    bits = np.unpackbits(np.frombuffer(bitmap, np.uint8), bitorder="little")
    return bits[chunk.offset:chunk.offset + n].astype(bool)


def _numbers(arrays, dtype, fill=-1):
    """Numeric Arrow arrays as one NumPy array of `dtype`, nulls as `fill`."""
    parts = []
    for chunk in arrays:
        if not len(chunk):
            continue
        typ = np.dtype(chunk.type.to_pandas_dtype())
        vals = np.frombuffer(chunk.buffers()[1], typ, len(chunk),
                             chunk.offset * typ.itemsize).astype(dtype)
        if chunk.null_count:
            vals[~_valid(chunk)] = fill
        parts.append(vals)
    return np.concatenate(parts) if parts else np.zeros(0, dtype)


def _column(table, name, dtype, fill=-1):
    return _numbers(table.column(name).chunks, dtype, fill)


def _strings(table, name):
    """A string column as (codes: int32, -1 for null; its distinct values: list)."""
    col = table.column(name)
    if not pa.types.is_dictionary(col.type):
        col = col.dictionary_encode()
    if col.num_chunks == 0:
        return np.zeros(0, np.int32), []
    col = col.unify_dictionaries()
    codes = _numbers([c.indices for c in col.chunks], np.int32)
    return codes, col.chunk(0).dictionary.to_pylist()


def _merge(*coded):
    """Columns coded against different value lists, recoded against one list."""
    index = {}
    out = []
    for codes, values in coded:
        remap = np.array([index.setdefault(v, len(index)) for v in values] + [-1],
                         np.int32)
        out.append(remap[codes])        # code -1 picks the trailing -1
    return (np.concatenate(out) if out else np.zeros(0, np.int32)), list(index)


def _nullable(values, valid):
    """A NumPy array as an Arrow array, null where not `valid`."""
    values = np.ascontiguousarray(values)
    if valid.all():
        return np_array(values)
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), len(values),
                                 [bitmap, pa.py_buffer(values)],
                                 int(len(values) - np.count_nonzero(valid)))


def _dictionary(codes, values):
    """Codes (-1 for null) into `values` as a dictionary<int32, string> array."""
    indices = _nullable(codes.astype(np.int32), codes >= 0)
    return pa.DictionaryArray.from_arrays(indices, str_array(values))


# -- what both tables start from -----------------------------------------------------

class _Switches:
    """The sched_switch rows sorted by (cpu, time, perf's order), as NumPy columns."""

    def __init__(self, source, table_name):
        if SWITCH not in source.event_names:
            raise NotRecorded("%s needs %s: record with %s" % (table_name, SWITCH, _RECORD))
        t = source.table(SWITCH)
        if not has_fields(t, ints=("prev_pid", "next_pid", "next_prio"),
                          texts=("prev_comm", "next_comm", "prev_state_str")):
            raise NotRecorded("%s needs %s's prev_pid, next_pid, next_prio, prev_comm, "
                              "next_comm and prev_state (with its print_fmt's state "
                              "letters): this recording's format has other fields"
                              % (table_name, SWITCH))
        cpu = _column(t, "sample_cpu", np.int32)
        if (cpu < 0).any():
            raise NotRecorded("%s needs the CPU of each %s sample: record with perf "
                              "record -a (or --sample-cpu)" % (table_name, SWITCH))
        time = _column(t, "sample_time", np.int64)
        seq = _column(t, "sample_seq", np.int64)
        order = np.lexsort((seq, time, cpu))
        self.cpu, self.time, self.seq = cpu[order], time[order], seq[order]
        for name in ("prev_pid", "next_pid", "next_prio", "sample_pid", "sample_tid"):
            setattr(self, name, _column(t, name, np.int32)[order])
        for name in ("prev_comm", "next_comm", "prev_state_str"):
            codes, values = _strings(t, name)
            setattr(self, name, (codes[order], values))
        # the sample is the switched-out task's; perf gives a task reaped before its
        # last switch (prev_state X) tid -1, and still its pid
        own = (self.sample_tid == self.prev_pid) | (self.sample_tid == -1)
        self.owner_pid = np.where(own, self.sample_pid, -1)


def _pid_map(sw, wakes):
    """{tid: pid} as sorted arrays: the tids whose samples all name one thread group
    (the switched-out task's, and the wakers'; trace.dat samples name none)."""
    tids = np.concatenate([sw.prev_pid] + [_column(w, "sample_tid", np.int32)
                                           for w in wakes]).astype(np.int64)
    pids = np.concatenate([sw.owner_pid] + [_column(w, "sample_pid", np.int32)
                                            for w in wakes]).astype(np.int64)
    ok = (tids >= 0) & (pids >= 0)
    pairs = np.unique(tids[ok] << 32 | pids[ok])
    tid = pairs >> 32
    single = np.ones(len(tid), bool)
    single[1:] &= tid[1:] != tid[:-1]
    single[:-1] &= tid[:-1] != tid[1:]
    return tid[single], (pairs[single] & 0xFFFFFFFF).astype(np.int32)


def _lookup(keys, vals, tids):
    """vals[keys == tid] for each tid, -1 where a tid has none."""
    if len(keys) == 0:
        return np.full(len(tids), -1, np.int32)
    at = np.minimum(np.searchsorted(keys, tids), len(keys) - 1)
    return np.where(keys[at] == tids, vals[at], -1).astype(np.int32)


class _Slices:
    """The slices as NumPy columns in the switches' (cpu, time) order: slice i is the
    task switch i put on its CPU, until the next switch there when that one switched
    the same task out (`known`)."""

    def __init__(self, sw, pid_map):
        n = len(sw.time)
        nxt = np.arange(1, n + 1)
        nxt[-1:] = 0
        self.known = np.zeros(n, bool)
        if n:
            self.known[:-1] = ((sw.cpu[1:] == sw.cpu[:-1])
                               & (sw.prev_pid[1:] == sw.next_pid[:-1]))
        self.tid = sw.next_pid
        self.start = sw.time
        self.end = np.where(self.known, sw.time[nxt], 0)
        state_codes, self.state_values = sw.prev_state_str
        self.end_state = np.where(self.known, state_codes[nxt], -1)
        # the ending switch's sample is the task's own; else any sample of that tid
        own = self.known & (sw.owner_pid[nxt] >= 0)
        self.pid = np.where(own, sw.owner_pid[nxt], _lookup(*pid_map, self.tid))


def sched_slices(source):
    """Each task's time on a CPU: one row per sched_switch, the task it switched in
    (`next_pid`), from that switch to the next one on that CPU.

    Columns: start_time, end_time, duration (int64 ns; end_time/duration/end_state null
    for a CPU's last slice, and when the next switch on that CPU switched out some
    other task: events lost, or not recorded); cpu, tid, pid (the thread group: of the
    sample of the switch that ended the slice, else the one every sample of that tid
    names; null when unknown, as in trace.dat), comm and prio (the switch's next_comm,
    next_prio), end_state (prev_state as perf prints it, `S`, `D`, `R+`…, of the switch
    that ended the slice). The idle task is tid 0, one per CPU (comm `swapper/N`).
    The task running before a CPU's first switch has no row (its start is unknown).
    Rows are ordered by start_time, then cpu.
    """
    sw = _Switches(source, "sched_slices")
    s = _Slices(sw, _pid_map(sw, _wakeups(source)))
    order = np.argsort(s.start, kind="stable")
    known = s.known[order]
    comm_codes, comm_values = sw.next_comm
    return pa.table({
        "start_time": np_array(s.start[order]),
        "end_time": _nullable(s.end[order], known),
        "duration": _nullable((s.end - s.start)[order], known),
        "cpu": np_array(sw.cpu[order]),
        "tid": np_array(s.tid[order]),
        "pid": _nullable(s.pid[order], s.pid[order] >= 0),
        "comm": _dictionary(comm_codes[order], comm_values),
        "prio": np_array(sw.next_prio[order]),
        "end_state": _dictionary(s.end_state[order], s.state_values),
    })


# -- thread states -------------------------------------------------------------------

_IN, _OUT, _WAKE = 0, 1, 2


def _wakeups(source):
    """The wakeup tables perf sched uses: sched_waking when recorded (a task's
    sched_wakeup then repeats it), else sched_wakeup; and sched_wakeup_new."""
    names = source.event_names
    first = WAKING if WAKING in names else WAKEUP
    tables = [source.table(n) for n in (first, WAKEUP_NEW) if n in names]
    if not all(has_fields(t, ints=("pid",), texts=("comm",)) for t in tables):
        raise NotRecorded("thread_states needs the wakeups' pid and comm: this "
                          "recording's format has other fields")
    return tables


def thread_states(source):
    """Each thread's consecutive intervals in one state: `Running` (on a CPU: its
    sched_slices), runnable (`R`, `R+` when preempted: from a switch out in a
    running state, or from a wakeup until it is switched in) and the sleeping states
    (the switch out's prev_state text, `S`, `D`, `I`…, until the wakeup).

    A wakeup starts an `R` interval only for a thread that is not running, and only
    the first wakeup after it was switched out (or, before its first switch, the
    first one seen): later ones find it runnable already. `sched_waking` is used when
    recorded, else `sched_wakeup`; and `sched_wakeup_new` (a new task's first wakeup).

    Columns: start_time, end_time, duration (int64 ns; end null for a thread's last
    state, and for a Running interval whose sched_slices end is unknown); tid, pid (as
    in sched_slices), comm (the event's: next_comm, prev_comm, the wakeup's comm), state,
    cpu (Running: the CPU; runnable: the CPU whose runqueue it joined, a wakeup's
    target_cpu or the CPU it was switched out of; null when sleeping), waker_tid (for an
    interval a wakeup started: the sample tid of the wakeup event, the task or interrupted
    task that woke it). The idle task (tid 0) has no rows: its time is sched_slices' tid 0.
    Rows are ordered by start_time, then tid.
    """
    if not _has_switch_and_wakeup(source):
        raise NotRecorded("thread_states needs %s and %s or %s: record with %s"
                          % (SWITCH, WAKING, WAKEUP, _RECORD))
    sw = _Switches(source, "thread_states")
    wakes = _wakeups(source)
    pid_map = _pid_map(sw, wakes)
    sl = _Slices(sw, pid_map)
    # the transitions: switched in (a slice), switched out, woken
    ins = np.flatnonzero(sl.tid != 0)
    outs = np.flatnonzero(sw.prev_pid != 0)
    out_state = sw.prev_state_str[0][outs]
    runnable = np.array([v.startswith("R") for v in sw.prev_state_str[1]] + [False])
    w_tid, w_time, w_seq, w_waker, w_cpu = (np.concatenate(
        [_column(w, name, dtype) if name in w.column_names
         else np.full(w.num_rows, -1, dtype) for w in wakes])
        for name, dtype in (("pid", np.int32), ("sample_time", np.int64),
                            ("sample_seq", np.int64), ("sample_tid", np.int32),
                            ("target_cpu", np.int32)))
    n_in, n_out, n_wake = len(ins), len(outs), len(w_tid)

    tid = np.concatenate([sl.tid[ins], sw.prev_pid[outs], w_tid])
    time = np.concatenate([sw.time[ins], sw.time[outs], w_time])
    seq = np.concatenate([sw.seq[ins], sw.seq[outs], w_seq])
    kind = np.repeat(np.array([_IN, _OUT, _WAKE], np.int8), [n_in, n_out, n_wake])
    state, state_values = _merge((np.zeros(n_in, np.int32), [RUNNING]),
                                 (out_state, sw.prev_state_str[1]),
                                 (np.zeros(n_wake, np.int32), ["R"]))
    comm, comm_values = _merge((sw.next_comm[0][ins], sw.next_comm[1]),
                               (sw.prev_comm[0][outs], sw.prev_comm[1]),
                               *(_strings(w, "comm") for w in wakes))
    cpu = np.concatenate([sw.cpu[ins], np.where(runnable[out_state], sw.cpu[outs], -1),
                          w_cpu]).astype(np.int32)
    waker = np.concatenate([np.full(n_in + n_out, -1, np.int32), w_waker])
    open_end = np.concatenate([~sl.known[ins], np.zeros(n_out + n_wake, bool)])

    order = np.lexsort((kind, seq, time, tid))
    tid, time, kind, state, comm, cpu, waker, open_end = (
        a[order] for a in (tid, time, kind, state, comm, cpu, waker, open_end))
    # A wakeup counts when it is the first one since the thread's last switch in or
    # out, and that was not a switch in (nor, before the first, anything). Segments
    # start at every switch in/out and at each thread's first transition: a segment is
    # a lead and the wakeups after it, so its first wakeup is the lead itself or the
    # row after a lead that is no wakeup.
    is_wake = kind == _WAKE
    leads = ~is_wake
    leads[1:] |= tid[1:] != tid[:-1]
    leads[:1] = True
    after_switch = np.zeros(len(tid), bool)
    after_switch[1:] = leads[:-1] & ~is_wake[:-1]
    lead_kind = kind[leads][np.cumsum(leads) - 1]
    keep = ~is_wake | ((leads | after_switch) & (lead_kind != _IN))
    tid, time, kind, state, comm, cpu, waker, open_end = (
        a[keep] for a in (tid, time, kind, state, comm, cpu, waker, open_end))

    # each interval lasts until the thread's next one; unknown when that is a switch
    # out of a thread not seen switched in (the events between are missing: a CPU's
    # first switch, or lost)
    has_end = ~open_end
    has_end[:-1] &= (tid[1:] == tid[:-1]) & ((kind[1:] != _OUT) | (kind[:-1] == _IN))
    has_end[-1:] = False
    end = np.zeros(len(tid), np.int64)
    end[:-1] = time[1:]
    pid = _lookup(*pid_map, tid)

    rows = np.argsort(time, kind="stable")
    has_end, pid, cpu, waker = has_end[rows], pid[rows], cpu[rows], waker[rows]
    return pa.table({
        "start_time": np_array(time[rows]),
        "end_time": _nullable(end[rows], has_end),
        "duration": _nullable((end - time)[rows], has_end),
        "tid": np_array(tid[rows]),
        "pid": _nullable(pid, pid >= 0),
        "comm": _dictionary(comm[rows], comm_values),
        "state": _dictionary(state[rows], state_values),
        "cpu": _nullable(cpu, cpu >= 0),
        "waker_tid": _nullable(waker, waker >= 0),
    })
