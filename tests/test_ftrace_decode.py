"""Field decoders: the values and Python types perf 6.1 delivers to scripts."""

import struct
import timeit

import pytest

from perfscript.ftrace import (
    make_common_decoder, make_field_decoder, parse_format, parse_tracing_data, printable_text,
)
from test_ftrace_helpers import CASES, format_text, read_dump, reference_dumps, tracing_blob

DUMPS = reference_dumps()


@pytest.mark.parametrize("name,recording,dump", DUMPS, ids=[d[0] for d in DUMPS])
def test_every_record_decodes_like_perf(name, recording, dump):
    """Each trace_unhandled event_fields_dict of the dump, decoded from its
    raw_buf in delivery order (decoders are stateful: STRING flags clear)."""
    data = parse_tracing_data(tracing_blob(recording)[0])
    by_handler = {event.handler_name: event for event in data.events.values()}
    decoders = {}
    checked = 0
    for name, handler, attrs in read_dump(dump):
        if name != "trace_unhandled" or "raw_buf" not in attrs:
            continue  # some handlers of dump_args.py get no perf_sample_dict
        event = by_handler[handler]
        if handler not in decoders:
            decoders[handler] = (make_field_decoder(event, data.big_endian),
                                 make_common_decoder(event, data.big_endian))
        fields, common = decoders[handler]
        raw = attrs["raw_buf"]
        got = dict(zip((f.name for f in event.fields),
                       fields(memoryview(raw) if checked % 2 else raw)))
        want = {k: v for k, v in attrs["fields"].items() if not k.startswith("common_")}
        assert got == want
        assert {k: type(v) for k, v in got.items()} == {k: type(v) for k, v in want.items()}
        ctype, flags, preempt, pid, lock_depth = common(raw)
        assert ctype == event.id
        assert pid == attrs["fields"]["common_pid"]
        assert (flags, preempt, lock_depth) == (
            attrs["common_flags(context)"], attrs["common_pc(context)"],
            attrs["common_lock_depth(context)"])
        checked += 1
    assert checked


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


@pytest.fixture
def event():
    return parse_format(format_text("e", 300, FIELDS), "s")


def payload(order="<", comm=b"ls", name=b"hello", rel=b"ab"):
    raw = bytearray(96)
    struct.pack_into(order + "HBBi", raw, 0, 300, 1, 2, -7)
    raw[8:16] = comm.ljust(8, b"\0")
    struct.pack_into(order + "i", raw, 16, -6)
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


def test_conversions(event):
    values = make_field_decoder(event, False)(payload())
    assert values == ["ls", 4294967290, -5, (1 << 64) - 1, "hello", "ab",
                      bytearray(struct.pack("<II", 1, 2)), 0, 65534]
    assert [type(v) for v in values] == [str, int, int, int, str, str, bytearray, int, int]
    assert make_common_decoder(event, False)(payload()) == (300, 1, 2, -7, 0)


def test_big_endian_gives_the_same_values(event):
    little = make_field_decoder(event, False)(payload("<"))
    big = make_field_decoder(event, True)(payload(">"))
    assert big[:6] == little[:6] and big[7:] == little[7:]
    assert big[6] == bytearray(struct.pack(">II", 1, 2))
    assert make_common_decoder(event, True)(payload(">")) == (300, 1, 2, -7, 0)


def test_string_flag_clears_for_the_rest_of_the_run(event):
    decode = make_field_decoder(event, False)
    assert decode(payload(comm=b"ok"))[0] == "ok"
    bad = decode(payload(comm=b"\x01x"))[0]
    assert bad == bytearray(b"\x01x".ljust(8, b"\0"))
    assert not event.fields[0].is_string
    assert decode(payload(comm=b"ok"))[0] == bytearray(b"ok".ljust(8, b"\0"))
    # A new decoder for the same EventFormat sees the cleared flag, like perf.
    assert make_field_decoder(event, False)(payload())[0] == bytearray(b"ls".ljust(8, b"\0"))


@pytest.mark.parametrize("chunk,text", [
    (b"abc\0", "abc"), (b"\0\0", ""), (b"\t\n\v\f\r \0", "\t\n\v\f\r "),
    (b"\xc3\xa9\0", "\xe9"), (b"\x80\0", None), (b"\x7f\0", None), (b"\x1b\0", None),
    (b"abc", None), (b"", None), (b"\xa0\0", None), (b"a\0\x01", None), (b"a\0\x01\0", "a"),
])
def test_printable_text_uses_perfs_rules(chunk, text):
    assert printable_text(chunk) == text


