"""Differential tests against the real perf 6.1 on crafted inputs.

Each test takes a real recording (raw_syscalls), swaps in a crafted event
format (keeping the sampled event ID) and, for decoding, crafted raw payloads
in existing samples, runs `perf script`, and compares what perf reports with
what perfscript.ftrace computes. Skipped when perf or the corpus is missing.
Set PERFSCRIPT_SLOW=1 to also run every live tracefs format through perf.
"""

import ast
import os
import random
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from perfscript.ftrace import (
    SymbolWalker, make_common_decoder, make_field_decoder, parse_format,
    parse_tracing_data,
)
from perfscript.ftrace.cnum import strtoull, to_s64
from perfscript.ftrace.printast import Atom, Cast, FieldRef, Null, Op
from perfscript.ftrace.printfmt import eval_type_str
from test_ftrace_helpers import CASES, first_seen_events, read_dump, tracing_blob

RECORDING = CASES / "raw_syscalls" / "perf.data"
DUMP_PY = CASES.parent / "dump.py"
SYS_EXIT_ID = 442
SYS_ENTER_ID = 443

pytestmark = pytest.mark.skipif(
    shutil.which("perf") is None or not RECORDING.exists(),
    reason="needs the real perf and the corpus")

COMMON = (
    "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
    "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
    "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
    "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
)


def make_format(name, event_id, fields, print_fmt):
    return ("name: %s\nID: %d\nformat:\n%s\n%s\nprint fmt: %s\n"
            % (name, event_id, COMMON, fields, print_fmt)).encode()


# ------------------------------------------------------- file surgery

def _feature_index_pos(data):
    data_offset, data_size = struct.unpack_from("<QQ", data, 40)
    features = int.from_bytes(data[72:104], "little")
    return data_offset + data_size + 16 * bin(features & 1).count("1")


def _replace_format(blob, event_id, text):
    """Swap the format text whose ID line is event_id (sizes fixed up)."""
    for match in re.finditer(rb"name: \w+\nID: (\d+)\n", blob):
        if int(match.group(1)) == event_id:
            start = match.start()
            size, = struct.unpack_from("<Q", blob, start - 8)
            return blob[:start - 8] + struct.pack("<Q", len(text)) + text + blob[start + size:]
    raise AssertionError("no format with ID %d" % event_id)


def write_recording(tmp_path, formats=(), payloads=(), recording=RECORDING):
    """Copy of a recording with [(id, text)] formats and every occurrence of
    each old raw payload replaced by the new one ([(old_raw, new_raw)])."""
    data = bytes(recording.read_bytes())
    for old, new in payloads:
        assert len(old) == len(new) and old in data
        data = data.replace(old, new)
    data = bytearray(data)
    blob, _ = tracing_blob(recording)
    for event_id, text in formats:
        blob = _replace_format(blob, event_id, text)
    index = _feature_index_pos(data)
    struct.pack_into("<QQ", data, index, len(data), len(blob))
    data += blob
    out = tmp_path / "perf.data"
    out.write_bytes(bytes(data))
    return out, blob


def run_perf(path, *args):
    result = subprocess.run(["perf", "script", "-i", str(path), *args],
                            capture_output=True, text=True, errors="replace",
                            timeout=60, cwd=path.parent)
    return result


DEFINES_PY = """
def define_flag_field(*a): print("C", repr(("define_flag_field",) + a))
def define_flag_value(*a): print("C", repr(("define_flag_value",) + a))
def define_symbolic_field(*a): print("C", repr(("define_symbolic_field",) + a))
def define_symbolic_value(*a): print("C", repr(("define_symbolic_value",) + a))
"""


def perf_defines(path):
    script = path.parent / "defines.py"
    script.write_text(DEFINES_PY)
    result = run_perf(path, "-s", str(script))
    assert result.returncode == 0, result.stderr
    return [ast.literal_eval(line[2:]) for line in result.stdout.splitlines()
            if line.startswith("C ")]


def perf_lines(path, event="sys_exit"):
    result = run_perf(path)
    assert result.returncode == 0, result.stderr
    return [line.split(event + ": ", 1)[1] for line in result.stdout.splitlines()
            if "raw_syscalls:%s: " % event in line]


# ---------------------------------------------- print_fmt tree shapes

_U64 = (1 << 64) - 1


