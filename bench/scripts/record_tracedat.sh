#!/bin/sh
# Record a trace.dat the way `trace-cmd record -e EVENT... -o OUT -- COMMAND` would, where
# trace-cmd record cannot run: it writes /proc/sys/kernel/ftrace_enabled first, which a
# root without CAP_SYS_RESOURCE (a VM, a container) may not.  Enables the events in
# tracefs, runs the command, then `trace-cmd extract -o OUT` (which also stores every
# event format of the kernel); the previous tracefs settings are restored.
# usage: record_tracedat.sh OUT EVENT... -- COMMAND [ARGS...]     (as root)
T=/sys/kernel/tracing
[ -e $T/set_event ] || mount -t tracefs nodev $T || exit 1
out=$1; shift
events=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do events="$events $1"; shift; done
shift
old_on=$(cat $T/tracing_on)
restore() {
    echo 0 > $T/tracing_on
    echo > $T/set_event
    echo > $T/trace
    echo "$old_on" > $T/tracing_on
}
trap restore EXIT
echo 0 > $T/tracing_on
echo > $T/trace
echo > $T/set_event
for e in $events; do echo "$e" >> $T/set_event || exit 1; done
echo 1 > $T/tracing_on
rc=0
"$@" || rc=$?
echo 0 > $T/tracing_on
trace-cmd extract -o "$out" >/dev/null || exit 1
exit $rc
