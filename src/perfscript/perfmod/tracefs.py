"""`perf.tracepoint(sys, name)`: a tracepoint's id on the running kernel, from tracefs."""

import os

TRACEFS = ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")


def tracepoint(sys, name):  # noqa: A002 - upstream's argument names
    """The id of tracepoint sys:name on this machine, or -1 when it has none."""
    if not isinstance(sys, str) or not isinstance(name, str):
        raise TypeError("sys and name must be str")
    if "/" in sys or "/" in name or sys.startswith(".") or name.startswith("."):
        return -1
    for root in TRACEFS:
        try:
            with open(os.path.join(root, "events", sys, name, "id")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            continue
    return -1
