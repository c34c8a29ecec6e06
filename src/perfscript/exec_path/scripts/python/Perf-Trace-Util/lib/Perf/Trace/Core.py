# perfscript's stand-in for perf's Perf-Trace-Util Core.py.
#
# Scripts written for `perf script -s` do `from Core import *`; this module
# offers the same names with the same behaviour (quirks included: lookups
# autovivify entries, value 0 is special, leftover flag bits are dropped).
# Written for perfscript (MIT); not derived from perf's GPL source text.
"""Helpers for tracepoint flag/symbolic fields and common event headers."""

from collections import defaultdict


def autodict():
    """A dict that creates nested autodicts on first access of a key."""
    return defaultdict(autodict)


# event name -> field name -> {'delim': str, 'values': {int: str}}
flag_fields = autodict()
# event name -> field name -> {'values': {int: str}}
symbolic_fields = autodict()


def define_flag_field(event_name, field_name, delim):
    """Called by the engine for each __print_flags() field: remember delim."""
    flag_fields[event_name][field_name]['delim'] = delim


def define_flag_value(event_name, field_name, value, field_str):
    """Called by the engine for each __print_flags() value/name pair."""
    flag_fields[event_name][field_name]['values'][value] = field_str


def define_symbolic_field(event_name, field_name):
    """Called by the engine for each __print_symbolic() field; nothing to keep."""


def define_symbolic_value(event_name, field_name, value, field_str):
    """Called by the engine for each __print_symbolic() value/name pair."""
    symbolic_fields[event_name][field_name]['values'][value] = field_str


def flag_str(event_name, field_name, value):
    """Names of the flags set in value, lowest flag value first.

    A value of 0 matches only a flag defined as 0; bits that no flag covers
    are silently dropped; unknown event/field gives ''.
    """
    field = flag_fields[event_name][field_name]
    if not field:
        return ""
    names = field['values']
    parts = []
    for flag in sorted(names):
        if not value and not flag:
            parts.append(names[flag])
            break
        if flag and (value & flag) == flag:
            if parts and field['delim']:
                parts.append(" " + field['delim'] + " ")
            parts.append(names[flag])
            value &= ~flag
    return "".join(parts)


def symbol_str(event_name, field_name, value):
    """The name defined for exactly this value, or ''."""
    field = symbolic_fields[event_name][field_name]
    if not field:
        return ""
    names = field['values']
    for sym in sorted(names):
        if (not value and not sym) or value == sym:
            return names[sym]
    return ""


trace_flags = {
    0x00: "NONE",
    0x01: "IRQS_OFF",
    0x02: "IRQS_NOSUPPORT",
    0x04: "NEED_RESCHED",
    0x08: "HARDIRQ",
    0x10: "SOFTIRQ",
}


def trace_flag_str(value):
    """common_flags as text, e.g. 'IRQS_OFF | NEED_RESCHED' (0 -> 'NONE')."""
    text = ""
    sep = ""
    for flag in trace_flags:
        if not value and not flag:
            text += "NONE"
            break
        if flag and (value & flag) == flag:
            text += sep + trace_flags[flag]
            sep = " | "
            value &= ~flag
    return text


def taskState(state):
    """One-letter task state of old prev_state values; else 'Unknown'."""
    return {0: "R", 1: "S", 2: "D", 64: "DEAD"}.get(state, "Unknown")


class EventHeaders:
    """The common_* handler arguments bundled, with timestamp helpers."""

    def __init__(self, common_cpu, common_secs, common_nsecs,
                 common_pid, common_comm, common_callchain):
        self.cpu = common_cpu
        self.secs = common_secs
        self.nsecs = common_nsecs
        self.pid = common_pid
        self.comm = common_comm
        self.callchain = common_callchain

    def ts(self):
        """Timestamp in nanoseconds."""
        return (self.secs * (10 ** 9)) + self.nsecs

    def ts_format(self):
        """'secs.usecs' with usecs not zero-padded (as perf's helper)."""
        return "%d.%d" % (self.secs, int(self.nsecs / 1000))
