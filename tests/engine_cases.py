"""What the Spark and Dask tests read, and what they compare with: each recording's
own `perfscript.open(file).table(event)`, made in the test process."""

import functools
import glob
import os
import shutil

import perfscript
from perfscript.engines.parts import PASS_LOCAL, SOURCE_FILE

HERE = os.path.dirname(os.path.abspath(__file__))
REC = os.path.join(HERE, "data", "recordings")
TDAT = os.path.join(HERE, "data", "tracedat")
CORPUS_CASES = os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared", "corpus",
                            "cases")

# (event, recordings, chunk_bytes): between them every kind of input (file mode, pipe,
# zstd-compressed, chunked, trace.dat) and every Arrow type the tables use (uint64 in
# lists of structs and in fixed-size lists, dictionary strings, durations, timestamps)
CASES = {
    # chunks.data has callchains (and 5 chunks at 20000 bytes), sched.data and the
    # trace.dat none: their callchain column is null
    "sched_switch": ("sched:sched_switch",
                     [os.path.join(REC, "sched.data"),
                      os.path.join(REC, "chunks", "chunks.data"),
                      os.path.join(TDAT, "v7-zstd.dat")], 20000),
    # names_types.data has clock data (sample_wall_time), sched.data has not
    "sched_wakeup": ("sched:sched_wakeup",
                     [os.path.join(REC, "sched.data"),
                      os.path.join(REC, "frames", "names_types.data"),
                      os.path.join(TDAT, "v6.dat")], 0),
    # args[6]: fixed_size_list<uint64>; pipe mode; zstd-compressed records
    "sys_enter": ("raw_syscalls:sys_enter",
                  [os.path.join(REC, "syscalls.data"), os.path.join(REC, "pipe.data"),
                   os.path.join(REC, "zstd.data")], 0),
}


@functools.lru_cache(maxsize=None)
def corpus_events():
    """{event: [corpus recordings that have it]} for a few events that together
    cover every recording of the shared corpus (greedily); {} without the corpus."""
    files = sorted(glob.glob(os.path.join(CORPUS_CASES, "*", "*.data"))
                   + glob.glob(os.path.join(CORPUS_CASES, "*", "*.dat")))
    names = {}
    for f in files:
        with perfscript.open(f) as t:
            names[f] = t.event_names
    left, chosen = set(files), {}
    while left:
        counts = {}
        for f in left:
            for e in names[f]:
                counts[e] = counts.get(e, 0) + 1
        best = max(sorted(counts), key=counts.get)
        chosen[best] = [f for f in files if best in names[f]]
        left -= set(chosen[best])
    return chosen


def reference(path, event):
    """perfscript.open(path).table(event) without the pass-local columns."""
    return _tables(path)[event]


@functools.lru_cache(maxsize=None)
def _tables(path):
    with perfscript.open(path) as t:
        tables = {name: t.table(name) for name in t.event_names}
    return {name: table.drop_columns([c for c in PASS_LOCAL if c in table.column_names])
            for name, table in tables.items()}


def rows_of(table, path):
    """The rows of `table` (an engine's result as Arrow) read from `path`, in order."""
    import pyarrow.compute as pc
    source = table.column(SOURCE_FILE)
    return table.filter(pc.equal(source.cast("string"), path))


def broken_copy(src, directory, keep):
    """A copy of recording `src` cut after `keep` bytes, and a whole copy beside it:
    (good, broken) paths."""
    good = os.path.join(directory, "good-" + os.path.basename(src))
    broken = os.path.join(directory, "broken-" + os.path.basename(src))
    shutil.copyfile(src, good)
    with open(src, "rb") as f:
        head = f.read(keep)
    with open(broken, "wb") as f:
        f.write(head)
    return good, broken


def need(engine, modules, java=False):
    """Skip the calling test module, saying why, when `engine` cannot run here (a
    module missing, no Java); with PERFSCRIPT_REQUIRE_ENGINES=1 (.ci/run) fail."""
    import importlib.util
    import pytest
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    reason = None
    if missing:
        reason = "%s is not installed (pip install 'perfscript[%s]')" % (
            " and ".join(missing), engine.lower())
    elif java and not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        reason = "no Java (Debian: apt-get install openjdk-17-jre-headless)"
    if reason is None:
        return
    if os.environ.get("PERFSCRIPT_REQUIRE_ENGINES"):
        pytest.fail("%s tests cannot run: %s (PERFSCRIPT_REQUIRE_ENGINES is set)"
                    % (engine, reason), pytrace=False)
    pytest.skip("%s tests skipped: %s" % (engine, reason), allow_module_level=True)
