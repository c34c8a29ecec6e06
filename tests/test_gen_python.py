"""`perfscript -g python`: the skeleton must be byte-identical to the one perf 6.1 writes.

References: every `gen` check of the shared corpus (ref/gen.py, skipped when ../shared is
absent) and tests/data/gen (see its README: recordings made to reach the layout rules the
corpus does not, and perf's output for tests/data/recordings). Also perf's refusals.
"""

import glob
import os
import subprocess
import sys

import pytest

from perfscript.script import gen_python
from perfscript.script.gen_python import write_skeleton
from perfscript.session.session import Session

TESTS = os.path.dirname(os.path.abspath(__file__))
from conftest import CORPUS, corpus_commands  # noqa: E402
GEN_DATA = os.path.join(TESTS, "data", "gen")
RECORDINGS = os.path.join(TESTS, "data", "recordings")
GENERATED = "generated Python script: perf-script.py\n"


def _corpus_checks():
    out = []
    for case, cid, name, kind, expected, rc, command in corpus_commands():
        if kind != "file:perf-script.py":
            continue
        assert command == "perf script -i $CASE/perf.data -g python", command
        out.append(pytest.param(os.path.join(case, "perf.data"),
                                os.path.join(case, expected), rc, id=cid))
    return out


def _local_checks():
    out = []
    for ref in sorted(glob.glob(os.path.join(GEN_DATA, "*.perf-script.py"))):
        name = os.path.basename(ref)[:-len(".perf-script.py")]
        out.append(pytest.param(os.path.join(GEN_DATA, name + ".data"), ref, 0, id=name))
    for ref in sorted(glob.glob(os.path.join(GEN_DATA, "recordings", "*.perf-script.py"))):
        name = os.path.basename(ref)[:-len(".perf-script.py")]
        out.append(pytest.param(os.path.join(RECORDINGS, name + ".data"), ref, 0,
                                id="recordings/" + name))
    return out


CORPUS_CHECKS = _corpus_checks() if os.path.isdir(CORPUS) else []


def _generate(data, directory, capsys, **kw):
    rc = write_skeleton(Session(data), str(directory), **kw)
    return rc, capsys.readouterr()


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _assert_same(got, want):
    if got != want:
        n = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
                 min(len(got), len(want)))
        line = got[:n].count(b"\n") + 1
        pytest.fail("perf-script.py differs from perf's at byte %d (line %d): got %r, want %r"
                    % (n, line, got[n:n + 60], want[n:n + 60]))


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason="shared corpus not present")
@pytest.mark.parametrize("data,expected,rc", CORPUS_CHECKS)
def test_corpus_gen(data, expected, rc, tmp_path, capsys):
    got_rc, out = _generate(data, tmp_path, capsys)
    assert got_rc == rc
    assert out.out == ""
    assert out.err == GENERATED
    assert os.listdir(tmp_path) == ["perf-script.py"]
    _assert_same(_read(tmp_path / "perf-script.py"), _read(expected))


@pytest.mark.parametrize("data,expected,rc", _local_checks())
def test_local_gen(data, expected, rc, tmp_path, capsys):
    got_rc, out = _generate(data, tmp_path, capsys)
    assert got_rc == rc
    assert out.err == GENERATED
    _assert_same(_read(tmp_path / "perf-script.py"), _read(expected))


def test_local_references_exist():
    assert len(_local_checks()) >= 10


def _field(name, **flags):
    from perfscript.ftrace.format import Field
    return Field(name=name, type="int", offset=0, size=4, **flags)


def test_text_is_sorted_by_id_and_ends_with_newline():
    from perfscript.ftrace.format import EventFormat
    a = EventFormat(system="s", name="late", id=20, fields=(_field("x"),))
    b = EventFormat(system="s", name="early", id=3, fields=())
    text = gen_python.skeleton_text([a, b])
    assert text.index("def s__early(") < text.index("def s__late(")
    assert text.endswith("sorted(a_dict.items())])\n")
    compile(text, "perf-script.py", "exec")


def test_generated_script_compiles_for_every_reference():
    refs = glob.glob(os.path.join(GEN_DATA, "*.perf-script.py"))
    for ref in refs:
        compile(_read(ref), ref, "exec")


# ---------------------------------------------------------------- perf's refusals

def test_custom_fields_refused(tmp_path, capsys):
    data = os.path.join(GEN_DATA, "zero.data")
    rc, out = _generate(data, tmp_path, capsys, custom_fields=True)
    assert rc == 234    # -EINVAL
    assert out.err == "custom fields not supported for generated scripts"
    assert os.listdir(tmp_path) == []


