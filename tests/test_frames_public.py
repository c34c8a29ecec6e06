"""perfscript.open()'s public surface: help text, type hints, reprs, progress, and the
errors that name the extra to install when an optional package is missing."""

import inspect
import os
import subprocess
import sys

import pytest

pytest.importorskip("pyarrow")

import perfscript  # noqa: E402
from perfscript.frames import progress as progress_mod  # noqa: E402
from perfscript.frames.extras import MissingExtra  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHED = os.path.join(ROOT, "examples", "sched.data")
TRACEDAT = os.path.join(ROOT, "tests", "data", "tracedat", "v7-none.dat")
RECORDINGS = os.path.join(ROOT, "tests", "data", "recordings")


# ------------------------------------------------------------ help and types

def test_help_of_open_says_what_it_does_with_an_example():
    doc = inspect.getdoc(perfscript.open)
    assert "perf.data" in doc and "trace.dat" in doc
    assert "progress" in doc and "Example" in doc
    assert 'with perfscript.open("perf.data") as t:' in doc
    assert "perfscript[arrow]" in doc


def test_public_api_is_typed():
    sig = inspect.signature(perfscript.open)
    assert sig.parameters["path"].annotation != inspect.Parameter.empty
    assert sig.parameters["progress"].annotation != inspect.Parameter.empty
    assert sig.return_annotation != inspect.Signature.empty
    from perfscript.frames.trace import Trace
    for name in ("counts", "table"):
        assert inspect.signature(getattr(Trace, name)).return_annotation \
            != inspect.Signature.empty, name
    assert os.path.isfile(os.path.join(os.path.dirname(perfscript.__file__), "py.typed"))


# ------------------------------------------------------------ reprs

def test_repr_lists_events_and_counts_once_read():
    with perfscript.open(SCHED) as t:
        before = repr(t)
        assert "3 events" in before and "not counted yet" in before
        assert "sched:sched_process_exec" in before
        assert t._collector is None            # repr read no records
        t.counts()
        after = repr(t)
    assert "21 samples" in after
    lines = after.splitlines()
    assert lines[1].split() == ["sched:sched_switch", "11"]
    assert after.endswith(">")


def test_notebook_display_reads_the_counts():
    with perfscript.open(SCHED) as t:
        html = t._repr_html_()
    assert "<table>" in html and "21 samples" in html
    assert ("<td><code>sched:sched_switch</code></td><td><code>sched__sched_switch</code>"
            "</td><td>11</td>") in html


def test_tracedat_repr():
    with perfscript.open(TRACEDAT) as t:
        t.counts()
        text = repr(t)
    assert text.startswith("<TraceDatTables ") and "51 samples" in text
    assert any(line.split() == ["sched:sched_switch", "25"] for line in text.splitlines())


# ------------------------------------------------------------ progress

def test_progress_true_draws_a_line_without_tqdm_or_rich(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    monkeypatch.setitem(sys.modules, "rich", None)
    monkeypatch.setitem(sys.modules, "rich.progress", None)
    with perfscript.open(SCHED, progress=True) as t:
        assert t.counts()["sched:sched_switch"] == 11
    err = capsys.readouterr().err
    assert "\rreading sched.data: " in err and err.endswith("%\n")


def test_progress_true_on_a_tracedat(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "rich", None)
    with perfscript.open(TRACEDAT, progress=True) as t:
        t.counts()
    assert capsys.readouterr().err.endswith("reading v7-none.dat: 100%\n")


def test_progress_callable_gets_done_and_total():
    calls = []
    with perfscript.open(SCHED, progress=lambda done, total: calls.append((done, total))) as t:
        t.counts()
    assert calls
    total = os.path.getsize(SCHED)
    assert all(tot == total and 0 < done <= total for done, tot in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_progress_uses_tqdm_when_installed(monkeypatch):
    made = []

    class FakeTqdm:
        def __init__(self, total, desc):
            made.append(self)
            self.total, self.desc, self.n, self.closed = total, desc, 0, False

        def update(self, k):
            self.n += k

        def close(self):
            self.closed = True

    fake = type(sys)("tqdm.auto")
    fake.tqdm = FakeTqdm
    monkeypatch.setitem(sys.modules, "tqdm", type(sys)("tqdm"))
    monkeypatch.setitem(sys.modules, "tqdm.auto", fake)
    with perfscript.open(SCHED, progress=True) as t:
        t.counts()
    (bar,) = made
    assert bar.closed and bar.desc == "reading sched.data"
    assert 0 < bar.n <= bar.total == os.path.getsize(SCHED)


def test_progress_of_a_wrong_type_is_refused():
    with pytest.raises(TypeError, match="progress must be"):
        perfscript.open(SCHED, progress=5)
    assert progress_mod.reporter(False) is None and progress_mod.reporter(None) is None


# ------------------------------------------------------------ missing extras

@pytest.mark.parametrize("module, call, extra", [
    ("duckdb", lambda t: t.sql("SELECT 1"), "sql"),
    ("polars", lambda t: t.to_polars("sched:sched_switch"), "polars"),
    ("pandas", lambda t: t.to_pandas("sched:sched_switch"), "pandas"),
])
def test_a_missing_extra_is_named(monkeypatch, module, call, extra):
    monkeypatch.setitem(sys.modules, module, None)
    with perfscript.open(SCHED) as t:
        with pytest.raises(MissingExtra) as e:
            call(t)
    assert "pip install 'perfscript[%s]'" % extra in str(e.value)
    assert isinstance(e.value, ModuleNotFoundError) and e.value.name == module


def test_without_pyarrow_open_names_the_arrow_extra():
    code = ("import sys; sys.modules['pyarrow'] = None\n"
            "import perfscript\n"
            "try:\n"
            "    perfscript.open(%r)\n"
            "except ModuleNotFoundError as e:\n"
            "    print(type(e).__name__, e)\n" % SCHED)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.startswith("MissingExtra "), out
    assert "pip install 'perfscript[arrow]'" in out.stdout


def test_a_package_failing_inside_is_not_called_missing(monkeypatch, tmp_path):
    """Only the optional package itself missing is a MissingExtra: an installed one whose
    own import fails keeps its error."""
    from perfscript.frames.extras import require
    (tmp_path / "polars").mkdir()
    (tmp_path / "polars" / "__init__.py").write_text("import perfscript_missing_dep_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "polars", raising=False)
    with pytest.raises(ModuleNotFoundError) as e:
        require("polars")
    assert not isinstance(e.value, MissingExtra)
    assert e.value.name == "perfscript_missing_dep_xyz"
