"""The derived tables on the command line: `perfscript sql` sees them as views,
`--views` lists them, `export --derived` writes them; `export -e` reads one event."""

import json
import os

import pytest

pytest.importorskip("pyarrow")
pytest.importorskip("duckdb")

import perfscript as _perfscript  # noqa: E402 - the fixture `perfscript` runs the CLI

perfscript_open = _perfscript.open

HERE = os.path.dirname(os.path.abspath(__file__))
TASKS = os.path.join(HERE, "data", "recordings", "derived", "tasks.data")
CALLCHAIN = os.path.join(HERE, "data", "recordings", "callchain.data")


def test_sql_over_threads(perfscript):
    p = perfscript(["sql", "-i", TASKS, "--csv",
                    "SELECT comm, count(*) AS n FROM threads GROUP BY 1 ORDER BY 1"])
    assert p.returncode == 0, p.stderr
    lines = p.stdout.decode().splitlines()
    assert lines[0] == "comm,n" and "tasks,3" in lines and "renamed-worker,1" in lines


def test_views_list_derived(perfscript):
    p = perfscript(["sql", "-i", TASKS, "--views"])
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode().splitlines()
    assert out[0].startswith("cpu_clock\tcpu-clock\t")
    with perfscript_open(TASKS) as t:
        n = t.derived("threads").num_rows
    assert "threads\t(derived)\t%d rows" % n in out
    assert any(line.startswith("stacks\t(derived)") for line in out)


def test_export_derived(perfscript, tmp_path):
    out = tmp_path / "out"
    p = perfscript(["export", "-i", TASKS, "-o", out, "--derived"])
    assert p.returncode == 0, p.stderr
    meta = json.loads((out / "header.json").read_text())
    assert set(meta["derived"]) == {"threads", "processes", "stacks", "frames"}
    import pyarrow.parquet as pq
    with perfscript_open(TASKS) as t:
        for name, info in meta["derived"].items():
            got = pq.read_table(out / info["file"])
            assert got.equals(t.derived(name)), name
    assert "derived:threads\t%s" % (out / "derived" / "threads.parquet") in \
        p.stdout.decode().splitlines()


def test_export_csv_derived(perfscript, tmp_path):
    out = tmp_path / "out"
    p = perfscript(["export", "-i", TASKS, "-o", out, "--derived", "--format", "csv"])
    assert p.returncode == 0, p.stderr
    head = (out / "derived" / "threads.csv").read_text().splitlines()[0]
    assert head.startswith("tid,pid,ppid,parent_tid,comm")


def test_export_one_event_and_unknown(perfscript, tmp_path):
    out = tmp_path / "out"
    p = perfscript(["export", "-i", CALLCHAIN, "-o", out, "-e", "cpu-clock"])
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().startswith("cpu-clock\t")
    p = perfscript(["export", "-i", CALLCHAIN, "-o", out, "-e", "nope"])
    assert p.returncode != 0
    err = p.stderr.decode().strip().splitlines()
    assert len(err) == 1 and "no event 'nope'" in err[0]
