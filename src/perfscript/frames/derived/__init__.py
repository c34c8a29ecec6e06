"""Tables derived from a recording's events, the ones every analysis would otherwise
re-derive: threads and processes, scheduling slices and thread states, system calls
with their durations and errors, normalized stacks.

Each is a function of an opened recording (`frames.tables.Tables`: its `event_names`,
`table()`, `header`, and, where a perf.data knows more than its events, the source's
own records), made on first use and kept. `Tables.derived(name)` returns one,
`Tables.derived_names()` says which this recording can give; the SQL connection has
each as a view of that name. A table whose events were not recorded raises
`NotRecorded`, saying what to record.
"""

import importlib

#: name -> (module, function, what it is): the order docs/frames.md lists them in
DERIVED = {
    "threads": ("tasks", "threads", "one row per thread: tid, pid, comm, start/end"),
    "processes": ("tasks", "processes", "one row per process: pid, ppid, comm, start/end"),
    "sched_slices": ("sched", "sched_slices", "the task running on each CPU between "
                     "sched_switch events"),
    "thread_states": ("sched", "thread_states", "each thread's running, runnable and "
                      "sleeping intervals"),
    "syscalls": ("syscalls", "syscalls", "each system call, enter paired with exit"),
    "stacks": ("stacks", "stacks", "callchains as a tree of callsites"),
    "frames": ("stacks", "frames", "the distinct callchain frames"),
}


class NotRecorded(LookupError):
    """The recording lacks what a derived table is made from; the message says what to
    record (`perf record -e ...`)."""


def has_fields(table, ints=(), texts=()):
    """Whether `table` has the integer columns `ints` and the string columns `texts`:
    a derived table reads its events' fields by name and kind, and an event of another
    kernel (or a damaged format) may have them otherwise."""
    import pyarrow as pa
    schema = table.schema
    for names, ok in ((ints, pa.types.is_integer), (texts, _is_text)):
        for n in names:
            i = schema.get_field_index(n)
            if i < 0 or not ok(schema.field(i).type):
                return False
    return True


def _is_text(typ):
    import pyarrow as pa
    if pa.types.is_dictionary(typ):
        typ = typ.value_type
    return pa.types.is_string(typ) or pa.types.is_large_string(typ)


def build(name, source):
    """Derived table `name` of `source` (a Tables), as a pyarrow.Table."""
    try:
        module, func, _ = DERIVED[name]
    except KeyError:
        raise KeyError("no derived table %r (derived tables: %s)"
                       % (name, ", ".join(DERIVED))) from None
    mod = importlib.import_module("perfscript.frames.derived." + module)
    try:
        return getattr(mod, func)(source)
    except KeyError as e:
        # a column the table is made from is not in this recording's event (another
        # kernel's format, a format without the print_fmt its text column comes from)
        if "does not exist in schema" not in str(e):
            raise
        raise NotRecorded("%s: the recording's events lack a field it is made from (%s)"
                          % (name, str(e).strip("'\""))) from None


def available(name, source):
    """Whether `source` has what derived table `name` is made from."""
    module, func, _ = DERIVED[name]
    mod = importlib.import_module("perfscript.frames.derived." + module)
    return mod.AVAILABLE[func](source)
