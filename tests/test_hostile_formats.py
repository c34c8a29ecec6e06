"""Hostile tracepoint formats: geometry no record holds, huge and deep format texts.

Each recording here is a real one (tests/data/recordings) whose tracing data says
something else about one event (tests/hostile_build.py swaps the format text). The
command runs under a 1 GiB address-space limit and a timeout: it must print what perf
6.1 prints where perf copes, and something bounded where perf reads past the record or
crashes, never allocate what a format claims, never trace back, never take long.

Expected texts quote perf 6.1 (`perf script -i FILE`, `perf script -s`) on the same
files; where the original recording prints the same, the original's output (itself
checked against perf by the end-to-end tests) is the reference.
"""

import os
import re
import resource
import subprocess
import sys

import pytest

from conftest import RECORDINGS, script_env
from cost import measured
from hostile_build import format_text, tracing_blob, with_format, with_sample_repeated

from perfscript.ftrace import parse_tracing_data
from perfscript.ftrace.cnum import strtoull
from perfscript.ftrace.format import parse_format

SCHED = os.path.join(RECORDINGS, "sched.data")
PIPE = os.path.join(RECORDINGS, "pipe.data")
COMM = "\tfield:char comm[16];\toffset:8;\tsize:16;"
ARGS = "\tfield:unsigned long args[6];\toffset:16;\tsize:48;"
FILENAME = "\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;"
# every value a handler gets, long arrays by their length
SCRIPT = """
def show(v):
    return ("len", len(v)) if isinstance(v, (bytes, bytearray)) and len(v) > 40 else v
def trace_unhandled(name, ctx, fields):
    print(name, sorted((k, show(v)) for k, v in fields.items()))
"""


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _limit():
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def run(path, *args, timeout=120):
    """perfscript -i path args, with 1 GiB of address space; the finished process."""
    p = subprocess.run([sys.executable, "-m", "perfscript", "-i", str(path)] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=script_env(),
                       timeout=timeout, preexec_fn=_limit)
    err = p.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err and "Error" not in err, err[-3000:]
    assert p.returncode == 0, (p.returncode, err[-3000:])
    return p.stdout.decode("utf-8", "surrogateescape").splitlines()