def test_output_not_writable(tmp_path, capsys):
    (tmp_path / "perf-script.py").mkdir()
    rc, out = _generate(os.path.join(GEN_DATA, "zero.data"), tmp_path, capsys)
    assert rc == 255
    assert out.err == "couldn't open perf-script.py\n"


def test_existing_file_is_replaced(tmp_path, capsys):
    (tmp_path / "perf-script.py").write_bytes(b"x" * 100000)
    rc, _ = _generate(os.path.join(GEN_DATA, "zero.data"), tmp_path, capsys)
    assert rc == 0
    _assert_same(_read(tmp_path / "perf-script.py"),
                 _read(os.path.join(GEN_DATA, "zero.perf-script.py")))


def _cli(args, cwd, stdin_path):
    env = dict(os.environ)
    env.pop("PERF_EXEC_PATH", None)
    with open(stdin_path, "rb") as f:
        return subprocess.run([sys.executable, "-m", "perfscript"] + args, cwd=str(cwd),
                              stdin=f, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=env, timeout=120)


def test_cli_writes_into_cwd(tmp_path):
    data = os.path.join(GEN_DATA, "formats.data")
    p = _cli(["-i", data, "-g", "python"], tmp_path, os.devnull)
    assert p.returncode == 0
    assert p.stdout == b""
    assert p.stderr == GENERATED.encode()
    _assert_same(_read(tmp_path / "perf-script.py"),
                 _read(os.path.join(GEN_DATA, "formats.perf-script.py")))


def test_cli_stdin_opens_a_file_named_dash(tmp_path):
    """perf reads `-i -` from stdin, then opens the path "-" itself for -g: ENOENT."""
    pipe = os.path.join(RECORDINGS, "pipe.data")
    p = _cli(["-i", "-", "-g", "python"], tmp_path, pipe)
    assert p.returncode == 254    # -ENOENT
    assert p.stderr == b"failed to open file: No such file or directory\n"
    assert os.listdir(tmp_path) == []


def test_cli_stdin_with_empty_dash_file(tmp_path):
    """...and when ./- exists but is empty: nothing to do, status 0."""
    (tmp_path / "-").write_bytes(b"")
    pipe = os.path.join(RECORDINGS, "pipe.data")
    p = _cli(["-i", "-", "-g", "python"], tmp_path, pipe)
    assert p.returncode == 0
    assert p.stderr == b"zero-sized file, nothing to do!\n"
    assert sorted(os.listdir(tmp_path)) == ["-"]


def test_cli_stdin_with_dash_file_writes_bare_skeleton(tmp_path):
    """A pipe-mode stream has no formats before its records: no tracepoint handlers."""
    (tmp_path / "-").write_bytes(b"x")
    pipe = os.path.join(RECORDINGS, "pipe.data")
    p = _cli(["-i", "-", "-g", "python"], tmp_path, pipe)
    assert p.returncode == 0
    assert p.stderr == GENERATED.encode()
    _assert_same(_read(tmp_path / "perf-script.py"),
                 _read(os.path.join(GEN_DATA, "recordings", "pipe.perf-script.py")))


def test_names_from_the_recording_never_become_code():
    """perf 6.1 pastes system, event and field names into the skeleton's source; a
    tracing-data blob can name a system with newlines and code. Such an event gets a
    handler under a name of ours, registered by a string literal: the text compiles,
    the payload stays data, and the script API finds the handler by perf's name."""
    import ast

    from perfscript.ftrace.format import parse_format
    from perfscript.script.gen_python import skeleton_text
    text = ("name: ok\nID: 7\nformat:\n"
            "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n"
            "\tfield:int pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
            "print fmt: \"pid=%d\", REC->pid\n")
    hostile = parse_format(text, system="s(a):\n\tpayload()\ndef t")
    plain = parse_format(text, system="sched")
    skeleton = skeleton_text([hostile, plain])
    tree = ast.parse(skeleton)
    called = {n.func.id for n in ast.walk(tree)
              if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert "payload" not in called
    assert "def sched__ok(" in skeleton            # ordinary names: perf's text
    handler_part = skeleton[skeleton.index("def _event_7_handler"):
                            skeleton.index("def sched__ok(")]
    seen = []
    ns = {"print_header": lambda *a: None, "get_dict_as_string": seen.append,
          "payload": lambda: seen.append("ran")}
    exec(compile(handler_part, "skeleton", "exec"), ns)
    ns[hostile.handler_name]("ok", None, 0, 1, 2, 3, "comm", [], 42)
    assert seen == [{"pid": 42}]
