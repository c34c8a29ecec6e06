"""Damaged recordings end cleanly: the whole command on mutated real files.

Real recordings with bytes overwritten, cut short or with junk spliced in must make
perfscript either succeed or stop with status 1 and one `perfscript: FILE: offset N: ...`
line, never a Python traceback, a hang, or a huge allocation (the run is time- and
memory-limited).
"""

import os
import resource
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HERE = os.path.dirname(__file__)
RECORDINGS = os.path.join(HERE, "data", "recordings")
# A script that takes whatever it is given: damage may change an event's fields, and a
# named handler with a fixed signature would then raise (which perf also treats as fatal).
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "fuzz"))
from campaign import GENERIC_SCRIPT as GENERIC  # noqa: E402

FILES = ["sched.data", "syscalls.data", "zstd.data", "pipe.data", "callchain.data"]


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def _check(p):
    err = p.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err[-3000:]
    assert p.returncode in (0, 1), (p.returncode, err[-3000:])
    if p.returncode == 1:
        last = err.strip().splitlines()[-1]
        assert last.startswith("perfscript: ") and "offset" in last, last


mutation = st.one_of(
    st.tuples(st.just("overwrite"), st.floats(0.0, 1.0), st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("truncate"), st.floats(0.0, 1.0), st.just(b"")),
    st.tuples(st.just("insert"), st.floats(0.0, 1.0), st.binary(min_size=1, max_size=64)),
)


def _mutate(data, mutations):
    data = bytearray(data)
    for kind, where, blob in mutations:
        at = int(where * (len(data) - 1))
        if kind == "overwrite":
            data[at:at + len(blob)] = blob
        elif kind == "truncate":
            del data[max(at, 1):]
        else:
            data[at:at] = blob
    return bytes(data)


@pytest.mark.parametrize("name", FILES)
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(mutation, min_size=1, max_size=3))
def test_damaged_recording_ends_cleanly(name, mutations, perfscript, tmp_path):
    with open(os.path.join(RECORDINGS, name), "rb") as f:
        data = _mutate(f.read(), mutations)
    path = tmp_path / "damaged.data"
    path.write_bytes(data)
    script = tmp_path / "generic.py"
    script.write_text(GENERIC)
    p = perfscript(["-i", str(path), "-s", str(script)], timeout=60)
    _check(p)
