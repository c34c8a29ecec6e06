"""Our Perf-Trace-Util modules (Core, Util, EventClass) against perf's own.

Both copies are imported side by side and fed the same inputs; results,
raised exception types and side effects (autovivified dict entries, class
counters, printed text) must agree.  perf's modules come from the installed
linux-perf package; tests needing them are skipped where it is missing.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

ROOT = pathlib.Path(__file__).resolve().parents[1]
OURS = ROOT / "src/perfscript/exec_path/scripts/python/Perf-Trace-Util/lib/Perf/Trace"
PERFS = pathlib.Path("/usr/lib/perf-core/scripts/python/Perf-Trace-Util/lib/Perf/Trace")

needs_perf_modules = pytest.mark.skipif(not (PERFS / "Core.py").exists(),
                                        reason="perf's Perf-Trace-Util modules not installed")


def _load(directory: pathlib.Path, name: str, alias: str):
    spec = importlib.util.spec_from_file_location(alias, directory / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    with contextlib.redirect_stdout(io.StringIO()):  # perf's Util may print its audit banner
        spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def ours():
    return {n: _load(OURS, n, f"_ours_{n}") for n in ("Core", "Util", "EventClass")}


@pytest.fixture(scope="module")
def perfs():
    if not (PERFS / "Core.py").exists():
        pytest.skip("perf's Perf-Trace-Util modules not installed")
    return {n: _load(PERFS, n, f"_perf_{n}") for n in ("Core", "Util", "EventClass")}


def _outcome(fn, *args):
    """(result or exception type, printed text) of one call."""
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            res = ("ok", fn(*args))
    except Exception as exc:  # noqa: BLE001 - comparing failure modes
        res = ("raise", type(exc))
    return res, buf.getvalue()


def _plain(d):
    """Nested defaultdicts as plain dicts, for comparing autovivified state."""
    if isinstance(d, dict):
        return {k: _plain(v) for k, v in d.items()}
    return d


# --- namespaces -------------------------------------------------------------------

# What `from X import *` gives with perf 6.1's modules and python3-audit present.
EXPECTED_EXPORTS = {
    "Core": {"EventHeaders": "type", "autodict": "function", "defaultdict": "type",
             "define_flag_field": "function", "define_flag_value": "function",
             "define_symbolic_field": "function", "define_symbolic_value": "function",
             "flag_fields": "defaultdict", "flag_str": "function", "symbol_str": "function",
             "symbolic_fields": "defaultdict", "taskState": "function",
             "trace_flag_str": "function", "trace_flags": "dict"},
    "Util": {"FUTEX_CLOCK_REALTIME": "int", "FUTEX_CMD_MASK": "int",
             "FUTEX_PRIVATE_FLAG": "int", "FUTEX_WAIT": "int", "FUTEX_WAKE": "int",
             "NSECS_PER_SEC": "int", "add_stats": "function", "audit": "module",
             "audit_package_warned": "bool", "avg": "function", "clear_term": "function",
             "errno": "module", "machine_id": "int", "machine_to_id": "dict",
             "nsecs": "function", "nsecs_nsecs": "function", "nsecs_secs": "function",
             "nsecs_str": "function", "os": "module", "print_function": "_Feature",
             "strerror": "function", "syscall_name": "function"},
    "EventClass": {"EVTYPE_GENERIC": "int", "EVTYPE_IBS": "int", "EVTYPE_PEBS": "int",
                   "EVTYPE_PEBS_LL": "int", "PebsEvent": "type", "PebsNHM": "type",
                   "PerfEvent": "type", "create_event": "function",
                   "print_function": "_Feature", "struct": "module"},
}

_NS_SCRIPT = r"""
import sys
sys.path.insert(0, sys.argv[1])
for m in ("Core", "Util", "EventClass"):
    ns = {}
    exec("from %s import *" % m, ns)
    ns.pop("__builtins__")
    print(m, sorted((k, type(v).__name__) for k, v in ns.items()))
