"""What reading a recording costs before its first record: the modules it imports.

Each case runs in a fresh interpreter (this one has imported everything already).
"""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECORDINGS = os.path.join(ROOT, "tests", "data", "recordings")

# needed only by some recordings: DWARF unwinding (and the symbol layer), compressed data
# sections; dataclasses costs its module and each class it makes
OPTIONAL = ("perfscript.symbols", "elftools", "zstandard", "tempfile", "dataclasses")


def _run(code, **env):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, **env), cwd=ROOT, check=True)
    return out.stdout.split()


def test_a_tracepoint_recording_imports_no_optional_module():
    code = """if 1:
        import sys
        from perfscript.session.consumer import Consumer
        from perfscript.session.session import Session

        class Count(Consumer):
            n = 0
            def deliver_batch(self, batch):
                Count.n += len(batch)

        Session(%r).process(Count())
        assert Count.n > 400, Count.n
        print(*[m for m in %r if m in sys.modules])
    """ % (os.path.join(RECORDINGS, "syscalls.data"), OPTIONAL)
    assert _run(code) == []


def test_a_compressed_recording_imports_zstandard_when_read():
    code = """if 1:
        import sys
        from perfscript.session.consumer import Consumer
        from perfscript.session.session import Session
        session = Session(%r)
        print("before", "zstandard" in sys.modules)
        session.process(Consumer())
        print("after", "zstandard" in sys.modules)
    """ % os.path.join(RECORDINGS, "zstd.data")
    assert _run(code) == ["before", "False", "after", "True"]


def test_openblas_threads_sleep_at_once_unless_told_otherwise():
    code = "import os, perfscript; print(os.environ['OPENBLAS_THREAD_TIMEOUT'])"
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, cwd=ROOT, check=True)
    assert out.stdout.split() == ["4"]
    assert _run(code, OPENBLAS_THREAD_TIMEOUT="20") == ["20"]
