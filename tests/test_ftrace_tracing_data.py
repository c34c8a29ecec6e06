"""The tracing-data blob: real ones from the corpus, synthetic ones, bad ones."""

import pytest

from cost import measured
from perfscript.errors import PerfDataError
from perfscript.ftrace import parse_tracing_data
from perfscript.ftrace.tracing_data import parse_printk_formats, parse_saved_cmdlines
from test_ftrace_helpers import (
    CASES, THIRDPARTY, build_blob, corpus_files, format_text, tracing_blob,
)

HEADER_PAGE_32 = (
    "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
    "\tfield: local_t commit;\toffset:8;\tsize:4;\tsigned:1;\n"
    "\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
    "\tfield: char data;\toffset:12;\tsize:4084;\tsigned:0;\n")
_PARSE_FORMAT = "perfscript.ftrace.format_table.read_header"   # once per format read
SIMPLE = format_text("ev", 7, "\tfield:long x;\toffset:8;\tsize:8;\tsigned:1;\n", '"%ld", REC->x')


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.parent.name)
def test_corpus_blobs(path):
    blob, offset = tracing_blob(path)
    data = parse_tracing_data(blob, path=str(path), base_offset=offset)
    # Pipe mode: the record's size is 8-byte aligned, perf skips the padding.
    assert data.size <= len(blob) == (data.size + 7) // 8 * 8 or data.size == len(blob)
    assert data.version == "0.6" and not data.big_endian
    assert data.long_size == 8 and data.page_size == 4096
    assert data.events and not data.unparsed
    assert list(data.events) == [event.id for event in data.events.values()]
    assert data.header_page.startswith("\tfield: u64 timestamp;")


def test_raw_syscalls_details():
    path = CASES / "raw_syscalls" / "perf.data"
    if not path.exists():
        pytest.skip("corpus not available")
    data = parse_tracing_data(tracing_blob(path)[0])
    assert sorted((e.id, e.system, e.name) for e in data.events.values()) == [
        (442, "raw_syscalls", "sys_exit"), (443, "raw_syscalls", "sys_enter")]
    assert data.find_event("raw_syscalls", "sys_enter").id == 443
    assert len(data.printk) == 119
    assert all(isinstance(k, int) and not v.endswith('"') for k, v in data.printk.items())
    assert data.saved_cmdlines and all(len(c) <= 16 for c in data.saved_cmdlines.values())


def test_pipe_mode_blob():
    path = THIRDPARTY / "ms_tracepoints_pipe" / "perf.data"
    if not path.exists():
        pytest.skip("corpus not available")
    blob, offset = tracing_blob(path)
    data = parse_tracing_data(blob, base_offset=offset)
    assert data.find_event("sched", "sched_switch") is not None
    assert any(e.system == "user_events" for e in data.events.values())


@pytest.mark.parametrize("big_endian", [False, True])
def test_synthetic_blob_in_both_byte_orders(big_endian):
    blob = build_blob({"sys": [SIMPLE]}, ftrace=[format_text("function", 1, "")],
                      big_endian=big_endian, printk=b'0xffff1000 : "hello\\n"\n',
                      cmdlines=b"42 sleep\n7 a-very-long-command-name\n42 again\n")
    data = parse_tracing_data(blob)
    assert data.big_endian is big_endian
    assert data.events[7].big_endian is big_endian
    assert data.events[1].system == "ftrace" and data.events[1].is_ftrace
    assert data.printk == {0xffff1000: "hello"}
    assert data.saved_cmdlines == {42: "sleep", 7: "a-very-long-comm"}
    assert data.size == len(blob)


def test_old_version_has_no_cmdlines_and_32_bit_header_page_sets_long_size():
    blob = build_blob({"sys": [SIMPLE]}, version="0.5", header_page=HEADER_PAGE_32)
    data = parse_tracing_data(blob + b"trailing")
    assert data.size == len(blob) and data.saved_cmdlines == {}
    assert data.long_size == 4 and data.events[7].long_size == 4
    # Without a header page the blob's own long size stays.
    assert parse_tracing_data(build_blob({}, header_page="", long_size=4)).long_size == 4


