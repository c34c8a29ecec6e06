#!/usr/bin/env python3
"""Store what the real `perf script` (text output, no -s) prints for the field selections
perfscript prints a batch at a time (output/text_batch.py), and for the options next to
them that go record by record.

    python3 mkrefs_textbatch.py            # make kallsyms-<build id>.xz and expected/
    python3 mkrefs_textbatch.py --check    # re-run perf and compare with expected/

Each check runs perf twice (the runs must agree) with the environment of the tests (fixed
PATH, LC_ALL=C, TZ=UTC) and `--kallsyms` naming the stored subset of this boot's
/proc/kallsyms: the lines at the start of every kernel symbol the outputs print and at the
next address, chosen as ../mkrefs.py does; every check must print the same with the subset
as with the full file. The checks on the recordings of the directory above (another boot)
use its stored subset. Outputs are stored xz-compressed. Stdlib only; needs perf 6.1.
"""

import argparse
import json
import lzma
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RECORDINGS = os.path.dirname(HERE)
EXPECTED = os.path.join(HERE, "expected")
sys.path.insert(0, RECORDINGS)
from mkrefs import kernel_addresses, perf_env, reduce_kallsyms  # noqa: E402

# name, recording (relative to this directory), perf script arguments
CHECKS = [
    ("default", "textbatch.data", []),
    ("hide-callchain", "textbatch.data", ["-G"]),
    ("ns-period", "textbatch.data", ["--ns", "-F", "+period"]),
    ("comm", "textbatch.data", ["-F", "comm"]),
    ("pid-tid-cpu-time", "textbatch.data", ["-F", "pid,tid,cpu,time"]),
    ("tid-misc-event", "textbatch.data", ["-F", "tid,misc,event"]),
    ("time-ip-sym", "textbatch.data", ["-F", "time,ip,sym"]),
    ("time-ip-sym-G", "textbatch.data", ["-F", "time,ip,sym", "-G"]),
    ("ip-dso-symoff", "textbatch.data", ["-F", "comm,ip,sym,symoff,dso", "-G"]),
    ("ip-only", "textbatch.data", ["-F", "ip"]),
    ("latency", "textbatch.data", ["-L", "-F", "+period"]),
    ("max-stack-3", "textbatch.data", ["--max-stack", "3"]),
    ("max-stack-0", "textbatch.data", ["--max-stack", "0", "-F", "comm,ip,sym"]),
    ("reltime", "textbatch.data", ["--reltime", "-F", "comm,tid,time,ip,sym"]),
    ("deltatime", "textbatch.data", ["--deltatime", "-G"]),
    ("cpu-filter", "textbatch.data", ["-C", "0"]),
    ("time-filter", "textbatch.data", ["--time", "20%-45%", "-C", "1", "-G"]),
    ("time-slices", "textbatch.data", ["--time", "10%/2,10%/7", "-F", "comm,tid,time,ip,sym"]),
    ("comm-filter", "textbatch.data", ["--comms", "ls", "-G"]),
    ("mmap-events", "textbatch.data", ["--show-mmap-events", "--show-task-events", "-G"]),
    ("stop-bt", "textbatch.data", ["--stop-bt", "entry_SYSCALL_64_after_hwframe"]),
    ("mixed-default", "mixed.data", []),
    ("mixed-cpu-refused", "mixed.data", ["-C", "0"]),
    ("mixed-fields", "mixed.data", ["-F", "trace:comm,tid,event,trace",
                                    "-F", "sw:comm,tid,time,ip,sym,dso"]),
    ("mixed-G-time", "mixed.data", ["-G", "--time", "10%-70%"]),
    ("trace-comm-time", "../syscalls.data", ["-F", "comm,tid,time,trace"]),
    ("trace-event-ns", "../sched.data", ["-F", "cpu,time,event,trace", "--ns"]),
    ("trace-pid-ip", "../sched.data", ["-F", "comm,pid,tid,event,ip,sym"]),
]


def run_perf(recording, args, kallsyms):
    cmd = ["perf", "script", "--kallsyms", kallsyms, "-i", os.path.join(HERE, recording)]
    runs = [subprocess.run(cmd + args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           env=perf_env(), cwd=HERE) for _ in range(2)]
    if runs[0].stdout != runs[1].stdout or runs[0].returncode != runs[1].returncode:
        sys.exit("perf printed different things twice: %r" % args)
    return runs[0].stdout, runs[0].returncode


def kernel_build_id():
    p = subprocess.run(["perf", "buildid-list", "-i", os.path.join(HERE, "textbatch.data")],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                       env=perf_env())
    for line in p.stdout.splitlines():
        bid, _, name = line.partition(" ")
        if name.strip() == "[kernel.kallsyms]":
            return bid.strip()
    sys.exit("no kernel build id in textbatch.data")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="compare perf's output with expected/ instead of writing it")
    ap.add_argument("--full-kallsyms", default="/proc/kallsyms")
    opts = ap.parse_args()
    stored = os.path.join(HERE, "kallsyms-%s.xz" % kernel_build_id())
    with tempfile.TemporaryDirectory(prefix="perfscript-textbatch-") as scratch:
        subset = os.path.join(scratch, "kallsyms")
        if not opts.check:
            with open(opts.full_kallsyms) as f:
                full = f.read()
            outs = [run_perf(rec, args, opts.full_kallsyms) for _, rec, args in CHECKS
                    if not rec.startswith("..")]
            text = reduce_kallsyms(full, kernel_addresses(o.decode("utf-8", "replace")
                                                          for o, _ in outs))
            with lzma.open(stored, "wt", preset=9 | lzma.PRESET_EXTREME) as f:
                f.write(text)
        with lzma.open(stored, "rt") as f, open(subset, "w") as g:
            g.write(f.read())
        parent = os.path.join(scratch, "kallsyms-parent")
        (name,) = [n for n in os.listdir(RECORDINGS) if n.startswith("kallsyms-")]
        with lzma.open(os.path.join(RECORDINGS, name), "rt") as f, open(parent, "w") as g:
            g.write(f.read())
        os.makedirs(EXPECTED, exist_ok=True)
        listed = []
        for i, (name, rec, args) in enumerate(CHECKS):
            here = not rec.startswith("..")
            out, rc = run_perf(rec, args, subset if here else parent)
            if not opts.check and here and outs[i] != (out, rc):
                sys.exit("%s: the kallsyms subset prints differently" % name)
            path = os.path.join(EXPECTED, name + ".out.xz")
            if opts.check:
                with lzma.open(path) as f:
                    if f.read() != out:
                        sys.exit("%s: perf now prints differently" % name)
            else:
                with lzma.open(path, "wb", preset=9 | lzma.PRESET_EXTREME) as f:
                    f.write(out)
            listed.append({"name": name, "recording": rec, "args": args,
                           "out": name + ".out.xz", "rc": rc})
        if not opts.check:
            with open(os.path.join(EXPECTED, "checks.json"), "w") as f:
                json.dump(listed, f, indent=1)
                f.write("\n")
    print("ok: %d checks" % len(CHECKS))


if __name__ == "__main__":
    main()
