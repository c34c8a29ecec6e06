#!/bin/sh
# Makes the small trace.dat files next to this script and the references real
# trace-cmd (3.1.6) prints for them. Needs root, tracefs at /sys/kernel/tracing,
# trace-cmd, unshare and python3; restores the tracefs settings it changes.
# In a private mount namespace trace-cmd sees only the event formats of the
# ftrace, sched and signal systems and a kallsyms of the few lines the
# recording needs, so the files stay small (it saves every format it finds).
set -e
here=$(cd "$(dirname "$0")" && pwd)
T=/sys/kernel/tracing
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
grep -E ' (tracing_mark_write|__x64_sys_write|ksys_write)$' /proc/kallsyms > "$work/kallsyms"
mkdir "$work/events"
cp $T/events/header_page $T/events/header_event "$work/events/"
for sys in ftrace sched signal; do
    for fmt in $T/events/$sys/*/format; do
        d="$work/events/$sys/$(basename "$(dirname "$fmt")")"
        mkdir -p "$d"
        cp "$fmt" "$d/format"
    done
done

cat > "$work/workload.sh" <<'WL'
echo "hello from the workload" > /sys/kernel/tracing/trace_marker
/bin/true
/usr/bin/python3 -c '
import ctypes, os, signal
ctypes.CDLL(None).prctl(15, b"with space", 0, 0, 0)
signal.signal(signal.SIGUSR1, lambda *a: None)
os.kill(os.getpid(), signal.SIGUSR1)
open("/sys/kernel/tracing/trace_marker", "w").write("bye\n")
'
WL

old_on=$(cat $T/tracing_on)
old_fork=$(cat $T/options/event-fork)
restore() {
    echo 0 > $T/tracing_on
    echo > $T/set_event
    echo > $T/set_event_pid
    echo "$old_fork" > $T/options/event-fork
    echo > $T/trace
    echo "$old_on" > $T/tracing_on
}
trap 'restore; rm -rf "$work"' EXIT
echo 0 > $T/tracing_on
echo > $T/trace
echo > $T/set_event
for e in sched:sched_switch sched:sched_wakeup sched:sched_wakeup_new \
         sched:sched_process_fork sched:sched_process_exec sched:sched_process_exit \
         signal:signal_generate signal:signal_deliver; do
    echo "$e" >> $T/set_event
done
sh -c 'echo $$ > '$T'/set_event_pid; echo 1 > '$T'/options/event-fork; echo 1 > '$T'/tracing_on; exec sh "$0"' "$work/workload.sh"
echo 0 > $T/tracing_on

# extract empties the ring buffer: one extract, then trace-cmd convert
unshare -m sh -c 'mount --bind "$0" /proc/kallsyms && mount --bind "$1" '$T'/events &&
    exec trace-cmd extract -o "$2"' "$work/kallsyms" "$work/events" "$here/v7-zstd.dat" > /dev/null
trace-cmd convert -i "$here/v7-zstd.dat" -o "$here/v6.dat" --file-version 6 --compression none > /dev/null
trace-cmd convert -i "$here/v7-zstd.dat" -o "$here/v7-none.dat" --compression none > /dev/null
for f in v7-zstd v6 v7-none; do
    trace-cmd report -i "$here/$f.dat" > "$here/$f.report.txt"
done
