"""BatchDecoder: column-wise decoding that equals the per-event decoder row by row.

Every comparison parses the format twice, so the per-event decoder and the batch
decoder each clear the STRING flags of their own Field objects.
"""

import os
import struct
import timeit

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from perfscript.ftrace import (
    make_common_decoder, make_field_decoder, parse_format, parse_tracing_data,
)
from perfscript.ftrace.batch_decode import BatchDecoder, gather_fixed
from perfscript.session.consumer import Consumer
from test_ftrace_helpers import (
    CASES, COMMON_FIELDS, RECORDINGS, THIRDPARTY, format_text, read_dump, reference_dumps,
    tracing_blob,
)

SETTINGS = settings(max_examples=int(os.environ.get("PERFSCRIPT_FUZZ_EXAMPLES", "150")),
                    deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def rows_of(columns, n):
    """Transpose decode()'s columns into per-record value lists."""
    assert all(len(column) == n for column in columns)
    return [list(row) for row in zip(*columns)] if columns else [[] for _ in range(n)]


def typed(rows):
    return [[(type(v), v) for v in row] for row in rows]


def batch_rows(decoder, raws, *, with_sizes=True):
    fixed, sizes = decoder.gather(raws)
    assert fixed.shape == (len(raws), decoder.fixed_size)
    columns = decoder.decode(fixed, raws if decoder.needs_raw else None,
                             sizes if with_sizes else None)
    assert len(columns) == len(decoder.event.fields)
    return rows_of(columns, len(raws))


def assert_same(make_event, raws, big_endian, *, batches=1):
    """Per-event decoding of `raws` vs batch decoding (in `batches` pieces) on
    a separately parsed copy of the format: values, types, flags, counters."""
    one, two = make_event(), make_event()
    decode = make_field_decoder(one, big_endian)
    want = [decode(raw) for raw in raws]
    batch = BatchDecoder(two, big_endian)
    got = []
    step = max(1, -(-len(raws) // batches))
    for start in range(0, len(raws), step):
        got += batch_rows(batch, raws[start:start + step])
    assert typed(got) == typed(want)
    assert [f.is_string for f in two.fields] == [f.is_string for f in one.fields]
    assert batch.short_records == decode.short_records
    common = make_common_decoder(one, big_endian)
    fixed, _ = batch.gather(raws)
    assert list(zip(*batch.common(fixed))) == [common(raw) for raw in raws]
    assert batch.common_pid(fixed) == [common(raw)[3] for raw in raws]
    return got


# ------------------------------------------------------------ the corpus

def _recordings():
    paths = sorted(list(CASES.glob("*/perf.data")) + list(THIRDPARTY.glob("*/perf.data"))
                   + list(RECORDINGS.glob("*.data")))
    return [p for p in paths if tracing_blob(p) is not None]


RECORDED = _recordings()


def _payloads(path):
    """{event id: [payload, ...]} of a recording's tracepoint samples, in perf's
    delivery order (the session layer's time order)."""
    from perfscript.session.session import Session

    by_id = {}

    class Collect(Consumer):
        def sample(self, ev, sample, thread):
            if ev.tp_format is not None:
                by_id.setdefault(ev.tp_format.id, []).append(sample.raw)

    Session(str(path)).process(Collect())
    return by_id


@pytest.mark.parametrize("path", RECORDED, ids=[p.parent.name if p.name == "perf.data"
                                                  else p.stem for p in RECORDED])
def test_corpus_events_decode_like_the_per_event_decoder(path):
    blob = tracing_blob(path)[0]
    big_endian = parse_tracing_data(blob).big_endian
    payloads = _payloads(path)
    if not payloads:
        pytest.skip("no tracepoint samples")
    for event_id, raws in payloads.items():
        def make_event():
            return parse_tracing_data(blob).events[event_id]
        assert_same(make_event, raws, big_endian)
        assert_same(make_event, raws, big_endian, batches=3)
        # memoryview payloads decode the same
        views = [memoryview(raw) for raw in raws]
        one, two = make_event(), make_event()
        decode = make_field_decoder(one, big_endian)
        assert typed(batch_rows(BatchDecoder(two, big_endian), views)) == \
            typed([decode(raw) for raw in raws])


def test_corpus_has_mid_run_string_flag_transitions():
    """The corpus exercises the flag: e.g. task_rename's newcomm goes from str
    to bytearray, so the batch must switch at the same row as perf."""
    path = CASES / "mixed_tp_sw" / "perf.data"
    if not path.exists():
        pytest.skip("corpus not available")
    blob = tracing_blob(path)[0]
    event = next(e for e in parse_tracing_data(blob).events.values() if e.name == "task_rename")
    raws = _payloads(path)[event.id]
    rows = assert_same(lambda: parse_tracing_data(blob).events[event.id], raws, False)
    index = [f.name for f in event.fields].index("newcomm")
    kinds = [type(row[index]) for row in rows]
    assert str in kinds and bytearray in kinds


DUMPS = reference_dumps()


@pytest.mark.parametrize("name,recording,dump", DUMPS, ids=[d[0] for d in DUMPS])
def test_batches_give_what_perf_delivered(name, recording, dump):
    """Straight against perf's own dump: all dumped payloads of an event in one batch."""
    data = parse_tracing_data(tracing_blob(recording)[0])
    by_handler = {event.handler_name: event for event in data.events.values()}
    raws, wanted = {}, {}
    for call, handler, attrs in read_dump(dump):
        if call == "trace_unhandled" and "raw_buf" in attrs:
            raws.setdefault(handler, []).append(attrs["raw_buf"])
            wanted.setdefault(handler, []).append(attrs["fields"])
    assert raws
    for handler, payloads in raws.items():
        event = by_handler[handler]
        batch = BatchDecoder(event, data.big_endian)
        rows = batch_rows(batch, payloads)
        fixed, _ = batch.gather(payloads)
        pids = batch.common_pid(fixed)
        for row, pid, want in zip(rows, pids, wanted[handler]):
            got = dict(zip((f.name for f in event.fields), row))
            own = {k: v for k, v in want.items() if not k.startswith("common_")}
            assert typed([list(got.values())]) == typed([[own[k] for k in got]])
            assert pid == want["common_pid"]


# ------------------------------------------------------------ synthetic formats

FIELDS = (
    "\tfield:char comm[8];\toffset:8;\tsize:8;\tsigned:0;\n"
    "\tfield:int neg;\toffset:16;\tsize:4;\tsigned:1;\n"
    "\tfield:long big;\toffset:24;\tsize:8;\tsigned:1;\n"
    "\tfield:unsigned long ul;\toffset:32;\tsize:8;\tsigned:0;\n"
    "\tfield:__data_loc char[] name;\toffset:40;\tsize:4;\tsigned:0;\n"
    "\tfield:__rel_loc char[] rel;\toffset:44;\tsize:4;\tsigned:0;\n"
    "\tfield:u32 words[2];\toffset:48;\tsize:8;\tsigned:0;\n"
    "\tfield:int odd;\toffset:56;\tsize:3;\tsigned:1;\n"
    "\tfield:short sh;\toffset:60;\tsize:2;\tsigned:1;\n"
)


def make_synthetic():
    return parse_format(format_text("e", 300, FIELDS), "s")


def payload(order="<", comm=b"ls", name=b"hello", rel=b"ab", pid=-7, neg=-6):
    raw = bytearray(96)
    struct.pack_into(order + "HBBi", raw, 0, 300, 1, 2, pid)
    raw[8:16] = comm.ljust(8, b"\0")
    struct.pack_into(order + "i", raw, 16, neg)
    struct.pack_into(order + "q", raw, 24, -5)
    struct.pack_into(order + "Q", raw, 32, (1 << 64) - 1)
    name += b"\0"
    struct.pack_into(order + "I", raw, 40, (len(name) << 16) | 64)
    raw[64:64 + len(name)] = name
    rel += b"\0"
    struct.pack_into(order + "I", raw, 44, (len(rel) << 16) | (80 - 48))
    raw[80:80 + len(rel)] = rel
    struct.pack_into(order + "II", raw, 48, 1, 2)
    raw[56:59] = b"\xff\xff\xff"
    struct.pack_into(order + "h", raw, 60, -2)
    return bytes(raw)


def test_values_and_types():
    batch = BatchDecoder(make_synthetic(), False)
    assert batch.fixed_size == 62 and batch.needs_raw
    rows = batch_rows(batch, [payload(), payload(comm=b"sh", pid=-1)])
    assert rows[0] == ["ls", 4294967290, -5, (1 << 64) - 1, "hello", "ab",
                       bytearray(struct.pack("<II", 1, 2)), 0, 65534]
    assert [type(v) for v in rows[0]] == [str, int, int, int, str, str, bytearray, int, int]
    assert rows[1][0] == "sh"
    fixed, _ = batch.gather([payload(), payload(pid=-1)])
    assert batch.common_pid(fixed) == [-7, -1]


@pytest.mark.parametrize("big_endian", [False, True])
def test_string_flag_clears_mid_batch_in_row_order(big_endian):
    order = ">" if big_endian else "<"
    raws = [payload(order, comm=b"ok", name=b"a"), payload(order, comm=b"ok2", name=b"b"),
            payload(order, comm=b"\x01x", name=b"\x7f"), payload(order, comm=b"ok", name=b"a"),
            payload(order, comm=b"ls", rel=b"\xc3\xa9")]
    rows = assert_same(make_synthetic, raws, big_endian)
    assert [row[0] for row in rows] == ["ok", "ok2", bytearray(b"\x01x".ljust(8, b"\0")),
                                        bytearray(b"ok".ljust(8, b"\0")),
                                        bytearray(b"ls".ljust(8, b"\0"))]
    assert [row[4] for row in rows] == ["a", "b", bytearray(b"\x7f\0"), bytearray(b"a\0"),
                                        bytearray(b"hello\0")]
    assert [row[5] for row in rows] == ["ab"] * 4 + ["\xe9"]


def test_flag_is_shared_with_the_per_event_decoder_and_later_batches():
    event = make_synthetic()
    batch = BatchDecoder(event, False)
    batch_rows(batch, [payload(), payload(comm=b"\x02")])
    assert not event.fields[0].is_string and event.fields[4].is_string
    assert make_field_decoder(event, False)(payload())[0] == bytearray(b"ls".ljust(8, b"\0"))
    assert batch_rows(batch, [payload()])[0][0] == bytearray(b"ls".ljust(8, b"\0"))
    # and the other way round: the per-event decoder clears, the batch sees it
    event = make_synthetic()
    make_field_decoder(event, False)(payload(name=b"\x03"))
    assert batch_rows(BatchDecoder(event, False), [payload()])[0][4] == bytearray(b"hello\0")


def test_big_endian_format():
    raws = [payload(">"), payload(">", pid=123456, neg=7, comm=b"bash")]
    rows = assert_same(make_synthetic, raws, True)
    assert rows[0][6] == bytearray(struct.pack(">II", 1, 2))
    assert rows[1][:2] == ["bash", 7]


def test_short_records_in_one_batch():
    full = payload()
    raws = [full[:size] for size in range(len(full) + 1)] + [full]
    assert_same(make_synthetic, raws, False)
    batch = BatchDecoder(make_synthetic(), False)
    batch_rows(batch, raws)
    assert batch.short_records == 62
    # sizes are optional: values are the same, only the counter needs them (or raws)
    int_only = format_text("e", 1, "\tfield:int x;\toffset:8;\tsize:4;\tsigned:1;\n")
    scalar_only = BatchDecoder(parse_format(int_only, "s"), False)
    assert not scalar_only.needs_raw
    fixed, sizes = scalar_only.gather([b"", b"\0" * 9, struct.pack("<8xi", -3)])
    assert scalar_only.decode(fixed) == [[0, 0, 4294967293]]
    assert scalar_only.short_records == 0
    scalar_only.decode(fixed, sizes=sizes)
    assert scalar_only.short_records == 2


def test_dynamic_descriptor_beyond_the_record_is_cut():
    raw = bytearray(payload())
    struct.pack_into("<I", raw, 40, (200 << 16) | 90)
    raw[90:96] = b"abcdef"
    short = bytearray(payload()[:30])
    rows = assert_same(make_synthetic, [bytes(raw), bytes(short)], False)
    assert rows[0][4] == bytearray(b"abcdef")


def test_absurd_offsets_and_wide_common_pid():
    fields = ("\tfield:char far[1099511627776];\toffset:1099511627776;\tsize:1099511627776;\n"
              "\tfield:char tail[1048576];\toffset:8;\tsize:1048576;\n"
              "\tfield:u64 farnum;\toffset:4294967296;\tsize:8;\n"
              "\tfield:__data_loc char[] gone;\toffset:4294967296;\tsize:4;\n"
              "\tfield:__rel_loc char[] odd;\toffset:12;\tsize:3;\n"
              "\tfield:int near;\toffset:8;\tsize:4;\tsigned:1;\n")
    common = ("\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
              "\tfield:long common_pid;\toffset:16;\tsize:8;\tsigned:1;\n"
              "\tfield:int common_lock_depth;\toffset:281474976710656;\tsize:4;\tsigned:1;\n")

    def make():
        return parse_format(format_text("e", 1, fields, common=common), "s")
    batch = BatchDecoder(make(), False)
    assert batch.fixed_size == 24 and batch.needs_raw
    raws = [bytes(8) + struct.pack("<iiq", -1, 0, 0x1234FFFFFFFE), b"", b"\x01" * 40]
    rows = assert_same(make, raws, False)
    assert rows[0][2:] == [0, bytearray(), bytearray(), 4294967295]
    fixed, _ = batch.gather(raws)
    assert batch.common_pid(fixed) == [-2, 0, 0x01010101]


def test_empty_batches_and_argument_checks():
    batch = BatchDecoder(make_synthetic(), False)
    assert batch.decode(np.zeros((0, 62), np.uint8), []) == [[]] * 9
    assert batch.common_pid(np.zeros((0, 62), np.uint8)) == []
    with pytest.raises(ValueError):
        batch.decode(np.zeros((2, 61), np.uint8), [b"", b""])
    with pytest.raises(ValueError):
        batch.decode(np.zeros((2, 62), np.uint8))
    with pytest.raises(ValueError):
        batch.decode(np.zeros((2, 62), np.uint8), [b""])
    no_fields = BatchDecoder(parse_format(format_text("e", 1, "", common=""), "s"), False)
    assert no_fields.fixed_size == 0 and not no_fields.needs_raw
    fixed, sizes = no_fields.gather([b"ab", b""])
    assert fixed.shape == (2, 0)
    assert no_fields.decode(fixed, sizes=sizes) == []
    assert no_fields.common(fixed) == ([0, 0],) * 5


def test_gather_and_non_contiguous_rows():
    raws = [b"\x01\x02\x03", b"", b"\x04" * 10]
    fixed, sizes = gather_fixed(raws, 5)
    assert fixed.tolist() == [[1, 2, 3, 0, 0], [0] * 5, [4] * 5]
    assert sizes.tolist() == [3, 0, 10]
    batch = BatchDecoder(make_synthetic(), False)
    raws = [payload(comm=b"a%d" % i) for i in range(6)]
    fixed, _ = batch.gather(raws)
    wide = np.zeros((6, 100), np.uint8)
    wide[:, :62] = fixed
    view = wide[:, :62]
    assert not view.flags.c_contiguous
    assert batch.decode(view, raws)[0] == ["a%d" % i for i in range(6)]


# ------------------------------------------------------------ generated layouts

NUMBERS = st.one_of(st.integers(0, 80), st.sampled_from([1, 2, 3, 4, 8, 16]),
                    st.integers(0, (1 << 64) + 5))
FIELD_KINDS = ["int", "long", "u8", "char %s[4]", "u8 %s[16]", "__data_loc char[] %s",
               "__rel_loc u8[] %s", "__data_loc u32[] %s", "u8 %s[0]", "unsigned long %s[2]",
               "__data_loc %s"]
BYTES = st.sampled_from([0, 0, 0, 1, 2, 4, 8, 0x20, 0x41, 0x61, 0x7a, 0x7f, 0x80, 0xa0, 0xa9,
                         0xc3, 0xe9, 0xff, 0x0a])
PAYLOADS = st.lists(st.one_of(st.binary(max_size=160), st.lists(BYTES, max_size=160).map(bytes)),
                    max_size=12)
COMMON_PIDS = st.sampled_from([(4, 4, 1), (4, 8, 1), (8, 8, 1), (4, 2, 0), (4, 3, 1), (2, 1, 0),
                               (1 << 50, 4, 1)])


def _layout_format(layout, common_pid):
    lines = []
    for i, (kind, offset, size, signed) in enumerate(layout):
        decl = kind % ("f%d" % i) if "%s" in kind else "%s f%d" % (kind, i)
        lines.append("\tfield:%s;\toffset:%d;\tsize:%d;\tsigned:%d;\n"
                     % (decl, offset, size, signed))
    offset, size, signed = common_pid
    common = COMMON_FIELDS.replace("offset:4;\tsize:4;\tsigned:1;",
                                   "offset:%d;\tsize:%d;\tsigned:%d;" % (offset, size, signed))
    return format_text("ev", 5, "".join(lines), common=common)


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(FIELD_KINDS), NUMBERS, NUMBERS, st.booleans()),
                max_size=6),
       PAYLOADS, st.booleans(), COMMON_PIDS, st.integers(1, 3))
