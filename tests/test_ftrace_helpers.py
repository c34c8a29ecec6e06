"""Test-only helpers for the ftrace tests: find tracing-data blobs in real
perf.data files and read what real perf delivered (ref/dump.txt).

The blob finder is a deliberately minimal throwaway (file header, feature
index, pipe-mode record scan); the real reader lives in perfscript.perfdata.
"""

import ast
import lzma
import os
import re
import struct
from pathlib import Path

import pytest

CORPUS = Path(os.environ.get("PERFSCRIPT_CORPUS", "/work/shared/corpus"))
CASES = CORPUS / "cases"
THIRDPARTY = CORPUS / "thirdparty"
RECORDINGS = Path(__file__).parent / "data" / "recordings"

_TRACING_DATA_BIT = 1
_HEADER_TRACING_DATA = 66
_AUXTRACE = 71


def tracing_blob(path):
    """(blob bytes, file offset) of the tracing data in a little-endian perf.data,
    or None. Handles file mode (feature section) and pipe mode (record 66)."""
    data = Path(path).read_bytes()
    if data[:8] != b"PERFILE2":
        return None
    header_size, = struct.unpack_from("<Q", data, 8)
    if header_size == 16:
        return _pipe_blob(data)
    data_offset, data_size = struct.unpack_from("<QQ", data, 40)
    features = int.from_bytes(data[72:104], "little")
    if not features & (1 << _TRACING_DATA_BIT):
        return None
    index = bin(features & ((1 << _TRACING_DATA_BIT) - 1)).count("1")
    offset, size = struct.unpack_from("<QQ", data, data_offset + data_size + 16 * index)
    return data[offset:offset + size], offset


def _pipe_blob(data):
    pos = 16
    while pos + 8 <= len(data):
        rtype, _misc, size = struct.unpack_from("<IHH", data, pos)
        if size < 8:
            return None
        if rtype == _HEADER_TRACING_DATA:
            blob_size, = struct.unpack_from("<I", data, pos + 8)
            return data[pos + size:pos + size + blob_size], pos + size
        if rtype == _AUXTRACE:
            pos += struct.unpack_from("<Q", data, pos + 8)[0]
        pos += size
    return None


def corpus_files():
    """All corpus perf.data files that carry tracing data."""
    found = []
    for path in sorted(list(CASES.glob("*/perf.data")) + list(THIRDPARTY.glob("*/perf.data"))):
        if tracing_blob(path) is not None:
            found.append(path)
    return found


# ------------------------------------------------------------ dump.txt

_HEADER = re.compile(r"^== #\d+ (\S+)(?: (.*))?$")
_VALUE = re.compile(r"^<(\w+)>(.*)$")


def parse_value(text):
    """A dump.py scalar rendering `<type>repr` -> Python value of that type."""
    match = _VALUE.match(text)
    if not match:
        raise ValueError(text)
    type_name, rendered = match.groups()
    if type_name == "bytearray":
        return bytearray(ast.literal_eval(rendered[len("bytearray("):-1]))
    if type_name == "NoneType":
        return None
    value = ast.literal_eval(rendered)
    assert type(value).__name__ == type_name, (type_name, rendered)
    return value


def _header(line):
    """(callback, event name or None) of a '== #n ...' line. Both dumpers are
    understood: the corpus dump.py (trace_unhandled event_name=<str>'x') and
    tests/data/recordings/dump_args.py (trace_unhandled x, x (named), x (*args));
    every tracepoint delivery is reported as 'trace_unhandled'."""
    match = _HEADER.match(line)
    if not match:
        return None
    name, rest = match.group(1), match.group(2) or ""
    if name == "trace_unhandled":
        event = rest.split("'")[1] if rest.startswith("event_name=") else rest
        return name, event
    if rest in ("(named)", "(*args)"):
        return "trace_unhandled", name
    return name, None


def read_dump(path):
    """Callbacks of a dump as (name, event_name, attrs) with the scalar attrs
    of define_* calls and, for tracepoint deliveries, the fields by name
    ("fields", with common_pid), the raw_buf when perf passed perf_sample_dict
    and the context calls."""
    calls = []
    current = None
    section = None
    path = Path(path)
    text = lzma.open(path, "rt").read() if path.suffix == ".xz" else path.read_text()
    for line in text.splitlines():
        header = _header(line)
        if header:
            current = (header[0], header[1], {})
            calls.append(current)
            section = current[2].setdefault("fields", {}) if line.endswith("(named)") else None
            continue
        if current is None:
            continue
        attrs = current[2]
        if line == "  event_fields_dict=<dict>{":
            section = attrs.setdefault("fields", {})
            continue
        if line.startswith("  perf_sample_dict=") or line == "  }":
            section = "sample" if line.startswith("  perf_sample_dict=") else None
            continue
        if section == "sample":
            if line.startswith("    raw_buf="):
                attrs["raw_buf"] = parse_value(line.split("=", 1)[1])
            continue
        key, _, value = line.strip().partition("=")
        if line.startswith("  ") and not line.startswith("   ") and "(context)" in key:
            attrs[key] = parse_value(value)
            continue
        if line.startswith("  ") and not line.startswith("   ") and key in (
                "event_name", "field_name", "delim", "value", "field_str"):
            attrs[key] = parse_value(value)
            continue
        if isinstance(section, dict) and value.startswith("<") and \
                not value.startswith(("<list>", "<dict>", "<PyCapsule>")) and "(" not in key:
            depth = len(line) - len(line.lstrip(" "))
            if depth in (2, 4):
                section[key] = parse_value(value)
    return calls


