#!/bin/sh
# Makes the perf.data recordings of this directory and saves beside each what perf
# 6.1 printed for it (run as root, from anywhere; tracefs mounted). See README.md.
set -e
cd "$(dirname "$0")"
export LC_ALL=C TZ=UTC
S=/usr/lib/perf-core/scripts/python
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -pthread -o "$work/edge" edge.c

perf trace record -o shell.data -- sh -c 'ls /nonexistent; cat /etc/hostname; sleep 0.01'
perf trace record -o edge.data -- "$work/edge"
perf record -o tracepoints.data \
    -e syscalls:sys_enter_openat -e syscalls:sys_exit_openat \
    -e syscalls:sys_enter_read -e syscalls:sys_exit_read \
    -e syscalls:sys_enter_execve -e syscalls:sys_exit_execve \
    -e syscalls:sys_enter_exit_group -- \
    sh -c 'ls /nonexistent; cat /nonexistent; cat /etc/hostname'
perf record -o mixed.data -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit \
    -e syscalls:sys_enter_openat -e syscalls:sys_exit_openat -- cat /etc/hostname
perf record -o empty.data -e raw_syscalls:sys_enter --filter 'id == 100000' \
    -e raw_syscalls:sys_exit --filter 'id == 100000' -- true

# perf trace prints its summary on stderr
for f in shell edge tracepoints; do
    perf trace -i $f.data -s 2> $f.trace-s.txt > /dev/null
done
for f in shell edge; do
    for s in syscall-counts-by-pid failed-syscalls-by-pid; do
        perf script -i $f.data -s $S/$s.py > $f.$s.txt
    done
done
for f in tracepoints mixed; do
    perf script -i $f.data -F comm,tid,cpu,time,event,trace --ns > $f.script.txt
done
# and of two recordings of the directory above (made by its record.sh)
for f in syscalls zstd; do
    perf trace -i ../$f.data -s 2> $f.trace-s.txt > /dev/null
done
