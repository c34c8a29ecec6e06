"""Handler calls made by C-level maps over argument columns, with perf's lookup per call.

perf looks a handler up in the script's globals before every call: a script may rebind
or delete one from inside another. A stream keeps that: before each row's call a chain
of C-level maps looks the name up again and compares it with the handler the stream was
made for; on a difference `_Expect.__missing__` raises HandlerChanged, which ends the
stream at that row (the caller delivers the row by perf's per-record path, `skip()`s it
here and drives on). Each row's arguments are taken from the columns as its call comes,
so no per-row tuple or dict outlives its call.

The driver is `max(entries, key=next)` over the rows' streams in batch order: a key
function's exception propagates as is (StopIteration from a handler included, which a
consuming iterator would take for the end), and the keys compared are bools.
"""

from itertools import repeat
from operator import contains, is_


class HandlerChanged(Exception):
    """The handler a row's call was made for is no longer the one perf would call."""


class RowFailed(Exception):
    """Making a row's arguments failed (not the handler): `error` is what was raised,
    which the caller raises as the per-record path would have."""

    def __init__(self, error):
        super().__init__(error)
        self.error = error


class _Expect(dict):
    """{True: the call's first argument}; looking up False (the lookup found another
    handler) raises HandlerChanged. The hit costs no Python code."""

    __slots__ = ()

    def __missing__(self, key):
        raise HandlerChanged()


_NEVER = _Expect()
_ABSENT = _Expect({False: None})      # a name not bound in the globals
_EMPTY = []     # copied for each fresh list; never handed out itself
_TRACE_UNHANDLED_IF_ABSENT = {False: "trace_unhandled"}


class RowStream:
    """One event's calls for some rows: `calls` makes the next row's call when pulled,
    `iters` are the argument iterators to step past a row handled elsewhere."""

    __slots__ = ("calls", "iters")

    def __init__(self, calls, iters):
        self.calls = calls
        self.iters = iters

    def entries(self, m):
        """The stream's part of a segment's entries, m rows."""
        return repeat(self.calls, m)

    def skip(self):
        """Step past the row whose call was refused (HandlerChanged)."""
        for it in self.iters:
            next(it, None)

    @staticmethod
    def drive(entries):
        """Make the calls of `entries` (an iterator of streams' `calls`) in order."""
        max(entries, key=next, default=None)


def _checked(g, name, fn):
    """`name` per row while globals `g` bind it to `fn`."""
    return map(_Expect({True: name}).__getitem__, map(is_, map(g.get, repeat(name)),
                                                      repeat(fn)))


def named_calls(g, name, fn, capsule, args):
    """fn(name, capsule, cpu, secs, nsecs, pid, comm, [], *fields) per row while `name`
    is bound to fn. args: the columns cpu, secs, nsecs, pid, comm, *fields."""
    iters = [iter(a) for a in args]
    chains = map(list.copy, repeat(_EMPTY))
    calls = map(fn, _checked(g, name, fn), repeat(capsule), *iters[:5], chains, *iters[5:])
    return RowStream(map(is_, calls, repeat(None)), iters)


def unhandled_calls(g, name, fn, capsule, make_dict, args):
    """fn(name, capsule, make_dict(*row)) per row while `name` is unbound and
    trace_unhandled is fn."""
    present = map(contains, repeat(g), repeat(name))
    found = map(g.get, map(_TRACE_UNHANDLED_IF_ABSENT.get, present))
    ok = map(_Expect({True: name}).__getitem__, map(is_, found, repeat(fn)))
    iters = [iter(a) for a in args]
    calls = map(fn, ok, repeat(capsule), map(make_dict, *iters))
    return RowStream(map(is_, calls, repeat(None)), iters)


def process_event_calls(g, fn, build, args):
    """fn(build(_, *row)) per row while process_event is fn (the lookup before the
    dict is built, as perf does)."""
    iters = [iter(a) for a in args]
    rows = map(build, _checked(g, "process_event", fn), *iters)
    return RowStream(map(is_, map(fn, rows), repeat(None)), iters)


def no_calls(g, names):
    """Rows for which perf calls nothing: one per row while neither of `names` (one or
    two) is bound in `g`."""
    absent = [map(_ABSENT.__getitem__, map(contains, repeat(g), repeat(name)))
              for name in names]
    return RowStream(map(is_, *absent) if len(absent) == 2 else
                     map(is_, absent[0], repeat(None)), ())


def never_calls():
    """A stream every row of which goes by the per-record path."""
    return RowStream(map(_NEVER.__getitem__, repeat(False)), ())


def dict_maker(keys, fresh_list_at=None):
    """A function of one argument per key (but `fresh_list_at`, which gets a new empty
    list) that returns {key: argument, ...} in that order: one dict display, so a call
    makes the dict at its final size. Keys are written as literals (repr), never as
    code; a repeated key keeps its first place and its last value, as in assignment."""
    params, items = [], []
    for i, k in enumerate(keys):
        if i == fresh_list_at:
            items.append("%r: []" % (k,))
        else:
            params.append("a%d" % i)
            items.append("%r: a%d" % (k, i))
    return eval("lambda %s: {%s}" % (", ".join(params), ", ".join(items)),
                {"__builtins__": {}})
