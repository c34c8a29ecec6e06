"""`perf stat record` files in interval mode (-I 100) of one process, system wide (-a),
--per-core, -A (per cpu), --per-socket, --per-thread, without -I, and copies whose counters
are made to look multiplexed (run < ena, run 0): perf script's table and the stat__<event>
/ stat__interval calls against what perf 6.1 gave (data/recordings/stat_interval, references
made by data/recordings/mkrefs_fields.py): growths since the last round and scaled values
in the aggregated modes, raw values and a scaled global sum otherwise."""

import json
import os

import pytest

from conftest import RECORDINGS, assert_like_perf, read_maybe_xz

STAT = os.path.join(RECORDINGS, "stat_interval")
EXPECTED = os.path.join(STAT, "expected")
with open(os.path.join(EXPECTED, "checks.json")) as _f:
    CHECKS = json.load(_f)


@pytest.mark.parametrize("check", CHECKS, ids=[c["name"] for c in CHECKS])
def test_like_perf(check, perfscript):
    got = perfscript(check["args"], cwd=STAT)
    assert_like_perf(got, read_maybe_xz(os.path.join(EXPECTED, check["out"])), check["rc"])


def test_growths_are_printed():
    """The per-core table is not cumulative: its second round's values are smaller than
    the first's sum (a check that the reference shows what this file says)."""
    lines = read_maybe_xz(os.path.join(EXPECTED, "per_core.out")).decode().splitlines()[1:]
    clock = [int(line.split()[2]) for line in lines if line.endswith("task-clock")]
    assert len(clock) >= 4 and clock[2] < clock[0] + clock[1]
