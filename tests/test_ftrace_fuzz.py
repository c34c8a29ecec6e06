"""Property tests: hostile input only ever gives PerfDataError or a `failed`
event, never another exception, a hang or a huge allocation. Work and memory are
bounded by counts and tracemalloc, never by wall time (the CPU-time budgets are
generous backstops).

PERFSCRIPT_FUZZ_EXAMPLES=5000 runs them harder than the default 150 examples.
"""

import os

from hypothesis import HealthCheck, given, settings, strategies as st

from cost import measured
from perfscript.errors import PerfDataError
from perfscript.ftrace import (
    make_common_decoder, make_field_decoder, parse_format, parse_tracing_data,
    symbol_callbacks,
)
from test_ftrace_helpers import CASES, build_blob, format_text, tracing_blob

FIELDS = (
    "\tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
    "\tfield:long state;\toffset:24;\tsize:8;\tsigned:1;\n"
    "\tfield:__data_loc char[] name;\toffset:32;\tsize:4;\tsigned:0;\n"
    "\tfield:__rel_loc u8[] buf;\toffset:36;\tsize:4;\tsigned:0;\n"
    "\tfield:unsigned long args[2];\toffset:40;\tsize:16;\tsigned:0;\n")
PRINT = ('"comm=%s state=%s name=%s x=%d %s", REC->comm, (REC->state & 3) ? '
         '__print_flags(REC->state & 3, "|", { 1, "S" }, { 2, "D" }) : "R", __get_str(name), '
         '(int)REC->args[1] - -2 * (3 + 4) ? 1 : 0, __print_symbolic(REC->state, { 0, "zero" })')
BASE_FORMAT = format_text("ev", 5, FIELDS, PRINT)


def _seed_blob():
    path = CASES / "raw_syscalls" / "perf.data"
    if path.exists():
        return tracing_blob(path)[0]
    return build_blob({"sys": [BASE_FORMAT]}, printk=b'0x1 : "x"\n', cmdlines=b"1 a\n")


SEED_BLOB = _seed_blob()
_PARSE_FORMAT = "perfscript.ftrace.format_table.read_header"   # once per format read
FUZZ = settings(max_examples=int(os.environ.get("PERFSCRIPT_FUZZ_EXAMPLES", "150")),
                deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

TOKENS = ["REC", "->", "comm", "state", "name", "args", "(", ")", ",", "?", ":", "[", "]",
          "{", "}", '"s"', "'c'", "0x10", "1", "-", "+", "*", "&", "|", "<<", "!", "~",
          "__print_flags", "__print_symbolic", "__get_str", "__print_hex", "__get_dynamic_array",
          "__print_array", "unsigned", "long", "char", "sizeof", "%", "\n", " ", "\\", '"']


def _mutate(data, edits):
    data = bytearray(data)
    for kind, position, value in edits:
        if not data:
            break
        position %= len(data)
        if kind == 0:
            data[position] = value
        elif kind == 1:
            del data[position:position + value % 64]
        else:
            data[position:position] = bytes([value]) * (value % 8 + 1)
    return bytes(data)


EDITS = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1 << 20), st.integers(0, 255)),
                 max_size=12)


@FUZZ
@given(EDITS, st.integers(0, len(SEED_BLOB)))
def test_mutated_blobs_raise_only_perfdataerror(edits, cut):
    blob = _mutate(SEED_BLOB, edits)[:cut + 64]
    with measured(_PARSE_FORMAT) as cost:
        try:
            data = parse_tracing_data(blob, base_offset=4096)
        except PerfDataError as exc:
            assert exc.offset is not None and 4096 <= exc.offset <= 4096 + len(blob)
        else:
            assert data.size <= len(blob)
            for event in data.events.values():
                symbol_callbacks(event)
    # each format costs at least its 8-byte size and its text: a hostile count or size
    # cannot buy more parsing than the blob holds, nor an allocation beyond it
    assert cost.calls[_PARSE_FORMAT] * 8 <= len(blob)
    assert cost.sizes[_PARSE_FORMAT] <= len(blob)
    assert cost.peak <= (1 << 20) + 32 * len(blob)
    assert cost.cpu < 2.5                  # backstop: ~20 ms is normal


@FUZZ
@given(EDITS)
def test_mutated_format_text_never_raises(edits):
    text = _mutate(BASE_FORMAT.encode(), edits)
    event = parse_format(text, "sys")
    if event is not None:
        assert event.failed or event.print_fmt is not None
        symbol_callbacks(event)
        decode = make_field_decoder(event, False)
        common = make_common_decoder(event, True)
        for raw in (b"", bytes(range(64)), b"\xff" * 300):
            assert len(decode(raw)) == len(event.fields)
            assert len(common(raw)) == 5


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=60), st.booleans())
def test_token_soup_print_fmt_never_raises(tokens, extended):
    args = " ".join(tokens)
    text = format_text("ev", 5, FIELDS, '"%d %s %p %*d", ' + args)
    event = parse_format(text, "sys", extended=extended)
    assert event is not None
    assert event.failed == (event.error is not None)
    symbol_callbacks(event)


@FUZZ
@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x2ff), max_size=300))
def test_arbitrary_text_as_format_never_raises(text):
    event = parse_format(text, "sys")
    if event is not None:
        symbol_callbacks(event)


@FUZZ
@given(st.binary(max_size=200))
def test_decoders_accept_any_bytes(raw):
    event = parse_format(BASE_FORMAT, "sys")
    values = make_field_decoder(event, False)(raw)
    assert len(values) == len(event.fields)
    assert len(make_common_decoder(event, False)(raw)) == 5


NUMBERS = st.one_of(st.integers(0, 80), st.integers(0, (1 << 64) + 5))
FIELD_KINDS = ["int", "long", "char %s[4]", "__data_loc char[] %s", "__rel_loc u8[] %s",
               "u8 %s[0]", "unsigned long %s[2]"]


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(FIELD_KINDS), NUMBERS, NUMBERS, st.booleans()),
                max_size=6),
       st.binary(max_size=120), st.booleans())
def test_any_field_layout_decodes_any_bytes(layout, raw, big_endian):
    lines = []
    for i, (kind, offset, size, signed) in enumerate(layout):
        decl = kind % ("f%d" % i) if "%s" in kind else "%s f%d" % (kind, i)
        lines.append("\tfield:%s;\toffset:%d;\tsize:%d;\tsigned:%d;\n"
                     % (decl, offset, size, signed))
    event = parse_format(format_text("ev", 5, "".join(lines)), "sys")
    assert not event.failed, event.error
    with measured() as cost:
        values = make_field_decoder(event, big_endian)(raw)
        make_common_decoder(event, big_endian)(raw)
    assert len(values) == len(layout)
    assert all(type(v) in (int, str, bytearray) for v in values)
    # declared offsets and sizes up to 2**64 cost no more than a record's largest size
    # (1 MiB: short data is zero-padded up to fields that end within it)
    assert all(len(v) <= 1 << 20 for v in values if type(v) is not int)
    assert cost.peak <= 4 << 20
    assert cost.cpu < 1                    # backstop: well under 10 ms is normal
