"""Decompression bombs: a `perf record -z` file whose COMPRESSED records inflate past
perf's buffer is refused at the first such record, quickly and in little memory.

perf 6.1 decompresses each COMPRESSED record into a buffer of FEAT_COMPRESSED's
`mmap_len` bytes (plus what the previous record left of a split record); a record that
inflates past it makes perf report "failed to decompress" and read on without what did
not fit; one that inflates to nothing (or a file without FEAT_COMPRESSED) fails with
"Couldn't decompress data". Checked against perf 6.1 on files built as here: an exact fit
reads; past it perf loses records (what zstd holds back of the record's last block comes
out with the next record, if there is one), which is refused here.
"""

import os
import resource
import struct
import subprocess
import sys

import pytest
import zstandard

from conftest import script_env
from perfscript.errors import PerfDataError
from perfscript.perfdata.container import PerfData
from perfscript.perfdata.records import RecordWalker
from perfscript.perfdata.spool import spool

SAMPLE_TID, SAMPLE_TIME, SAMPLE_ID_ALL = 1 << 1, 1 << 2, 1 << 18
FEAT_COMPRESSED = 27
MMAP_LEN = 528384            # what perf record -z writes for its default 512 KiB buffers
FINISHED_ROUND = struct.pack("<IHH", 68, 0, 8)
FILE_DATA_OFF = 184          # header, one attr with an empty id list
PIPE_DATA_OFF = 96           # pipe header, HEADER_ATTR


def _attr():
    attr = bytearray(64)
    struct.pack_into("<IIQQQQQ", attr, 0, 1, 64, 0, 1, SAMPLE_TID | SAMPLE_TIME, 0,
                     SAMPLE_ID_ALL)
    return bytes(attr)


def samples(n, t0=1):
    return b"".join(struct.pack("<IHHIIQ", 9, 2, 24, 1, 7, t0 + i) for i in range(n))


def compressed(payloads):
    """COMPRESSED records holding the given zstd payloads."""
    return b"".join(struct.pack("<IHH", 81, 0, 8 + len(p)) + p for p in payloads)


def zstd_records(chunks):
    """Each chunk as one COMPRESSED record of one zstd stream, flushed per record as
    perf record flushes it."""
    c = zstandard.ZstdCompressor(level=1).compressobj()
    return [c.compress(ch) + c.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK) for ch in chunks]


def bomb_payload(mib):
    """A zstd payload of `mib` MiB of FINISHED_ROUND records: one small frame repeated
    (zstd reads concatenated frames as one stream, as perf does)."""
    frame = zstandard.ZstdCompressor(level=19).compress(FINISHED_ROUND * (1 << 17))
    return frame * mib


def file_mode(data, mmap_len=MMAP_LEN):
    """A file-mode perf.data: one attr, `data`, FEAT_COMPRESSED unless mmap_len is None."""
    feats, bits = b"", 0
    if mmap_len is not None:
        bits = 1 << FEAT_COMPRESSED
        section = struct.pack("<5I", 0, 1, 1, 1, mmap_len)
        feats = struct.pack("<QQ", FILE_DATA_OFF + len(data) + 16, len(section)) + section
    head = struct.pack("<8s8Q4Q", b"PERFILE2", 104, 80, 104, 80, FILE_DATA_OFF, len(data),
                       0, 0, bits, 0, 0, 0)
    return head + _attr() + bytes(16) + data + feats


