"""Damaged pipe-mode recordings read from stdin end as they end from a file.

`perfscript -i - < bad`, `cat bad | perfscript -i -` and `perfscript -i bad` must give
the same one located line (the name aside), never a traceback: a size a record claims
for its payload (tracing data, auxtrace) is never allocated before the bytes arrive, so
a lie ends with the stream, in little memory (the runs are memory-limited).
"""

import io
import os
import resource
import struct
import subprocess
import sys

import pytest

from conftest import RECORDINGS, script_env
from perfscript.errors import PerfDataError
from perfscript.perfdata import container
from perfscript.perfdata.container import Source

PIPE = os.path.join(RECORDINGS, "pipe.data")
HEADER_ATTR, HEADER_FEATURE, HEADER_TRACING_DATA, AUXTRACE = 64, 80, 66, 71


def _records(raw):
    """(offset, type, size) of each record of a pipe-mode file, tracing data skipped."""
    out, off = [], 16
    while off < len(raw):
        typ, _, size = struct.unpack_from("<IHH", raw, off)
        out.append((off, typ, size))
        if typ == HEADER_TRACING_DATA:
            off += (struct.unpack_from("<I", raw, off + 8)[0] + 7) & ~7
        off += size
    return out


def _first(typ):
    return next(off for off, t, _ in _records(open(PIPE, "rb").read()) if t == typ)


TD = _first(HEADER_TRACING_DATA)
AFTER_TD = next(off for off, _, _ in _records(open(PIPE, "rb").read()) if off > TD)
ATTR = _first(HEADER_ATTR)
FEAT = _first(HEADER_FEATURE)


def _auxtrace(payload_size, payload=b""):
    return struct.pack("<IHHQQQIIII", AUXTRACE, 0, 48, payload_size, 0, 0, 0, 0, 0,
                       0) + payload


def _damaged(kind):
    raw = bytearray(open(PIPE, "rb").read())
    td, after_td, attr, feat = TD, AFTER_TD, ATTR, FEAT
    if kind == "tracing data size 4 GiB":
        struct.pack_into("<I", raw, td + 8, 0xFFFFFFF0)
    elif kind == "tracing data record too short":
        struct.pack_into("<H", raw, td + 6, 8)
    elif kind == "tracing data cut short":
        struct.pack_into("<I", raw, td + 8, 100)
    elif kind == "tracing data garbage":
        raw[td + 36:td + 76] = b"\xff" * 40
    elif kind == "auxtrace payload 4 GiB":
        raw[after_td:after_td] = _auxtrace(0xFFFF0000)
    elif kind == "auxtrace payload 1 TiB":
        raw[after_td:after_td] = _auxtrace(1 << 40)
    elif kind == "auxtrace record too short":
        raw[after_td:after_td] = struct.pack("<IHHQ", AUXTRACE, 0, 8, 0)
    elif kind == "bad magic":
        raw[:8] = b"XXXXXXXX"
    elif kind == "attr record past the end":
        struct.pack_into("<H", raw, attr + 6, 0xFFF8)
    elif kind == "attr size 4 GiB":
        struct.pack_into("<I", raw, attr + 12, 0xFFFFFFF0)
    elif kind == "attr record too short":
        struct.pack_into("<H", raw, attr + 6, 16)
    elif kind == "feature id nonsense":
        struct.pack_into("<Q", raw, feat + 8, 0xFFFFFFFFFFFF)
    elif kind == "feature garbage":
        raw[feat + 16:feat + 84] = b"\xff" * 68
    elif kind == "header cut short":
        del raw[10:]
    else:
        raise AssertionError(kind)
    return bytes(raw)


