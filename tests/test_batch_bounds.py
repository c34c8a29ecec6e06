"""Column-wise reads of a batch stay inside the mapped buffer: a damaged sample at its
end that claims fields past it is a located PerfDataError, never an IndexError."""

import numpy as np
import pytest

from perfscript.errors import PerfDataError
from perfscript.session.batched import RecordBatch


class _Session:
    name = "damaged.data"


class _Layout:
    class fixed:
        size = 16           # ip, pid/tid: then the callchain's entry count


def _batch(buf):
    words = np.frombuffer(buf, dtype="<u8")
    offs = np.array([0], dtype=np.int64)
    return RecordBatch(_Session(), buf, words, np.frombuffer(buf, np.uint8), offs,
                       np.array([9], dtype=np.int64), np.array([0], dtype=np.int64))


def _sample(size, body_words):
    head = (9 | (0 << 32) | (size << 48)).to_bytes(8, "little")
    return head + b"".join(w.to_bytes(8, "little") for w in body_words)


def test_chain_count_past_the_end():
    """The record ends where its callchain count should be, at the end of the file."""
    batch = _batch(_sample(24, [0x1000, 5]))
    with pytest.raises(PerfDataError) as e:
        batch.chain_extent(batch.offs, _Layout, True)
    assert e.value.offset == 0 and "callchain overruns" in str(e.value)


class _RawLayout:
    sample_type = 1 | 2 | 1024      # PERF_SAMPLE_IP | TID | RAW

    class fixed:
        size = 16           # ip, pid/tid: then the raw data's size

    def word_slots(self):
        return {"ip": (0, None), "pid": (1, 0), "tid": (1, 1)}


def test_raw_size_past_the_end():
    """The record ends where its raw size should be: the batch leaves it to the
    per-record parser, which names it."""
    batch = _batch(_sample(24, [0x1000, 5]))
    assert batch.sample_columns(np.array([0]), _RawLayout(), True) is None


def test_short_sample_is_named():
    batch = _batch(_sample(16, [0x1000]))
    with pytest.raises(PerfDataError, match="too short for its sample_type"):
        batch.check_fixed(batch.offs, _Layout, True)


@pytest.mark.parametrize("script", [False, True])
def test_sample_too_short_for_its_time_at_the_end_of_the_file(script, perfscript, tmp_path):
    """The ordering pass reads each sample's time (and id) column-wise before any sample
    is parsed: a header-only sample that ends the file is refused where it lies."""
    import struct
    from synthetic import build_perf_data
    b = bytearray(build_perf_data([("s", 1), ("s", 2), ("r",)] * 40 + [("s", 5)]))
    b = b[:-24] + struct.pack("<IHH", 9, 2, 8)
    struct.pack_into("<Q", b, 48, struct.unpack_from("<Q", b, 48)[0] - 16)
    bad = tmp_path / "short_end.data"
    bad.write_bytes(bytes(b))
    (tmp_path / "s.py").write_text("def trace_end(): print('end')\n")
    p = perfscript(["-i", bad] + (["-s", "s.py"] if script else ["-F", "tid,time"]))
    err = p.stderr.decode()
    assert p.returncode == 1 and "Traceback" not in err, err
    assert err.endswith("perfscript: %s: offset %d (0x%x): sample record too short for its "
                        "sample_type\n" % (bad, len(b) - 8, len(b) - 8))
