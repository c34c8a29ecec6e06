"""--kallsyms naming something that is not a kallsyms file ends at once, and a pipe works.

perf 6.1 refuses a --kallsyms it cannot read ("Invalid file: X", status 255) but reads
/dev/zero forever and blocks on a FIFO nobody writes; perfscript refuses devices the same
way as unreadable files, reads a pipe (a shell's <(...)) once, and waits a bounded time
for a FIFO's writer.
"""

import lzma
import os
import subprocess
import sys
import threading

import pytest

from conftest import RECORDINGS
from perfscript.symbols import kallsyms as kallsyms_module
from perfscript.symbols.kallsyms import read_kallsyms

CALLCHAIN = os.path.join(RECORDINGS, "callchain.data")
KALLSYMS_XZ = [os.path.join(RECORDINGS, f) for f in os.listdir(RECORDINGS)
               if f.startswith("kallsyms-")][0]


@pytest.fixture(scope="module")
def kallsyms_text():
    return lzma.open(KALLSYMS_XZ).read()


@pytest.mark.parametrize("path", ["/dev/zero", "/nonexistent/kallsyms"])
def test_refused_before_reading(path, perfscript):
    p = perfscript(["-i", CALLCHAIN, "--kallsyms", path], timeout=60)
    assert p.returncode == 255
    assert p.stderr == b"Invalid file: %s\n" % path.encode()
    assert p.stdout == b""


def test_a_pipe_is_read_once_like_the_file(perfscript, tmp_path, kallsyms_text):
    plain = tmp_path / "kallsyms"
    plain.write_bytes(kallsyms_text)
    want = perfscript(["-i", CALLCHAIN, "--kallsyms", plain])
    assert want.returncode == 0 and b"[kernel.kallsyms]" in want.stdout
    # the shell's <(...): an inherited pipe named by /dev/fd/N
    r, w = os.pipe()
    feeder = threading.Thread(target=lambda: (os.write(w, kallsyms_text), os.close(w)))
    cmd = [sys.executable, "-m", "perfscript", "-i", CALLCHAIN, "--kallsyms",
           "/dev/fd/%d" % r]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            pass_fds=(r,))
    os.close(r)
    feeder.start()
    out, err = proc.communicate(timeout=300)
    feeder.join()
    assert proc.returncode == 0, err
    assert out == want.stdout


def test_a_fifo_without_writer_is_not_waited_for_forever(tmp_path, monkeypatch):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    monkeypatch.setattr(kallsyms_module, "FIFO_WAIT_SECONDS", 0.2)
    with pytest.raises(OSError) as e:
        read_kallsyms(str(fifo))
    assert "FIFO" in str(e.value)


def test_size_is_bounded(tmp_path, monkeypatch):
    big = tmp_path / "big"
    big.write_bytes(b"ffffffff81000000 T _text\n" * 100)
    monkeypatch.setattr(kallsyms_module, "MAX_KALLSYMS_BYTES", 1000)
    with pytest.raises(OSError) as e:
        read_kallsyms(str(big))
    assert "more than 1000 bytes" in str(e.value)
