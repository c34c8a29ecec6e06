"""perfscript.open(): the API surface, on real recordings."""

import os
import subprocess
import sys

import pytest

pa = pytest.importorskip("pyarrow")

import perfscript  # noqa: E402
from conftest import SHARED  # noqa: E402

CASES = os.path.join(SHARED, "corpus", "cases")
RECORDINGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "recordings")


def _case(name):
    p = os.path.join(CASES, name, "perf.data")
    if not os.path.exists(p):
        pytest.skip("no corpus")
    return p


def test_import_perfscript_stays_light():
    code = ("import sys, perfscript; assert callable(perfscript.open); "
            "print(any(m in sys.modules for m in ('pyarrow', 'duckdb', 'pandas', 'polars')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_header_and_names():
    with perfscript.open(_case("sched_messaging")) as t:
        h = t.header
        assert h["arch"] == "x86_64" and h["nrcpus_online"] >= 1
        assert "perf record" in h["cmdline"] and h["perf_version"]
        assert h["first_time"] <= h["last_time"]
        assert t.event_names[0] == "sched:sched_switch"
        assert "sched__sched_switch" in t.view_names()


def test_pipe_mode_names_come_from_the_data():
    with perfscript.open(_case("pipe_mode")) as t:
        assert t.event_names and sum(t.counts().values()) > 0


def test_real_types():
    with perfscript.open(_case("raw_syscalls")) as t:
        exit_ = t.table("raw_syscalls:sys_exit")
        assert exit_.schema.field("ret").type == pa.int64()
        enter = t.table("raw_syscalls:sys_enter")
        assert enter.schema.field("args").type == pa.list_(pa.uint64(), 6)
        assert pa.types.is_dictionary(enter.schema.field("sample_comm").type)
    with perfscript.open(_case("sched_messaging")) as t:
        sw = t.table("sched:sched_switch")
        assert sw.schema.field("prev_pid").type == pa.int32()
        assert pa.types.is_dictionary(sw.schema.field("prev_comm").type)
        wk = t.table("sched:sched_wakeup")
        # the event's own pid/comm keep their names; the sample's are sample_*
        assert {"pid", "comm", "sample_pid", "sample_comm"} <= set(wk.column_names)


def test_negative_values_are_sign_extended():
    with perfscript.open(_case("futex_openat")) as t:
        rets = t.sql("SELECT min(ret) FROM syscalls__sys_exit_openat").fetchall()[0][0]
        assert rets < 0 or rets >= 0     # typed int64, and present
        assert t.table("syscalls:sys_exit_openat").schema.field("ret").type == pa.int64()


def test_pandas_and_polars():
    pytest.importorskip("pandas")
    pytest.importorskip("polars")
    with perfscript.open(_case("kmem_gfp")) as t:
        n = t.counts()["kmem:kmalloc"]
        df = t.to_pandas("kmem:kmalloc")
        assert len(df) == n and df["bytes_req"].sum() > 0
        pl = t.to_polars("kmem:kmalloc")
        assert pl.height == n and int(pl["bytes_req"].sum()) == int(df["bytes_req"].sum())


def test_unknown_event():
    with perfscript.open(_case("raw_syscalls")) as t:
        with pytest.raises(KeyError):
            t.table("nope:nope")


def test_callchains_and_non_tracepoints():
    with perfscript.open(_case("cpu_clock_callchain")) as t:
        (name,) = [n for n in t.event_names if t.counts()[n]][:1]
        tb = t.table(name)
        assert "sample_callchain" in tb.column_names and "sample_ip" in tb.column_names
        chains = tb.column("sample_callchain").to_pylist()
        assert any(chains) and all(f["ip"] < (1 << 64) - 4095 for c in chains for f in c)
        assert any(f["sym"] and f["dso"] for c in chains for f in c)


def test_damage_is_the_error_closing_raises(tmp_path):
    """A damaged sample ends the reading with its PerfDataError, also inside `with`: closing
    the map while the error's frames still hold views of it must not replace the error."""
    from perfscript.errors import PerfDataError
    data = bytearray(open(os.path.join(RECORDINGS, "syscalls.data"), "rb").read())
    data[42339:42347] = bytes.fromhex("9423555182568b96")   # a raw size past its record
    path = tmp_path / "damaged.data"
    path.write_bytes(bytes(data))
    with pytest.raises(PerfDataError, match="overruns its record"):
        with perfscript.open(str(path)) as t:
            t.counts()


def test_a_stream_that_ends_before_its_tracing_data_still_names_its_events(tmp_path):
    """Pipe mode names tracepoints when their formats arrive: a stream cut before that
    still gives every event a name (perf's 'unknown tracepoint:N') and a view."""
    import struct
    data = open(os.path.join(RECORDINGS, "pipe.data"), "rb").read()
    pos = 16
    while struct.unpack_from("<I", data, pos)[0] == 64:      # the HEADER_ATTRs only
        pos += struct.unpack_from("<H", data, pos + 6)[0]
    cut = tmp_path / "cut.data"
    cut.write_bytes(data[:pos])
    with perfscript.open(str(cut)) as t:
        names = t.event_names
        assert names and all(n.startswith("unknown tracepoint:") for n in names), names
        assert sorted(t.view_names().values()) == sorted(names)
        assert all(n == 0 for n in t.counts().values())


def test_an_event_announced_inside_a_files_data_gets_a_name():
    """A HEADER_ATTR record in a file-mode data section (perf writes them only in pipe
    mode) adds an event the tables still name, never a None view name (a fuzz input:
    tests/data/hostile/README.md)."""
    path = os.path.join(os.path.dirname(RECORDINGS), "hostile", "unnamed_attr_in_data.data")
    with perfscript.open(path) as t:
        t.counts()
        views = t.view_names()
        assert views and all(isinstance(v, str) and v for v in views)
        assert all(isinstance(n, str) for n in views.values())


def _column_refs(t, event):
    """Weak references to the NumPy columns the pass collected for `event`."""
    import weakref

    import numpy as np
    ec = t._collector.events[t._index()[event].index]
    return [weakref.ref(a) for chunk in ec.chunks for a in chunk.values()
            if isinstance(a, np.ndarray)]


@pytest.mark.parametrize("close", [True, False])
def test_close_lets_go_of_the_columns_it_did_not_hand_out(close):
    """A closed recording's pass holds nothing the caller does not: its objects refer
    to each other, so without close() letting go, the columns of recordings read in a
    loop (a dataset worker, a chunk worker) wait for the cyclic collector while the
    next one allocates. (Unclosed, they do wait: the test sees the cycle it guards.)"""
    import gc
    t = perfscript.open(os.path.join(RECORDINGS, "textbatch", "mixed.data"))
    counts = t.counts()
    fewest = min(counts, key=counts.get)
    kept = t.table(fewest)
    rows = kept.to_pylist()
    others = [n for n in counts if n != fewest]
    refs = [r for n in others for r in _column_refs(t, n)]
    assert refs
    gc.collect()
    gc.disable()
    try:
        if close:
            t.close()
            with pytest.raises(ValueError, match="closed"):
                t.table(others[0])
        del t
        alive = sum(r() is not None for r in refs)
    finally:
        gc.enable()
    assert kept.to_pylist() == rows         # what was handed out stays
    assert alive == (0 if close else len(refs))
