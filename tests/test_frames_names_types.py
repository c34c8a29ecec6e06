"""Names and types of the tables: one event-naming rule, dummy events left out, the
sample's columns always `sample_*`, times as duration and wall clock, full precision in
every export, callchains polars can take apart. Checked against what perf printed for
tests/data/recordings/frames/names_types.data (README there)."""

import csv
import io
import json
import os
import re

import pytest

pa = pytest.importorskip("pyarrow")

import perfscript  # noqa: E402
from perfscript.frames.tables import base_name, resolve_event  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FRAMES = os.path.join(HERE, "data", "recordings", "frames")
DATA = os.path.join(FRAMES, "names_types.data")
SCHED = os.path.join(HERE, "data", "recordings", "sched.data")
CALLCHAIN = os.path.join(HERE, "data", "recordings", "callchain.data")
ps_open = perfscript.open        # the tests' `perfscript` fixture runs the CLI


def _perf_script_times():
    """{event: [time in ns]} from perf's `-F event,time --ns` lines."""
    out = {}
    with open(os.path.join(FRAMES, "names_types.script.txt")) as f:
        for line in f:
            m = re.match(r"\s*(\d+)\.(\d{9}):\s+(\S+):", line)
            out.setdefault(m[3], []).append(int(m[1]) * 10**9 + int(m[2]))
    return out


def _reference_time():
    """(TOD ns, monotonic ns) of perf's `reference time` header line."""
    with open(os.path.join(FRAMES, "names_types.header.txt")) as f:
        text = f.read()
    m = re.search(r"reference time: .* = (\d+)\.(\d{6}) \(TOD\) = (\d+)\.(\d{9}) \(monotonic\)",
                  text)
    return (int(m[1]) * 10**9 + int(m[2]) * 1000, int(m[3]) * 10**9 + int(m[4]))


# ------------------------------------------------------------------ event names

def test_every_name_of_an_event_finds_it():
    with ps_open(DATA) as t:
        assert t.event_names == ["sched:sched_wakeup", "cpu-clock:ppp"]
        for name in ("cpu-clock:ppp", "cpu-clock", "cpu_clock_ppp", "CPU_CLOCK_PPP"):
            assert t.event_name(name) == "cpu-clock:ppp", name
            assert t.table(name).num_rows == 32, name
        for name in ("sched:sched_wakeup", "sched__sched_wakeup"):
            assert t.table(name).num_rows == 10
            assert t.to_pandas(name).shape[0] == 10
        with pytest.raises(KeyError, match="cpu-clock:ppp.*cpu_clock_ppp"):
            t.table("cpu-clock:u")          # other modifiers: another event


def test_ambiguous_and_unknown_names_list_the_candidates():
    formats = {"cpu-clock:u": None, "cpu-clock:k": None, "sched:sched_switch": object()}
    views = {"cpu_clock_u": "cpu-clock:u", "cpu_clock_k": "cpu-clock:k",
             "sched__sched_switch": "sched:sched_switch"}
    with pytest.raises(KeyError, match="ambiguous.*cpu-clock:u, cpu-clock:k"):
        resolve_event("cpu-clock", formats, views)
    with pytest.raises(KeyError, match="no event 'sched'.*sched:sched_switch"):
        resolve_event("sched", formats, views)   # a tracepoint's system is no modifier
    assert resolve_event("cpu_clock_k", formats, views) == "cpu-clock:k"
    assert base_name("dummy:HG") == "dummy" and base_name("cycles:ukpp") == "cycles"
    assert base_name("sched:sched_switch", tracepoint=True) == "sched:sched_switch"
    assert base_name("sched:sched_switch:k", tracepoint=True) == "sched:sched_switch"


def test_export_takes_every_name(perfscript, tmp_path):
    for i, name in enumerate(("cpu-clock", "cpu_clock_ppp", "cpu-clock:ppp")):
        p = perfscript(["export", "-i", DATA, "-o", tmp_path / str(i), "-e", name])
        assert p.returncode == 0, p.stderr
        assert p.stdout.decode().split("\t")[0] == "cpu-clock:ppp"
    p = perfscript(["export", "-i", DATA, "-o", tmp_path / "x", "-e", "nope"])
    assert p.returncode != 0 and b"cpu-clock:ppp" in p.stderr


# ------------------------------------------------------------------ side-band events

def test_dummy_event_is_not_a_table(perfscript, tmp_path):
    """perf report lists the events with samples; dummy:HG (0 samples, there only for
    side-band records) is left out of the names, counts, views and exports."""
    want = {ev: len(ts) for ev, ts in _perf_script_times().items()}
    with ps_open(DATA) as t:
        assert t.counts() == want
        assert "dummy:HG" not in t.header["events"]
        assert set(t.view_names().values()) == set(want)
    p = perfscript(["export", "-i", DATA, "-o", tmp_path / "out"])
    assert p.returncode == 0, p.stderr
    meta = json.loads((tmp_path / "out" / "header.json").read_text())
    assert set(meta["events"]) == set(want)
    assert sorted(os.listdir(tmp_path / "out")) == [
        "cpu_clock_ppp.parquet", "header.json", "sched__sched_wakeup.parquet"]


# ------------------------------------------------------------------ column names

