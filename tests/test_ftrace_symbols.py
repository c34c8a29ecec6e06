"""define_flag_* / define_symbolic_* calls: exactly the ones perf 6.1 made."""

import pytest

from perfscript.ftrace import SymbolWalker, eval_flag, parse_format, parse_tracing_data, symbol_callbacks
from test_ftrace_helpers import (
    CASES, define_calls, first_seen_events, format_text, read_dump, reference_dumps,
    tracing_blob,
)

DUMPS = reference_dumps()


@pytest.mark.parametrize("name,recording,dump", DUMPS, ids=[d[0] for d in DUMPS])
def test_define_calls_match_perf_dump(name, recording, dump):
    """Walk the events in the order perf first met them, with one walker for
    the run (the 'current field' carries over between events)."""
    calls = read_dump(dump)
    data = parse_tracing_data(tracing_blob(recording)[0])
    by_handler = {event.handler_name: event for event in data.events.values()}
    walker = SymbolWalker()
    ours = []
    for handler in first_seen_events(calls):
        ours += walker.callbacks(by_handler[handler])
    assert ours == define_calls(calls)


def test_some_corpus_cases_are_covered():
    if not CASES.exists():
        pytest.skip("corpus not available")
    assert {"sched_messaging", "kmem_gfp", "softirq_timer_check", "net_dropmonitor",
            "block_writeback"} <= {name for name, _, _ in DUMPS}


@pytest.mark.parametrize("text,value", [
    ("0x10", 16), ("077", 63), ("12abc", 12), ("HI_SOFTIRQ", 0), ("RCU_SOFTIRQ", 9),
    ("HRTIMER_RESTART", 1), ("IRQ_POLL_SOFTIRQ", 5), ("BLOCK_IOPOLL_SOFTIRQ", 0),
    ("-1", 0), ("", 0), ("18446744073709551615", (1 << 64) - 1), ("99999999999999999999", (1 << 64) - 1),
])
def test_eval_flag(text, value):
    assert eval_flag(text) == value


FIELDS = ("\tfield:long a;\toffset:8;\tsize:8;\tsigned:1;\n"
          "\tfield:__data_loc char[] s;\toffset:16;\tsize:4;\tsigned:0;\n")


def event(args, name="e"):
    return parse_format(format_text(name, 1, FIELDS, '"%d", ' + args), "sys")


def test_literals_define_flag_value_zero_for_current_field():
    calls = symbol_callbacks(event('REC->a ? "on" : 7'))
    assert calls == [("define_flag_value", "sys__e", "a", 0, "on"),
                     ("define_flag_value", "sys__e", "a", 0, "7")]


def test_flags_walk_value_then_field_then_entries():
    calls = symbol_callbacks(event('__print_flags(REC->a & 0x3, "|", {1, "A"}, {-1, "M"})'))
    assert calls == [
        ("define_flag_value", "sys__e", "a", 0, "0x3"),
        ("define_flag_field", "sys__e", "a", "|"),
        ("define_flag_value", "sys__e", "a", 1, "A"),
        ("define_flag_value", "sys__e", "a", 0, "M"),
    ]


def test_symbolic_values_are_c_longs():
    calls = symbol_callbacks(event('__print_symbolic(REC->a, {0xffffffffffffffff, "all"})'))
    assert calls == [("define_symbolic_field", "sys__e", "a"),
                     ("define_symbolic_value", "sys__e", "a", -1, "all")]


def test_current_field_carries_over_between_events():
    walker = SymbolWalker()
    walker.callbacks(event("REC->a", name="first"))
    assert walker.callbacks(event("5", name="second")) == [
        ("define_flag_value", "sys__second", "a", 0, "5")]
    # perf would crash here (NULL field name); we report None.
    assert symbol_callbacks(event("5")) == [("define_flag_value", "sys__e", None, 0, "5")]


def test_top_level_dynamic_array_ends_the_walk_nested_one_does_not():
    stopped = event("REC->a, __get_dynamic_array(s), 5")
    assert symbol_callbacks(stopped) == []
    nested = event("REC->a + __get_dynamic_array_len(s), 5")
    assert symbol_callbacks(nested) == [("define_flag_value", "sys__e", "a", 0, "5")]
    string = event("REC->a, __get_str(s), 5")
    assert symbol_callbacks(string) == [("define_flag_value", "sys__e", "a", 0, "5")]


def test_failed_event_walks_the_args_that_parsed():
    failed = event("REC->a, 4, nosuch(1), 5")
    assert failed.failed
    assert symbol_callbacks(failed) == [("define_flag_value", "sys__e", "a", 0, "4")]
