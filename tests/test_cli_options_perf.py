"""perf script's options as perf 6.1 reads and applies them (issue 11).

Each check of tests/data/recordings/opts/expected/checks.json runs perfscript the way
mkrefs_opts.py ran the real `perf script`: in a scratch directory holding a copy of the
recording, the kernel symbols as `kallsyms`, dump_args.py, the test vmlinux files (also in
the symfs) and the symfs; stdout, then every `*.dump` file written (--per-event-dump), must be byte-identical
to perf's, and the exit status the same. option_words.json holds perf's verdict on every
prefix of every long option (and its `no-` form); the parser must reach the same one.
"""

import json
import os
import shutil
import subprocess

import pytest

from conftest import RECORDINGS, first_difference, read_maybe_xz, same_status
from perfscript.cli.exits import UsageError
from perfscript.cli.options import OPTIONS, parse_args

OPTS = os.path.join(RECORDINGS, "opts")
EXPECTED = os.path.join(OPTS, "expected")
PERF = shutil.which("perf", path="/usr/bin:/bin")

with open(os.path.join(EXPECTED, "checks.json")) as _f:
    CHECKS = json.load(_f)
with open(os.path.join(EXPECTED, "option_words.json")) as _f:
    WORDS = json.load(_f)


@pytest.fixture(scope="module")
def kernels(tmp_path_factory):
    """The two kallsyms subsets, decompressed: the recordings' and this directory's."""
    out = {}
    for key, where in (("main", RECORDINGS), ("opts", OPTS)):
        (name,) = [f for f in os.listdir(where) if f.startswith("kallsyms-")]
        path = tmp_path_factory.mktemp("kallsyms-" + key) / "kallsyms"
        path.write_bytes(read_maybe_xz(os.path.join(where, name)))
        out[key] = str(path)
    return out


def _scratch(tmp_path, check, kallsyms):
    shutil.copyfile(os.path.join(RECORDINGS, check["recording"]),
                    tmp_path / os.path.basename(check["recording"]))
    shutil.copyfile(kallsyms, tmp_path / "kallsyms")
    shutil.copyfile(os.path.join(RECORDINGS, "dump_args.py"), tmp_path / "dump_args.py")
    shutil.copytree(os.path.join(OPTS, "symfs"), tmp_path / "symfs")
    for name in ("vmlinux", "vmlinux-other"):       # -k NAME is read under --symfs
        shutil.copyfile(os.path.join(OPTS, name), tmp_path / name)
        shutil.copyfile(os.path.join(OPTS, name), tmp_path / "symfs" / name)


def _transcript(stdout, directory):
    out = bytearray(stdout)
    for name in sorted(os.listdir(directory)):
        if name.endswith(".dump"):
            out += b"== %s ==\n" % name.encode() + (directory / name).read_bytes()
    return bytes(out)


@pytest.mark.parametrize("check", CHECKS, ids=[c["name"] for c in CHECKS])
def test_option_like_perf(check, perfscript, kernels, tmp_path):
    _scratch(tmp_path, check, kernels[check["kernel"]])
    args = ["-i", os.path.basename(check["recording"])] + [
        "kallsyms" if a == "{KS}" else a for a in check["args"]]
    p = perfscript(args)
    got = _transcript(p.stdout, tmp_path)
    expected = read_maybe_xz(os.path.join(EXPECTED, check["expected"]))
    assert got == expected, (first_difference(got, expected) + "\n--- stderr:\n"
                             + p.stderr.decode("utf-8", "replace")[-3000:])
    assert same_status(p.returncode, check["rc"]), (
        "exit status %d, perf's was %d\n--- stderr:\n%s"
        % (p.returncode, check["rc"], p.stderr.decode("utf-8", "replace")[-3000:]))


def test_every_recording_here_is_checked():
    names = {c["recording"] for c in CHECKS if c["recording"].startswith("opts/")}
    assert names == {"opts/" + f for f in os.listdir(OPTS) if f.endswith(".data")}


# ------------------------------------------------------------------ the parser

def _verdict(word):
    try:
        parse_args(["--" + word, "-i", "/nonexistent.data"])
    except UsageError as e:
        if "Ambiguous" in str(e) or "unknown option" in str(e):
            return str(e)
    return "ok"


def test_long_option_prefixes_like_perf():
    """Unambiguous prefixes resolve, ambiguous ones name the last two candidates in perf's
    table order, `--no-` negates (abbreviated too), unknown words are refused."""
    assert len(WORDS) > 1000
    wrong = {w: (_verdict(w), perf) for w, perf in WORDS.items() if _verdict(w) != perf}
    assert not wrong


