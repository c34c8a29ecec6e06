"""--header, --header-only and -I against the real perf on the same files.

perf prints the header's offsets, every header feature (the listing of `perf report
--header-only`), the attrs of every event and the features a file lacks; pipe-mode input
prints zeros and then each feature as its record goes by. The repository's recordings and
every corpus file perf 6.1 can read are compared byte for byte (the "captured on" line is
the input's mtime, the same file for both).
"""

import glob
import os
import shutil
import subprocess

import pytest

from conftest import CORPUS, RECORDINGS, first_difference, script_env

PERF = shutil.which("perf")
needs_perf = pytest.mark.skipif(PERF is None, reason="perf is not installed")

FILES = sorted(glob.glob(os.path.join(RECORDINGS, "*.data"))
               + glob.glob(os.path.join(CORPUS, "*", "*", "perf.data")))


def _label(path):
    return os.path.relpath(path, os.path.dirname(os.path.dirname(path)))


def _perf(args):
    return subprocess.run([PERF, "script"] + args, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=script_env(), timeout=300)


@needs_perf
@pytest.mark.parametrize("full", [False, True], ids=["plain", "-I"])
@pytest.mark.parametrize("path", FILES, ids=[_label(p) for p in FILES])
def test_header_only_like_perf(path, full, perfscript):
    args = ["--header-only", "-i", path] + (["-I"] if full else [])
    want = _perf(args)
    got = perfscript(args)
    if want.returncode != 0:
        # files perf 6.1 cannot read (newer or foreign layouts): we still print a header
        assert got.returncode == 0, got.stderr[-500:]
        assert got.stdout.startswith(b"# ========\n# captured on    : ")
        assert got.stdout.endswith(b"# ========\n#\n")
        return
    assert got.stdout == want.stdout, first_difference(got.stdout, want.stdout)
    assert got.returncode == 0


PIPE_FILES = [os.path.join(RECORDINGS, "pipe.data")] + [
    p for p in (os.path.join(CORPUS, "thirdparty", "quipper_piped_header_features_4_16",
                             "perf.data"),) if os.path.exists(p)]


@needs_perf
@pytest.mark.parametrize("opts", [["--header"], ["-I"], ["--header", "-I"]],
                         ids=["--header", "-I", "--header -I"])
@pytest.mark.parametrize("path", PIPE_FILES, ids=[_label(p) for p in PIPE_FILES])
def test_pipe_features_printed_in_stream(path, opts, perfscript):
    """In pipe mode each feature prints where its record is, with or without --header."""
    args = opts + ["-i", path]
    want = _perf(args)
    got = perfscript(args)
    assert want.returncode == 0
    assert got.stdout == want.stdout, first_difference(got.stdout, want.stdout)
    assert b"# cmdline : " in got.stdout


@needs_perf
def test_header_and_script_output_order(perfscript, tmp_path):
    """Into a pipe, perf's C-buffered header (less than one block here) comes out at exit,
    after the script's output that the interpreter flushed first."""
    script = tmp_path / "s.py"
    script.write_text("def trace_begin():\n    print('begin')\n"
                      "def trace_end():\n    print('end')\n")
    args = ["--header", "-i", os.path.join(RECORDINGS, "sched.data"), "-s", str(script)]
    want = _perf(args)
    got = perfscript(args)
    assert got.stdout == want.stdout, first_difference(got.stdout, want.stdout)
    assert got.stdout.startswith(b"begin\nend\n# ========\n")


def test_header_counts_missing_features(perfscript):
    """A value check that needs no perf: sched.data's event list and missing features."""
    p = perfscript(["--header-only", "-i", os.path.join(RECORDINGS, "sched.data")])
    text = p.stdout.decode()
    assert p.returncode == 0
    assert text.count("# event : name = sched:") == 6
    assert "sample_type = IP|TID|TIME|ID|CPU|PERIOD|RAW, read_format = ID|LOST" in text
    assert "# missing features: BRANCH_STACK GROUP_DESC AUXTRACE STAT CLOCKID" in text
    assert "# CPU_TOPOLOGY info available, use -I to display\n" in text


@needs_perf
def test_long_header_split_at_block_with_script(perfscript, tmp_path):
    """A header longer than one stdio block: the whole blocks first, the script's output,
    then the rest (mid-line), exactly as perf's pipe output."""
    path = os.path.join(CORPUS, "cases", "block_writeback", "perf.data")
    if not os.path.exists(path):
        pytest.skip("corpus absent")
    script = tmp_path / "s.py"
    script.write_text("def trace_end():\n    print('end')\n")
    args = ["--header", "-I", "-i", path, "-s", str(script)]
    want = _perf(args)
    got = perfscript(args)
    assert got.stdout == want.stdout, first_difference(got.stdout, want.stdout)
    assert not got.stdout.startswith(b"end\n") and b"end\n" in got.stdout
