"""perfscript.bounded_reader: the one bounds-checked reader of perf.data features, the
tracing-data blob and trace.dat. Reads match struct in both byte orders; a read that
does not fit raises the caller's error type, names file and absolute offset, and does
not move the position."""

import struct

import pytest
from hypothesis import given, settings, strategies as st

from perfscript.bounded_reader import BoundedReader
from perfscript.errors import PerfDataError


class OtherError(PerfDataError):
    pass


@pytest.mark.parametrize("big_endian", [False, True])
def test_numbers_in_both_byte_orders(big_endian):
    order = ">" if big_endian else "<"
    buf = struct.pack(order + "BHIiQ3Q", 7, 0xBEEF, 0xDEADBEEF, -5, 1 << 63, 1, 2, 3)
    r = BoundedReader(buf, big_endian=big_endian)
    assert r.big_endian is big_endian
    assert (r.u8("a"), r.u16("b"), r.u32("c"), r.i32("d"), r.u64("e")) == (
        7, 0xBEEF, 0xDEADBEEF, -5, 1 << 63)
    assert r.u64s(3, "f") == (1, 2, 3)
    assert r.left == 0 and r.pos == len(buf)


def test_set_endian_switches_the_following_reads():
    r = BoundedReader(b"\x01\x00\x00\x00\x00\x00\x00\x01")
    assert r.u32("little") == 1
    r.set_endian(True)
    assert r.u32("big") == 1 and r.big_endian


def test_short_read_names_prefix_file_and_absolute_offset():
    r = BoundedReader(b"\0" * 6, "f.data", base=100, pos=2, prefix="X feature: ")
    with pytest.raises(PerfDataError) as info:
        r.u64("value")
    err = info.value
    assert type(err) is PerfDataError
    assert (err.path, err.offset) == ("f.data", 102)
    assert err.what == "X feature: value: 8 bytes needed, 4 left"
    assert str(err) == "f.data: offset 102 (0x66): X feature: value: 8 bytes needed, 4 left"
    assert r.pos == 2                      # a failed read does not move


def test_each_format_keeps_its_wording_and_error_type():
    short = "%(what)s needs %(need)d bytes, only %(left)d left in the section"
    r = BoundedReader(b"ab", "p", short=short, error_type=OtherError)
    with pytest.raises(OtherError) as info:
        r.take(3, "size")
    assert info.value.what == "size needs 3 bytes, only 2 left in the section"
    with pytest.raises(OtherError, match="-1 bytes needed|needs -1 bytes"):
        r.take(-1, "size")
    assert bytes(r.take(2, "all")) == b"ab"


def test_count_checks_that_entries_can_fit():
    r = BoundedReader(struct.pack("<I", 1000) + bytes(16), "p", base=10)
    n = r.u32("entry count")
    assert r.count(2, 8, "entry") == 2
    with pytest.raises(PerfDataError) as info:
        r.count(n, 8, "entry")
    assert info.value.what == "entry count 1000 cannot fit in the 16 bytes left"
    assert info.value.offset == 10           # where the count was read: 4 bytes back
    with pytest.raises(PerfDataError) as info:
        r.count(3, 8, "entry", at=0)
    assert info.value.offset == 10


def test_cstring_with_and_without_a_limit():
    r = BoundedReader(b"abc\0" + b"x" * 10 + b"\0\xff\0")
    assert r.cstring("name") == "abc"
    at = r.pos
    with pytest.raises(PerfDataError) as info:
        r.cstring("long", limit=9)
    assert info.value.what == "long: no terminating NUL"
    assert info.value.offset == at and r.pos == at
    assert r.cstring("long", limit=10) == "x" * 10
    assert r.cstring("odd") == "\udcff"      # surrogateescape keeps the byte
    with pytest.raises(PerfDataError, match="no terminating NUL"):
        r.cstring("end")


def test_end_bounds_reads_and_copies_keep_settings():
    r = BoundedReader(bytes(range(16)), "p", big_endian=True, base=1000, end=8,
                      prefix="P: ", error_type=OtherError)
    assert r.left == 8
    with pytest.raises(OtherError):
        r.take(9, "x")
    copy = r.at(6)
    assert (copy.pos, copy.end, copy.base, copy.prefix, copy.big_endian) == (
        6, 8, 1000, "P: ", True)
    assert copy.u16("y") == 0x0607
    with pytest.raises(OtherError) as info:
        copy.u8("z")
    assert info.value.offset == 1008 and info.value.what.startswith("P: z:")
    assert r.pos == 0                        # the copy moves on its own
    sub = r.over(b"\0\0\0\x05", base=50)
    assert sub.u32("n") == 5 and (sub.path, sub.prefix, sub.base) == ("p", "", 50)
    with pytest.raises(OtherError) as info:
        sub.u8("past")
    assert info.value.offset == 54


OPS = st.lists(st.tuples(st.sampled_from(["u8", "u16", "u32", "i32", "u64", "u64s", "take",
                                          "cstring", "count"]),
                         st.integers(-2, 40)), max_size=30)
CODES = {"u8": "B", "u16": "H", "u32": "I", "i32": "i", "u64": "Q"}


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64), st.booleans(), st.integers(0, 1 << 40), OPS)
def test_any_reads_match_struct_or_fail_located(buf, big_endian, base, ops):
    order = ">" if big_endian else "<"
    r = BoundedReader(buf, "h", big_endian=big_endian, base=base, prefix="h: ")
    for op, arg in ops:
        pos = r.pos
        try:
            if op in CODES:
                got = getattr(r, op)("v")
                assert got == struct.unpack_from(order + CODES[op], buf, pos)[0]
            elif op == "u64s":
                got = r.u64s(max(arg, 0), "v")
                assert got == struct.unpack_from("%s%dQ" % (order, max(arg, 0)), buf, pos)
            elif op == "take":
                assert bytes(r.take(arg, "v")) == buf[pos:pos + arg] and arg >= 0
            elif op == "cstring":
                text = r.cstring("v", limit=arg if arg >= 0 else None)
                assert text.encode("utf-8", "surrogateescape") + b"\0" == buf[pos:r.pos]
            else:
                assert r.count(arg, 3, "v") == arg and arg * 3 <= len(buf) - pos
                assert r.pos == pos
        except PerfDataError as err:
            assert err.path == "h" and err.what.startswith("h: v")
            assert base + pos - 4 <= err.offset <= base + len(buf)
            assert r.pos == pos              # nothing consumed by a failed read
        assert 0 <= r.pos <= len(buf) and r.left == len(buf) - r.pos