def _evaluate(node, values):
    """Integer value of an expression, with libtraceevent's u64 arithmetic."""
    kind = type(node)
    if kind is Atom:
        return strtoull(node.text)
    if kind is FieldRef:
        return values[node.name] & _U64
    if kind is Null:
        return 0
    if kind is Cast:
        return eval_type_str(_evaluate(node.item, values), node.type)
    assert kind is Op
    if node.op == "?":
        branch = node.right.left if _evaluate(node.left, values) else node.right.right
        return _evaluate(branch, values)
    left, right = _evaluate(node.left, values), _evaluate(node.right, values)
    result = {
        "+": lambda: left + right, "-": lambda: left - right, "*": lambda: left * right,
        "/": lambda: left // right, "%": lambda: left % right,
        "<<": lambda: left << (right & 63), ">>": lambda: left >> (right & 63),
        "&": lambda: left & right, "|": lambda: left | right,
        "&&": lambda: int(bool(left and right)), "||": lambda: int(bool(left or right)),
        "<": lambda: int(left < right), ">": lambda: int(left > right),
        "<=": lambda: int(left <= right), ">=": lambda: int(left >= right),
        "==": lambda: int(left == right), "!=": lambda: int(left != right),
        "!": lambda: int(not right), "~": lambda: ~right,
    }[node.op]()
    return result & _U64


# Each expression is printed by perf with %ld on the first sys_exit (id 59, ret 0).
TREE_SHAPES = [
    "REC->id - REC->ret - 1", "100 - 10 - 1", "REC->id * (REC->ret + 1)",
    "REC->id + -REC->ret", "REC->id * -1", "REC->id ? 5 : 6 + 1",
    "2 + (REC->id ? 5 : 6)", "REC->id + REC->ret + 1", "REC->id << 2 + 1",
    "REC->id & 7 | 8", "REC->id | 7 & 8", "REC->id == 59 ? 1 : 2",
    "(unsigned char)REC->id + 300", "(u8)(REC->id + 200)", "(unsigned long)-1",
    "~REC->id & 0xff", "!REC->ret + 5", "REC->id > 3 && REC->ret < 2",
    "REC->id - 1 + 2", "REC->id / 2 * 3", "REC->id % 7 % 4",
    "REC->id ? REC->ret ? 1 : 2 : 3", "REC->id ? 1 : REC->ret ? 2 : 3",
    "(REC->id) - 1", "(int)(REC->id) * 2", "-(REC->id) + 1", "1 << 3 << 1",
    "64 >> 1 >> 2", "REC->id >= 59", "REC->id != 59 || REC->ret",
    "(long)REC->id - (long)REC->ret", "'a' + 0", "0x10UL + 010",
]

SYS_EXIT_FIELDS = ("\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n"
                   "\tfield:long ret;\toffset:16;\tsize:8;\tsigned:1;\n")


def test_tree_shapes_evaluate_like_perf(tmp_path):
    print_fmt = '"%s", %s' % (" ".join(["%ld"] * len(TREE_SHAPES)), ", ".join(TREE_SHAPES))
    text = make_format("sys_exit", SYS_EXIT_ID, SYS_EXIT_FIELDS, print_fmt)
    event = parse_format(text, "raw_syscalls")
    assert not event.failed, event.error
    path, _ = write_recording(tmp_path, [(SYS_EXIT_ID, text)])
    perf_values = [int(v) for v in perf_lines(path)[0].split()]
    ours = [to_s64(_evaluate(arg, {"id": 59, "ret": 0})) for arg in event.print_args]
    assert list(zip(TREE_SHAPES, ours)) == list(zip(TREE_SHAPES, perf_values))


# Print formats perf 6.1 rejects ([FAILED TO PARSE]) and ones it accepts.
FAILING = [
    '"%d", sizeof(long)', '"%d", __get_cpumask(id)', '"%s", __get_sockaddr(id)',
    '"%s", __print_hex(REC->id, REC->ret + 1)', '"%d", (REC->id)(REC->ret)',
    '"%d", __get_dynamic_array(id)[0]', '"%d", nosuchfunc(REC->id)',
    '"%d", REC->id = 1', '"%d", REC->id ? 1', '"%d", REC->id +', '"%d" REC->id',
    '"%d", REC.id', '"%s", __print_flags(REC->id, "|", {1 * 2, "a"})',
    '"%s", __print_symbolic(REC->id, {REC->ret, "a"})', '"%d", {1}',
    '"%d", REC->id ++', '"%d", REC->', '"%d"', '"%d %s", 1', '"%*d", 1',
    '"%llld", 1',
]
ACCEPTED = [
    '"%d", REC->id REC->ret', '"no args"', '"%d", (unsigned long)REC->id',
    '"%c %d", 1', '"%pISpc %p", REC->id, REC->ret', '"%s", REC->id, REC->ret',
    '"%s", __print_flags(REC->id, , {1, "a"})', '"%s", __print_flags(REC->id, "|", )',
    '"%d", __builtin_expect(!!(REC->id), 0)', '"%d" "%d", 1, 2',
    '"%s", __print_symbolic(REC->id, {-1, "m"}, {~0, "t"}, {(u8)-1, "c"})',
]


