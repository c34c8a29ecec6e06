"""The `perf` module's live-capture half, which perfscript does not provide.

Upstream's evlist, evsel.open, cpu_map, thread_map, parse_events, pmus and metrics
drive the running kernel through perf_event_open and perf's PMU tables; perfscript
reads recordings. Each raises one error that names what is missing and what to use
instead, rather than a bare AttributeError deep in a script.
"""

LIVE_ONLY = ("perfscript's perf module reads recordings (perf.data, trace.dat); "
             "live capture is not provided")


class LiveCaptureUnsupported(NotImplementedError):
    """A live-capture part of the perf module was used."""


def live_only(what):
    return LiveCaptureUnsupported(
        "%s: %s: record with `perf record` and read the file with perf.session"
        % (what, LIVE_ONLY))


def _refuse(what):
    def refuse(*args, **kwargs):
        raise live_only(what)
    refuse.__name__ = what.split("(")[0].rpartition(".")[2]
    refuse.__doc__ = "Not provided: %s." % LIVE_ONLY
    return refuse


parse_events = _refuse("perf.parse_events()")
parse_metrics = _refuse("perf.parse_metrics()")
pmus = _refuse("perf.pmus()")
metrics = _refuse("perf.metrics()")


class _LiveObject:
    __module__ = "perf"
    _what = "perf.?"

    def __init__(self, *args, **kwargs):
        raise live_only("%s(...)" % self._what)


class evlist(_LiveObject):  # noqa: N801 - upstream's names
    """Not provided: live capture."""
    _what = "perf.evlist"


class cpu_map(_LiveObject):  # noqa: N801
    """Not provided: live capture."""
    _what = "perf.cpu_map"


class thread_map(_LiveObject):  # noqa: N801
    """Not provided: live capture."""
    _what = "perf.thread_map"


class counts_values(_LiveObject):  # noqa: N801
    """Not provided: live capture."""
    _what = "perf.counts_values"


class LiveSession(_LiveObject):
    """Not provided: live capture (upstream's perf_live.LiveSession)."""
    _what = "perf_live.LiveSession"