def reference_dumps():
    """(name, perf.data, dump) for every recording whose tracepoint deliveries
    the real perf dumped: corpus cases, third-party cases, tests/data/recordings."""
    found = []
    for case in sorted(list(CASES.glob("*")) + list(THIRDPARTY.glob("*"))):
        data, dump = case / "perf.data", case / "ref" / "dump.txt"
        if data.exists() and dump.exists() and tracing_blob(data) is not None:
            found.append((case.name, data, dump))
    for data in sorted(RECORDINGS.glob("*.data")):
        dump = RECORDINGS / "expected" / (data.stem + ".dump.out.xz")
        if dump.exists() and tracing_blob(data) is not None:
            found.append(("recordings/" + data.stem, data, dump))
    return found


def define_calls(calls):
    """The define_* callbacks of a dump as perfscript-style tuples."""
    out = []
    for name, _, attrs in calls:
        if name in ("define_flag_field",):
            out.append((name, attrs["event_name"], attrs["field_name"], attrs["delim"]))
        elif name == "define_symbolic_field":
            out.append((name, attrs["event_name"], attrs["field_name"]))
        elif name in ("define_flag_value", "define_symbolic_value"):
            out.append((name, attrs["event_name"], attrs["field_name"], attrs["value"],
                        attrs["field_str"]))
    return out


def first_seen_events(calls):
    """Tracepoint handler names in the order perf first delivered them."""
    seen = []
    for name, event_name, _ in calls:
        if name == "trace_unhandled" and event_name not in seen:
            seen.append(event_name)
    return seen


# ------------------------------------------------- tests of the helpers

def test_blob_found_in_file_and_pipe_mode():
    for case in ("raw_syscalls", "pipe_mode"):
        path = CASES / case / "perf.data"
        if not path.exists():
            pytest.skip("corpus not available")
        blob, offset = tracing_blob(path)
        assert blob.startswith(b"\x17\x08Dtracing") and offset > 0


def test_parse_value_types():
    assert parse_value("<int>-3") == -3
    assert parse_value("<str>'a'") == "a"
    assert parse_value("<bytearray>bytearray(b'\\x00a')") == bytearray(b"\x00a")
    assert parse_value("<bytes>b'xy'") == b"xy"


# ------------------------------------------------- synthetic blobs

HEADER_PAGE_64 = (
    "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
    "\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
    "\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
    "\tfield: char data;\toffset:16;\tsize:4080;\tsigned:0;\n")


def build_blob(systems, *, ftrace=(), version="0.6", big_endian=False, long_size=8,
               page_size=4096, header_page=HEADER_PAGE_64, header_event=b"",
               kallsyms=b"", printk=b"", cmdlines=b""):
    """A tracing-data blob from {system: [format text, ...]} in either byte order."""
    order = ">" if big_endian else "<"

    def u32(v):
        return struct.pack(order + "I", v)

    def u64(v):
        return struct.pack(order + "Q", v)

    def enc(text):
        return text.encode() if isinstance(text, str) else text

    out = bytearray(b"\x17\x08\x44tracing" + version.encode() + b"\0")
    out += bytes([1 if big_endian else 0, long_size]) + u32(page_size)
    header = enc(header_page)
    out += b"header_page\0" + u64(len(header)) + header
    out += b"header_event\0" + u64(len(header_event)) + header_event
    out += u32(len(ftrace))
    for text in ftrace:
        out += u64(len(enc(text))) + enc(text)
    out += u32(len(systems))
    for system, texts in systems.items():
        out += system.encode() + b"\0" + u32(len(texts))
        for text in texts:
            out += u64(len(enc(text))) + enc(text)
    out += u32(len(kallsyms)) + kallsyms
    out += u32(len(printk)) + printk
    if float(version or 0) >= 0.6:
        out += u64(len(cmdlines)) + cmdlines
    return bytes(out)


COMMON_FIELDS = (
    "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
    "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
    "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
    "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n")


def format_text(name, event_id, fields, print_fmt='"x"', common=COMMON_FIELDS):
    """A format file in the kernel's layout."""
    return "name: %s\nID: %d\nformat:\n%s\n%s\nprint fmt: %s\n" % (
        name, event_id, common, fields, print_fmt)


def test_build_blob_round_trip():
    from perfscript.ftrace import parse_tracing_data
    for big in (False, True):
        blob = build_blob({"s": [format_text("e", 7, "\tfield:int x;\toffset:8;\tsize:4;\tsigned:1;\n")]},
                          big_endian=big)
        data = parse_tracing_data(blob)
        assert data.big_endian is big and data.size == len(blob)
        assert data.events[7].fields[0].name == "x"
