"""The perf module's sample attributes against perf 6.1's legacy API on the same events.

tests/data/perfmod_attrs/legacy_attrs.py prints, per sample, what perf 6.1 hands a
`perf script -s` script (sample numbers, dso, symbol, offset, payload, callchain frames,
tracepoint fields with their Python types); perf itself ran it on each recording
(mkrefs.py there) and its outputs are stored. module_attrs.py prints the same from
`perf.sample_event` attributes under `perfscript SCRIPT.py`. The two must agree, except
where upstream's module documents a difference:

- the legacy dict's synthesized common_cpu/common_s/common_ns/common_comm/
  common_callchain are not fields of the module's events (common_pid is: a real field);
- an unresolved callchain frame's symbol and dso are "[unknown]", not absent.
"""

import lzma
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "perfmod_attrs"
RECORDINGS = HERE / "data" / "recordings"
SHARED = HERE.parent.parent / "shared"
SYNTHESIZED = {"common_callchain", "common_comm", "common_cpu", "common_ns", "common_s"}
FIXED_PARTS = 13        # the fields every line has before the tracepoint fields


def _kallsyms(xz_path, tmp_path):
    out = tmp_path / "kallsyms"
    with lzma.open(xz_path) as f:
        out.write_bytes(f.read())
    return out


def _expected(xz_path):
    """perf's lines with the module's documented differences applied, and the tracepoint
    fields each event has."""
    with lzma.open(xz_path, "rt", encoding="utf-8", errors="surrogateescape") as f:
        lines = f.read().splitlines()
    fields = {}
    out = []
    for line in lines:
        parts = line.split("\t")
        keep = parts[:FIXED_PARTS]
        keep[12] = keep[12].replace("/None/None", "/[unknown]/[unknown]") \
            .replace("/None/", "/[unknown]/")
        if "__" in parts[0]:
            system, _, event = parts[0].partition("__")
            names = fields.setdefault(system + ":" + event, set())
        else:
            names = set()
        for item in parts[FIXED_PARTS:]:
            name = item.split("=", 1)[0]
            if name not in SYNTHESIZED:
                keep.append(item)
                names.add(name)
        out.append("\t".join(keep))
    return out, fields


def _check(recording, kallsyms, expected_xz):
    expected, fields = _expected(expected_xz)
    spec = ";".join("%s=%s" % (ev, ",".join(sorted(names))) for ev, names in fields.items())
    got = subprocess.run(
        [sys.executable, "-m", "perfscript", str(DATA / "module_attrs.py"), "-i",
         str(recording), "--kallsyms", str(kallsyms), "--fields", spec],
        capture_output=True, text=True, errors="surrogateescape",
        env=dict(os.environ, PYTHONPATH=str(HERE.parent / "src")))
    assert got.returncode == 0, got.stderr[-3000:]
    lines = got.stdout.splitlines()
    assert len(lines) == len(expected)
    for i, (want, have) in enumerate(zip(expected, lines)):
        assert have == want, "sample %d differs" % i


@pytest.mark.parametrize("name", ["sched", "syscalls", "callchain", "zstd", "pipe"])
def test_attributes_match_perf_legacy_api(name, tmp_path):
    """tracepoints with common fields and arrays, cpu-clock callchains (kernel and user
    frames), a compressed (-z) file and a pipe-mode file."""
    kallsyms = _kallsyms(next(RECORDINGS.glob("kallsyms-*.xz")), tmp_path)
    _check(RECORDINGS / (name + ".data"), kallsyms, DATA / (name + ".legacy.txt.xz"))


CORPUS = sorted(p.name[len("corpus-"):-len(".legacy.txt.xz")]
                for p in DATA.glob("corpus-*.legacy.txt.xz"))


@pytest.mark.parametrize("case", CORPUS)
def test_attributes_match_perf_legacy_api_on_corpus(case, tmp_path):
    """The shared corpus' recordings: side-band heavy system-wide files, group reads,
    switch events, page faults with data addresses, every kind of tracepoint field."""
    data = SHARED / "corpus" / "cases" / case / "perf.data"
    env = sorted((SHARED / "corpus" / "env").glob("kallsyms-*.xz"))
    if not data.exists() or not env:
        pytest.skip("the shared corpus is not beside the checkout")
    _check(data, _kallsyms(env[0], tmp_path), DATA / ("corpus-%s.legacy.txt.xz" % case))