def test_bad_formats_do_not_kill_the_blob():
    broken = format_text("bad", 8, "\tfield:long x offset:8;\tsize:8;\n")
    no_id = "name: nothing\nformat:\n"
    data = parse_tracing_data(build_blob({"sys": [SIMPLE, broken, no_id]}))
    assert not data.events[7].failed
    assert data.events[8].failed and data.events[8].fields == ()
    assert data.unparsed and data.unparsed[0][0] == "sys"


def test_duplicate_ids_keep_the_first():
    other = format_text("other", 7, "")
    data = parse_tracing_data(build_blob({"sys": [SIMPLE, other]}))
    assert data.events[7].name == "ev"


def test_errors_name_the_offset():
    blob = build_blob({"sys": [SIMPLE]})
    with pytest.raises(PerfDataError) as info:
        parse_tracing_data(b"\x17\x08\x44tracinX" + blob[10:], path="f", base_offset=100)
    assert info.value.path == "f" and info.value.offset == 100
    with pytest.raises(PerfDataError) as info:
        parse_tracing_data(blob[:-3], base_offset=1000)
    assert "saved cmdlines" in info.value.what and info.value.offset > 1000
    zero_page = build_blob({}, page_size=0)
    with pytest.raises(PerfDataError, match="page size"):
        parse_tracing_data(zero_page)


def test_every_truncation_raises_perfdataerror():
    blob = build_blob({"sys": [SIMPLE]}, printk=b'0x1 : "x"\n', cmdlines=b"1 a\n")
    for size in range(len(blob)):
        with pytest.raises(PerfDataError) as info:
            parse_tracing_data(blob[:size], base_offset=10)
        assert 10 <= info.value.offset <= 10 + size


def test_huge_sizes_fail_fast():
    """A size or count near 2**32 or 2**64 fails at once: nothing is allocated for it and
    no more formats are parsed than the blob holds."""
    blob = bytearray(build_blob({"sys": [SIMPLE]}))
    at = blob.index(b"header_page\0") + 12
    blob[at:at + 8] = b"\xff" * 8
    with measured(_PARSE_FORMAT) as cost:
        with pytest.raises(PerfDataError, match="header_page"):
            parse_tracing_data(bytes(blob))
    assert cost.calls[_PARSE_FORMAT] == 0
    assert cost.peak <= 1 << 16
    count_at = blob.index(b"sys\0") + 4
    blob2 = bytearray(build_blob({"sys": [SIMPLE]}))
    blob2[count_at:count_at + 4] = b"\xff\xff\xff\x7f"
    with measured(_PARSE_FORMAT) as cost:
        with pytest.raises(PerfDataError):
            parse_tracing_data(bytes(blob2))
    # each format read costs its 8-byte size and its text: the count buys nothing more
    assert cost.calls[_PARSE_FORMAT] * 8 <= len(blob2)
    assert cost.sizes[_PARSE_FORMAT] <= len(blob2)
    assert cost.peak <= (1 << 16) + 32 * len(blob2)
    assert cost.cpu < 1                            # backstop: a few ms is normal


def test_printk_format_lines():
    text = ('0xffffffff81000000 : "plain"\n'
            '\n'
            'ffffffff81000010 : "with newline\\n"\n'
            '0x20 : "no closing quote\\n\n'
            '0x30 : "has: colon"\n'
            'no colon here\n'
            '::0x40 : "leading colons"\n')
    assert parse_printk_formats(text) == {
        0xffffffff81000000: "plain", 0xffffffff81000010: "with newline",
        0x20: "no closing quote\\n", 0x30: "has: colon", 0x40: "leading colons"}


def test_saved_cmdline_lines():
    assert parse_saved_cmdlines("1 init\n  23   bash  extra\nx 5\n-4 neg\n\n") == {
        1: "init", 23: "bash", -4: "neg"}


def test_trace_cmd_v6_files_share_the_layout():
    path = THIRDPARTY / "trappy_trace_32bit" / "trace.dat"
    if not path.exists():
        pytest.skip("corpus not available")
    data = parse_tracing_data(path.read_bytes())
    assert data.version == "6" and data.long_size == 4 and len(data.events) > 600
    assert data.saved_cmdlines
