"""What text mode and script mode do alike with the recording they read: who may read
it, its symbol resolver, --header, the sample filter, and what is said after the last
event."""

import os
import sys

from perfscript.cli.exits import Refused
from perfscript.perfdata import constants as C
from perfscript.session.filters import (EventSwitch, FilterError, OrderCheck, SampleFilter,
                                        SymbolSelection, find_switch_event, parse_cpu_list,
                                        parse_int_list, parse_str_list, parse_time_ranges)


def stderr_line(text):
    sys.stderr.write(text + "\n")


def _silent(text):
    pass


def warner(opts):
    """Where the session's warnings go: stderr, or nowhere with -q/--quiet."""
    return _silent if opts.get("quiet") else stderr_line


def check_owner(opts):
    """perf reads a recording owned by root or by the user running it, else only with
    -f/--force (a pipe, `-`, always)."""
    path = opts["input"]
    if opts.get("force") or path == "-":
        return
    try:
        uid = os.stat(path).st_uid
    except OSError:
        return          # the reader says why it cannot open it
    if uid and uid != os.geteuid():
        raise Refused("File %s not owned by current user or root (use -f to override)"
                      % path)


def make_resolver(opts, text=False):
    """The symbol resolver of the command line's options, made when first used."""
    from perfscript.session.lazy_resolver import LazyResolver
    return LazyResolver(kallsyms=opts["kallsyms"], symfs=opts["symfs"],
                          demangle=opts.get("demangle", True),
                          demangle_kernel=opts.get("demangle_kernel", False),
                          show_kernel_path=text and opts.get("show_kernel_path", False),
                          vmlinux=opts.get("vmlinux"), cache=opts.get("cache", True))


def header_options(opts, session, out=None):
    """--header / --header-only / -I on an opened session; True: stop (header only)."""
    from perfscript.output.header import show_header
    return show_header(session, out or sys.stdout, header=opts.get("header", False),
                       header_only=opts.get("header_only", False),
                       full=opts.get("show_info", False))


def reads_sorted(opts):
    """perf reads in time order unless --show-round-events or --dump-unsorted-raw-trace."""
    return not (opts.get("show_round_events") or opts.get("dump_unsorted_raw_trace"))


def say_verbose(opts, session):
    """-v: the diagnostics perf prints on stderr as it reads the header (stdout is the
    same as without -v)."""
    if not opts.get("verbose"):
        return
    for entry in session.features.get(C.FEAT_BUILD_ID) or ():
        stderr_line("build id event received for %s: %s [%d]"
                    % (entry.filename, entry.build_id_hex, len(entry.build_id_hex) // 2))


PERF_TYPE_MAX = 6      # hardware, software, tracepoint, cache, raw, breakpoint


def make_filter(opts, session, on_resolve=None):
    """The SampleFilter of the command line, for this session, checked in perf's order:
    the task, symbol and dso lists, then -C, then --time and --switch-on/off. A
    FilterError of the last two has `after_script_start` set: perf meets them after a
    script's trace_begin has run."""
    pids = parse_int_list(opts.get("pid"), "pid")
    tids = parse_int_list(opts.get("tid"), "tid")
    comms = parse_str_list(opts.get("comms"))
    symbols = SymbolSelection(opts.get("symbols"), opts.get("dsos"), opts.get("addr_range"))
    cpu = opts.get("cpu")
    if cpu is not None:
        # perf_session__cpu_bitmap: the first event of each core type must have cpus
        firsts = {}
        for ev in session.evsels:
            if ev.attr.type < PERF_TYPE_MAX:
                firsts.setdefault(ev.attr.type, ev)
        if any(not ev.attr.sample_type & C.SAMPLE_CPU for ev in firsts.values()):
            raise FilterError("File does not contain CPU events. Remove -C option to "
                              "proceed.")
    nr = getattr(session.features.get(C.FEAT_NRCPUS), "available", None)
    cpus = parse_cpu_list(cpu, nr)
    try:
        first, last = session.sample_time()
        ranges = parse_time_ranges(opts.get("time"), first, last)
        switch = None
        if opts.get("switch_on") is not None or opts.get("switch_off") is not None:
            on = off = None
            if opts.get("switch_on") is not None:
                on = find_switch_event(session.evsels, opts["switch_on"], "on")
            if opts.get("switch_off") is not None:
                off = find_switch_event(session.evsels, opts["switch_off"], "off")
            switch = EventSwitch(on, off, opts.get("show_on_off_events", False))
    except FilterError as e:
        e.after_script_start = True
        raise
    return SampleFilter(cpus=cpus, pids=pids, tids=tids, comms=comms, time_ranges=ranges,
                        order_check=OrderCheck(stderr_line) if opts.get("debug_mode") else None,
                        symbols=symbols, switch=switch, locate=session.locate,
                        on_resolve=on_resolve)


def end_of_filter(sample_filter):
    """What the filter says once the recording is over: -d's count of misordered samples."""
    if sample_filter.order_check is not None:
        stderr_line("Misordered timestamps: %d" % sample_filter.order_check.misordered)


def end_of_run(session, error=None, quiet=False):
    """After the last event: the session's warnings (not with -q), then the error that
    cut the recording short (raised, so it is said last)."""
    warnings = session.finish_warnings()
    if not quiet:
        for w in session.warnings:
            sys.stderr.write("Warning: %s\n" % w)
        for w in warnings:
            sys.stderr.write(w)
    if error is not None:
        sys.stdout.flush()
        raise error
