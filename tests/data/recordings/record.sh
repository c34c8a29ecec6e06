#!/bin/sh
# Make the small recordings of this directory with the real perf (run as root).
#
#   sh record.sh [OUTDIR]        (default: this script's directory)
#
# Re-recording changes every expected output: run mkrefs.py afterwards and commit both.
# Workloads use only system binaries (sh, ls, dd, sleep, /usr/bin/python3), so user-space
# symbols resolve on any machine of this image.
set -eu
OUT=${1:-$(dirname "$0")}
cd "$OUT"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C TZ=UTC
unset PYTHONUNBUFFERED || true
[ -e /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing

# (a) scheduler tracepoints with named handlers; sched_switch prev_state uses __print_flags
perf record -o sched.data \
    -e sched:sched_switch -e sched:sched_wakeup -e sched:sched_wakeup_new \
    -e sched:sched_process_fork -e sched:sched_process_exit -e sched:sched_process_exec \
    -- sh -c 'for i in 1 2 3 4 5 6; do ls /usr/bin | dd of=/dev/null bs=64 2>/dev/null; sleep 0.005; done'

# (b) raw_syscalls of ls (some syscalls fail: ENOENT, ENOTTY), two processes
perf record -o syscalls.data -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit \
    -- sh -c 'ls / /nonexistent; ls -d /usr'

# (c) pipe mode: written to stdout
perf record -o - -e raw_syscalls:sys_enter -e sched:sched_process_exit \
    -- ls -d /usr /nonexistent > pipe.data || true   # ls exits 2 (the missing path)

# (d) zstd-compressed (-z); -m 4 (4-page buffers) gives ~12 PERF_RECORD_COMPRESSED records
#     (-m 1/2 lost events on this machine)
perf record -z -m 4 -o zstd.data -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit \
    -- sh -c 'dd if=/dev/zero of=/dev/null bs=512 count=10 2>/dev/null; sleep 0.01'

# (e) cpu-clock samples with callchains (-g) and context-switch records.  Re-recorded until no
#     frame fell in [vdso] (its symbols come from the running kernel's vdso, which another
#     machine does not have): check with  perf script -i callchain.data | grep -c vdso
perf record -o callchain.data -e cpu-clock -c 100000 -g --switch-events \
    -- sh -c 'dd if=/dev/zero of=/dev/null bs=4k count=3000 2>/dev/null; /usr/bin/python3 -c "sum(range(300000))"'

# (f) perf stat record, 50 ms intervals: STAT / STAT_ROUND records, stat__* handlers
perf stat record -o stat.data -I 50 -e task-clock,context-switches,page-faults,cpu-clock \
    -- sh -c 'ls -R /usr/lib/python3 >/dev/null; sleep 0.12'

# (g) __print_flags (kmem:kmalloc gfp_flags) and __print_symbolic (irq:softirq_* vec);
#     kmalloc's call_site is a kernel address (%pS)
perf record -o kmem_softirq.data \
    -e kmem:kmalloc -e irq:softirq_entry -e irq:softirq_exit -e irq:softirq_raise \
    -- sh -c 'ls /usr/lib >/dev/null; dd if=/dev/zero of=/dev/null bs=1k count=400000 2>/dev/null'
# (the long dd keeps the CPU busy so timer/RCU softirqs run in the traced task's context)

# (h) db-export call_return rows: perf's thread stack runs only for samples whose addr
#     resolves (page faults with -d).  Into calls/, with their own kernel symbols (see
#     README.md, mkrefs_calls.py).
mkdir -p calls
#     pf_exec: sh forks three ls and execs a fourth (exec flushes); pids are used up first
#     until the last is 251 modulo 256, so the tids straddle a multiple of 256 (perf
#     flushes the stacks at the end in tid-modulo-256 order)
while :; do
    n=$(( $(cat /proc/sys/kernel/ns_last_pid) % 256 ))
    [ "$n" -eq 251 ] && break
    /bin/true
done
perf record -o calls/pf_exec.data -e page-faults -d -c 1 \
    -- sh -c 'ls -d / >/dev/null; ls -d /usr >/dev/null; ls -d /tmp >/dev/null; exec ls -d /var >/dev/null'
#     pf_threads: python3 with two threads, callchains (-g): thread-stack and callchain
#     call paths share ids
perf record -o calls/pf_threads.data -e page-faults -d -g -c 40 \
    -- /usr/bin/python3 -c 'import threading
def work():
    sum(range(200000)); bytearray(300000)
ts = [threading.Thread(target=work) for i in range(2)]
[t.start() for t in ts]; [t.join() for t in ts]'
#     pf_mixed: page faults and cpu-clock samples (no call_return rows) with callchains
perf record -o calls/pf_mixed.data -e page-faults/period=5/ -e cpu-clock/period=200000/ -d -g \
    -- sh -c 'dd if=/dev/zero of=/dev/null bs=4k count=300 2>/dev/null; ls / >/dev/null'
rm -f calls/*.data.old
chmod 644 calls/*.data

rm -f ./*.data.old   # perf record keeps the previous file as .old
chmod 644 ./*.data
