"""The names of the Python scripts perf 6.1 ships (scripts/python/NAME.py): what a
missing script is recognised by when perf's script directory is not installed, and
what `perfscript -l` says has no port among perfscript's own."""

# scripts/python/*.py of perf 6.1, those with a bin/NAME-record and NAME-report pair and
# the others
PERF_SCRIPT_NAMES = frozenset((
    "compaction-times", "event_analyzing_sample", "export-to-postgresql", "export-to-sqlite",
    "failed-syscalls-by-pid", "flamegraph", "futex-contention", "intel-pt-events",
    "mem-phys-addr", "net_dropmonitor", "netdev-times", "powerpc-hcalls", "sched-migration",
    "sctop", "stackcollapse", "syscall-counts-by-pid", "syscall-counts",
    "arm-cs-trace-disasm", "check-perf-trace", "exported-sql-viewer", "libxed", "stat-cpi"))


def script_name(spec):
    """NAME of a spec naming a script: a name, NAME.py, or a path ending in one."""
    base = spec.rsplit("/", 1)[-1]
    return base[:-3] if base.endswith(".py") else base


def is_perf_script_name(spec):
    """Whether `spec` (a name, NAME.py or a path ending in one) is one of perf's scripts."""
    return script_name(spec) in PERF_SCRIPT_NAMES
