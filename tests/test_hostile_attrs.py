"""Attrs that cannot describe their samples are refused at open, in perf's words.

The files are tests/data/recordings/sched.data (six sched:* tracepoints, ids in every
sample) with bits of its attrs rewritten. perf 6.1 refuses the first four at open with
"non matching sample_type / sample_id_all / read_format" and status 255 (checked by
test_real_perf_agrees whenever perf is installed); perfscript says the same words on its
one located line. The last one (no PERF_SAMPLE_RAW on tracepoints) crashes perf 6.1 in
script mode; perfscript names the first sample it cannot give fields to.
"""

import os
import shutil
import struct
import subprocess

import pytest

from conftest import RECORDINGS

SCHED = os.path.join(RECORDINGS, "sched.data")
ATTR_SIZE = 144
SAMPLE_IP, SAMPLE_READ, SAMPLE_RAW = 1, 1 << 4, 1 << 10
SAMPLE_ID_ALL = 1 << 18

HANDLERS = """
def trace_begin(): print("begin")
def trace_unhandled(name, context, fields): print(name)
def sched__sched_switch(*args): print("switch")
def trace_end(): print("end")
"""


def _rewrite(change):
    """sched.data with `change(attr_bytes, index)` applied to each attr in place."""
    b = bytearray(open(SCHED, "rb").read())
    off, size = struct.unpack_from("<QQ", b, 24)
    for i in range(size // ATTR_SIZE):
        at = off + i * ATTR_SIZE
        view = memoryview(b)[at:at + ATTR_SIZE]
        change(view, i)
    return bytes(b)


def _update_u64(view, at, fn):
    struct.pack_into("<Q", view, at, fn(struct.unpack_from("<Q", view, at)[0]))


def _no_sample_type(a, i):
    _update_u64(a, 24, lambda st: 0)


def _one_without_ip(a, i):
    if i == 1:
        _update_u64(a, 24, lambda st: st & ~SAMPLE_IP)


def _one_without_sample_id_all(a, i):
    if i == 2:
        _update_u64(a, 40, lambda f: f & ~SAMPLE_ID_ALL)


def _read_without_ids(a, i):
    _update_u64(a, 24, lambda st: st | SAMPLE_READ)
    _update_u64(a, 32, lambda rf: 0)


def _no_raw(a, i):
    _update_u64(a, 24, lambda st: st & ~SAMPLE_RAW)


REFUSED = [
    (_no_sample_type, "non matching sample_type"),
    (_one_without_ip, "non matching sample_type"),
    (_one_without_sample_id_all, "non matching sample_id_all"),
    (_read_without_ids, "non matching read_format"),
]


def _attrs_offset():
    return struct.unpack_from("<Q", open(SCHED, "rb").read(), 24)[0]


@pytest.mark.parametrize("change,words", REFUSED, ids=[c.__name__ for c, _ in REFUSED])
@pytest.mark.parametrize("mode", ["script", "text", "header"])
def test_refused_at_open(change, words, mode, perfscript, tmp_path):
    bad = tmp_path / "bad.data"
    bad.write_bytes(_rewrite(change))
    (tmp_path / "h.py").write_text(HANDLERS)
    args = {"script": ["-s", "h.py"], "text": [], "header": ["--header-only"]}[mode]
    p = perfscript(["-i", bad] + args)
    err = p.stderr.decode()
    assert p.returncode == 1, err
    assert "Traceback" not in err
    at = _attrs_offset()
    assert err == "perfscript: %s: offset %d (0x%x): %s\n" % (bad, at, at, words)
    assert p.stdout == b""


@pytest.mark.skipif(shutil.which("perf") is None, reason="perf not installed")
@pytest.mark.parametrize("change,words", REFUSED, ids=[c.__name__ for c, _ in REFUSED])
def test_real_perf_agrees(change, words, tmp_path):
    bad = tmp_path / "bad.data"
    bad.write_bytes(_rewrite(change))
    p = subprocess.run(["perf", "script", "-i", str(bad)], capture_output=True, timeout=60)
    assert p.returncode == 255
    assert p.stderr.decode().strip().endswith(words)


def test_tracepoints_without_raw_data(perfscript, tmp_path):
    bad = tmp_path / "noraw.data"
    bad.write_bytes(_rewrite(_no_raw))
    (tmp_path / "h.py").write_text(HANDLERS)
    p = perfscript(["-i", bad, "-s", "h.py"])
    err = p.stderr.decode()
    assert p.returncode == 1 and "Traceback" not in err, err
    assert err.startswith("perfscript: %s: offset " % bad)
    assert err.endswith(": tracepoint sample of sched:sched_process_exec without raw data "
                        "(its sample_type lacks PERF_SAMPLE_RAW)\n")
    assert p.stdout == b"begin\nend\n"
    # text output has nothing to decode and prints the samples with empty fields, as perf
    p = perfscript(["-i", bad])
    assert p.returncode == 0, p.stderr.decode()
    assert p.stdout.count(b"sched:sched_switch: \n") > 0
