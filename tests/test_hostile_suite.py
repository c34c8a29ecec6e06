"""A short, fixed-seed run of the adversarial suite (fuzz/campaign.py): hostile variants of
the committed recordings through every mode, each run bounded in time and memory.

Every run must end with exit 0, one located `perfscript: FILE: offset N: what` line, or
one of perf's own refusals; a traceback, a run over its budget, memory out of proportion
to the input or a file written outside the target fails the test, which prints the
`SEED:INDEX` to replay with `python fuzz/campaign.py --replay SEED:INDEX`. The long run
(>= 100k inputs) is documented in fuzz/README.md.
"""

import json
import os
import sys

import pytest

HERE = os.path.dirname(__file__)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "fuzz"))

import campaign  # noqa: E402

SHORT_RUN = 160
BUDGET = 90          # seconds per input: generous, CI shares two cores


def _report(summary):
    lines = []
    for f in summary["failures"]:
        lines.append("%s %s (%s, %s): %s" % (f["input"], f["kind"], f["mode"],
                                              f["mutations"], f["stderr"][-600:]))
    return "\n".join(lines)


@pytest.mark.parametrize("part", range(4))
def test_short_campaign(part):
    indices = range(part, SHORT_RUN, 4)
    summary = campaign.run_campaign("ci", indices, budget=BUDGET)
    assert not summary["failures"], _report(summary)
    counts = summary["counts"]
    assert sum(counts.values()) == len(indices)
    # the inputs are hostile enough to be refused often, and plausible enough to pass often
    assert counts.get("clean-error", 0) > len(indices) // 10, counts
    assert counts.get("ok", 0) > len(indices) // 10, counts


def test_the_console_command_runs_the_same_way():
    """A few inputs through `python -m perfscript` itself, not a fork of this process."""
    summary = campaign.run_campaign("ci-subprocess", range(12), budget=BUDGET,
                                    runner=campaign._run_subprocess)
    assert not summary["failures"], _report(summary)


def test_inputs_replay_identically():
    files = campaign.seeds()
    a = campaign.make_input("replay", 17, files)
    b = campaign.make_input("replay", 17, files)
    assert a == b


def test_the_judge_catches_what_it_must():
    j = campaign.judge
    tb = b"Traceback (most recent call last):\n  File x\nKeyError: 1\n"
    assert j(1, tb, 0.1, 0, 100, [], 30) == "traceback"
    assert j(1, b"perfscript: f: offset 8 (0x8): bad\n", 0.1, 0, 100, [], 30) == "clean-error"
    assert j(1, b"perfscript: f: bad\n", 0.1, 0, 100, [], 30) == "unlocated"
    assert j(0, b"", 0.1, 0, 100, ["/x/PWNED"], 30) == "stray-file"
    assert j(-9, b"", 31, 0, 100, [], 30) == "over-time"
    assert j(0, b"", 0.1, 1 << 34, 100, [], 30) == "over-memory"
    assert j(0, b"", 0.1, 0, 100, [], 30) == "ok"
    raised = (b'Traceback (most recent call last):\n  File "perf-script.py", line 9\n'
              b"Fatal Python error: handler_call_die: problem in Python trace event handler\n")
    assert j(134, raised, 0.1, 0, 100, [], 30, "gen") == "skeleton-raised"
    assert j(134, raised, 0.1, 0, 100, [], 30, "script") == "traceback"
    json.dumps(campaign.make_input("x", 1, campaign.seeds())[1:])
