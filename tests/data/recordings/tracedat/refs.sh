#!/bin/sh
# What perf 6.1 prints for tracepoints.data (made by make.sh): each reference is
# NAME.perf.txt, perf's stdout, then "exit N" when perf's status was N (not 0); the
# long one xz-compressed.
# tests/test_tracedat_scripts.py runs the same commands on tracepoints.dat.
cd "$(dirname "$0")"
S=/usr/lib/perf-core/scripts/python
ref() {
    out=$1
    shift
    perf script -i tracepoints.data "$@" > "$out.perf.txt" 2> /dev/null || echo "exit $?" >> "$out.perf.txt"
}
for s in syscall-counts syscall-counts-by-pid failed-syscalls-by-pid futex-contention \
         netdev-times check-perf-trace; do
    ref $s -s $S/$s.py
done
ref handler_args -s handler_args.py
xz -9 -f handler_args.perf.txt
# perf's task and cpu filters (9796: one of the two contending threads)
ref tid.syscall-counts-by-pid --tid 9796 -s $S/syscall-counts-by-pid.py
ref cpu1.syscall-counts -C 1 -s $S/syscall-counts.py
ref comm.failed-syscalls-by-pid --comm workload -s $S/failed-syscalls-by-pid.py