@pytest.mark.parametrize("print_fmt", FAILING + ACCEPTED)
def test_failure_verdict_matches_perf(tmp_path, print_fmt):
    text = make_format("sys_exit", SYS_EXIT_ID, SYS_EXIT_FIELDS, print_fmt)
    event = parse_format(text, "raw_syscalls")
    path, _ = write_recording(tmp_path, [(SYS_EXIT_ID, text)])
    perf_failed = "[FAILED TO PARSE]" in perf_lines(path)[0]
    assert event.failed == perf_failed
    assert event.failed == (print_fmt in FAILING)


def test_define_calls_of_crafted_formats_match_perf(tmp_path):
    enter = make_format(
        "sys_enter", SYS_ENTER_ID,
        "\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n"
        "\tfield:unsigned long args[6];\toffset:16;\tsize:48;\tsigned:0;\n",
        '"%s %s %d %s %d", '
        '__print_symbolic(REC->id, {HI_SOFTIRQ, "hi"}, {HRTIMER_RESTART, "r"}, '
        '{0x10, "x"}, {077, "o"}, {-1, "m"}, {1 << 4 | 2, "e"}, {(u8)0x1ff, "c"}, '
        '{(u8)(-1), "d"}, {(u8)(0x1ff) | 0, "f"}, {~0, "g"}, {18446744073709551615, "h"}), '
        "__print_flags(REC->args[1] & 0xff, '|', {1, 'a'}, {2, \"b\"}), "
        "REC->id ? 'z' : \"y\", __print_hex(REC->args, 8), sizeof_is_atom")
    exit_ = make_format(
        "sys_exit", SYS_EXIT_ID, SYS_EXIT_FIELDS,
        '"%d %d %s %d", REC->ret, (unsigned long)12, __get_str(id), 9')
    path, blob = write_recording(tmp_path, [(SYS_ENTER_ID, enter), (SYS_EXIT_ID, exit_)])
    data = parse_tracing_data(blob)
    walker = SymbolWalker()
    order = first_seen_events(read_dump(CASES / "raw_syscalls" / "ref" / "dump.txt"))
    ours = []
    for handler in order:
        event = next(e for e in data.events.values() if e.handler_name == handler)
        ours += walker.callbacks(event)
    assert ours == perf_defines(path)


# ------------------------------------------------------ field decoding

DECODE_FIELDS = (
    "\tfield:char name[4];\toffset:8;\tsize:4;\tsigned:0;\n"
    "\tfield:__data_loc char[] dstr;\toffset:16;\tsize:4;\tsigned:0;\n"
    "\tfield:__rel_loc char[] rstr;\toffset:20;\tsize:4;\tsigned:0;\n"
    "\tfield:int neg;\toffset:24;\tsize:4;\tsigned:1;\n"
    "\tfield:short s2;\toffset:28;\tsize:2;\tsigned:1;\n"
    "\tfield:u8 zeros[2];\toffset:30;\tsize:2;\tsigned:0;\n"
    "\tfield:long big;\toffset:32;\tsize:8;\tsigned:1;\n"
    "\tfield:unsigned long ul;\toffset:56;\tsize:8;\tsigned:0;\n"
    "\tfield:void * ptr;\toffset:56;\tsize:8;\tsigned:0;\n"
    "\tfield:int odd;\toffset:52;\tsize:3;\tsigned:1;\n"
    "\tfield:__data_loc u8[] dbytes;\toffset:40;\tsize:4;\tsigned:0;\n"
    "\tfield:char np[4];\toffset:12;\tsize:4;\tsigned:0;\n"
    "\tfield:unsigned char uc;\toffset:55;\tsize:1;\tsigned:0;\n"
    "\tfield:__data_loc int nodata;\toffset:44;\tsize:4;\tsigned:0;\n"
)


def _payload(header, name, dstr, np_bytes):
    """A 64-byte sys_enter payload exercising every DECODE_FIELDS kind."""
    raw = bytearray(64)
    raw[0:8] = header
    raw[8:12] = name.ljust(4, b"\0")
    raw[12:16] = np_bytes
    struct.pack_into("<I", raw, 16, (len(dstr) << 16) | 46)
    struct.pack_into("<I", raw, 20, (4 << 16) | (48 - 24))
    struct.pack_into("<i", raw, 24, -6)
    struct.pack_into("<h", raw, 28, -2)
    struct.pack_into("<q", raw, 32, -5)
    struct.pack_into("<I", raw, 40, (0 << 16) | 10)
    struct.pack_into("<I", raw, 44, 0x12345678)
    raw[46:46 + len(dstr)] = dstr
    raw[48:52] = b"xyz\0"
    raw[52:56] = b"\x07\x00\x00\x81"
    struct.pack_into("<Q", raw, 56, (1 << 64) - 1)
    return bytes(raw)