"""


def _star_exports(python: str, directory: pathlib.Path) -> str:
    proc = subprocess.run([python, "-c", _NS_SCRIPT, str(directory)],
                          capture_output=True, text=True, check=True, cwd="/")
    return proc.stdout


def test_star_exports_match_perf_61():
    """`from X import *` leaks the same names (os, errno, audit, defaultdict ...)."""
    out = _star_exports(sys.executable, OURS)
    got = {}
    for line in out.splitlines():
        mod, rest = line.split(" ", 1)
        got[mod] = dict(eval(rest))  # our own subprocess's repr of a list of str pairs
    assert got == EXPECTED_EXPORTS


def _system_python_with_audit() -> str | None:
    py = shutil.which("python3", path="/usr/bin")
    if py is None:
        return None
    ok = subprocess.run([py, "-c", "import audit"], capture_output=True).returncode == 0
    return py if ok else None


@needs_perf_modules
def test_star_exports_identical_to_perf_in_system_python():
    py = _system_python_with_audit()
    if py is None:
        pytest.skip("system python3 without python3-audit")
    assert _star_exports(py, OURS) == _star_exports(py, PERFS)


def test_importing_util_prints_no_audit_banner():
    code = f"import sys; sys.path.insert(0, {str(OURS)!r}); import Util"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0
    assert proc.stdout == "" and proc.stderr == ""


def test_util_found_without_perfscript_on_path(tmp_path):
    """Real perf with --exec-path pointing at our tree: Util finds its tables by path."""
    code = (f"import sys; sys.path = [p for p in sys.path if 'site-packages' not in p];"
            f"sys.path.insert(0, {str(OURS)!r}); import Util;"
            f"print(Util.syscall_name(0), Util.syscall_name(59))")
    proc = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, env={"PATH": os.environ.get("PATH", "")})
    assert proc.returncode == 0, proc.stderr
    if os.uname().machine == "x86_64":
        assert proc.stdout == "read execve\n"


# --- Core ----------------------------------------------------------------------------

events = st.sampled_from(["ev_a", "ev_b", "irq__softirq_entry"])
fields = st.sampled_from(["flags", "gfp_flags", "vec"])
flag_values = st.one_of(st.integers(-4, 70), st.sampled_from([0x80, 0x100, 0x400000, 2**40]),
                        st.integers())
names = st.sampled_from(["A", "B", "GFP_KERNEL", "", "0x00000040", "NONE"])
delims = st.sampled_from(["|", " | ", "", ","])

define_ops = st.lists(st.one_of(
    st.tuples(st.just("field"), events, fields, delims),
    st.tuples(st.just("value"), events, fields, flag_values, names),
    st.tuples(st.just("sym"), events, fields, flag_values, names),
), max_size=12)
queries = st.lists(st.tuples(st.sampled_from(["flag", "symbol"]), events, fields, flag_values),
                   max_size=8)


def _apply(core, ops, qs):
    core.flag_fields.clear()
    core.symbolic_fields.clear()
    for op in ops:
        if op[0] == "field":
            core.define_flag_field(*op[1:])
            core.define_symbolic_field(op[1], op[2])
        elif op[0] == "value":
            core.define_flag_value(*op[1:])
        else:
            core.define_symbolic_value(*op[1:])
    out = []
    for kind, ev, fld, val in qs:
        fn = core.flag_str if kind == "flag" else core.symbol_str
        out.append(_outcome(fn, ev, fld, val))
    return out, _plain(core.flag_fields), _plain(core.symbolic_fields)


@needs_perf_modules
@settings(max_examples=400, deadline=None)
@given(define_ops, queries)
def test_flag_and_symbol_str(ours, perfs, ops, qs):
    assert _apply(ours["Core"], ops, qs) == _apply(perfs["Core"], ops, qs)


@needs_perf_modules
@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(-70, 70), st.integers(), st.sampled_from([0.0, 1.0, True, None, "x"])))
def test_trace_flag_str_and_task_state(ours, perfs, value):
    for name in ("trace_flag_str", "taskState"):
        assert _outcome(getattr(ours["Core"], name), value) == \
            _outcome(getattr(perfs["Core"], name), value)


@needs_perf_modules
def test_trace_flag_str_table(ours, perfs):
    for v in range(0, 64):
        assert ours["Core"].trace_flag_str(v) == perfs["Core"].trace_flag_str(v)
    assert ours["Core"].trace_flag_str(0) == "NONE"
    assert ours["Core"].trace_flag_str(0x0d) == "IRQS_OFF | NEED_RESCHED | HARDIRQ"
    assert ours["Core"].trace_flags == perfs["Core"].trace_flags


@needs_perf_modules
@settings(max_examples=300, deadline=None)
@given(st.integers(), st.integers(), st.integers(-10**12, 10**12) | st.integers())
def test_event_headers(ours, perfs, cpu, secs, nsecs):
    a = ours["Core"].EventHeaders(cpu, secs, nsecs, 42, "comm", [1, 2])
    b = perfs["Core"].EventHeaders(cpu, secs, nsecs, 42, "comm", [1, 2])
    assert vars(a) == vars(b)
    assert _outcome(a.ts) == _outcome(b.ts)
    assert _outcome(a.ts_format) == _outcome(b.ts_format)


def test_autodict_autovivifies(ours):
    d = ours["Core"].autodict()
    d["a"]["b"]["c"] = 1
    assert d["a"]["b"]["c"] == 1 and "x" not in d
    assert ours["Core"].flag_str("nope", "nope", 3) == ""
    assert "nope" in ours["Core"].flag_fields  # lookup created it, as in perf


# --- Util ----------------------------------------------------------------------------

numbers = st.one_of(st.integers(-10**20, 10**20), st.integers(0, 10**12),
                    st.floats(allow_nan=False, allow_infinity=False, width=64),
                    st.sampled_from([0, 1, -1, 999999999, 1000000000, 2**63, 2**64 - 1]))


@needs_perf_modules
@settings(max_examples=500, deadline=None)
@given(numbers, numbers)
def test_time_helpers(ours, perfs, a, b):
    u, p = ours["Util"], perfs["Util"]
    for name, args in (("avg", (a, b)), ("nsecs", (a, b)), ("nsecs_secs", (a,)),
                       ("nsecs_nsecs", (a,)), ("nsecs_str", (a,))):
        ro, rp = _outcome(getattr(u, name), *args), _outcome(getattr(p, name), *args)
        assert ro == rp or (ro[0][0] == rp[0][0] == "ok" and _same_float(ro[0][1], rp[0][1])), name


def _same_float(x, y):
    return isinstance(x, float) and isinstance(y, float) and x != x and y != y


def test_nsecs_str_is_a_tuple(ours):
    assert ours["Util"].nsecs_str(1_500_000_123) == ("    1.500000123",)
    assert ours["Util"].nsecs_secs(1_500_000_000) == 1.5


@needs_perf_modules
@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", 3]), numbers), max_size=20))
def test_add_stats(ours, perfs, items):
    do, dp = {}, {}
    for k, v in items:
        ours["Util"].add_stats(do, k, v)
        perfs["Util"].add_stats(dp, k, v)
    assert do == dp


@needs_perf_modules
@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(-200, 200), st.integers(), st.floats(-200, 200),
                 st.sampled_from(["x", None, 2.0, -13.0])))
def test_strerror(ours, perfs, nr):
    assert _outcome(ours["Util"].strerror, nr) == _outcome(perfs["Util"].strerror, nr)


@needs_perf_modules
def test_constants_and_clear_term(ours, perfs):
    for name in ("FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_PRIVATE_FLAG", "FUTEX_CLOCK_REALTIME",
                 "FUTEX_CMD_MASK", "NSECS_PER_SEC"):
        assert getattr(ours["Util"], name) == getattr(perfs["Util"], name), name
    # perf's value with python3-audit installed (no banner was printed)
    assert ours["Util"].audit_package_warned is False
    assert _outcome(ours["Util"].clear_term) == _outcome(perfs["Util"].clear_term)
    assert _outcome(ours["Util"].clear_term)[1] == "\x1b[H\x1b[2J\n"


def test_machine_to_id_values(ours):
    assert ours["Util"].machine_to_id == {
        "x86_64": 1, "alpha": 7, "ia64": 2, "ppc": 4, "ppc64": 3, "ppc64le": 10,
        "s390": 6, "s390x": 5, "i386": 0, "i586": 0, "i686": 0}


# --- EventClass ----------------------------------------------------------------------

@needs_perf_modules
@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(min_size=144, max_size=144), st.binary(min_size=176, max_size=176),
                 st.binary(max_size=200)),
       st.sampled_from(["cycles", "mem-loads"]), st.sampled_from(["[unknown]", "main", None]))
def test_create_event(ours, perfs, raw, name, sym):
    eo, ep = ours["EventClass"], perfs["EventClass"]
    before = [(c.__name__, dict((k, v) for k, v in vars(c).items() if k.endswith("_num")))
              for c in (eo.PerfEvent, eo.PebsEvent, eo.PebsNHM)]
    before_p = [(c.__name__, dict((k, v) for k, v in vars(c).items() if k.endswith("_num")))
                for c in (ep.PerfEvent, ep.PebsEvent, ep.PebsNHM)]
    ro, rp = _outcome(eo.create_event, name, "comm", "dso", sym, raw), \
        _outcome(ep.create_event, name, "comm", "dso", sym, raw)
    assert ro[0][0] == rp[0][0]
    if ro[0][0] == "ok":
        a, b = ro[0][1], rp[0][1]
        assert type(a).__name__ == type(b).__name__
        assert vars(a) == vars(b)
        assert _outcome(a.show) == _outcome(b.show)
    after = [(c.__name__, dict((k, v) for k, v in vars(c).items() if k.endswith("_num")))
             for c in (eo.PerfEvent, eo.PebsEvent, eo.PebsNHM)]
    after_p = [(c.__name__, dict((k, v) for k, v in vars(c).items() if k.endswith("_num")))
               for c in (ep.PerfEvent, ep.PebsEvent, ep.PebsNHM)]
    delta = [(n, {k: a[k] - b.get(k, 0) for k in a}) for (n, a), (_, b) in zip(after, before)]
    delta_p = [(n, {k: a[k] - b.get(k, 0) for k in a}) for (n, a), (_, b) in zip(after_p, before_p)]
    assert delta == delta_p


def test_pebs_fields(ours):
    import struct
    raw = struct.pack("22Q", *range(1, 23))
    ev = ours["EventClass"].create_event("e", "c", "d", "s", raw)
    assert type(ev).__name__ == "PebsNHM" and ev.ev_type == 2
    assert (ev.flags, ev.ip, ev.sp, ev.status, ev.lat) == (1, 2, 10, 19, 22)
