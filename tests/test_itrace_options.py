"""perf_set_itrace_options: perf 6.1 parses a script's options once (0, or -EINVAL with its
"Bad Instruction Tracing options" line) and answers 1 ever after, on a recording without
hardware trace too. perfscript's answers against perf's for every letter, the option
sub-syntaxes and random strings (data/recordings/fields/expected/itrace_options.json, made
by data/recordings/mkrefs_fields.py)."""

import json
import os

import pytest

from conftest import RECORDINGS, same_status
from perfscript.script.itrace_options import EINVAL, parse_itrace_options

FIELDS = os.path.join(RECORDINGS, "fields")
with open(os.path.join(FIELDS, "expected", "itrace_options.json"), encoding="utf-8") as _f:
    ANSWERS = json.load(_f)


def _first_answer(stdout):
    return int(stdout.split()[0])


@pytest.mark.parametrize("option", [o for o, a in ANSWERS.items() if a[1] == 0])
def test_grammar_like_perf(option):
    assert parse_itrace_options(option) == _first_answer(ANSWERS[option][0])


def test_answers_cover_both_outcomes():
    results = {_first_answer(a[0]) for a in ANSWERS.values() if a[1] == 0}
    assert results == {0, -EINVAL}


@pytest.mark.parametrize("option", ["", "garbage", "F", "i10ns5", "g1025", "e+A", "s 5",
                                    "i 10 i"])
def test_script_like_perf(option, perfscript):
    """Through a script: the answer, the second call's 1, the error line, the exit."""
    stdout, rc, errors = ANSWERS[option]
    got = perfscript(["-i", "fields.data", "-s", "scripts/itrace.py", option], cwd=FIELDS)
    assert got.stdout.decode("utf-8", "surrogateescape") == stdout
    assert same_status(got.returncode, rc)
    got_errors = [line for line in got.stderr.decode("utf-8", "surrogateescape").splitlines()
                  if line.startswith("Bad ")]
    assert got_errors == errors
