"""Every committed perf.data recording cut at every record boundary (and just after it,
and at random points, header and features included) reads cleanly: nothing but a located
PerfDataError, and every sample stored whole before the cut is delivered.

(trace.dat files get the same sweep in test_tracedat.py.)
"""

import glob
import os
import random
import struct

import pytest

from conftest import RECORDINGS
from perfscript.errors import PerfDataError
from perfscript.session.consumer import Consumer
from perfscript.session.session import Session

HERE = os.path.dirname(__file__)
FILES = sorted(glob.glob(os.path.join(RECORDINGS, "*.data")) +
               glob.glob(os.path.join(HERE, "data", "gen", "*.data")))
RECORD_SAMPLE = 9
RECORD_HEADER_TRACING_DATA = 66
RECORD_COMPRESSED = (81, 83)


class _Count(Consumer):
    def __init__(self):
        self.samples = 0

    def sample(self, ev, sample, thread):
        self.samples += 1


def _layout(data):
    """(pipe, first data byte, end of data, [(offset, type, size with payload)])."""
    pipe = struct.unpack_from("<Q", data, 8)[0] == 16
    if pipe:
        pos, end = 16, len(data)
    else:
        pos, size = struct.unpack_from("<QQ", data, 40)
        end = pos + size
    start = pos
    recs = []
    while pos + 8 <= end:
        typ, _misc, size = struct.unpack_from("<IHH", data, pos)
        if pipe and typ == RECORD_HEADER_TRACING_DATA:
            size += (struct.unpack_from("<I", data, pos + 8)[0] + 7) & ~7
        recs.append((pos, typ, size))
        pos += size
    return pipe, start, end, recs


def _read(path):
    """(samples delivered or None when the file was refused at open, the PerfDataError
    or None)."""
    counter = _Count()
    try:
        session = Session(path)
    except PerfDataError as e:
        return None, e
    try:
        session.process(counter)
    except PerfDataError as e:
        return counter.samples, e
    finally:
        session.pd.close()
    return counter.samples, None


@pytest.mark.parametrize("path", FILES, ids=os.path.basename)
def test_every_cut(path, tmp_path):
    data = open(path, "rb").read()
    pipe, start, end, recs = _layout(data)
    compressed = any(t in RECORD_COMPRESSED for _, t, _ in recs)
    rng = random.Random(path)
    boundaries = [off for off, _, _ in recs] + [end]
    cuts = set(boundaries) | {b + 1 for b in boundaries} | {b + 12 for b in boundaries}
    cuts |= {rng.randrange(len(data)) for _ in range(40)} | set(range(0, 200, 7))
    cut_file = str(tmp_path / "cut.data")
    errors = 0
    for cut in sorted(c for c in cuts if c < len(data)):
        with open(cut_file, "wb") as f:
            f.write(data[:cut])
        delivered, error = _read(cut_file)
        if error is not None:
            errors += 1
            assert error.path == cut_file and error.offset is not None, (cut, str(error))
            assert error.offset <= max(cut, 104), (cut, str(error))
        if compressed or cut <= start:
            continue
        if delivered is None:
            # a file whose tracepoint formats lay past the cut (in the features)
            assert not pipe and ("tracepoint formats" in str(error) or
                                 "no tracing data" in str(error)), (cut, str(error))
            continue
        # every sample stored whole before the cut reached the consumer
        whole = sum(1 for off, t, size in recs if t == RECORD_SAMPLE and off + size <= cut)
        assert delivered == whole, (cut, delivered, whole, str(error))
        if cut >= end:
            continue
        if pipe and cut in boundaries:
            assert error is None, (cut, str(error))    # a shorter stream, whole
        else:
            assert error is not None, cut
    assert errors
