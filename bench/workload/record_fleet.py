#!/usr/bin/env python3
"""Record a small fleet: N perf.data files (default 200) as eight hosts would have made
them over the hours, for the dataset rows of bench/fleet.py.

    sudo python3 bench/workload/record_fleet.py [--count 200] [--out bench/data/fleet]

Needs root and the real perf (no hardware counters: software events and tracepoints).
Each recording is `perf record` of a short command, in a UTS namespace of its own whose
hostname is the host's (`unshare -u`: perf writes it in the header, so `source_host`
varies as in a fleet), written to OUT/<host>/hour-<NN>.data. The recordings vary the
way a fleet's do, chosen by the file's number (so the same count gives the same mix):

    kind        events                                              command
    profile     cpu-clock -F 2000..8000 -g (kernel and user frames)  a python3 loop
    flat        cpu-clock -F 1000..4000 (no callchains)              ls -R /usr/lib
    sched       sched_switch, sched_wakeup, sched_process_exec/exit  a shell running /bin/true
    syscalls    raw_syscalls:sys_enter/sys_exit                      dd bs=512 of /dev/zero
    files       syscalls:sys_enter/exit_openat, task-clock           find /usr/share
    faults      page-faults -c 1 -g                                  python3 filling lists
    timers      timer:hrtimer_start/expire_entry, irq:softirq_*      a shell sleeping
    mixed       cpu-clock -g and sched_switch, compressed (-z)        python3 and ls

and every ninth is written in pipe mode (`perf record -o -`). The work of each is scaled
by 1, 2, 4 or 8: about 10 KB to 2 MB a file. `perf record --no-buildid-cache` leaves
~/.debug alone. Recording the 200 takes a few minutes.
"""

import argparse
import os
import random
import shlex
import subprocess
import sys

HOSTS = 8
SCALES = (1, 2, 4, 8)
PY = "/usr/bin/python3"


def kinds(scale):
    """{kind: (perf record arguments, command)} for work scaled by `scale`."""
    loop = "x = 0\nfor i in range(%d): x += i * i\n" % (400000 * scale)
    fill = "a = [[i] * 50 for i in range(%d)]\n" % (20000 * scale)
    return {
        "profile": (["-F", str(2000 * min(scale, 4)), "-g", "-e", "cpu-clock"],
                    [PY, "-c", loop]),
        "flat": (["-F", str(1000 * min(scale, 4)), "-e", "cpu-clock"],
                 ["sh", "-c", "for i in $(seq %d); do ls -R /usr/lib >/dev/null; done"
                  % max(1, scale // 2)]),
        "sched": (["-e", "sched:sched_switch", "-e", "sched:sched_wakeup",
                   "-e", "sched:sched_process_exec", "-e", "sched:sched_process_exit"],
                  ["sh", "-c", "for i in $(seq %d); do /bin/true; done" % (40 * scale)]),
        "syscalls": (["-e", "raw_syscalls:sys_enter", "-e", "raw_syscalls:sys_exit"],
                     ["dd", "if=/dev/zero", "of=/dev/null", "bs=512",
                      "count=%d" % (1500 * scale)]),
        "files": (["-e", "syscalls:sys_enter_openat", "-e", "syscalls:sys_exit_openat",
                   "-e", "task-clock"],
                  ["sh", "-c", "find /usr/share -maxdepth %d -name '*.txt' >/dev/null"
                   % (2 + scale // 2)]),
        "faults": (["-e", "page-faults", "-c", "1", "-g"], [PY, "-c", fill]),
        "timers": (["-e", "timer:hrtimer_start", "-e", "timer:hrtimer_expire_entry",
                    "-e", "irq:softirq_entry", "-e", "irq:softirq_exit"],
                   ["sh", "-c", "for i in $(seq %d); do sleep 0.01; done" % (5 * scale)]),
        "mixed": (["-z", "-F", "2000", "-g", "-e", "cpu-clock", "-e", "sched:sched_switch"],
                  ["sh", "-c", "%s -c %s & ls -R /usr/share/doc >/dev/null; wait"
                   % (PY, shlex.quote(loop))]),
    }


def plan(count):
    """[(path relative to OUT, host, kind, scale, pipe)] of the fleet, by file number."""
    rng = random.Random(15)
    names = list(kinds(1))
    out = []
    for i in range(count):
        host = "fleet-host-%02d" % (i % HOSTS)
        kind = names[(i // HOSTS + i) % len(names)]
        scale = rng.choice(SCALES)
        out.append(("%s/hour-%02d.data" % (host, i // HOSTS), host, kind, scale, i % 9 == 8))
    return out


def record(out_dir, rel, host, kind, scale, pipe):
    path = os.path.join(out_dir, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    perf_args, command = kinds(scale)[kind]
    target = "-" if pipe else path
    perf = ["perf", "record", "-q", "--no-buildid-cache", "-o", target] + perf_args \
        + ["--"] + command
    script = "hostname %s && exec %s" % (host, shlex.join(perf))
    if pipe:
        script += " > %s" % shlex.quote(path)
    subprocess.run(["unshare", "-u", "sh", "-c", script], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "data", "fleet"))
    opts = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("record_fleet.py: needs root (perf's tracepoints, unshare -u)")
    total = 0
    for n, (rel, host, kind, scale, pipe) in enumerate(plan(opts.count), 1):
        path = os.path.join(opts.out, rel)
        if not os.path.exists(path):
            record(opts.out, rel, host, kind, scale, pipe)
        total += os.path.getsize(path)
        print("[%3d/%d] %s %s x%d%s %.0f KB" % (n, opts.count, rel, kind, scale,
                                                 " (pipe)" if pipe else "",
                                                 os.path.getsize(path) / 1e3), flush=True)
    print("%d recordings, %.1f MB in %s" % (opts.count, total / 1e6, opts.out))


if __name__ == "__main__":
    main()
