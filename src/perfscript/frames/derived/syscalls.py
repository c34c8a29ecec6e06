"""`syscalls(source)`: one row per system call, its enter event paired with its exit.

Made from `raw_syscalls:sys_enter`/`sys_exit` (what `perf trace record` records), or,
when those are not both in the recording, from the per-syscall tracepoints
`syscalls:sys_enter_<name>`/`sys_exit_<name>`. docs/derived/syscalls.md tells what each
column means and where the table differs from `perf trace -s`.
"""

import errno

import numpy as np

from perfscript.frames.columns import np_array, str_array
from perfscript.frames.derived import NotRecorded, has_fields
from perfscript.frames.extras import require
from perfscript.names import syscalls as syscall_names

pa = require("pyarrow")

RAW_ENTER = "raw_syscalls:sys_enter"
RAW_EXIT = "raw_syscalls:sys_exit"
TRACEPOINT_ENTER = "syscalls:sys_enter_"
TRACEPOINT_EXIT = "syscalls:sys_exit_"
ARGS_TYPE = pa.list_(pa.uint64(), 6)

# a syscall fails by returning -errno, errno in 1..MAX_ERRNO (the kernel's IS_ERR_VALUE)
MAX_ERRNO = 4095
# errno values of the kernel's own (include/linux/errno.h), not in Python's errno
# module, that a sys_exit still shows: a call cut short by a signal exits with one of
# the ERESTART* values before the kernel restarts it or turns it into EINTR
KERNEL_ERRNO = {
    512: "ERESTARTSYS", 513: "ERESTARTNOINTR", 514: "ERESTARTNOHAND",
    515: "ENOIOCTLCMD", 516: "ERESTART_RESTARTBLOCK", 517: "EPROBE_DEFER",
    518: "EOPENSTALE", 519: "ENOPARAM", 521: "EBADHANDLE", 522: "ENOTSYNC",
    523: "EBADCOOKIE", 524: "ENOTSUPP", 525: "ETOOSMALL", 526: "ESERVERFAULT",
    527: "EBADTYPE", 528: "EJUKEBOX", 529: "EIOCBQUEUED", 530: "ERECALLCONFLICT",
    531: "ENOGRACE",
}
# where one number has two names, the one Linux's generic errno.h gives first (as perf
# prints), not whichever Python's errno module happened to keep
GENERIC_ERRNO = {11: "EAGAIN", 35: "EDEADLK", 95: "EOPNOTSUPP", 133: "EHWPOISON"}
POWERPC_ERRNO = {58: "EDEADLOCK"}
POWERPC = {syscall_names.MACH_PPC, syscall_names.MACH_PPC64, syscall_names.MACH_PPC64LE}


def _events(names):
    """(enter events, exit events, whether raw_syscalls) the table is made from, or None.
    raw_syscalls win when both kinds were recorded: they see every call, and taking the
    per-syscall events too would count their calls twice."""
    if RAW_ENTER in names and RAW_EXIT in names:
        return [RAW_ENTER], [RAW_EXIT], True
    enters = [n for n in names if n.startswith(TRACEPOINT_ENTER) and "#" not in n]
    exits = [n for n in names if n.startswith(TRACEPOINT_EXIT) and "#" not in n]
    if enters and exits:
        return enters, exits, False
    return None


def recorded(source):
    """Whether `source` has enter and exit events of system calls."""
    return _events(source.event_names) is not None


AVAILABLE = {"syscalls": recorded}


def _numbers(chunks, dtype):
    """Numeric Arrow chunks as one NumPy array of `dtype`, read from their buffers
    (to_numpy() would import pandas); values under nulls are whatever the buffer holds."""
    parts = []
    for c in chunks:
        native = np.dtype(c.type.to_pandas_dtype())
        offset = c.offset * native.itemsize
        parts.append(np.frombuffer(c.buffers()[1], native, len(c), offset))
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)


def _valid(chunks):
    """Which values of the chunks are not null, as one bool array."""
    parts = []
    for c in chunks:
        if c.null_count == 0:
            parts.append(np.ones(len(c), bool))
        else:
            bits = np.frombuffer(c.buffers()[0], np.uint8)
            parts.append(np.unpackbits(bits, bitorder="little")[c.offset:c.offset + len(c)]
                         .astype(bool))
    return np.concatenate(parts) if parts else np.zeros(0, bool)


