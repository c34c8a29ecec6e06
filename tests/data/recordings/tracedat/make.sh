#!/bin/sh
# Records workload.c's run twice at once: as a perf.data (perf record -p) and as a
# trace-cmd trace.dat (the same tracepoints enabled in tracefs for the same process
# tree, saved by `trace-cmd extract`), then refs.sh saves what perf prints for the
# perf.data. Needs root, gcc, perf, trace-cmd, unshare, tracefs at
# /sys/kernel/tracing; restores the tracefs settings it changes.
#
# `trace-cmd record` cannot run in this VM (it writes /proc/sys/kernel/ftrace_enabled);
# the events are enabled by hand, as ../../tracedat/make.sh does. Both recorders use the
# local clock (ftrace's default trace_clock, perf's default), so a record has the same
# time in both files. The workload waits on its stdin until both recorders are on, so
# every record of its tasks is made under its own comm.
#
# To keep trace.dat small trace-cmd runs in a private mount namespace where
# /sys/kernel/tracing/events holds only the formats of the recorded events (and
# ftrace's, which trace-cmd needs) and /proc/kallsyms two lines (it saves every format and symbol it finds).
set -e
here=$(cd "$(dirname "$0")" && pwd)
T=/sys/kernel/tracing
EVENTS="raw_syscalls:sys_enter raw_syscalls:sys_exit syscalls:sys_enter_futex
syscalls:sys_exit_futex irq:softirq_entry irq:softirq_exit irq:softirq_raise
irq:irq_handler_entry irq:irq_handler_exit kmem:kmalloc net:net_dev_queue net:net_dev_xmit
net:netif_rx net:netif_receive_skb skb:consume_skb skb:kfree_skb
skb:skb_copy_datagram_iovec napi:napi_poll"

work=$(mktemp -d)
gcc -O1 -pthread -o "$work/workload" "$here/workload.c"
grep -E " (ksys_write|__x64_sys_write)$" /proc/kallsyms > "$work/kallsyms"
mkdir "$work/events"
cp $T/events/header_page $T/events/header_event "$work/events/"
for fmt in $T/events/ftrace/*/format; do       # trace-cmd needs ftrace's own formats
    d="$work/events/ftrace/$(basename "$(dirname "$fmt")")"
    mkdir -p "$d"
    cp "$fmt" "$d/format"
done
for ev in $EVENTS; do
    d="$work/events/${ev%%:*}/${ev#*:}"
    mkdir -p "$d"
    cp "$T/events/${ev%%:*}/${ev#*:}/format" "$d/format"
done

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
echo 0 > $T/tracing_on
echo > $T/trace
echo > $T/set_event
perf_events=""
for ev in $EVENTS; do
    echo "$ev" >> $T/set_event
    perf_events="$perf_events -e $ev"
done

mkfifo "$work/go"
(read x < "$work/go"; echo go) | "$work/workload" &
sleep 0.5
P=$(pgrep -n -f "$work/workload")
echo "$P" > $T/set_event_pid
echo 1 > $T/options/event-fork
echo 1 > $T/tracing_on
perf record -q $perf_events -p "$P" -o "$here/tracepoints.data" &
sleep 2
echo > "$work/go"
wait
echo 0 > $T/tracing_on

unshare -m sh -c 'mount --bind "$0" /proc/kallsyms && mount --bind "$1" '$T'/events &&
    exec trace-cmd extract -o "$2"' "$work/kallsyms" "$work/events" "$here/tracepoints.dat" > /dev/null
chmod 644 "$here/tracepoints.data"

exec "$here/refs.sh"
