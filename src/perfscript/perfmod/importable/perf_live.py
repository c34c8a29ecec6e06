"""`import perf_live` answered by perfscript: live capture is not provided."""

from perfscript.perfmod.live import LiveSession  # noqa: F401