def pipe_mode(data, mmap_len=MMAP_LEN):
    """The same as a pipe-mode stream: HEADER_ATTR, HEADER_FEATURE(COMPRESSED), data."""
    out = struct.pack("<8sQ", b"PERFILE2", 16)
    attr = _attr() + struct.pack("<Q", 1)
    out += struct.pack("<IHH", 64, 0, 8 + len(attr)) + attr
    assert len(out) == PIPE_DATA_OFF
    if mmap_len is not None:
        section = struct.pack("<5I", 0, 1, 1, 1, mmap_len) + bytes(4)
        out += struct.pack("<IHHQ", 80, 0, 16 + len(section), FEAT_COMPRESSED) + section
    return out + data


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def run_cli(path, stdin=False, batched=True):
    """perfscript -F tid,time on `path` (or on it as stdin), memory-limited: (status,
    stdout, last stderr line)."""
    env = script_env()
    if not batched:
        env["PERFSCRIPT_NO_BATCH"] = "1"
    args = [sys.executable, "-m", "perfscript", "-F", "tid,time",
            "-i", "-" if stdin else str(path)]
    with open(path, "rb") as f:
        p = subprocess.run(args, stdin=f if stdin else subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                           timeout=300, preexec_fn=_limit_memory)
    err = p.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err[-3000:]
    lines = err.strip().splitlines()
    return p.returncode, p.stdout, lines[-1] if lines else ""


def _write(tmp_path, name, raw):
    path = tmp_path / name
    path.write_bytes(raw)
    return path


MODES = [("file", False, True), ("file", False, False), ("pipe", False, True),
         ("pipe", True, True)]
MODE_IDS = ["file", "file-unbatched", "pipe-file", "pipe-stdin"]


def _case(tmp_path, mode, data, mmap_len=MMAP_LEN):
    raw = (file_mode if mode == "file" else pipe_mode)(data, mmap_len)
    first = FILE_DATA_OFF if mode == "file" else PIPE_DATA_OFF + (0 if mmap_len is None
                                                                  else 40)
    return _write(tmp_path, mode + ".data", raw), first


@pytest.mark.parametrize("mode,stdin,batched", MODES, ids=MODE_IDS)
def test_bomb_refused_at_its_first_record_quickly(tmp_path, mode, stdin, batched):
    """256 MiB of 8-byte records from a few kilobytes: refused at once, located at the
    COMPRESSED record, with the records before it delivered."""
    good = zstandard.ZstdCompressor().compress(samples(10))     # a whole frame
    data = compressed([good]) + compressed([bomb_payload(256)])
    path, first = _case(tmp_path, mode, data)
    assert os.path.getsize(path) < 64 << 10
    status, out, last = run_cli(path, stdin, batched)
    bomb_at = first + 8 + len(good)
    name = "<stdin>" if stdin else str(path)
    assert status == 1
    assert last == ("perfscript: %s: offset %d (0x%x): COMPRESSED record decompresses to "
                    "more than perf's %d-byte buffer (FEAT_COMPRESSED mmap_len)"
                    % (name, bomb_at, bomb_at, MMAP_LEN))
    assert out.count(b"\n") == 10


def test_bomb_spread_over_records_refused_at_the_first(tmp_path):
    """Each record of a bomb split perf's way (records of at most 64 KiB) is over the
    bound by itself: the first one is named."""
    payload = bomb_payload(4096)
    step = 65000
    data = compressed(payload[at:at + step] for at in range(0, len(payload), step))
    path, first = _case(tmp_path, "file", data)
    status, _, last = run_cli(path)
    assert status == 1 and "offset %d " % first in last and "perf's 528384-byte" in last


def test_walker_and_spooler_share_the_bound(tmp_path):
    data = compressed([bomb_payload(2)])
    path = _write(tmp_path, "bomb.data", file_mode(data))
    pd = PerfData(str(path))
    assert spool(pd, MMAP_LEN) is None          # left to the record reader, which says why
    walked = 0
    with pytest.raises(PerfDataError) as e:
        for _ in RecordWalker(pd):
            walked += 1
    assert e.value.offset == FILE_DATA_OFF and "528384-byte buffer" in e.value.what
    assert walked <= MMAP_LEN // 8      # no more unpacked than the buffer holds
    # the same bytes inside a larger buffer are fine, both ways
    pd = PerfData(str(_write(tmp_path, "ok.data", file_mode(data, 4 << 20))))
    assert sum(1 for _ in RecordWalker(pd)) == (2 << 20) // 8
    unpacked = spool(pd, 4 << 20)
    assert unpacked is not None and unpacked.data_size == 2 << 20
    unpacked.close()


