"""Event formats are parsed when first used, and come out as the eager parse in file
order made them (libtraceevent's __print_flags marker leaking into a later event
included)."""

import io
import os

from perfscript.ftrace import parse_tracing_data
from perfscript.ftrace.format import parse_format
from perfscript.ftrace.printfmt import _FlagState
from perfscript.output.tracecmd_report import report
from perfscript.tracedat import open_tracedat
from test_ftrace_helpers import build_blob, format_text

DATA = os.path.join(os.path.dirname(__file__), "data", "tracedat")


def _field(name, offset):
    return "\tfield:unsigned long %s;\toffset:%d;\tsize:8;\tsigned:0;\n" % (name, offset)


# MINOR() is no helper perf 6.1 knows: the print fmt fails after __print_flags set the
# marker, which libtraceevent then puts on the next REC->field it reads, in whichever
# event that is (here: `b`'s y, not `c`'s z).
LEAKS = format_text("a", 10, _field("x", 8), '"%s", __print_flags(MINOR(REC->x), "|", {1, "A"})')
TAKES = format_text("b", 11, _field("y", 8), '"%lx", REC->y')
AFTER = format_text("c", 12, _field("z", 8), '"%lx", REC->z')
LATER = format_text("d", 13, _field("w", 8), '"%s", __print_symbolic(1, {1, "ONE"})')
PLAIN = format_text("e", 14, _field("v", 8), '"%s", __print_flags(REC->v, "|", {1, "A"})')


def _eager(systems):
    """Each format parsed in file order with one marker, as before the table."""
    state = _FlagState()
    out = {}
    for system, texts in systems.items():
        for text in texts:
            event = parse_format(text, system, _flag_state=state)
            out.setdefault(event.id, event)
    return out


def test_nothing_parsed_until_asked():
    systems = {"s": [PLAIN, TAKES, AFTER]}
    data = parse_tracing_data(build_blob(systems))
    assert data.events.parsed_count == 0
    assert list(data.events) == [14, 11, 12] and 12 in data.events and 99 not in data.events
    assert list(data.events.names()) == [(14, "s", "e"), (11, "s", "b"), (12, "s", "c")]
    assert data.events.parsed_count == 0
    assert data.events[12].fields[0].name == "z"
    assert data.events.parsed_count == 1         # e's marker cannot leak: not parsed
    assert data.find_event("s", "b").name == "b" and data.events.parsed_count == 2


def test_leaked_marker_lands_where_the_eager_parse_put_it():
    systems = {"s": [LEAKS, TAKES, AFTER], "t": [LATER, PLAIN]}
    want = _eager(systems)
    assert want[11].fields[0].is_flag and not want[12].fields[0].is_flag
    for order in ([12, 11, 10, 13, 14], [13, 12], [11], [14, 10, 12]):
        data = parse_tracing_data(build_blob(systems))
        for event_id in order:
            assert repr(data.events[event_id]) == repr(want[event_id])
    data = parse_tracing_data(build_blob(systems))
    assert data.events[12].fields[0].is_flag is False
    assert data.events.parsed_count == 3          # a, then b to clear the marker, then c
    assert data.events[11].fields[0].is_flag is True


def test_report_parses_only_the_events_it_prints():
    path = os.path.join(DATA, "plugins.dat")
    with open_tracedat(path) as tdat:
        events = tdat.meta.events
        assert events.parsed_count == 0 and len(events) > 700
        out = io.BytesIO()
        report(tdat, out)
        printed = {line.split(b":")[1].strip() for line in out.getvalue().splitlines()[1:]
                   if b":" in line}
        assert events.parsed_count <= len(printed) + 2, events.parsed_count
    with open(os.path.join(DATA, "plugins.report.txt"), "rb") as f:
        assert out.getvalue() == f.read()
