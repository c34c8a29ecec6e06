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
