"""perf script's -F fields that read code and source (srcline, srccode, insn, insnlen),
branch stacks (brstack, brstacksym, brstackoff, brstackinsn, brstackinsnlen, --max-blocks),
bpf-output, synth and metric, and the perf_sample_* script functions, against what perf 6.1
printed for the recordings of data/recordings/fields (see its README.md; references made by
data/recordings/mkrefs_fields.py). perfscript runs as perf did: in that directory, with
--symfs symfs, where the recorded binaries are."""

import json
import os

import pytest

from conftest import RECORDINGS, assert_like_perf, read_maybe_xz

FIELDS = os.path.join(RECORDINGS, "fields")
EXPECTED = os.path.join(FIELDS, "expected")


def _checks():
    with open(os.path.join(EXPECTED, "checks.json")) as f:
        return json.load(f)


CHECKS = _checks()


@pytest.mark.parametrize("check", CHECKS, ids=[c["name"] for c in CHECKS])
def test_like_perf(check, perfscript):
    got = perfscript(check["args"], cwd=FIELDS)
    assert_like_perf(got, read_maybe_xz(os.path.join(EXPECTED, check["out"])), check["rc"])


def test_checks_cover_every_new_field():
    """Every field this file is about is printed by some check that exits 0."""
    printed = " ".join(" ".join(c["args"]) for c in CHECKS if c["rc"] == 0)
    for field in ("srcline", "srccode", "insn", "insnlen", "brstack", "brstacksym",
                  "brstackoff", "brstackinsn", "brstackinsnlen", "bpf-output", "synth",
                  "metric", "--full-source-path", "--max-blocks"):
        assert field in printed, field


def test_source_file_from_cwd(perfscript, tmp_path):
    """srccode reads the source file by the name DWARF gives (relative: from the working
    directory): elsewhere it prints nothing, like perf, and the lines stay as perf's."""
    check = next(c for c in CHECKS if c["name"] == "fields.srccode")
    args = [os.path.join(FIELDS, a) if a in ("symfs", "fields.data") else a
            for a in check["args"]]
    got = perfscript(args, cwd=tmp_path)
    want = read_maybe_xz(os.path.join(EXPECTED, check["out"]))
    assert got.returncode == 0
    code_lines = [line for line in want.splitlines() if line.startswith(b"|")]
    assert code_lines
    assert got.stdout.splitlines() == [line for line in want.splitlines()
                                       if not line.startswith(b"|")]
