"""Each package says what it is and shows its use in a few lines: those lines run here,
on the bundled example recording, and must print what they say."""

import doctest
import importlib
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ["perfscript.perfdata", "perfscript.tracedat", "perfscript.ftrace", "perfscript.symbols",
            "perfscript.names", "perfscript.session",
            "perfscript.script", "perfscript.perfmod", "perfscript.output", "perfscript.frames",
            "perfscript.engines", "perfscript.cli"]


@pytest.mark.parametrize("name", PACKAGES)
def test_package_doc_runs(name, monkeypatch):
    if name in ("perfscript.frames", "perfscript.engines"):
        pytest.importorskip("pyarrow")
    monkeypatch.chdir(ROOT)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted >= 3, "%s: its docstring shows no use" % name
    assert result.failed == 0
