#!/bin/sh
# Makes plugins.dat: a short recording of the events trace-cmd prints through
# libtraceevent plugins (hrtimer, kmem, tlb, futex) in a python process (two
# threads: one spins while the other sleeps 1 ms at a time, so its timers expire
# while a traced task runs), and plugins.report.txt,
# what trace-cmd 3.1.6 prints for it. As in make.sh, trace-cmd extract runs in a
# private mount namespace that shows it only the timer, kmem, tlb and syscalls
# formats, and only the kallsyms lines of the functions the kernel's own text
# output names (call sites, timer functions), so the file stays small.
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
echo 0 > $T/tracing_on
echo > $T/trace
echo > $T/set_event
for e in timer:hrtimer_start timer:hrtimer_expire_entry kmem:kmalloc kmem:kfree \
         tlb:tlb_flush syscalls:sys_enter_futex; do
    echo "$e" >> $T/set_event
done
cat > "$work/workload.py" <<'PY'
import os, threading, time
T = "/sys/kernel/tracing/"
def put(name, text):
    with open(T + name, "w") as f:
        f.write(text)
def spin():
    end = time.monotonic() + 0.02
    while time.monotonic() < end:
        pass
def nap():
    for _ in range(5):
        time.sleep(0.001)
threads = [threading.Thread(target=spin), threading.Thread(target=nap)]
put("set_event_pid", str(os.getpid()))
put("options/event-fork", "1")
put("tracing_on", "1")
for t in threads:
    t.start()
for t in threads:
    t.join()
put("tracing_on", "0")
PY
python3 "$work/workload.py"
sed -n 's/.*\(call_site\|function\)=\([A-Za-z0-9_.]*\).*/\2/p' $T/trace | sort -u > "$work/names"
grep -wFf "$work/names" /proc/kallsyms | grep ' [tT] ' > "$work/kallsyms" || true
mkdir "$work/events"
cp $T/events/header_page $T/events/header_event "$work/events/"
for sys in ftrace timer kmem tlb syscalls; do
    for fmt in $T/events/$sys/*/format; do
        d="$work/events/$sys/$(basename "$(dirname "$fmt")")"
        mkdir -p "$d"
        cp "$fmt" "$d/format"
    done
done
unshare -m sh -c 'mount --bind "$0" /proc/kallsyms && mount --bind "$1" '$T'/events &&
    exec trace-cmd extract -o "$2"' "$work/kallsyms" "$work/events" "$here/plugins.dat" > /dev/null
trace-cmd report -i "$here/plugins.dat" > "$here/plugins.report.txt"
