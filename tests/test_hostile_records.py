"""A record shorter than its type's fixed fields has no typed view: nothing reads past it,
wherever it lies (the last record of a mapped file used to be an IndexError)."""

import struct

import pytest

from perfscript.perfdata.record_types import MIN_SIZES
from synthetic import build_perf_data

GENERIC = "def trace_end(): print('end')\ndef process_event(d): pass\n"


def _with_last_record(typ, size):
    """The synthetic file with a `size`-byte record of type `typ` ending its data
    section, which ends the file."""
    b = bytearray(build_perf_data([("s", 1), ("s", 2)]))
    rec = struct.pack("<IHH", typ, 0, size) + bytes(size - 8)
    struct.pack_into("<Q", b, 48, struct.unpack_from("<Q", b, 48)[0] + len(rec))
    return bytes(b) + rec


@pytest.mark.parametrize("typ", sorted(MIN_SIZES))
def test_a_short_record_at_the_end_of_the_file(typ, perfscript, tmp_path):
    (tmp_path / "s.py").write_text(GENERIC)
    for size in sorted({8, MIN_SIZES[typ] - 8}):
        if size < 8:
            continue
        bad = tmp_path / ("short-%d-%d.data" % (typ, size))
        bad.write_bytes(_with_last_record(typ, size))
        for args in (["-F", "tid,time"], ["-s", "s.py"],
                     ["-F", "tid,time", "--show-task-events", "--show-mmap-events",
                      "--show-switch-events", "--show-lost-events"]):
            p = perfscript(["-i", bad] + args)
            err = p.stderr.decode()
            assert "Traceback" not in err and p.returncode in (0, 1), (typ, size, args, err)