def write(tmp_path, data, name="hostile.data"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def hostile(tmp_path, recording, event, old, new, name="hostile.data"):
    """The recording with `old` replaced by `new` in `event`'s format, written out."""
    data = _read(recording)
    text = format_text(data, event)
    assert old in text
    return write(tmp_path, with_format(data, event, text.replace(old, new)), name)


@pytest.fixture(scope="module")
def sched_lines(tmp_path_factory):
    return run(SCHED)


@pytest.fixture(scope="module")
def pipe_lines():
    return run(PIPE)


def _script(tmp_path):
    path = tmp_path / "show.py"
    path.write_text(SCRIPT)
    return str(path)


# ------------------------------------------------------------ the builder


@pytest.mark.parametrize("recording,event", [(SCHED, "sched_switch"),
                                              (PIPE, "raw_syscalls:sys_enter")])
def test_builder_swaps_one_format(recording, event):
    data = _read(recording)
    text = format_text(data, event)
    assert with_format(data, event, text) == data
    swapped = with_format(data, event, text.replace("print fmt:", "print  fmt:") + "\n")
    tracing = parse_tracing_data(tracing_blob(swapped))
    before = parse_tracing_data(tracing_blob(data))
    name = event.rpartition(":")[2]
    assert len(tracing.events) == len(before.events)
    for ev in tracing.events.values():
        old = before.events[ev.id]
        assert (ev.name, len(ev.fields), ev.print_fmt) == (old.name, len(old.fields),
                                                            old.print_fmt), ev.name
        assert ev.name == name or ev.print_args == old.print_args
    assert tracing.saved_cmdlines == before.saved_cmdlines


def test_builder_repeats_a_sample(tmp_path, sched_lines):
    lines = run(write(tmp_path, with_sample_repeated(_read(SCHED), 5)))
    assert len(lines) == len(sched_lines) + 4
    assert lines[:5] == [sched_lines[0]] * 5


# ------------------------------------------------------------ claimed geometry


def test_char_array_of_2_40_bytes(tmp_path, sched_lines):
    """perf keeps a field's size in a C int: 2**40 is 0, and a zero-size char array
    prints the rest of the record (here the same text as the real 16 bytes)."""
    path = hostile(tmp_path, SCHED, "sched_wakeup", COMM,
                   "\tfield:char comm[1099511627776];\toffset:8;\tsize:1099511627776;")
    assert run(path) == sched_lines


def test_int_array_of_4e9_bytes(tmp_path, sched_lines):
    """A billion ints, 4e9 bytes: perf's int size is negative, its copy of the array
    fails and %s prints nothing."""
    path = hostile(tmp_path, SCHED, "sched_wakeup", COMM,
                   "\tfield:int comm[1000000000];\toffset:8;\tsize:4000000000;")
    want = [re.sub(r"comm=\S* ", "comm= ", line) if "sched:sched_wakeup:" in line else line
            for line in sched_lines]
    assert run(path) == want


def test_offset_of_2_40(tmp_path, sched_lines):
    """An offset of 2**40 is 0 in perf's int: prio reads the record's first bytes."""
    path = hostile(tmp_path, SCHED, "sched_wakeup", "offset:28;", "offset:1099511627776;")
    lines = run(path)
    assert len(lines) == len(sched_lines)
    wakeups = [line for line in lines if "sched:sched_wakeup:" in line]
    assert wakeups[0].endswith("comm=sh pid=14535 prio=103088502 target_cpu=000")


def test_offset_perf_reads_as_negative(tmp_path, sched_lines):
    """0xfffffffc is -4 to perf, which reads before the record; the field is absent."""
    path = hostile(tmp_path, SCHED, "sched_wakeup", "offset:28;", "offset:4294967292;")
    wakeups = [line for line in run(path) if "sched:sched_wakeup:" in line]
    assert wakeups[0].endswith("comm=sh pid=14535 prio=0 target_cpu=000")


def test_negative_offset_text_fails_the_format(tmp_path, sched_lines):
    """'offset:-4' is no number to libtraceevent's tokenizer: [FAILED TO PARSE]."""
    path = hostile(tmp_path, SCHED, "sched_wakeup", "offset:28;", "offset:-4;")
    wakeups = [line for line in run(path) if "sched:sched_wakeup:" in line]
    assert wakeups[0].endswith("sched:sched_wakeup: [FAILED TO PARSE] comm=sh pid=14535")


def test_pipe_mode_array_of_8e9_bytes(tmp_path, pipe_lines):
    """args[1000000000] of 8e9 bytes: perf's element size is (unsigned)(int)8e9 / 1e9
    = 3, a width it reads as 0."""
    path = hostile(tmp_path, PIPE, "sys_enter", ARGS,
                   "\tfield:unsigned long args[1000000000];\toffset:16;\tsize:8000000000;")
    lines = run(path)
    assert len(lines) == len(pipe_lines)
    assert lines[0].endswith("raw_syscalls:sys_enter: NR 12 (0, 0, 0, 0, 0, 0)")


def test_script_values_of_claimed_arrays(tmp_path):
    """-s: perf passes bytearray(b'') for the 2**40 array (size 0); for 4e9 bytes (perf
    crashes) the value is the array's bytes up to the end of the record."""
    script = _script(tmp_path)
    path = hostile(tmp_path, SCHED, "sched_wakeup", COMM,
                   "\tfield:char comm[1099511627776];\toffset:8;\tsize:1099511627776;")
    wakeups = [x for x in run(path, "-s", script) if x.startswith("sched__sched_wakeup ")]
    assert len(wakeups) == 16
    assert "('comm', bytearray(b''))" in wakeups[0]
    path = hostile(tmp_path, SCHED, "sched_wakeup", COMM,
                   "\tfield:int comm[1000000000];\toffset:8;\tsize:4000000000;", "b.data")
    wakeups = [x for x in run(path, "-s", script) if x.startswith("sched__sched_wakeup ")]
    assert "('comm', bytearray(b'sh\\x00" in wakeups[0]
    assert "('pid', 14535), ('prio', 120)" in wakeups[0]


@pytest.fixture(scope="module")
def far_field(tmp_path_factory):
    """30000 sched_wakeup records of 36 bytes whose format puts a field at offset
    60000 (inside the largest record there can be) and prints it: every decoder that
    gathers records at the format's width would take 30000 x 60 KB."""
    data = _read(SCHED)
    text = format_text(data, "sched_wakeup")
    head, _ = text.split("print fmt:")
    text = (head.replace("\tfield:int target_cpu;", "\tfield:int far;\toffset:60000;"
                         "\tsize:4;\tsigned:1;\n\tfield:int target_cpu;")
            + 'print fmt: "pid=%d far=%d", REC->pid, REC->far\n')
    data = with_format(data, "sched_wakeup", text)
    tracing = parse_tracing_data(tracing_blob(data))
    assert tracing.find_event("sched", "sched_wakeup").fields[-2].name == "far"
    path = tmp_path_factory.mktemp("far") / "far.data"
    path.write_bytes(with_sample_repeated(data, 30000, nth=14))
    return path


def test_batched_text_reads_only_the_records(far_field):
    lines = run(far_field)
    wakeups = [line for line in lines if "sched:sched_wakeup:" in line]
    assert len(wakeups) == 30015
    assert wakeups[0].endswith("sched:sched_wakeup: pid=14535 far=0")


def test_batched_script_reads_only_the_records(far_field, tmp_path):
    lines = run(far_field, "-s", _script(tmp_path))
    wakeups = [x for x in lines if x.startswith("sched__sched_wakeup ")]
    assert len(wakeups) == 30015
    assert "('far', 0)" in wakeups[0]


def test_batched_tables_read_only_the_records(far_field, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, "-m", "perfscript", "export", "-i", str(far_field),
                        "-o", str(out), "--format", "parquet"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=script_env(), timeout=300,
                       preexec_fn=_limit)
    assert p.returncode == 0, p.stderr.decode()[-3000:]
    table = pq.read_table(out / "sched__sched_wakeup.parquet")
    assert table.num_rows == 30015
    assert set(table.column("far").to_pylist()) == {0}


# ------------------------------------------------------------ dynamic arrays


def test_data_loc_pointing_outside_the_record(tmp_path, sched_lines):
    """The descriptor read from other bytes (offset 2: flags, preempt count and the low
    half of the pid, a length of 14535): perf prints what lies past the record; the
    string stops at the record's end."""
    path = hostile(tmp_path, SCHED, "sched_process_exec", FILENAME,
                   "\tfield:__data_loc char[] filename;\toffset:2;\tsize:4;")
    execs = [line for line in run(path) if "sched:sched_process_exec:" in line]
    assert len(execs) == 19
    assert execs[0].endswith("sched_process_exec: filename= pid=14535 old_pid=14535")


def test_rel_loc_past_the_record(tmp_path):
    """__rel_loc adds the field's end: the string starts past the record (as perf's)."""
    path = hostile(tmp_path, SCHED, "sched_process_exec", "__data_loc", "__rel_loc")
    execs = [line for line in run(path) if "sched:sched_process_exec:" in line]
    assert execs[0].endswith("sched_process_exec: filename= pid=14535 old_pid=14535")


@pytest.mark.parametrize("offset", ["4294967295", "1099511627784"])
def test_data_loc_at_a_huge_offset(tmp_path, offset):
    """2**40+8 is 8 in perf's int (the real descriptor); 0xffffffff no record holds."""
    path = hostile(tmp_path, SCHED, "sched_process_exec", FILENAME,
                   "\tfield:__data_loc char[] filename;\toffset:%s;\tsize:4;" % offset)
    execs = [line for line in run(path) if "sched:sched_process_exec:" in line]
    name = "/usr/bin/sh" if offset == "1099511627784" else ""
    assert execs[0].endswith("filename=%s pid=14535 old_pid=14535" % name)


def test_print_helpers_with_huge_counts(tmp_path):
    """__print_hex/__print_array of a billion elements print what the record holds."""
    fmt = ('print fmt: "%s|%s", __print_hex(__get_dynamic_array(filename), 1000000000), '
           '__print_array(__get_dynamic_array(filename), 1000000000, 1)')
    data = _read(SCHED)
    text = format_text(data, "sched_process_exec")
    text = text[:text.index("print fmt:")] + fmt + "\n"
    path = write(tmp_path, with_format(data, "sched_process_exec", text))
    execs = [line for line in run(path) if "sched:sched_process_exec:" in line]
    assert execs[0].endswith("2f 75 73 72 2f 62 69 6e 2f 73 68 00 00 00 00 00|"
                             "47 117 115 114 47 98 105 110 47 115 104 0 0 0 0 0")


# ------------------------------------------------------------ format size and time


def _many_fields(n):
    data = _read(SCHED)
    text = format_text(data, "sched_wakeup")
    extra = "".join("\tfield:int f%d;\toffset:%d;\tsize:4;\tsigned:1;\n" % (i, 8 + 4 * (i % 7))
                    for i in range(n))
    return data, text.replace("\tfield:int target_cpu;", extra + "\tfield:int target_cpu;")


def test_a_format_of_200000_fields(tmp_path, sched_lines):
    """Field lines are read in one match each, not token by token (perf: 0.3 s)."""
    data, text = _many_fields(200000)
    with measured("perfscript.ftrace.lexer.Lexer.raw_token",
                  "perfscript.ftrace.lexer.Lexer.token") as cost:
        event = parse_format(text, "sched")
    assert len(event.fields) == 200004 and not event.failed
    assert event.fields[-1].name == "target_cpu" and event.fields[5].offset == 16
    assert sum(cost.calls.values()) < 1000
    assert cost.cpu < 20                        # backstop: about 1 s
    assert run(write(tmp_path, with_format(data, "sched_wakeup", text))) == sched_lines


def test_script_with_a_format_of_100000_fields(tmp_path):
    data, text = _many_fields(100000)
    path = write(tmp_path, with_format(data, "sched_wakeup", text))
    lines = [x for x in run(path, "-s", _script(tmp_path))
             if x.startswith("sched__sched_wakeup ")]
    assert len(lines) == 16 and "('f99999', 14535)" in lines[0]


def test_numbers_of_a_million_digits():
    """strtoul clamps: the digits past 2**64 are not accumulated (it was quadratic)."""
    with measured() as cost:
        assert strtoull("9" * 1000000) == (1 << 64) - 1
        assert strtoull("0x" + "0" * 1000000 + "1f") == 31
        event = parse_format("name: e\nID: 1\nformat:\n\tfield:int x;\toffset:%s;\tsize:4;"
                             "\n\nprint fmt: \"%%d\", REC->x\n" % ("7" * 300000), "s")
    assert event.all_fields[0].offset == 0xFFFFFFFF     # clamped, then perf's 32 bits
    assert cost.cpu < 10                        # backstop: milliseconds


PRINT_FMTS = {
    # perf 6.1: the same text (a megabyte of it)
    "long_text": ('"' + "x" * 1000000 + ' %d", REC->pid', "x" * 1000000 + " 14535"),
    # perf prints every argument it has a conversion for
    "many_args": ('"%d", ' + ", ".join(["REC->pid"] * 100000), "14535"),
    "many_flags": ('"%s", __print_flags(REC->pid, "|", ' + ", ".join(
        '{ %d, "F%d" }' % (1 << (i % 60), i) for i in range(30000)) + ")",
        "F0|F1|F2|F6|F7|F11|F12|F13"),
    # perf 6.1 loops forever on a string without its closing quote
    "unterminated": ('"abc' + "x" * 1000000, None),
    # perf crashes (its recursion overflows the stack): deeper than we nest
    "parentheses": ('"%d", ' + "(" * 100000 + "REC->pid" + ")" * 100000, None),
    "casts": ('"%d", ' + "(int)" * 100000 + "REC->pid", None),
    "sum": ('"%d", ' + " + ".join(["REC->pid"] * 100000), None),
    "indexes": ('"%d", REC->pid' + "[0]" * 100000, None),
    "conditionals": ('"%d", ' + "REC->pid ? " * 20000 + "1" + " : 2" * 20000, None),
}


@pytest.mark.parametrize("name", sorted(PRINT_FMTS))
def test_huge_or_deep_print_fmt(tmp_path, name):
    """No traceback, no recursion error, no long parse: perf's text where perf copes,
    else [FAILED TO PARSE] and the fields, as perf prints formats it cannot parse."""
    fmt, want = PRINT_FMTS[name]
    data = _read(SCHED)
    text = format_text(data, "sched_wakeup")
    text = text[:text.index("print fmt:")] + "print fmt: " + fmt + "\n"
    with measured() as cost:
        event = parse_format(text, "sched")
    assert cost.cpu < 20                        # backstop: about a second at most
    assert event.failed == (want is None)
    lines = run(write(tmp_path, with_format(data, "sched_wakeup", text)))
    wakeup = [line for line in lines if "sched:sched_wakeup:" in line][0]
    if want is None:
        want = "[FAILED TO PARSE] comm=sh pid=14535 prio=120 target_cpu=0"
    assert wakeup.endswith("sched:sched_wakeup: " + want)
