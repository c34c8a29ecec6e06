"""perfscript.open() on every perf.data of the shared corpus, against the real perf.

The references are `perf script -s dump.py` outputs (ref/dump.txt): every sample perf's
script API delivered, with its values. The tables must hold exactly those samples, per
event, in the same order, with the same values once perf's script-API conversions are
undone (perf zero-extends signed fields narrower than 8 bytes, gives numeric arrays as
bytearray and strings that are not printable as bytearray).
"""

from collections import Counter

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")

import perfscript  # noqa: E402
from test_frames_dumpref import perf_data_cases, samples  # noqa: E402

CASES = perf_data_cases()
IDS = [c[0] for c in CASES]
_SPECIAL = ("common_s", "common_ns", "common_cpu", "common_comm", "common_callchain")


@pytest.fixture(scope="module", params=CASES, ids=IDS)
def case(request):
    name, data, dump = request.param
    t = perfscript.open(data)
    yield name, t, samples(dump)
    t.close()


def test_counts_equal_perf_script(case):
    _, t, recs = case
    want = Counter(r[0] for r in recs)
    got = {k: v for k, v in t.counts().items() if v}
    assert got == dict(want)
    assert set(t.counts()) == set(t.event_names)
    for name, n in t.counts().items():
        assert t.table(name).num_rows == n


def _bytes_of(value, typ):
    """A table value as the bytes perf's script API would show (numeric arrays)."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, list):
        vt = typ.value_type
        dt = np.dtype(vt.to_pandas_dtype()).newbyteorder("<")
        return np.array(value, dtype=dt).tobytes()
    return value


def _same_field(tv, pv, typ):
    if pa.types.is_integer(typ):
        bits = typ.bit_width
        return isinstance(pv, int) and (tv - pv) % (1 << bits) == 0
    if pa.types.is_dictionary(typ) or pa.types.is_string(typ):
        if isinstance(pv, str):
            return tv == pv
        # perf: not a printable string -> bytearray of the raw bytes
        return bytes(pv).split(b"\0")[0].decode("utf-8", "replace") == tv
    raw = _bytes_of(tv, typ)
    if isinstance(pv, str):
        return raw.split(b"\0")[0].decode("utf-8", "replace") == pv
    return raw == bytes(pv)


def test_values_equal_the_script_api(case):
    name, t, recs = case
    by_event = {}
    for r in recs:
        by_event.setdefault(r[0], []).append(r)
    checked = 0
    for ev, rs in by_event.items():
        tb = t.table(ev)
        cols = set(tb.column_names)
        rows = tb.to_pylist()
        types = {f.name: f.type for f in tb.schema}
        assert len(rows) == len(rs)
        for i, (row, (_, fields, sample)) in enumerate(zip(rows, rs)):
            where = "%s %s row %d" % (name, ev, i)

            def col(k):
                return "sample_" + k     # the sample's values are sample_* in every table

            assert row[col("time")] == sample["time"], where
            for k in ("cpu", "pid", "tid"):
                assert (row[col(k)] - sample[k]) % (1 << 32) == 0, (where, k)
            assert row[col("comm")] == sample["comm"], where
            assert row[col("period")] == sample["period"], where
            if col("ip") in cols:
                assert row[col("ip")] == sample["ip"], where
            if col("addr") in cols:
                assert row[col("addr")] == sample["addr"], where
            if fields is None:
                continue
            s, ns = divmod(row[col("time")], 1000000000)
            assert (fields["common_s"], fields["common_ns"]) == (s, ns), where
            assert fields["common_comm"] == row[col("comm")], where
            for k, pv in fields.items():
                if k in _SPECIAL:
                    continue
                assert k in cols, (where, k)
                assert _same_field(row[k], pv, types[k]), (where, k, row[k], pv)
                checked += 1
    assert checked or not any(r[1] for r in recs)


def test_sql_views(case):
    _, t, recs = case
    views = t.view_names()
    for view, ev in views.items():
        n = t.sql('SELECT count(*) FROM "%s"' % view).fetchall()[0][0]
        assert n == t.counts()[ev]
