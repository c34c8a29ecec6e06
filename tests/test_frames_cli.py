"""`perfscript export` and `perfscript sql` on real recordings."""

import json
import os

import pytest

pa = pytest.importorskip("pyarrow")
pytest.importorskip("duckdb")

import perfscript  # noqa: E402
from conftest import SHARED  # noqa: E402

DATA = os.path.join(SHARED, "corpus", "cases", "mixed_tp_sw", "perf.data")
pytestmark = pytest.mark.skipif(not os.path.exists(DATA), reason="no corpus")


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_export_one_file_per_event(perfscript, tmp_path, fmt):
    out = tmp_path / "out"
    p = perfscript(["export", "-i", DATA, "-o", out, "--format", fmt])
    assert p.returncode == 0, p.stderr
    meta = json.loads((out / "header.json").read_text())
    with perfscript_open(DATA) as t:
        counts = t.counts()
        assert set(meta["events"]) == set(t.event_names)
        for name, info in meta["events"].items():
            path = out / info["file"]
            assert info["rows"] == counts[name]
            if fmt == "parquet":
                import pyarrow.parquet as pq
                tb = pq.read_table(path)
                assert tb.equals(t.table(name).combine_chunks()) or \
                    tb.to_pylist() == t.table(name).to_pylist()
            elif fmt == "csv":
                lines = path.read_text().splitlines()
                assert len(lines) == counts[name] + 1
                # the view's columns: no duration (see Tables.duckdb)
                assert lines[0].split(",")[:3] == ["sample_seq", "sample_time", "sample_cpu"]
            else:
                rows = [json.loads(x) for x in path.read_text().splitlines()]
                assert len(rows) == counts[name]
                want = t.table(name).to_pylist()
                for r, w in zip(rows, want):
                    assert r["sample_time"] == w["sample_time"]
                    assert r["sample_seq"] == w["sample_seq"]


def perfscript_open(path):
    return perfscript.open(path)


def test_export_selected_events(perfscript, tmp_path):
    p = perfscript(["export", "-i", DATA, "-o", tmp_path, "-e", "sched__sched_switch",
                    "-e", "task:task_rename"])
    assert p.returncode == 0, p.stderr
    files = sorted(os.listdir(tmp_path))
    assert files == ["header.json", "sched__sched_switch.parquet", "task__task_rename.parquet"]


def test_sql_prints_a_table(perfscript):
    p = perfscript(["sql", "-i", DATA, "--csv",
                    "SELECT count(*) AS n FROM sched__sched_switch"])
    assert p.returncode == 0, p.stderr
    with perfscript_open(DATA) as t:
        n = t.counts()["sched:sched_switch"]
    assert p.stdout.decode().splitlines() == ["n", str(n)]
    p = perfscript(["sql", "-i", DATA, "SELECT prev_comm, count(*) AS n FROM "
                    "sched__sched_switch GROUP BY 1 ORDER BY 2 DESC, 1"])
    assert p.returncode == 0
    lines = p.stdout.decode().splitlines()
    assert lines[0].split() == ["prev_comm", "n"] and set(lines[1]) == {"-", " "}


def test_sql_views_listing(perfscript):
    p = perfscript(["sql", "-i", DATA, "--views"])
    assert p.returncode == 0
    assert "sched__sched_switch\tsched:sched_switch\t" in p.stdout.decode()


def test_errors_are_one_line(perfscript, tmp_path):
    p = perfscript(["sql", "-i", DATA, "SELECT nope FROM nowhere"])
    assert p.returncode == 1 and len(p.stderr.decode().splitlines()) == 1
    bad = tmp_path / "bad.data"
    bad.write_bytes(b"PERFILE2" + b"\0" * 50)
    p = perfscript(["sql", "-i", bad, "SELECT 1"])
    assert p.returncode == 1 and len(p.stderr.decode().splitlines()) == 1, p.stderr
    p = perfscript(["export", "-i", DATA])
    assert p.returncode == 129
    p = perfscript(["export", "-i", DATA, "-o", tmp_path / "x", "-e", "nosuch"])
    assert p.returncode == 129