def test_any_layout_and_payloads_decode_alike(layout, raws, big_endian, common_pid, batches):
    text = _layout_format(layout, common_pid)

    def make():
        event = parse_format(text, "sys")
        assert not event.failed, event.error
        return event
    assert_same(make, raws, big_endian, batches=batches)


@SETTINGS
@given(st.lists(st.sampled_from([b"ok", b"", b"a b", b"\x01", b"\x7f", b"\xc3\xa9", b"\xa0",
                                 b"\xe9", b"12345678", b"x\0\x01"]), max_size=20),
       st.booleans())
def test_any_string_sequence_switches_at_the_same_row(comms, big_endian):
    order = ">" if big_endian else "<"
    raws = [payload(order, comm=c[:8], name=c, rel=c[::-1]) for c in comms]
    assert_same(make_synthetic, raws, big_endian)


# ------------------------------------------------------------ speed

def test_scalar_batches_are_faster_than_per_event_decoding():
    """sys_exit-like (id, ret): no Python code per row; generous bound."""
    text = format_text("sys_exit", 9, "\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n"
                                      "\tfield:long ret;\toffset:16;\tsize:8;\tsigned:1;\n")
    raws = [struct.pack("<HBBiqq", 9, 0, 0, i, i % 300, -i) for i in range(2000)]
    decode = make_field_decoder(parse_format(text, "raw_syscalls"), False)
    batch = BatchDecoder(parse_format(text, "raw_syscalls"), False)
    fixed, sizes = batch.gather(raws)
    per_event = min(timeit.repeat(lambda: [decode(raw) for raw in raws], number=3, repeat=3))
    batched = min(timeit.repeat(lambda: batch.decode(fixed, None, sizes), number=3, repeat=3))
    assert batched < per_event
    assert rows_of(batch.decode(fixed), 2000) == [decode(raw) for raw in raws]


def test_gather_equal_and_mixed_sizes():
    for raws in ([b"abc", b"def"], [b"abcdefgh"] * 3, [b""] * 2, [b"ab", b"abcdefgh", b""]):
        fixed, sizes = gather_fixed(raws, 5)
        assert [bytes(row) for row in fixed] == [raw[:5].ljust(5, b"\0") for raw in raws]
        assert sizes.tolist() == [len(raw) for raw in raws]