@pytest.mark.parametrize("argv,key,value", [
    (["--header-o"], "header_only", True),
    (["--max-st=3"], "max_stack", 3),
    (["--no-max-stack"], "max_stack", 0),
    (["--max-stack", "-1"], "max_stack", 0xFFFFFFFF),       # perf's unsigned int
    (["--addr-range="], "addr_range", 0),                   # strtol of "": 0, accepted
    (["-vvv"], "verbose", 3),
    (["-v", "--no-verbose"], "verbose", 0),
    (["-Gfa"], "all_cpus", True),
    (["-Cfoo"], "cpu", "foo"),
    (["-c", "ls", "--no-comms"], "comms", None),
    (["--no-demangle"], "demangle", False),
    (["--switch-of", "x"], "switch_off", "x"),
    (["--dump-u"], "dump_unsorted_raw_trace", True),
])
def test_values(argv, key, value):
    assert parse_args(argv)[key] == value


@pytest.mark.parametrize("argv,message", [
    # perf 6.1's words (its " Error: " dropped), checked against `perf script`
    (["-demangle"], "did you mean `--demangle` (with two dashes ?)"),
    (["-force"], "did you mean `--force` (with two dashes ?)"),
    (["-no-ns"], "unknown switch `n'"),
    (["-Ie"], "unknown switch `e'"),
    (["-e"], "unknown switch `e'"),
    (["-C"], "switch `C' requires a value"),
    (["--input"], "option `input' requires a value"),
    (["--ns=1"], "option `ns' takes no value"),
    (["--no-ns=1"], "option `no-ns' takes no value"),
    (["--no-input=x"], "option `no-input' takes no value"),
    (["--header-only="], "option `header-only' takes no value"),
    (["--max-stack=x"], "option `max-stack' expects a numerical value"),
    (["--max-stack", " "], "option `max-stack' expects a numerical value"),
])
def test_usage_errors(argv, message):
    with pytest.raises(UsageError) as e:
        parse_args(argv)
    assert str(e.value) == message


REFUSED = ["--itrace", "--itrace=i100ns", "--no-itrace", "--insn-trace", "--xed",
           "--call-trace", "--call-ret-trace", "--graph-function=f", "--stitch-lbr",
           "--dlfilter=x.so", "--dlarg=a", "--list-dlfilters", "--guestmount=/x",
           "--guestvmlinux=/x", "--guestkallsyms=/x", "--guestmodules=/x", "--guest-code",
           "--no-fields", "--no-script", "--no-symfs"]
@pytest.mark.parametrize("option", REFUSED)
def test_refused_in_one_line(option, perfscript, tmp_path):
    p = perfscript(["-i", os.path.join(RECORDINGS, "sched.data"), option])
    err = p.stderr.decode()
    assert p.returncode == 129 and p.stdout == b""
    assert err.count("\n") == 1 and err.startswith("perfscript: option '--")
    assert "refused: " in err


# the long options `perf script -h` (perf 6.1.187) lists
PERF_LONG_OPTIONS = """
Latency addr-range all-cpus call-ret-trace call-trace comms cpu debug-mode deltatime demangle
demangle-kernel dlarg dlfilter dsos dump-raw-trace dump-unsorted-raw-trace fields force
full-source-path gen-script graph-function guest-code guestkallsyms guestmodules guestmount
guestvmlinux header header-only hide-call-graph inline input insn-trace itrace kallsyms list
list-dlfilters max-blocks max-stack ns per-event-dump pid reltime script show-bpf-events
show-cgroup-events show-info show-kernel-path show-lost-events show-mmap-events
show-namespace-events show-on-off-events show-round-events show-switch-events
show-task-events show-text-poke-events stitch-lbr stop-bt switch-off switch-on symbols symfs
tid time verbose vmlinux xed""".split()


def test_every_option_is_known():
    """Every option `perf script -h` lists is in the table, once; perfscript's own come
    after perf's and are matched only in full."""
    longs = [o.long for o in OPTIONS]
    assert len(longs) == len(set(longs))
    assert sorted(o.long for o in OPTIONS if not o.own) == sorted(PERF_LONG_OPTIONS)
    assert [o.long for o in OPTIONS if o.own] == ["cache", "quiet", "pager"]
    assert all(o.own for o in OPTIONS[len(PERF_LONG_OPTIONS):])
    assert {o.short for o in OPTIONS if o.short} == set("DvLlsgidkGFaSCcIfq")


def test_list_stops_reading():
    """perf lists its scripts as it meets -l (or --no-list): later words are not read."""
    assert parse_args(["-l", "--bogus"])["list"]
    assert parse_args(["--no-list", "--bogus"])["list"]


# ------------------------------------------------------------------ the file's owner

@pytest.mark.skipif(PERF is None or os.geteuid() != 0,
                    reason="needs perf and root (a file owned by another user)")
def test_owner_check_like_perf(perfscript, tmp_path):
    data = tmp_path / "other.data"
    shutil.copyfile(os.path.join(RECORDINGS, "sched.data"), data)
    os.chown(data, 65534, 65534)
    for extra in ([], ["-f"], ["--header-only"]):
        want = subprocess.run([PERF, "script", "-i", str(data)] + extra,
                              capture_output=True, cwd=str(tmp_path))
        got = perfscript(["-i", data] + extra)
        assert got.returncode == want.returncode, (extra, got.stderr)
        assert (got.stdout == b"") == (want.stdout == b""), extra
    assert b"not owned by current user or root (use -f to override)" in \
        perfscript(["-i", data]).stderr
