"""`--call-graph dwarf` recordings print the user frames perf 6.1 unwinds, byte for byte.

tests/data/dwarf holds three small recordings (a C program with recursion, a libc callback,
PLT calls and signal-handler frames; a threaded libc-heavy one; python3 with 64 KB stack
copies), the two programs and what perf printed for them (mkrefs.py; how they were made:
record.sh).  The programs run from /tmp/perfscript-dwarf, the path the recordings name, so
the test puts the committed binaries there; the system's libc, ld.so and python3 must be
the recorded ones (same build ids), as on any machine of this image, else the test skips.
"""

import filecmp
import json
import os
import shutil

import pytest

from conftest import TESTS, assert_like_perf
from perfscript.session.session import Session
from perfscript.symbols.buildid import build_ids_equal
from perfscript.symbols.elffile import open_elf

DWARF = os.path.join(TESTS, "data", "dwarf")
EXPECTED = os.path.join(DWARF, "expected")
SHIPPED = "/usr/lib/perf-core/scripts/python"
PROGRAMS = "/tmp/perfscript-dwarf"

with open(os.path.join(EXPECTED, "checks.json")) as _f:
    CHECKS = json.load(_f)


def _place_programs():
    os.makedirs(PROGRAMS, exist_ok=True)
    for name in ("prog", "mt", "dbgf", "dbgfx"):
        src = os.path.join(DWARF, name)
        dst = os.path.join(PROGRAMS, name)
        if not os.path.exists(dst) or not filecmp.cmp(src, dst, shallow=False):
            shutil.copyfile(src, dst)
            os.chmod(dst, 0o755)


def _system_files_differ(recording):
    """The recorded system files whose build id is not the one on this machine."""
    session = Session(os.path.join(DWARF, recording))
    differ = []
    for path, bid in session.build_ids.items():
        if not path.startswith("/usr/"):
            continue
        img = open_elf(path)
        if img is None or not build_ids_equal(bid, img.build_id or ""):
            differ.append(path)
    return differ


def _args(check):
    out = []
    for a in check["args"]:
        if a.startswith("perf:"):
            a = os.path.join(SHIPPED, a[5:])
            if not os.path.exists(a):
                pytest.skip("perf's shipped scripts are not installed")
        elif a == "dump_args.py":
            a = os.path.join(TESTS, "data", "recordings", a)
        elif a == "dbexport_calls.py":
            a = os.path.join(TESTS, "data", "recordings", "calls", a)
        out.append(a)
    return out


@pytest.mark.parametrize("check", CHECKS, ids=[c["name"] for c in CHECKS])
def test_dwarf_recording(check, perfscript):
    differ = _system_files_differ(check["recording"])
    if differ:
        pytest.skip("not the recorded system files: %s" % ", ".join(differ))
    _place_programs()
    p = perfscript(["-i", os.path.join(DWARF, check["recording"])] + _args(check))
    with open(os.path.join(EXPECTED, check["expected"]), "rb") as f:
        assert_like_perf(p, f.read(), check["status"])


def test_every_dwarf_recording_is_checked():
    names = {c["recording"] for c in CHECKS}
    on_disk = {f for f in os.listdir(DWARF) if f.endswith(".data")}
    assert names == on_disk


def _text_frames(text):
    """Per sample, the symbol name of each frame line of perf's text output (an inlined
    function's line, "name+0x.. (inlined)", has no dso)."""
    samples = []
    for line in text.decode().splitlines():
        if line and not line.startswith("\t"):
            samples.append([])
        elif line.startswith("\t"):
            _, rest = line.strip().split(" ", 1)
            if rest.endswith(" (inlined)"):
                sym = rest[:-len(" (inlined)")]
            else:
                sym = rest.rpartition(" (")[0]
            samples[-1].append(sym.rsplit("+0x", 1)[0])
    return samples


@pytest.mark.parametrize("recording", ["prog", "mt", "py", "dbgf", "dbgfx"])
def test_frames_table_has_perfs_frames(recording):
    """The frames API's callchain column carries the frames perf prints, inlined
    functions included."""
    pytest.importorskip("pyarrow")
    if _system_files_differ(recording + ".data"):
        pytest.skip("not the recorded system files")
    _place_programs()
    import perfscript
    with open(os.path.join(EXPECTED, recording + ".text.out"), "rb") as f:
        expected = _text_frames(f.read())
    trace = perfscript.open(os.path.join(DWARF, recording + ".data"))
    chains = trace.table(trace.event_names[0]).column("sample_callchain").to_pylist()
    got = [[fr["sym"] or "[unknown]" for fr in chain] for chain in chains]
    assert got == expected
