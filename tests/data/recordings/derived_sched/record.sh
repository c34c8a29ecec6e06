#!/bin/sh
# Make this directory's recordings and perf's text for them (run as root, perf 6.1).
#
#   sh record.sh [OUTDIR]        (default: this script's directory)
#
# The workload: two threads of one process ping-ponging through a pipe (`perf bench
# sched pipe -T`: wakeups, tid != pid), two CPU-bound dd and `ls | dd` on 2 CPUs
# (preemptions, R+), `sleep` (a timer wakeup), forks and exits (sched_wakeup_new, X/Z).
# Re-record when `perf script` shows a switch whose prev_pid is not the task the CPU's
# previous switch put on it (switches this VM's init threads never report: the
# `tokio-rt-worker` threads of pid 1): perf sched counts across such gaps.
set -eu
OUT=${1:-$(dirname "$0")}
cd "$OUT"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C TZ=UTC
[ -e /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing
WORK='perf bench sched pipe -T -l 60 >/dev/null &
for i in 1 2; do
    dd if=/dev/zero of=/dev/null bs=1k count=2500 2>/dev/null &
    dd if=/dev/zero of=/dev/null bs=1k count=2500 2>/dev/null &
    ls /usr/bin | dd of=/dev/null bs=64 2>/dev/null; sleep 0.003; wait
done'

# (a) sched_switch with sched_wakeup (no sched_waking): the wakeups perf 6.1's
#     `perf sched latency` reads, so timehist, timehist -s and latency all apply
perf record -o wakeup.data -a -e sched:sched_switch -e sched:sched_wakeup \
    -e sched:sched_wakeup_new -- sh -c "$WORK"

# (b) perf's own `perf sched record` (sched_waking, sched_stat_runtime, migrations...)
perf sched record -o waking.data -- sh -c 'ls /usr/bin | dd of=/dev/null bs=64 2>/dev/null &
dd if=/dev/zero of=/dev/null bs=1k count=1500 2>/dev/null & sleep 0.002; wait'

# (c) the events, but no samples of them
perf record -o empty.data -e sched:sched_switch --filter 'next_pid == 999999' \
    -e sched:sched_waking --filter 'pid == 999999' -- true

for f in wakeup waking; do
    perf sched timehist -i $f.data > $f.timehist.txt
    perf sched timehist -s -i $f.data > $f.timehist-s.txt
    perf sched timehist -s --state -i $f.data > $f.timehist-state-s.txt
done
perf sched latency -p -i wakeup.data > wakeup.latency.txt
