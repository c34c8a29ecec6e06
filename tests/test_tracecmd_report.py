"""`perfscript report` prints what `trace-cmd report` prints.

The shared corpus' `report` checks (trace-cmd report -i $CASE/trace.dat, compared byte
for byte with ref/report.txt; skipped without the corpus) and the small files of
tests/data/tracedat with the output trace-cmd 3.1.6 printed for them (see its README).
"""

import os
import shlex

import pytest

from conftest import corpus_commands, first_difference

DATA = os.path.join(os.path.dirname(__file__), "data", "tracedat")


def _report_checks():
    out = []
    for case, cid, name, kind, expected, rc, command in corpus_commands():
        if command.startswith("trace-cmd report"):
            out.append(pytest.param(case, expected, rc, command, id=cid))
    return out


@pytest.mark.parametrize("case, expected, rc, command", _report_checks())
def test_corpus_report(case, expected, rc, command, perfscript):
    args = shlex.split(command.replace("$CASE", case))[2:]
    p = perfscript(["report"] + args)
    assert p.returncode == rc, p.stderr.decode()[-2000:]
    with open(os.path.join(case, expected), "rb") as f:
        want = f.read()
    assert p.stdout == want, first_difference(p.stdout, want)


@pytest.mark.parametrize("name", ["v7-zstd", "v7-none", "v6"])
def test_own_recordings(name, perfscript):
    p = perfscript(["report", "-i", os.path.join(DATA, name + ".dat")])
    assert p.returncode == 0 and p.stderr == b"", p.stderr.decode()[-2000:]
    with open(os.path.join(DATA, name + ".report.txt"), "rb") as f:
        want = f.read()
    assert p.stdout == want, first_difference(p.stdout, want)
    lines = p.stdout.decode().splitlines()
    assert lines[0] == "cpus=2" and len(lines) == 52
    # plugin line, comm from saved cmdlines with a space, %ps resolved from kallsyms
    assert "print:                tracing_mark_write: hello from the workload" in lines[2]
    assert lines[21].startswith("      with space-17881 [001]  4480.885087: sched_wakeup:")


def test_plugin_formats(perfscript):
    """hrtimer, kmem, tlb and futex lines as libtraceevent's plugins print them."""
    p = perfscript(["report", "-i", os.path.join(DATA, "plugins.dat")])
    assert p.returncode == 0 and p.stderr == b"", p.stderr.decode()[-2000:]
    with open(os.path.join(DATA, "plugins.report.txt"), "rb") as f:
        want = f.read()
    assert p.stdout == want, first_difference(p.stdout, want)
    text = p.stdout.decode()
    for piece in ["kfree:                (vm_area_free+0x1c) call_site=vm_area_free+0x1c",
                  "function=tick_nohz_handler/0x0", "reason=flush on task switch (0)",
                  "op=FUTEX_WAIT_BITSET|FUTEX_PRIVATE_FLAG|FUTEX_CLOCK_REALTIME uaddr=0x"]:
        assert piece in text, piece


def test_default_input_and_help(perfscript, tmp_path):
    with open(os.path.join(DATA, "v6.dat"), "rb") as f:
        (tmp_path / "trace.dat").write_bytes(f.read())
    p = perfscript(["report"], cwd=tmp_path)
    assert p.returncode == 0 and p.stdout.startswith(b"cpus=2\n")
    p = perfscript(["report", "-h"])
    assert p.returncode == 0 and b"usage: perfscript tracecmd-report" in p.stdout
    assert b"or: perfscript report [-i FILE]" in p.stdout
    p = perfscript(["report", "--bogus"])
    assert p.returncode == 2 and b"unknown argument" in p.stderr


@pytest.mark.parametrize("cut", [5, 200, 3000, 30000, 37000, 40000, 41000])
def test_truncated_file_is_one_error_line(cut, perfscript, tmp_path):
    with open(os.path.join(DATA, "v6.dat"), "rb") as f:
        data = f.read()
    path = tmp_path / "cut.dat"
    path.write_bytes(data[:cut])
    p = perfscript(["report", "-i", path])
    err = p.stderr.decode()
    assert p.returncode == 1 and "Traceback" not in err, err
    assert err.count("\n") == 1 and err.startswith("perfscript: %s: offset " % path), err


def test_missing_file(perfscript, tmp_path):
    p = perfscript(["report", "-i", tmp_path / "nope.dat"])
    assert p.returncode == 1
    assert p.stderr.decode().startswith("perfscript: %s: " % (tmp_path / "nope.dat"))


def test_broken_pipe_is_quiet(tmp_path):
    import subprocess
    import sys
    from conftest import script_env
    cmd = "%s -m perfscript report -i %s | head -c 10 >/dev/null" % (
        sys.executable, os.path.join(DATA, "v6.dat"))
    p = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], stderr=subprocess.PIPE,
                       env=script_env(), cwd=str(tmp_path), timeout=60)
    assert p.stderr == b"" and p.returncode == 0


BPRINT_FORMAT = b"""name: bprint
ID: 6
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:unsigned long ip;\toffset:8;\tsize:8;\tsigned:0;
\tfield:const char * fmt;\toffset:16;\tsize:8;\tsigned:0;
\tfield:u32 buf[];\toffset:24;\tsize:0;\tsigned:0;

print fmt: "%ps: %s", (void *)REC->ip, REC->fmt
"""


def test_bprint_unpacks_vbin_arguments():
    """Arguments packed as the kernel's vbin_printf does: 4-byte ints, strings in
    place, 8-byte longs 4-byte aligned, a '*' width before its number."""
    import struct
    from perfscript.ftrace import parse_format
    from perfscript.ftrace.bprint import make_bprint_renderer
    event = parse_format(BPRINT_FORMAT, "ftrace")
    render = make_bprint_renderer(
        event, long_size=8, big_endian=False,
        printk={0x1234: "a=%d s=%s l=%lu w=%*d\\n"},
        symbolize=lambda addr: ("func", addr - 0xf000) if addr >= 0xf000 else None)
    head = struct.pack("<HBBi", 6, 0, 0, 42)
    buf = struct.pack("<i", -5) + b"hi\0" + b"\0" + struct.pack("<Qii", 7, 6, 42)
    raw = head + struct.pack("<QQ", 0xf010, 0x1234) + buf
    assert render(raw) == b"func: a=-5 s=hi l=7 w=    42\n"
    raw = head + struct.pack("<QQ", 0x99, 0x77) + buf
    assert render(raw) == b"0x99: (NO FORMAT FOUND at 77)\n"
