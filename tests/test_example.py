"""The README's main job: the bundled example script on the bundled recording prints
what perf printed for it (examples/sched_summary.expected)."""

import os

HERE = os.path.dirname(__file__)
EXAMPLES = os.path.join(HERE, "..", "examples")


def test_bundled_example_matches_perf(perfscript):
    p = perfscript(["-i", os.path.join(EXAMPLES, "sched.data"),
                    "-s", os.path.join(EXAMPLES, "sched_summary.py")])
    assert p.returncode == 0, p.stderr.decode()
    with open(os.path.join(EXAMPLES, "sched_summary.expected"), "rb") as f:
        assert p.stdout == f.read()


def test_script_found_among_perfs_installed_scripts(perfscript):
    """`-s name` alone finds perf's shipped script, as perf does."""
    if not os.path.exists("/usr/lib/perf-core/scripts/python/syscall-counts.py"):
        import pytest
        pytest.skip("perf's scripts are not installed")
    p = perfscript(["-i", os.path.join(HERE, "data", "recordings", "syscalls.data"),
                    "-s", "syscall-counts.py"])
    assert p.returncode == 0, p.stderr.decode()
    assert b"syscall events:" in p.stdout


def test_auxtrace_error_handler(perfscript, tmp_path):
    from synthetic import build_perf_data
    path = tmp_path / "perf.data"
    path.write_bytes(build_perf_data([("a", 0, 0, b"old layout"), ("a", 2, 99, b"new")]))
    script = tmp_path / "s.py"
    script.write_text("def auxtrace_error(*a): print(a)\n")
    p = perfscript(["-i", path, "-s", script])
    assert p.returncode == 0, p.stderr.decode()
    assert p.stdout.decode().splitlines() == [
        "(1, 2, 3, 4, 5, 18446744071578845184, 0, 'old layout', 1, 0, -1)",
        "(1, 2, 3, 4, 5, 18446744071578845184, 99, 'new', 1, 7, 8)",
    ]


def test_script_imports_modules_beside_it(perfscript, tmp_path):
    """perf puts the script's directory first on sys.path (PySys_SetArgv)."""
    d = tmp_path / "scripts"
    d.mkdir()
    (d / "helpermod.py").write_text("X = 42\n")
    (d / "s.py").write_text("import helpermod\ndef trace_end(): print(helpermod.X)\n")
    p = perfscript(["-i", os.path.join(EXAMPLES, "sched.data"), "-s", d / "s.py"])
    assert p.returncode == 0, p.stderr.decode()
    assert p.stdout == b"42\n"