def _codes(chunks, texts):
    """Dictionary-encoded text chunks as one array of indices into `texts`, a list the
    texts not in it yet are appended to (the chunks' dictionaries are usually one)."""
    where = {t: i for i, t in enumerate(texts)}
    parts = []
    for c in chunks:
        words = c.dictionary.to_pylist()
        remap = np.array([where.setdefault(w, len(where)) for w in words], np.int32)
        idx = _numbers([c.indices], np.int32)
        parts.append(remap[idx] if len(remap) else idx)
    texts[:] = list(where)
    return np.concatenate(parts) if parts else np.zeros(0, np.int32)


def _six_integers(table, name):
    """Whether column `name` is raw_syscalls' `unsigned long args[6]`."""
    i = table.schema.get_field_index(name)
    if i < 0:
        return False
    typ = table.schema.field(i).type
    return (pa.types.is_fixed_size_list(typ) and typ.list_size == 6
            and pa.types.is_integer(typ.value_type))


class _Side:
    """The enter (or the exit) events of the syscalls, every table of that side one after
    the other, as NumPy arrays; comms are indices into the shared list `texts`."""

    def __init__(self, source, names, payload, texts):
        tables = []
        for name in names:
            t = source.table(name)
            nr = next((f for f in ("id", "__syscall_nr", "nr") if f in t.column_names),
                      None)
            if nr is None or not has_fields(t, ints=(nr,)):
                continue
            if payload == "ret" and not has_fields(t, ints=("ret",)):
                continue
            if payload == "args" and not _six_integers(t, "args"):
                continue
            tables.append((t, nr))

        def chunks(column):
            return [c for t, _ in tables for c in t.column(column).chunks]

        self.seq = _numbers(chunks("sample_seq"), np.int64)
        self.time = _numbers(chunks("sample_time"), np.int64)
        self.time_valid = _valid(chunks("sample_time"))
        self.cpu = _numbers(chunks("sample_cpu"), np.int32)
        self.pid = _numbers(chunks("sample_pid"), np.int32)
        self.tid = _numbers(chunks("sample_tid"), np.int32)
        self.comm = _codes(chunks("sample_comm"), texts)
        self.id = np.concatenate([_numbers(t.column(nr).chunks, np.int64)
                                  for t, nr in tables] or [np.zeros(0, np.int64)])
        self.payload = None
        if payload == "args":       # args[6]: the values of each row's list, side by side
            self.payload = _numbers([c.flatten() for c in chunks(payload)],
                                    np.uint64).reshape(-1, 6)
        elif payload == "ret":
            self.payload = _numbers(chunks(payload), np.int64)


def _pair(enter, exit_):
    """(exit index of each enter or -1, indices of the exits no enter pairs with).

    In each thread's events in delivery order, an exit pairs with the event just before
    it when that is an enter of the same syscall number. Exits numbered -1 are no
    syscall's return (rt_sigreturn's: the kernel restored the interrupted registers):
    they pair with nothing and make no row."""
    n_e = len(enter.seq)
    tid = np.concatenate([enter.tid, exit_.tid])
    nr = np.concatenate([enter.id, exit_.id])
    order = np.lexsort((np.concatenate([enter.seq, exit_.seq]), tid))
    is_exit = order >= n_e
    tid, nr = tid[order], nr[order]
    pairs = np.flatnonzero(is_exit[1:] & ~is_exit[:-1] & (tid[1:] == tid[:-1])
                           & (nr[1:] == nr[:-1]))
    enters = order[pairs]
    exits = order[pairs + 1] - n_e
    exit_of = np.full(n_e, -1, np.int64)
    exit_of[enters] = exits
    alone = exit_.id != -1
    alone[exits] = False
    return exit_of, np.flatnonzero(alone)


def _validity(valid):
    """An Arrow validity bitmap of the bool array `valid` (None: all valid)."""
    return None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))


def _nullable(values, valid):
    """`values` (NumPy) as an Arrow array, null where `valid` is False."""
    arr = np_array(values)
    return pa.Array.from_buffers(arr.type, len(arr), [_validity(valid), arr.buffers()[1]])


