"""Callchains normalized: each distinct frame once (`frames`), each distinct chain a path
in a tree of callsites (`stacks`), and every sample with a callchain naming its chain by
`sample_stack_id`. A flame graph or a top-N of stacks is then a GROUP BY over integers,
joined to the strings once.

Both tables come from the pass that built the event tables (frames.collect.Frames and
Stacks): the ids are the ones in the event tables' `sample_stack_id`."""

from perfscript.frames.derived import NotRecorded


def _has_callchains(source):
    return bool(getattr(source, "callchain_events", lambda: ())())


def _tables(source, name):
    if not _has_callchains(source):
        raise NotRecorded("%s needs samples with callchains; %s has none: record with "
                          "perf record -g (or --call-graph dwarf|lbr)"
                          % (name, source.path))
    return source.stack_tables()


def stacks(source):
    """One row per callsite: `stack_id`, `parent_id` (the callsite it was called from,
    null for an outermost frame), `frame_id` (a row of `frames`), `depth` (0: the
    outermost frame). A sample's `sample_stack_id` is the callsite of its innermost
    frame; following `parent_id` from it gives its callchain, innermost first, as
    `sample_callchain` lists it. Ordered by stack_id (a callsite comes after its
    parent)."""
    return _tables(source, "stacks")[0]


def frames(source):
    """One row per distinct frame: `frame_id`, `ip`, `sym`, `sym_off`, `dso`, as the
    event tables' `sample_callchain` structs have them (a frame is an address in one
    map: the same ip in two processes' maps is two frames when their files differ).
    Ordered by frame_id."""
    return _tables(source, "frames")[1]


AVAILABLE = {"stacks": _has_callchains, "frames": _has_callchains}
