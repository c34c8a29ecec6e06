"""The names of the Python scripts perf 6.1 ships (scripts/python/bin/NAME-report), with
their `# args:` and `# description:` lines: what `perfscript -l` shows, and what a missing
script is recognised by, when perf's script directory is not installed."""

# (name, args, description), as perf 6.1's report scripts declare them
PERF_PYTHON_SCRIPTS = (
    ("compaction-times", "[-h] [-u] [-p|-pv] [-t | [-m] [-fs] [-ms]] [pid|pid-range|comm-regex]",
     "display time taken by mm compaction"),
    ("event_analyzing_sample", "", "analyze all perf samples"),
    ("export-to-postgresql", "[database name] [columns] [calls]",
     "export perf data to a postgresql database"),
    ("export-to-sqlite", "[database name] [columns] [calls]",
     "export perf data to a sqlite3 database"),
    ("failed-syscalls-by-pid", "[comm]", "system-wide failed syscalls, by pid"),
    ("flamegraph", "", "create flame graphs"),
    ("futex-contention", "", "futext contention measurement"),
    ("intel-pt-events", "", "print Intel PT Events including Power Events and PTWRITE"),
    ("mem-phys-addr", "", "resolve physical address samples"),
    ("net_dropmonitor", "", "display a table of dropped frames"),
    ("netdev-times", "[tx] [rx] [dev=] [debug]", "display a process of packet and processing time"),
    ("powerpc-hcalls", "", ""),
    ("sched-migration", "", "sched migration overview"),
    ("sctop", "[comm] [interval]", "syscall top"),
    ("stackcollapse", "", "produce callgraphs in short form for scripting use"),
    ("syscall-counts-by-pid", "[comm]", "system-wide syscall counts, by pid"),
    ("syscall-counts", "[comm]", "system-wide syscall counts"),
)

# scripts/python/*.py files perf 6.1 ships without a record/report pair
_OTHER_FILES = ("arm-cs-trace-disasm", "check-perf-trace", "exported-sql-viewer", "libxed",
                "stat-cpi")

PERF_SCRIPT_NAMES = frozenset(n for n, _, _ in PERF_PYTHON_SCRIPTS) | frozenset(_OTHER_FILES)


def is_perf_script_name(spec):
    """Whether `spec` (a name, NAME.py or a path ending in one) is one of perf's scripts."""
    base = spec.rsplit("/", 1)[-1]
    if base.endswith(".py"):
        base = base[:-3]
    return base in PERF_SCRIPT_NAMES