def _labels(keys, valid, label):
    """Dictionary-encoded text of each key (`label(key)`, None for none), null where
    `valid` is False."""
    uniq, inverse = np.unique(keys[valid], return_inverse=True)
    texts = [label(k) for k in uniq.tolist()]
    known = [t is not None for t in texts]
    code = np.cumsum(known) - 1
    indices = np.zeros(len(keys), np.int32)
    ok = valid.copy()
    if len(uniq):
        indices[valid] = code[inverse.reshape(-1)]
        ok[valid] = np.array(known)[inverse.reshape(-1)]
    return pa.DictionaryArray.from_arrays(_nullable(indices, ok),
                                          str_array([t for t in texts if t is not None]))


def _errno_name(machine):
    def name(err):
        if machine in POWERPC and err in POWERPC_ERRNO:
            return POWERPC_ERRNO[err]
        return GENERIC_ERRNO.get(err) or KERNEL_ERRNO.get(err) or errno.errorcode.get(err)
    return name


def syscalls(source):
    """One row per system call of the recording: tid, pid, comm, cpu, id, name,
    start_time, end_time, duration, ret, errno, args (see docs/derived/syscalls.md).

    A thread's exit event pairs with its enter just before (same syscall number); an
    enter without one (exit_group, a call still running when the recording ended) has
    null end_time, duration and ret; an exit without one (a call that began before the
    recording, a new thread's return from clone) has null start_time and duration. Rows
    are in the order their first event was delivered (the enter's, else the exit's
    sample_seq)."""
    events = _events(source.event_names)
    if events is None:
        raise NotRecorded(
            "syscalls needs raw_syscalls:sys_enter and raw_syscalls:sys_exit (or "
            "syscalls:sys_enter_<name> with syscalls:sys_exit_<name>): record with perf "
            "trace record, or perf record -e raw_syscalls:sys_enter,raw_syscalls:sys_exit")
    enter_names, exit_names, raw = events
    comms = []
    enter = _Side(source, enter_names, "args" if raw else None, comms)
    exit_ = _Side(source, exit_names, "ret", comms)
    exit_of, exit_only = _pair(enter, exit_)

    # the rows: every enter, then the exits no enter pairs with, in the order of the
    # call's first event; -1 where a call has no enter (no exit)
    order = np.argsort(np.concatenate([enter.seq, exit_.seq[exit_only]]), kind="stable")
    enter_at = np.concatenate([np.arange(len(enter.seq)),
                               np.full(len(exit_only), -1)])[order]
    exit_at = np.concatenate([exit_of, exit_only])[order]
    has_enter, has_exit = enter_at >= 0, exit_at >= 0
    n = len(order)

    def at(values, where, fill):
        """values[where] (anything where `where` is -1; `fill` when there are none)."""
        if len(values):
            return values[where]
        return np.full((n,) + values.shape[1:], fill, values.dtype)

    def at_enter(values, fill=0):
        return at(values, enter_at, fill)

    def at_exit(values, fill=0):
        return at(values, exit_at, fill)

    def first(name):
        """Column `name` at the call's first event: its enter, else its exit."""
        return np.where(has_enter, at_enter(getattr(enter, name)),
                        at_exit(getattr(exit_, name)))

    start, end = at_enter(enter.time), at_exit(exit_.time)
    has_start = has_enter & at_enter(enter.time_valid, False)
    has_end = has_exit & at_exit(exit_.time_valid, False)
    ret = at_exit(exit_.payload)
    failed = has_exit & (ret < 0) & (ret >= -MAX_ERRNO)
    tid, pid, cpu, nr = first("tid"), first("pid"), first("cpu"), first("id")
    machine = syscall_names.machine_from_uname(source.header.get("arch"))
    names = syscall_names.load_table(machine) if machine is not None else {}
    if raw:
        args = pa.Array.from_buffers(
            ARGS_TYPE, n, [_validity(has_enter)], children=[
                np_array(at_enter(enter.payload).reshape(-1).astype(np.uint64))])
    else:
        args = pa.nulls(n, ARGS_TYPE)
    return pa.table({
        "tid": np_array(tid),
        "pid": _nullable(pid, pid != -1),
        "comm": pa.DictionaryArray.from_arrays(np_array(first("comm")), str_array(comms)),
        "cpu": _nullable(cpu, cpu != -1),
        "id": np_array(nr),
        "name": _labels(nr, np.ones(n, bool), names.get),
        "start_time": _nullable(start, has_start),
        "end_time": _nullable(end, has_end),
        "duration": _nullable(end - start, has_start & has_end),
        "ret": _nullable(ret, has_exit),
        "errno": _labels(-ret, failed, _errno_name(machine)),
        "args": args,
    })