def test_decoding_matches_perf(tmp_path):
    calls = read_dump(CASES / "raw_syscalls" / "ref" / "dump.txt")
    originals = [attrs["raw_buf"][:64] for name, event, attrs in calls
                 if name == "trace_unhandled" and event == "raw_syscalls__sys_enter"]
    assert len(set(originals[:3])) == 3 and not set(originals[:3]) & set(originals[3:])
    crafted = [
        _payload(originals[0][:8], b"\xc3\xa9", b"h\0", b"\x01\x02\0\0"),
        _payload(originals[1][:8], b"\x80bc", b"\x01\0", b"ok\0\0"),
        _payload(originals[2][:8], b"abc", b"h\0", b"ok\0\0"),
    ]
    # Every other sys_enter record gets a sane payload too: perf reads wherever
    # a garbage __data_loc descriptor points and may crash.
    replacements = list(zip(originals[:3], crafted))
    replacements += [(old, old[:8] + crafted[2][8:]) for old in dict.fromkeys(originals[3:])]
    text = make_format("sys_enter", SYS_ENTER_ID, DECODE_FIELDS, '"%d", 1')
    path, blob = write_recording(tmp_path, [(SYS_ENTER_ID, text)], replacements)
    result = run_perf(path, "-s", str(DUMP_PY))
    assert result.returncode == 0, result.stderr
    dump = tmp_path / "dump.txt"
    dump.write_text(result.stdout)
    delivered = [attrs for name, event, attrs in read_dump(dump)
                 if name == "trace_unhandled" and event == "raw_syscalls__sys_enter"][:3]
    event = parse_tracing_data(blob).events[SYS_ENTER_ID]
    decode = make_field_decoder(event, False)
    common = make_common_decoder(event, False)
    for raw, attrs in zip(crafted, delivered):
        want = {k: v for k, v in attrs["fields"].items() if not k.startswith("common_")}
        got = dict(zip((f.name for f in event.fields), decode(raw)))
        assert got == want
        assert {k: type(v) for k, v in got.items()} == {k: type(v) for k, v in want.items()}
        assert common(raw)[3] == attrs["fields"]["common_pid"]


# ------------------------------------------------ every live format (slow)

LIVE = Path("/sys/kernel/tracing/events")
MANY_EVENTS = CASES / "softirq_timer_check"


@pytest.mark.skipif(not os.environ.get("PERFSCRIPT_SLOW"), reason="set PERFSCRIPT_SLOW=1")
@pytest.mark.skipif(not LIVE.exists() or not any(LIVE.glob("*/*/format")),
                    reason="tracefs not mounted")
def test_live_formats_define_calls_and_verdicts_match_perf(tmp_path):
    """Every live format, put in place of the events sampled in a recording
    (about 20 per perf run): same define_* calls and same FAILED verdicts.

    The first sampled event keeps its format: perf crashes when the first
    event it walks starts with a literal (no "current field" yet)."""
    recording = MANY_EVENTS / "perf.data"
    original = parse_tracing_data(tracing_blob(recording)[0])
    order = first_seen_events(read_dump(MANY_EVENTS / "ref" / "dump.txt"))
    ids = [next(e.id for e in original.events.values() if e.handler_name == h) for h in order]
    formats = sorted(LIVE.glob("*/*/format"))
    random.Random(1).shuffle(formats)
    slots = ids[1:]
    for start in range(0, len(formats), len(slots)):
        batch = formats[start:start + len(slots)]
        texts = [(event_id, re.sub(rb"\nID: \d+\n", b"\nID: %d\n" % event_id,
                                   path.read_bytes(), count=1))
                 for event_id, path in zip(slots, batch)]
        path, blob = write_recording(tmp_path, texts, recording=recording)
        data = parse_tracing_data(blob)
        walker = SymbolWalker()
        ours = []
        for event_id in ids:
            ours += walker.callbacks(data.events[event_id])
        assert ours == perf_defines(path), batch
        result = run_perf(path)
        failed_ids = set()
        for line in result.stdout.splitlines():
            match = re.search(r" (\w+):(\w+): \[FAILED TO PARSE\]", line)
            if match:
                failed_ids.add(original.find_event(match.group(1), match.group(2)).id)
        assert failed_ids == {i for i in ids if data.events[i].failed}, batch