@pytest.mark.parametrize("mode,stdin,batched", MODES, ids=MODE_IDS)
def test_exact_fit_and_split_records_read(tmp_path, mode, stdin, batched):
    """A record may fill the buffer exactly, and a record split between two COMPRESSED
    records comes on top of the next one's buffer (perf reads both)."""
    mmap_len = 4096
    stream = samples(510)                     # 12240 bytes: 3 buffers, records cut
    chunks = [stream[at:at + mmap_len] for at in range(0, len(stream), mmap_len)]
    assert len(chunks[0]) == mmap_len and len(chunks[0]) % 24
    path, _ = _case(tmp_path, mode, compressed(zstd_records(chunks)), mmap_len)
    status, out, last = run_cli(path, stdin, batched)
    assert status == 0, last
    assert out.count(b"\n") == 510


@pytest.mark.parametrize("mode,stdin,batched", MODES, ids=MODE_IDS)
def test_one_byte_over_the_buffer_is_refused(tmp_path, mode, stdin, batched):
    path, first = _case(tmp_path, mode, compressed(zstd_records([samples(171)])), 4096)
    status, _, last = run_cli(path, stdin, batched)
    assert status == 1
    assert last.endswith("offset %d (0x%x): COMPRESSED record decompresses to more than "
                         "perf's 4096-byte buffer (FEAT_COMPRESSED mmap_len)"
                         % (first, first))


@pytest.mark.parametrize("mode,stdin,batched", MODES, ids=MODE_IDS)
def test_compressed_records_need_the_feature(tmp_path, mode, stdin, batched):
    """Without FEAT_COMPRESSED perf has no buffer to decompress into and fails."""
    path, first = _case(tmp_path, mode, compressed(zstd_records([samples(3)])), None)
    status, _, last = run_cli(path, stdin, batched)
    assert status == 1
    assert last.endswith("offset %d (0x%x): COMPRESSED record without a COMPRESSED header "
                         "feature (perf's decompression buffer size is unknown)"
                         % (first, first))


@pytest.mark.parametrize("mode,stdin,batched", MODES, ids=MODE_IDS)
def test_a_record_that_inflates_to_nothing_is_refused(tmp_path, mode, stdin, batched):
    good = zstd_records([samples(3)])[0]
    path, first = _case(tmp_path, mode, compressed([good, b""]))
    status, out, last = run_cli(path, stdin, batched)
    at = first + 8 + len(good)
    assert status == 1
    assert last.endswith("offset %d (0x%x): COMPRESSED record decompresses to nothing"
                         % (at, at))


@pytest.mark.parametrize("mode,stdin,batched", MODES, ids=MODE_IDS)
def test_a_forged_buffer_size_does_not_lift_every_bound(tmp_path, mode, stdin, batched):
    """FEAT_COMPRESSED says 4 GiB, so no record breaks perf's rule (perf 6.1 unpacks it
    all: 46 s and 4.2 GB for this kind of file); the stream as a whole may still not
    inflate to more than MAX_RATIO times what it was read from."""
    from perfscript.perfdata.compressed import MAX_RATIO, RATIO_FLOOR
    payload = bomb_payload(256)
    path, first = _case(tmp_path, mode, compressed(
        [payload[k:k + 60000] for k in range(0, len(payload), 60000)]),
        mmap_len=0xFFFFFFFF)
    status, out, last = run_cli(path, stdin, batched)
    assert status == 1 and out == b""
    assert last.startswith("perfscript: %s: offset " % ("<stdin>" if stdin else path)), last
    assert "times their size (a decompression bomb)" in last, last
    unpacked = int(last.split("decompress to ")[1].split()[0])
    assert unpacked <= MAX_RATIO * len(payload) + RATIO_FLOOR + (1 << 20)
