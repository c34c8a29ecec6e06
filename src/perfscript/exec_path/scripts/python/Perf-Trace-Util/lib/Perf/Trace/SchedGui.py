# perfscript's placeholder for perf's Perf-Trace-Util SchedGui.py.
#
# perf's module is the wxPython window of sched-migration.py.  Without wx it
# fails to import with the message below, which is what scripts see on
# machines without wxPython; perfscript does not ship the GUI itself.
"""Placeholder for perf's wx scheduler GUI (not provided by perfscript)."""

try:
    import wx  # noqa: F401
except ImportError:
    raise ImportError("You need to install the wxpython lib for this script")

raise ImportError("perfscript does not provide SchedGui's wxPython GUI")
