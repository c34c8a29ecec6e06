"""perfscript.ftrace.render: the text perf 6.1 prints for tracepoint records.

- every tracepoint record of the corpus recordings, rendered and compared
  with the body of its line in ref/script.txt (what `perf script` printed);
- printf conversions checked against the C library itself (ctypes);
- the %p formats, bitmasks and libtraceevent's quirks on hand-made events.

The differential tests against a live perf are in test_ftrace_render_perf.py.
"""

import collections
import ctypes
import ctypes.util
import glob
import lzma
import os
import re
import struct

import pytest

from perfscript.ftrace import parse_format
from perfscript.ftrace import render_cfmt as cfmt
from perfscript.ftrace import render_ptr as ptr
from perfscript.ftrace.render import format_warnings, make_renderer
from perfscript.session.consumer import Consumer
from test_ftrace_helpers import CASES, CORPUS, THIRDPARTY, format_text

# ----------------------------------------------------- perf script text

_HEADER = re.compile(
    r"^ *(.*?) +(-?\d+)(?:/-?\d+)? +(?:\[(\d+)\] +)?(\d+)\.(\d{6,9}): +(.*)$")
_EVENT = re.compile(r"([\w-]+:[\w-]+): (.*)$", re.S)


def script_bodies(text):
    """[(secs.usecs, cpu, 'sys:name', body)] of the tracepoint lines of
    `perf script` output; a body printed with newlines keeps them (callchain
    lines, which start with a tab, are not part of it)."""
    out = []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    current = None
    for line in lines:
        match = _HEADER.match(line)
        if match:
            current = None
            event = _EVENT.match(match.group(6))
            if match.group(3) is not None and event:
                current = [match.group(4) + "." + match.group(5), int(match.group(3)),
                           event.group(1), event.group(2)]
                out.append(current)
        elif current is not None and not line.startswith("\t"):
            current[3] += "\n" + line
        else:
            current = None
    return out


class Collect(Consumer):
    """Session consumer keeping (evsel, time, cpu, raw) of tracepoint samples."""

    def __init__(self):
        self.items = []

    def sample(self, ev, sample, thread):
        if getattr(ev, "tp_format", None) is not None and sample.raw is not None:
            self.items.append((ev, sample.time, sample.cpu, bytes(sample.raw)))


def kernel_symbolizer(session):
    """symbolize(addr) through the session's kernel maps, as perf's
    machine__resolve_kernel_addr finds kernel symbols."""
    from perfscript.perfdata import constants as C

    def symbolize(addr):
        found = session.locate(None, C.MISC_KERNEL, addr)
        if found is None or found[2] is None:
            return None
        return found[2].name, found[3]
    return symbolize