def test_short_raw_never_raises(event):
    decode = make_field_decoder(event, False)
    full = payload()
    for size in range(0, len(full)):
        values = decode(full[:size])
        assert len(values) == len(event.fields)
    fixed_end = max(f.offset + f.size for f in event.fields)
    assert decode.short_records == fixed_end == 62
    assert make_field_decoder(event, False)(b"")[1] == 0
    assert make_common_decoder(event, False)(b"\x2c") == (44, 0, 0, 0, 0)


def test_buffer_types(event):
    decode = make_field_decoder(event, False)
    raw = payload()
    assert decode(raw) == decode(memoryview(raw)) == decode(bytearray(raw))
    assert decode(memoryview(bytearray(raw))) == decode(raw)


def test_dynamic_descriptor_beyond_the_record_is_cut(event):
    raw = bytearray(payload())
    struct.pack_into("<I", raw, 40, (200 << 16) | 90)
    raw[90:96] = b"abcdef"
    assert make_field_decoder(event, False)(bytes(raw))[4] == bytearray(b"abcdef")


def test_overlapping_and_unordered_fields():
    fields = ("\tfield:u32 hi;\toffset:12;\tsize:4;\tsigned:0;\n"
              "\tfield:u64 whole;\toffset:8;\tsize:8;\tsigned:0;\n"
              "\tfield:u8 first;\toffset:8;\tsize:1;\tsigned:0;\n")
    event = parse_format(format_text("e", 1, fields), "s")
    raw = bytes(8) + struct.pack("<Q", 0x1122334455667788)
    assert make_field_decoder(event, False)(raw) == [0x11223344, 0x1122334455667788, 0x88]
    unordered = parse_format(format_text("e", 1, (
        "\tfield:u16 b;\toffset:10;\tsize:2;\tsigned:0;\n"
        "\tfield:u16 a;\toffset:8;\tsize:2;\tsigned:0;\n")), "s")
    assert make_field_decoder(unordered, False)(raw) == [0x5566, 0x7788]


def test_legacy_two_byte_data_loc_and_plain_data_loc():
    fields = ("\tfield:__data_loc name;\toffset:8;\tsize:2;\tsigned:0;\n"
              "\tfield:__data_loc int count;\toffset:12;\tsize:4;\tsigned:0;\n")
    event = parse_format(format_text("e", 1, fields), "s")
    raw = bytes(8) + struct.pack("<HHI", 16, 0, 0x10005) + b"abc\0"
    # perf reads length 0 for the 2-byte form; the bracketless one is a number.
    assert make_field_decoder(event, False)(raw) == [bytearray(), 0x10005]


def test_32_bit_long_arrays_and_scalars():
    fields = ("\tfield:unsigned long args[2];\toffset:8;\tsize:8;\tsigned:0;\n"
              "\tfield:long l;\toffset:16;\tsize:4;\tsigned:1;\n")
    event = parse_format(format_text("e", 1, fields), "s", long_size=4)
    assert event.fields[0].elementsize == 4
    raw = bytes(8) + struct.pack("<IIi", 1, 2, -1)
    assert make_field_decoder(event, False)(raw) == [bytearray(struct.pack("<II", 1, 2)),
                                                      4294967295]


def _sys_enter_example():
    path = CASES / "raw_syscalls" / "perf.data"
    if not path.exists():
        pytest.skip("corpus not available")
    data = parse_tracing_data(tracing_blob(path)[0])
    event = data.find_event("raw_syscalls", "sys_enter")
    raw = next(attrs["raw_buf"] for name, handler, attrs in
               read_dump(CASES / "raw_syscalls" / "ref" / "dump.txt")
               if handler == "raw_syscalls__sys_enter")
    return event, raw


def test_sys_enter_decode_is_fast():
    """Smoke check of the hot path (about 0.3 us here; generous bound)."""
    event, raw = _sys_enter_example()
    decode = make_field_decoder(event, False)
    per_call = min(timeit.repeat(lambda: decode(raw), number=20000, repeat=3)) / 20000
    assert per_call < 5e-6


def test_absurd_offsets_do_not_allocate():
    fields = ("\tfield:char far[1099511627776];\toffset:1099511627776;\tsize:1099511627776;\n"
              "\tfield:u64 farnum;\toffset:4294967296;\tsize:8;\n"
              "\tfield:int near;\toffset:8;\tsize:4;\tsigned:1;\n")
    common = "\tfield:int common_pid;\toffset:281474976710656;\tsize:4;\tsigned:1;\n"
    event = parse_format(format_text("e", 1, fields, common=common), "s")
    raw = bytes(8) + struct.pack("<i", -1)
    assert make_field_decoder(event, False)(raw) == [bytearray(), 0, 4294967295]
    assert make_common_decoder(event, False)(raw) == (0, 0, 0, 0, 0)