KINDS = ["tracing data size 4 GiB", "tracing data record too short",
         "tracing data cut short", "tracing data garbage", "auxtrace payload 4 GiB",
         "auxtrace payload 1 TiB", "auxtrace record too short", "bad magic",
         "attr record past the end", "attr size 4 GiB", "attr record too short",
         "feature id nonsense", "feature garbage", "header cut short"]


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def _run(path, how):
    """perfscript on `path`: given as -i FILE, as stdin redirected from it, or piped.
    (status, stdout, stderr's last line with the input's name taken out)."""
    args = [sys.executable, "-m", "perfscript", "-i", str(path) if how == "file" else "-"]
    kw = dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=script_env(),
              timeout=120, preexec_fn=_limit_memory)
    if how == "pipe":
        p = subprocess.run(args, input=open(path, "rb").read(), **kw)
    else:
        with open(path, "rb") as f:
            p = subprocess.run(args, stdin=f if how == "stdin" else subprocess.DEVNULL, **kw)
    err = p.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err[-3000:]
    lines = err.strip().splitlines()
    last = lines[-1] if lines else ""
    return p.returncode, p.stdout, last.replace(str(path), "<stdin>")


@pytest.mark.parametrize("kind", KINDS)
def test_stdin_ends_as_the_file_does(tmp_path, kind):
    path = tmp_path / "bad.data"
    path.write_bytes(_damaged(kind))
    from_file = _run(path, "file")
    assert from_file[0] in (0, 1)
    if from_file[0] == 1:
        assert from_file[2].startswith("perfscript: <stdin>: offset "), from_file[2]
    assert _run(path, "stdin") == from_file
    assert _run(path, "pipe") == from_file


@pytest.mark.parametrize("kind,offset,what", [
    ("tracing data size 4 GiB", "td", "truncated payload of record type 66: wanted "
     "4294967280 bytes, got "),
    ("tracing data record too short", "td", "record of type 66 too short (8 bytes)"),
    ("auxtrace payload 4 GiB", "aux", "truncated payload of record type 71: wanted "
     "4294901760 bytes, got "),
    ("auxtrace record too short", "aux", "record of type 71 too short (8 bytes)"),
    ("attr size 4 GiB", "attr", "perf_event_attr size 4294967280 does not fit in"),
])
def test_what_and_where(tmp_path, kind, offset, what):
    raw = _damaged(kind)
    path = tmp_path / "bad.data"
    path.write_bytes(raw)
    at = {"td": TD, "attr": ATTR + 8, "aux": AFTER_TD}[offset]
    status, _, last = _run(path, "pipe")
    assert status == 1
    assert last.startswith("perfscript: <stdin>: offset %d (0x%x): %s" % (at, at, what)), last


def test_payloads_larger_than_a_read_are_read_whole(tmp_path):
    """A true payload of several read chunks is read (tracing data) or skipped (an
    AUXTRACE's): the output is the recording's own."""
    raw = bytearray(open(PIPE, "rb").read())
    size = 3 * container.READ_CHUNK + 8
    raw[AFTER_TD:AFTER_TD] = _auxtrace(size, b"\xa5" * size)
    path = tmp_path / "aux.data"
    path.write_bytes(bytes(raw))
    plain = _run(PIPE, "file")
    assert plain[0] == 0
    assert _run(path, "pipe") == _run(path, "file") == plain


class _Recorder(io.BytesIO):
    """A stream that remembers the sizes it was asked for."""

    def __init__(self, data):
        super().__init__(data)
        self.asked = []

    def read(self, n=-1):
        self.asked.append(n)
        return super().read(n)


def _stream_source(data):
    src = Source.__new__(Source)
    src.path, src.name, src.buf, src.stream = "-", "<stdin>", None, _Recorder(data)
    return src


def test_a_claimed_size_is_never_asked_for_at_once():
    src = _stream_source(b"x" * 100)
    with pytest.raises(PerfDataError) as e:
        src.read_exact(4 << 30, 1234, "payload of record type 66")
    assert (e.value.offset, e.value.what) == (
        1234, "truncated payload of record type 66: wanted 4294967296 bytes, got 100")
    assert max(src.stream.asked) <= container.READ_CHUNK
    src = _stream_source(bytes(range(256)) * 20000)
    assert src.read_exact(5_000_000, 0, "x") == (bytes(range(256)) * 20000)[:5_000_000]
    src.skip_exact(100_000, 0, "x")
    assert src.stream.tell() == 5_100_000
    assert max(src.stream.asked) <= container.READ_CHUNK