def compare_with_script(session, script_text, tails=None):
    """(matched, [(key, perf, ours)], unmatched perf lines, warnings) for every
    tracepoint sample of a processed session against `perf script` output.
    tails: optional fn(raw) -> the bytes following the record."""
    collect = Collect()
    session.process(collect, batched=False)
    symbolize = kernel_symbolizer(session)
    td = session.tracing
    warnings, renderers = [], {}
    lines = collections.defaultdict(collections.deque)
    for stamp, cpu, name, body in script_bodies(script_text):
        lines[(stamp, cpu, name)].append(body)
    matched, mismatches = 0, []
    for ev, time, cpu, raw in collect.items:
        fmt = ev.tp_format
        render = renderers.get(id(fmt))
        if render is None:
            render = renderers[id(fmt)] = make_renderer(
                fmt, long_size=td.long_size, big_endian=td.big_endian, printk=td.printk,
                symbolize=symbolize, warn=warnings.append)
        key = ("%d.%06d" % (time // 10**9, time % 10**9 // 1000), cpu,
               "%s:%s" % (fmt.system, fmt.name))
        want = lines[key].popleft() if lines.get(key) else None
        got = render(raw, tails(raw) if tails else None)
        if got == want:
            matched += 1
        else:
            mismatches.append((key, want, got))
    left = sum(len(q) for q in lines.values())
    return matched, mismatches, left, warnings


# ------------------------------------------------------------ corpus

SCRIPT_CASES = ["block_writeback", "futex_openat", "kmem_gfp", "mixed_tp_sw", "net_dropmonitor",
                "netdev_times", "pipe_mode", "raw_syscalls", "sched_messaging",
                "softirq_timer_check", "syscall_counts", "compressed_export"]
CORPUS_BUILD_ID = "48dc540c8b76393804ca8088dbfa7d42911a9444"


@pytest.fixture(scope="module")
def corpus_kallsyms(tmp_path_factory):
    cached = os.path.expanduser("~/.debug/[kernel.kallsyms]/%s/kallsyms" % CORPUS_BUILD_ID)
    if os.path.exists(cached):
        return cached
    found = glob.glob(str(CORPUS / "env" / ("kallsyms-%s.xz" % CORPUS_BUILD_ID)))
    if not found:
        pytest.skip("no kernel symbols of the corpus machine")
    out = tmp_path_factory.mktemp("render-kallsyms") / "kallsyms"
    out.write_bytes(lzma.open(found[0]).read())
    return str(out)


@pytest.mark.parametrize("case", [CASES / c for c in SCRIPT_CASES]
                         + [THIRDPARTY / "ms_tracepoints_pipe"],
                         ids=SCRIPT_CASES + ["ms_tracepoints_pipe"])
def test_every_tracepoint_line_of_the_corpus(case, corpus_kallsyms):
    if not (case / "ref" / "script.txt").exists():
        pytest.skip("corpus absent")
    from perfscript.session.session import Session
    from perfscript.symbols.resolver import SymbolResolver
    session = Session(str(case / "perf.data"), resolver=SymbolResolver(kallsyms=corpus_kallsyms))
    text = (case / "ref" / "script.txt").read_bytes().decode("utf-8", "surrogateescape")
    matched, mismatches, left, warnings = compare_with_script(session, text)
    assert mismatches == []
    assert left == 0
    assert matched == len(script_bodies(text)) and matched > 0
    # perf's stderr holds the parse warnings of every format (all were sampled
    # or not, they are the session's); none is printed while rendering here.
    assert warnings == []


@pytest.mark.parametrize("case", SCRIPT_CASES)
def test_corpus_parse_warnings_are_perfs_stderr(case):
    """perf prints the parse warnings of every format in the file, sampled or
    not (block_writeback: jbd2_run_stats never fired), after the perror line
    its plugin lookup leaves."""
    err = CASES / case / "ref" / "script.err"
    if not err.exists():
        pytest.skip("corpus absent")
    from perfscript.session.session import Session
    lines = err.read_text().splitlines()
    expected = [line[2:] for line in lines if line.startswith("  ")]
    session = Session(str(CASES / case / "perf.data"))
    session.process(Collect(), batched=False)   # pipe mode: tracing data is a record
    assert format_warnings(session.tracing) == expected
    if expected:
        assert lines[0] == "libtraceevent: No such file or directory"


def test_corpus_script_parser_keeps_multiline_bodies():
    text = ("            ls  1 [000]     1.000001:   a:b: x=1\n\n"
            "            ls  1 [000]     1.000002:   a:c: y\n\tffff sym (dso)\n\n"
            "            ls  1     1.000003:     100 cpu-clock: \n"
            "            ls  1 [001]     1.000004:   a:b: z\n")
    assert script_bodies(text) == [["1.000001", 0, "a:b", "x=1\n"], ["1.000002", 0, "a:c", "y"],
                                   ["1.000004", 1, "a:b", "z"]]


# ------------------------------------------------- printf vs the C library

_LIBC = ctypes.CDLL(ctypes.util.find_library("c"))
_VALUES = [0, 1, 7, 255, 256, 0x7F, 0x80, 0xFFFF, 0x8000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
           0x100000000, 0x123456789ABCDEF0, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000,
           (1 << 64) - 1, (1 << 64) - 42]
_SPECS = ["%d", "%i", "%u", "%x", "%X", "%o", "%5d", "%-5d", "%05d", "%.3d", "%.0d", "%5.3d",
          "%-05d", "%#x", "%#X", "%#o", "%#08x", "%-#8x", "%08lx", "%#016llx", "%ld", "%lu",
          "%lx", "%lld", "%llu", "%llx", "%hd", "%hu", "%hx", "%hhd", "%hhu", "%hhx",
          "%3u", "%010lu", "%#.3o", "%.0x", "%#.0o", "%20.10ld"]


def _length(spec):
    return 2 if "L" in spec else spec.count("l") - spec.count("h")


def _c_argument(value, ls):
    """What libtraceevent passes to printf for a 64-bit value and an h/l count."""
    if ls <= -2:
        return ctypes.c_int(((value & 0xFF) ^ 0x80) - 0x80)
    if ls == -1:
        return ctypes.c_int(((value & 0xFFFF) ^ 0x8000) - 0x8000)
    if ls == 0:
        return ctypes.c_int(((value & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000)
    return ctypes.c_longlong(((value & ((1 << 64) - 1)) ^ (1 << 63)) - (1 << 63))


def _glibc(spec, *args):
    buf = ctypes.create_string_buffer(512)
    _LIBC.snprintf(buf, 512, spec.encode(), *args)
    return buf.value


@pytest.mark.parametrize("spec", _SPECS)
def test_integer_conversions_print_like_glibc(spec):
    ls = _length(spec)
    parsed = cfmt.Spec(spec)
    convert, show = cfmt.int_converter(parsed, ls), cfmt.int_formatter(parsed)
    for value in _VALUES:
        assert show(convert(value)) == _glibc(spec, _c_argument(value, ls)), (spec, hex(value))


@pytest.mark.parametrize("spec", ["%*d", "%-*d", "%.*d", "%*x", "%0*d", "%.*x"])
def test_star_integer_conversions_print_like_glibc(spec):
    parsed = cfmt.Spec(spec)
    convert, show = cfmt.int_converter(parsed, 0), cfmt.int_formatter(parsed)
    for star in (-12, -1, 0, 1, 5, 30):
        for value in (0, 3, 0xFFFFFFFF, 123456):
            want = _glibc(spec, ctypes.c_int(star), _c_argument(value, 0))
            assert show(convert(value), star) == want, (spec, star, value)


@pytest.mark.parametrize("spec", ["%s", "%10s", "%-10s", "%.2s", "%5.2s", "%-5.1s", "%*s", "%-*s",
                                  "%.*s", "%05s", "%.0s", "%.10s"])
def test_string_conversions_print_like_glibc(spec):
    show = cfmt.string_formatter(spec)
    for text in (b"", b"a", b"hello", b"\xc3\xa9t\xc3\xa9", b"0123456789abcdef"):
        if "*" in spec:
            for star in (-8, 0, 3, 12):
                want = _glibc(spec, ctypes.c_int(star), ctypes.c_char_p(text))
                assert show(text, star) == want, (spec, star, text)
        else:
            assert show(text) == _glibc(spec, ctypes.c_char_p(text)), (spec, text)


def test_unusual_spec_order_is_normalised():
    assert cfmt.Spec("%l5d").width == 5
    assert cfmt.Spec("%l5d").length == "l"


# ---------------------------------------------------------- %p helpers


def test_mac_ip_uuid_helpers():
    mac = bytes([0, 0x1b, 0x21, 0xa, 0xbc, 0xff])
    assert ptr.mac(mac) == b"00:1b:21:0a:bc:ff"
    assert ptr.mac(mac, b"-", True) == b"ff-bc-0a-21-1b-00"
    assert ptr.ipv4(bytes([10, 0, 0, 1])) == b"10.0.0.1"
    assert ptr.ipv4(bytes([10, 0, 0, 1]), zero_pad=True, reverse=True) == b"001.000.000.010"
    addr = bytes.fromhex("20010db8000000000000000000000001")
    assert ptr.ipv6_full(addr) == b"2001:0db8:0000:0000:0000:0000:0000:0001"
    assert ptr.ipv6_full(addr, colons=False) == b"20010db8000000000000000000000001"
    assert ptr.ipv6_compressed(addr) == b"2001:db8::1"
    assert ptr.ipv6_compressed(bytes(16)) == b"::"
    assert ptr.ipv6_compressed(bytes(15) + b"\1") == b"::1"
    assert ptr.ipv6_compressed(bytes.fromhex("00000000000000000000ffff7f000001")) == b"::ffff:127.0.0.1"
    assert ptr.ipv6_compressed(bytes.fromhex("fe8000000000000002005efe0a000001")) == \
        b"fe80::200:5efe:10.0.0.1"
    # a single zero group is not compressed, the first longest run is
    assert ptr.ipv6_compressed(bytes.fromhex("00010000000100010000000000010001")) == b"1:0:1:1::1:1"
    assert ptr.ipv6_compressed(bytes.fromhex("00010000000000010000000000000001")) == b"1:0:0:1::1"
    uuid = bytes(range(16))
    assert ptr.uuid(uuid) == b"00010203-0405-0607-0809-0a0b0c0d0e0f"
    assert ptr.uuid(uuid, upper=True, guid=True) == b"03020100-0504-0706-0809-0A0B0C0D0E0F"
    sa4 = struct.pack("<H", 2) + struct.pack(">H", 80) + bytes([127, 0, 0, 1]) + bytes(8)
    assert ptr.sockaddr(sa4, 28, False, True, False, False) == b"127.0.0.1:80"
    assert ptr.sockaddr(sa4, 8, False, True, False, False) == b"INVALIDIPv4"
    sa6 = struct.pack("<H", 10) + struct.pack(">H", 443) + bytes(4) + bytes(15) + b"\1" + bytes(4)
    assert ptr.sockaddr(sa6, 28, False, True, True, False) == b"[::1]:443"
    assert ptr.sockaddr(sa6, 28, False, False, False, False) == \
        b"0000:0000:0000:0000:0000:0000:0000:0001"
    assert ptr.sockaddr(struct.pack("<H", 1) + bytes(26), 28, False, True, True, False) == b""
    assert ptr.raw_buffer(b"\1\2\3", 3, b":") == b"01:02:03"


def test_bitmask_groups_of_32_bits_most_significant_first():
    assert ptr.bitmask(b"") == b""
    assert ptr.bitmask(bytes([3])) == b"03"
    assert ptr.bitmask(bytes([1, 2, 3, 4])) == b"04030201"
    assert ptr.bitmask(bytes([1, 2, 3, 4, 5])) == b"05,04030201"
    assert ptr.bitmask(bytes(range(1, 9))) == b"08070605,04030201"
    assert ptr.bitmask(bytes(range(1, 9)), big_endian=True) == b"01020304,05060708"


# --------------------------------------------- libtraceevent semantics

FIELDS = ("\tfield:int a;\toffset:8;\tsize:4;\tsigned:1;\n"
          "\tfield:unsigned long b;\toffset:16;\tsize:8;\tsigned:0;\n"
          "\tfield:char comm[8];\toffset:24;\tsize:8;\tsigned:1;\n"
          "\tfield:__data_loc char[] name;\toffset:32;\tsize:4;\tsigned:1;\n"
          "\tfield:short s;\toffset:36;\tsize:2;\tsigned:1;\n")


def event(print_fmt, fields=FIELDS, **kwargs):
    ev = parse_format(format_text("ev", 9, fields, print_fmt), "sys", **kwargs)
    assert ev is not None
    return ev


def record(a=0, b=0, comm=b"", name=b"", s=0, big_endian=False):
    order = ">" if big_endian else "<"
    head = struct.pack(order + "HBBi", 9, 0, 0, 1)
    fixed = struct.pack(order + "IIQ8sIh2x", a & 0xFFFFFFFF, 0, b, comm,
                        ((len(name) + 1) << 16) | 40, s)
    return head + fixed + name + b"\0"


def test_numbers_strings_and_escapes():
    ev = event(r'"a=%d a=%u b=%lx c=%s n=%s s=%d %%\t|", REC->a, REC->a, REC->b, '
               r'REC->comm, __get_str(name), REC->s')
    out = make_renderer(ev)(record(-2, 0xff, b"ls", b"file", -3))
    # a short is read unsigned and passed as (int): -3 prints as 65533
    assert out == "a=-2 a=4294967294 b=ff c=ls n=file s=65533 %\t|"


def test_flags_and_symbolic_tables():
    ev = event('"%s|%s|%s|%s", __print_flags(REC->a, "|", {1, "A"}, {2, "B"}, {0, "Z"}), '
               '__print_flags(REC->a, ",", {UNKNOWN, "U"}, {4, "C"}), '
               '__print_symbolic(REC->a, {1, "one"}, {-1, "m1"}), '
               '__print_symbolic(REC->a, {UNKNOWN, "unk"}, {HI_SOFTIRQ, "hi"})')
    render = make_renderer(ev)
    # all set bits, leftover bits in hex; a zero value prints only entries
    # whose value perf cannot evaluate (-1), not the {0, "Z"} entry
    assert render(record(a=7)) == "A|B|0x4|C,0x3|0x7|0x7"
    assert render(record(a=0)) == "|U|0x0|hi"
    assert render(record(a=1)) == "A|0x1|one|0x1"
    # an int field is read zero-extended: -1 is 0xffffffff, not the entry -1
    assert render(record(a=-1)) == "A|B|0xfffffffc|C,0xfffffffb|0xffffffff|0xffffffff"


def test_unsigned_arithmetic_casts_and_ternaries():
    ev = event('"%d %d %d %d %s %d %d", REC->a < 0, (u8)REC->a, (int)REC->b, -REC->a, '
               'REC->a > 5 ? "big" : "small", REC->a ^ 1, REC->comm[1]')
    warnings = []
    out = make_renderer(ev, warn=warnings.append)(record(a=-2, b=0x1FFFFFFFF, comm=b"xy"))
    # -2 is 0xfffffffe: not < 0, and > 5
    assert out == "0 254 -1 2 big 0 121"
    assert warnings == ["[sys:ev] eval_num_arg: unknown op '^'"]


def test_missing_fields_warn_each_time():
    ev = event('"%d %s %pM", REC->nope, REC->gone, REC->mac')
    warnings = []
    render = make_renderer(ev, warn=warnings.append)
    assert render(record()) == "0  "
    render(record())
    assert warnings == ["[sys:ev] eval_num_arg: field nope not found",
                        "[sys:ev] print_str_arg: field gone not found",
                        "[sys:ev] print_mac_arg: field mac not found"] * 2


def test_long_field_as_string_uses_printk_formats():
    ev = event('"%s %s", REC->b, REC->a')
    render = make_renderer(ev, printk={0xFFFFFFFF81000010: "hello %d"})
    assert render(record(a=0x41, b=0xFFFFFFFF81000010)) == "hello %d A"
    assert render(record(a=0x41, b=0x1234)) == "1234 A"


def test_pointers_and_symbols():
    ev = event('"%p %p %pS %ps %pB", REC->b, REC->a, REC->b, REC->b, REC->b')
    render = make_renderer(ev, symbolize=lambda addr: ("func", addr - 0x1000)
                           if addr >= 0x1000 else None)
    assert render(record(a=0, b=0x1234)) == "0x1234 (nil) func+0x234 func 0x1234B"
    assert render(record(a=5, b=0x10)) == "0x10 0x5 0x10 0x10 0x10B"


def test_failed_event_prints_every_field():
    ev = event('"%d", nosuch(REC->a)')
    assert ev.failed
    out = make_renderer(ev)(record(a=-5, b=7, comm=b"sh", name=b"x\x01", s=-2))
    assert out == "[FAILED TO PARSE] a=-5 b=0x7 comm=sh name=ARRAY[78, 01, 00] s=-2"


def test_parse_warnings_are_reported_once_per_renderer():
    ev = event('"%d", nosuch(REC->a)')
    warnings = []
    make_renderer(ev, warn=warnings.append)
    assert warnings == ["[sys:ev] function nosuch not defined"]
    make_renderer(ev, warn=warnings.append, parse_warnings=False)(record())
    assert warnings == ["[sys:ev] function nosuch not defined"]


def test_big_endian_and_32_bit_recordings():
    ev = event('"%d %lu %s", REC->a, REC->b, __get_str(name)', big_endian=True, long_size=4)
    render = make_renderer(ev, big_endian=True, long_size=4)
    assert render(record(a=-7, b=99, name=b"be", big_endian=True)) == "-7 99 be"


def test_tail_is_read_where_perf_reads_past_the_record():
    fields = "\tfield:u8 buf[2];\toffset:8;\tsize:2;\tsigned:0;\n" \
             "\tfield:u8 n;\toffset:10;\tsize:1;\tsigned:0;\n"
    ev = event('"%s", __print_hex(REC->buf, REC->n)', fields=fields)
    render = make_renderer(ev)
    raw = struct.pack("<HBBi", 9, 0, 0, 1) + bytes([0xAA, 0xBB, 4])
    assert render(raw) == "aa bb 04"
    assert render(raw, tail=b"\x01\x02\x03") == "aa bb 04 01"


def test_bytes_and_repeated_calls():
    ev = event('"%s %s", __print_flags(REC->a, "|", {1, "A"}), REC->comm')
    render = make_renderer(ev)
    for _ in range(3):
        assert render.bytes(memoryview(record(a=1, comm=b"\xff"))) == b"A \xff"
        assert render(record(a=1, comm=b"\xff")) == "A \udcff"


def test_cache_of_a_never_repeating_value_is_dropped():
    ev = event('"%s", REC->b ? "x" : "y"')
    render = make_renderer(ev)
    assert [render(record(b=i)) for i in range(20000)] == ["y"] + ["x"] * 19999