def test_the_samples_columns_are_sample_star_in_every_table():
    with ps_open(DATA) as t:
        wk, clock = t.table("sched:sched_wakeup"), t.table("cpu-clock")
        sample = ["sample_seq", "sample_time", "sample_timestamp", "sample_wall_time",
                  "sample_cpu", "sample_pid", "sample_tid", "sample_comm", "sample_period",
                  "sample_ip"]
        assert clock.column_names == sample
        assert wk.column_names[:len(sample)] == sample
        # the payload's own pid/comm keep perf's names: the woken task, not the waker
        assert {"pid", "comm", "prio", "target_cpu"} <= set(wk.column_names)
        rows = wk.to_pylist()
        assert any(r["pid"] != r["sample_pid"] for r in rows)
        assert all(r["common_pid"] == r["sample_tid"] for r in rows)


# ------------------------------------------------------------------ times

def test_time_is_a_duration_and_wall_time_is_perfs_reference():
    tod, mono = _reference_time()
    times = _perf_script_times()
    with ps_open(DATA) as t:
        tb = t.table("cpu-clock")
        assert tb.schema.field("sample_time").type == pa.int64()
        assert tb.schema.field("sample_timestamp").type == pa.duration("ns")
        assert tb.schema.field("sample_wall_time").type == pa.timestamp("ns", tz="UTC")
        assert tb.column("sample_time").to_pylist() == times["cpu-clock:ppp"]
        wall = tb.column("sample_wall_time").cast(pa.int64()).to_pylist()
        assert wall == [tod + ns - mono for ns in times["cpu-clock:ppp"]]
        pd = pytest.importorskip("pandas")
        df = t.to_pandas("cpu-clock")
        assert df["sample_timestamp"].iloc[0] == pd.Timedelta(times["cpu-clock:ppp"][0], "ns")
        assert str(df["sample_wall_time"].dt.tz) == "UTC"


def test_no_wall_time_without_clock_data():
    with ps_open(SCHED) as t:
        tb = t.table(t.event_names[0])
        assert "sample_wall_time" not in tb.column_names
        assert tb.schema.field("sample_timestamp").type == pa.duration("ns")


# ------------------------------------------------------------------ precision

def test_sql_csv_and_text_keep_nanoseconds(perfscript):
    first = _perf_script_times()["cpu-clock:ppp"][0]
    tod, mono = _reference_time()
    wall_ns = (tod + first - mono) % 10**9
    q = ("SELECT sample_time, sample_wall_time, make_timestamp_ns(sample_time) AS t "
         "FROM cpu_clock_ppp ORDER BY sample_seq LIMIT 1")
    p = perfscript(["sql", "-i", DATA, "--csv", q])
    assert p.returncode == 0, p.stderr
    (row,) = list(csv.DictReader(io.StringIO(p.stdout.decode())))
    assert int(row["sample_time"]) == first
    assert row["sample_wall_time"].endswith(".%09d+00:00" % wall_ns), row
    assert row["t"].endswith(".%09d" % (first % 10**9)), row
    p = perfscript(["sql", "-i", DATA, q])
    assert (".%09d+00:00" % wall_ns).encode() in p.stdout


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_exports_keep_nanoseconds(perfscript, tmp_path, fmt):
    times = _perf_script_times()["cpu-clock:ppp"]
    tod, mono = _reference_time()
    p = perfscript(["export", "-i", DATA, "-o", tmp_path, "--format", fmt, "-e", "cpu-clock"])
    assert p.returncode == 0, p.stderr
    path = tmp_path / ("cpu_clock_ppp." + fmt)
    if fmt == "parquet":
        import pyarrow.parquet as pq
        tb = pq.read_table(path)
        assert tb.column("sample_time").to_pylist() == times
        assert tb.schema.field("sample_timestamp").type == pa.duration("ns")
        assert tb.column("sample_timestamp").cast(pa.int64()).to_pylist() == times
        assert tb.column("sample_wall_time").cast(pa.int64()).to_pylist() == [
            tod + ns - mono for ns in times]
        return
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(path.read_text())))
    else:
        rows = [json.loads(x) for x in path.read_text().splitlines()]
    assert [int(r["sample_time"]) for r in rows] == times
    # DuckDB writes `2026-12-07 16:50:24.81511651+00`: trailing zeros dropped
    fractions = [re.search(r"\.(\d+)\+00$", r["sample_wall_time"])[1] for r in rows]
    assert [f.ljust(9, "0") for f in fractions] == [
        "%09d" % ((tod + ns - mono) % 10**9) for ns in times]


# ------------------------------------------------------------------ callchains

def test_callchains_take_polars_list_operations():
    pl = pytest.importorskip("polars")
    with ps_open(CALLCHAIN) as t:
        name = t.event_name("cpu-clock")
        tb = t.table(name)
        frame = tb.schema.field("sample_callchain").type.value_type
        assert frame.field("sym").type == pa.string() and frame.field("dso").type == pa.string()
        df = t.to_polars(name)
    folded = df.select(pl.col("sample_callchain").list.eval(
        pl.element().struct.field("sym").fill_null("[unknown]")).list.reverse().list.join(";"))
    want = [";".join(reversed([f["sym"] or "[unknown]" for f in c]))
            for c in tb.column("sample_callchain").to_pylist()]
    assert folded.to_series().to_list() == want and any(";" in s for s in want)
