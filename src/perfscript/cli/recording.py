"""What text mode and script mode do alike with the recording they read: its symbol
resolver, --header, the sample filter, and what is said after the last event."""

import sys

from perfscript.perfdata import constants as C
from perfscript.session.filters import FilterError, SampleFilter

FEAT_SAMPLE_TIME = 21


def stderr_line(text):
    sys.stderr.write(text + "\n")


def make_resolver(opts):
    try:
        from perfscript.symbols.resolver import SymbolResolver
    except ImportError:
        return None
    return SymbolResolver(kallsyms=opts["kallsyms"], symfs=opts["symfs"])


def header_options(opts, session, out=None):
    """--header / --header-only / -I on an opened session; True: stop (header only)."""
    from perfscript.output.header import show_header
    return show_header(session, out or sys.stdout, header=opts.get("header", False),
                       header_only=opts.get("header_only", False),
                       full=opts.get("show_info", False))


def make_filter(opts, session):
    """The SampleFilter of the command line, for this session (its sample time bounds)."""
    first = last = 0
    st = session.features.get(FEAT_SAMPLE_TIME)
    if st is not None:
        first, last = getattr(st, "first", 0), getattr(st, "last", 0)
    cpu = opts.get("cpu")
    if cpu is not None and not any(ev.attr.sample_type & C.SAMPLE_CPU
                                   for ev in session.evsels):
        raise FilterError("File does not contain CPU events. Remove -C option to proceed.")
    nr = getattr(session.features.get(C.FEAT_NRCPUS), "available", None)
    return SampleFilter.from_options(cpu=cpu, pid=opts.get("pid"), tid=opts.get("tid"),
                                     comms=opts.get("comms"), time=opts.get("time"),
                                     first_time=first, last_time=last, nr_cpus=nr)


def end_of_run(session, error=None):
    """After the last event: the session's warnings, then the error that cut the
    recording short (raised, so it is said last)."""
    for w in session.warnings:
        sys.stderr.write("Warning: %s\n" % w)
    for w in session.finish_warnings():
        sys.stderr.write(w)
    if error is not None:
        sys.stdout.flush()
        raise error
