#!/bin/sh
# Makes raw.dat, a trace-cmd trace.dat of raw_syscalls:sys_enter/sys_exit of a shell
# running `ls /nonexistent; cat /etc/hostname`, and raw.report.txt, what trace-cmd 3.1.6
# prints for it (`report -t`: times in ns). Run as root, tracefs at /sys/kernel/tracing
# (what it changes there is restored). As tests/data/tracedat/make.sh does: `trace-cmd
# record` cannot run in this VM, so the events are enabled in tracefs (set_event_pid and
# options/event-fork follow the shell and its children) and `trace-cmd extract` saves the
# ring buffer, in a private mount namespace that shows it only the ftrace and
# raw_syscalls formats and two kallsyms lines, so the file stays small (with only the
# raw_syscalls formats and an empty kallsyms, trace-cmd 3.1.6's extract crashed).
set -e
here=$(cd "$(dirname "$0")" && pwd)
T=/sys/kernel/tracing
work=$(mktemp -d)
old_on=$(cat $T/tracing_on)
old_fork=$(cat $T/options/event-fork)
restore() {
    echo 0 > $T/tracing_on
    echo > $T/set_event
    echo > $T/set_event_pid
    echo "$old_fork" > $T/options/event-fork
    echo > $T/trace
    echo "$old_on" > $T/tracing_on
    rm -rf "$work"
}
trap restore EXIT
grep -E ' (__x64_sys_read|ksys_read)$' /proc/kallsyms > "$work/kallsyms"
mkdir "$work/events"
cp $T/events/header_page $T/events/header_event "$work/events/"
for sys in ftrace raw_syscalls; do
    for fmt in $T/events/$sys/*/format; do
        d="$work/events/$sys/$(basename "$(dirname "$fmt")")"
        mkdir -p "$d"
        cp "$fmt" "$d/format"
    done
done
echo 0 > $T/tracing_on
echo > $T/trace
echo > $T/set_event
echo raw_syscalls:sys_enter >> $T/set_event
echo raw_syscalls:sys_exit >> $T/set_event
LC_ALL=C sh -c 'echo $$ > '$T'/set_event_pid; echo 1 > '$T'/options/event-fork;
    echo 1 > '$T'/tracing_on; exec sh -c "ls /nonexistent; cat /etc/hostname"' || true
echo 0 > $T/tracing_on
unshare -m sh -c 'mount --bind "$0" /proc/kallsyms && mount --bind "$1" '$T'/events &&
    exec trace-cmd extract -o "$2"' "$work/kallsyms" "$work/events" "$here/raw.dat" > /dev/null
trace-cmd report -t -i "$here/raw.dat" > "$here/raw.report.txt"   # -t: times in ns
