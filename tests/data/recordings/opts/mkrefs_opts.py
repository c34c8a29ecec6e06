#!/usr/bin/env python3
"""Store what the real `perf script` prints with the options of tests/test_cli_options_perf.py.

    python3 mkrefs_opts.py            # kallsyms subset, vmlinux files, expected/, check all
    python3 mkrefs_opts.py --check    # only re-run perf and compare with what is stored

Each check runs `perf script -i NAME ARGS` twice (the two runs must agree) in a scratch
directory holding a copy of the recording (so -D prints `@NAME` and --per-event-dump writes
NAME.EVENT.dump there), the kernel symbols as `kallsyms`, `dump_args.py`, `vmlinux` and
`vmlinux-other` (also under `symfs/`, where perf reads a relative -k path when --symfs is
given) and `symfs/`. The stored output is stdout, then each dump file perf wrote,
as `== FILE ==` and its bytes; with perf's exit status in expected/checks.json.

Kernel symbols. Checks of the recordings one directory up use that directory's kallsyms
(see its README). Those made here (record.sh) get `kallsyms-<build id>.xz`: the lines of
this boot's /proc/kallsyms that the outputs need (found by running every check with the
full file first, as ../mkrefs.py does), proven sufficient: every check prints the same with
the subset as with the full file. `vmlinux` (this kernel's build id) and `vmlinux-other`
(another one) are written from the subset by make_vmlinux.py.

`option_words.json`: for every prefix of every long option (and its `no-` form), the
first line perf 6.1 prints on stderr when given only that option (ambiguity and unknown
options), which the parser test compares with perfscript's.

Stdlib only; needs the real perf 6.1 (with libpython), on the boot record.sh ran on.
"""

import argparse
import bisect
import json
import lzma
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RECORDINGS = os.path.dirname(HERE)
EXPECTED = os.path.join(HERE, "expected")
ENV_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
COMPRESS_OVER = 4 * 1024
OTHER_BUILD_ID = "11" * 20

# name, recording (relative to tests/data/recordings), arguments ({KS}: the kallsyms file)
CHECKS = [
    # -L, -c, -d, the task filters
    ("sched.latency", "sched.data", ["--kallsyms", "{KS}", "-L"]),
    ("sched.latency-tasks", "sched.data", ["--kallsyms", "{KS}", "-L", "--show-task-events"]),
    ("sched.latency-fields", "sched.data", ["--kallsyms", "{KS}", "-L", "-F",
                                            "comm,tid,cpu,time,event,misc"]),
    ("sched.comms-short", "sched.data", ["--kallsyms", "{KS}", "-c", "ls,sh"]),
    ("sched.debug-mode", "sched.data", ["--kallsyms", "{KS}", "-d", "--show-task-events"]),
    ("callchain.latency", "callchain.data", ["--kallsyms", "{KS}", "-L"]),
    ("callchain.debug-mode", "callchain.data", ["--kallsyms", "{KS}", "-d"]),
    # --switch-on / --switch-off
    ("sched.switch", "sched.data", ["--kallsyms", "{KS}", "--switch-on", "sched:sched_wakeup",
                                    "--switch-off", "sched:sched_switch"]),
    ("sched.switch-shown", "sched.data", ["--kallsyms", "{KS}", "--switch-on",
                                          "sched:sched_wakeup", "--switch-off",
                                          "sched:sched_switch", "--show-on-off-events"]),
    ("sched.switch-off-tasks", "sched.data", ["--kallsyms", "{KS}", "--switch-off",
                                              "sched:sched_switch", "--show-task-events"]),
    ("sched.switch-missing", "sched.data", ["--kallsyms", "{KS}", "--switch-on", "nosuch"]),
    ("sched.switch-dump", "sched.data", ["--kallsyms", "{KS}", "-s", "dump_args.py",
                                         "--switch-on", "sched:sched_wakeup", "--switch-off",
                                         "sched:sched_switch"]),
    ("sched.switch-missing-dump", "sched.data", ["--kallsyms", "{KS}", "-s", "dump_args.py",
                                                 "--switch-on", "nosuch"]),
    ("sched.bad-time-dump", "sched.data", ["--kallsyms", "{KS}", "-s", "dump_args.py",
                                           "--time", "bad"]),
    ("syscalls.switch-off-dump", "syscalls.data", ["--kallsyms", "{KS}", "-s", "dump_args.py",
                                                   "-c", "ls", "--switch-off",
                                                   "raw_syscalls:sys_exit",
                                                   "--show-on-off-events"]),
    # -S / --addr-range / --dsos
    ("callchain.symbols", "callchain.data", ["--kallsyms", "{KS}", "-S",
                                             "init_cpu_features.constprop.0"]),
    ("callchain.symbols-addr", "callchain.data", ["--kallsyms", "{KS}", "-S",
                                                  "7f1f402506bd,0x7f1f402514a2", "-G"]),
    ("callchain.addr-range", "callchain.data", ["--kallsyms", "{KS}", "-S", "0x7f1f40250680",
                                                "--addr-range", "100"]),
    ("callchain.dsos", "callchain.data", ["--kallsyms", "{KS}", "--dsos", "libc.so.6"]),
    ("callchain.dsos-paths", "callchain.data", ["--kallsyms", "{KS}", "--dsos",
                                                "/usr/bin/dd,[kernel.kallsyms]", "-G"]),
    ("callchain.dsos-comms", "callchain.data", ["--kallsyms", "{KS}", "-c", "dd,python3",
                                                "--dsos", "python3.11"]),
    ("callchain.symbols-dump", "callchain.data", ["--kallsyms", "{KS}", "-s", "dump_args.py",
                                                  "-S", "init_cpu_features.constprop.0"]),
    ("callchain.dsos-dump", "callchain.data", ["--kallsyms", "{KS}", "-s", "dump_args.py",
                                               "--dsos", "libc.so.6"]),
    ("callchain.addr-range-dump", "callchain.data", ["--kallsyms", "{KS}", "-s",
                                                     "dump_args.py", "-S", "0x7f1f40250680",
                                                     "--addr-range", "100"]),
    # --per-event-dump
    ("sched.per-event-dump", "sched.data", ["--kallsyms", "{KS}", "--per-event-dump",
                                            "--show-task-events"]),
    ("callchain.per-event-dump", "callchain.data", ["--kallsyms", "{KS}", "--per-event-dump"]),
    ("pipe.per-event-dump", "pipe.data", ["--kallsyms", "{KS}", "--per-event-dump"]),
    ("sched.per-event-dump-script", "sched.data", ["--kallsyms", "{KS}", "--per-event-dump",
                                                   "-s", "dump_args.py"]),
    # --show-round-events (perf then reads the records unsorted)
    ("callchain.rounds", "callchain.data", ["--kallsyms", "{KS}", "--show-round-events",
                                            "--show-task-events", "--show-switch-events"]),
    ("pipe.rounds", "pipe.data", ["--kallsyms", "{KS}", "--show-round-events"]),
    # -D / --dump-unsorted-raw-trace
    ("sched.raw", "sched.data", ["--kallsyms", "{KS}", "-D"]),
    ("sched.raw-filtered", "sched.data", ["--kallsyms", "{KS}", "-D", "-C", "0", "--time",
                                          "10%/2"]),
    ("sched.raw-tasks", "sched.data", ["--kallsyms", "{KS}", "-D", "--show-task-events"]),
    ("sched.raw-unsorted", "sched.data", ["--kallsyms", "{KS}", "--dump-unsorted-raw-trace"]),
    ("callchain.raw", "callchain.data", ["--kallsyms", "{KS}", "-D"]),
    ("callchain.raw-selected", "callchain.data", ["--kallsyms", "{KS}", "-D", "-c", "dd",
                                                  "--dsos", "libc.so.6"]),
    ("callchain.raw-dump", "callchain.data", ["--kallsyms", "{KS}", "-D", "-s",
                                              "dump_args.py"]),
    ("pipe.raw", "pipe.data", ["--kallsyms", "{KS}", "-D"]),
    ("pipe.raw-unsorted", "pipe.data", ["--kallsyms", "{KS}", "--dump-unsorted-raw-trace"]),
    ("zstd.raw", "zstd.data", ["--kallsyms", "{KS}", "-D"]),
    ("stat.raw", "stat.data", ["--kallsyms", "{KS}", "-D"]),
    ("stat.raw-dump", "stat.data", ["--kallsyms", "{KS}", "-D", "-s", "dump_args.py"]),
    ("kmem_softirq.raw", "kmem_softirq.data", ["--kallsyms", "{KS}", "-D"]),
    # recorded here: C++ names, -k, --show-kernel-path
    ("cxx.plain", "opts/cxx.data", ["--symfs", "symfs", "--kallsyms", "{KS}"]),
    ("cxx.no-demangle", "opts/cxx.data", ["--symfs", "symfs", "--kallsyms", "{KS}",
                                          "--no-demangle"]),
    ("cxx.no-demangle-symbol", "opts/cxx.data", ["--symfs", "symfs", "--kallsyms", "{KS}",
                                                 "--no-demangle", "-S", "_ZN2ps4spinEl"]),
    ("cxx.symbol", "opts/cxx.data", ["--symfs", "symfs", "--kallsyms", "{KS}", "-S",
                                     "ps::spin", "-G"]),
    ("cxx.symbol-template", "opts/cxx.data", ["--symfs", "symfs", "--kallsyms", "{KS}", "-S",
                                              "ps::Acc<long>::add"]),
    ("cxx.dsos", "opts/cxx.data", ["--symfs", "symfs", "--kallsyms", "{KS}", "--dsos",
                                   "cxxprog", "-G"]),
    ("cxx.kernel-path", "opts/cxx.data", ["--symfs", "symfs", "--kallsyms", "{KS}",
                                          "--show-kernel-path"]),
    ("cxx.no-demangle-dump", "opts/cxx.data", ["--symfs", "symfs", "--kallsyms", "{KS}",
                                               "--no-demangle", "-s", "dump_args.py"]),
    ("cxx.raw-selected", "opts/cxx.data", ["--symfs", "symfs", "--kallsyms", "{KS}", "-D",
                                           "-S", "ps::spin,main", "--dsos", "cxxprog"]),
    ("cxx.vmlinux", "opts/cxx.data", ["--symfs", "symfs", "-k", "vmlinux"]),
    ("cxx.vmlinux-kernel-path", "opts/cxx.data", ["--symfs", "symfs", "-k", "vmlinux",
                                                  "--show-kernel-path"]),
    ("cxx.vmlinux-raw", "opts/cxx.data", ["--symfs", "symfs", "-k", "vmlinux", "-D"]),
    ("cxx.vmlinux-dump", "opts/cxx.data", ["--symfs", "symfs", "-k", "vmlinux", "-s",
                                           "dump_args.py"]),
    ("cxx.vmlinux-demangle-kernel", "opts/cxx.data", ["--symfs", "symfs", "-k", "vmlinux",
                                                      "--demangle-kernel", "-G"]),
    ("cxx.vmlinux-other", "opts/cxx.data", ["--symfs", "symfs", "-k", "vmlinux-other"]),
    ("cxx.vmlinux-and-kallsyms", "opts/cxx.data", ["--symfs", "symfs", "-k", "vmlinux",
                                                   "--kallsyms", "{KS}",
                                                   "--show-kernel-path", "-G"]),
    ("nobid.vmlinux-other", "opts/nobid.data", ["--symfs", "symfs", "-k", "vmlinux-other"]),
    ("sideband.vmlinux", "opts/sideband.data", ["-k", "vmlinux", "--show-kernel-path",
                                                "--show-bpf-events"]),
    ("nobid.vmlinux-other-path", "opts/nobid.data", ["--symfs", "symfs", "-k",
                                                     "vmlinux-other", "--show-kernel-path",
                                                     "-G"]),
    # side-band records
    ("sideband.namespaces", "opts/sideband.data", ["--kallsyms", "{KS}",
                                                   "--show-namespace-events"]),
    ("sideband.cgroups", "opts/sideband.data", ["--kallsyms", "{KS}", "--show-cgroup-events"]),
    ("sideband.bpf", "opts/sideband.data", ["--kallsyms", "{KS}", "--show-bpf-events"]),
    ("sideband.text-poke", "opts/sideband.data", ["--kallsyms", "{KS}",
                                                  "--show-text-poke-events"]),
    ("sideband.all-latency", "opts/sideband.data", ["--kallsyms", "{KS}",
                                                    "--show-namespace-events",
                                                    "--show-cgroup-events",
                                                    "--show-bpf-events",
                                                    "--show-task-events", "-L"]),
    ("sideband.rounds", "opts/sideband.data", ["--kallsyms", "{KS}", "--show-round-events",
                                               "--show-bpf-events"]),
    ("sideband.raw", "opts/sideband.data", ["--kallsyms", "{KS}", "-D"]),
    ("sideband.raw-shown", "opts/sideband.data", ["--kallsyms", "{KS}", "-D",
                                                  "--show-namespace-events",
                                                  "--show-bpf-events",
                                                  "--show-cgroup-events",
                                                  "--show-lost-events"]),
    ("poke.shown", "opts/poke.data", ["--kallsyms", "{KS}", "--show-text-poke-events",
                                      "--show-bpf-events", "-F", "comm,tid,time"]),
    ("poke.raw", "opts/poke.data", ["--kallsyms", "{KS}", "-D", "-F", "comm,tid,time"]),
    # options perf accepts and that change nothing on stdout here
    ("sched.accepted", "sched.data", ["--kallsyms", "{KS}", "-a", "-f", "-v", "--no-ns",
                                      "--hide-call", "--max-st=3"]),
]

ABBREVIATION_EXTRAS = ["n", "no", "no-", "nono", "no-no-ns", "x"]


def perf_env():
    env = {k: v for k, v in os.environ.items()
           if k not in ("PERF_EXEC_PATH", "PYTHONUNBUFFERED", "PYTHONPATH", "PYTHONHOME")}
    env.update(PATH=ENV_PATH, LC_ALL="C", TZ="UTC", PYTHONHASHSEED="0")
    return env


def kernel_of(recording):
    return "opts" if recording.startswith("opts/") else "main"


def scratch_for(recording, kallsyms, vmlinux_dir):
    """A directory with what a check reads, under the names its arguments use."""
    d = tempfile.mkdtemp(prefix="perfscript-opts-")
    shutil.copyfile(os.path.join(RECORDINGS, recording),
                    os.path.join(d, os.path.basename(recording)))
    shutil.copyfile(kallsyms, os.path.join(d, "kallsyms"))
    shutil.copyfile(os.path.join(RECORDINGS, "dump_args.py"), os.path.join(d, "dump_args.py"))
    shutil.copytree(os.path.join(HERE, "symfs"), os.path.join(d, "symfs"))
    for name in ("vmlinux", "vmlinux-other"):
        src = os.path.join(vmlinux_dir, name)
        if os.path.exists(src):     # -k NAME is read under --symfs when one is given
            shutil.copyfile(src, os.path.join(d, name))
            shutil.copyfile(src, os.path.join(d, "symfs", name))
    return d


def transcript(stdout, directory):
    """stdout, then every dump file written into `directory`."""
    out = bytearray(stdout)
    for name in sorted(os.listdir(directory)):
        if name.endswith(".dump"):
            with open(os.path.join(directory, name), "rb") as f:
                out += b"== %s ==\n" % name.encode() + f.read()
    return bytes(out)


def run_perf(recording, args, kallsyms, vmlinux_dir):
    d = scratch_for(recording, kallsyms, vmlinux_dir)
    try:
        cmd = ["perf", "script", "-i", os.path.basename(recording)] + [
            "kallsyms" if a == "{KS}" else a for a in args]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, cwd=d, env=perf_env())
        return transcript(p.stdout, d), p.returncode
    finally:
        shutil.rmtree(d, ignore_errors=True)


def kernel_build_id(recording):
    p = subprocess.run(["perf", "buildid-list", "-i", os.path.join(RECORDINGS, recording)],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                       env=perf_env())
    for line in p.stdout.splitlines():
        bid, _, name = line.partition(" ")
        if name.strip() == "[kernel.kallsyms]":
            return bid.strip()
    return None


def main_kallsyms():
    (name,) = [f for f in os.listdir(RECORDINGS) if f.startswith("kallsyms-")]
    return os.path.join(RECORDINGS, name)


def unpack(xz, out):
    with lzma.open(xz, "rb") as f, open(out, "wb") as g:
        g.write(f.read())


KEEP_ALWAYS = {"_text", "_stext", "_etext", "_sinittext", "_einittext", "_end", "_edata"}


def reduce_kallsyms(full_text, addresses):
    """The kallsyms lines that resolve `addresses` as the full file does (../mkrefs.py)."""
    lines = full_text.splitlines()
    addr_of = []
    for line in lines:
        try:
            addr_of.append(int(line.split(None, 1)[0], 16))
        except (ValueError, IndexError):
            addr_of.append(None)
    starts = sorted({a for a in addr_of if a})
    keep = set(starts[-2:])
    for a in addresses:
        i = bisect.bisect_right(starts, a) - 1
        if i >= 0:
            keep.add(starts[i])
            if i + 1 < len(starts):
                keep.add(starts[i + 1])
    out = [line for line, a in zip(lines, addr_of)
           if a in keep or (len(line.split()) >= 3 and line.split()[2] in KEEP_ALWAYS)]
    return "\n".join(out) + "\n"


def kernel_addresses(texts):
    found = set()
    for text in texts:
        for m in re.finditer(r"<int>(\d{19,20})", text):
            v = int(m.group(1))
            if 0xffffffff80000000 <= v < 1 << 64:
                found.add(v)
        for m in re.finditer(r"\b(ffffffff[0-9a-f]{8})\b", text):
            found.add(int(m.group(1), 16))
    return found


def write_expected(name, out):
    base = os.path.join(EXPECTED, name + ".out")
    for old in (base, base + ".xz"):
        if os.path.exists(old):
            os.unlink(old)
    if len(out) > COMPRESS_OVER:
        with lzma.open(base + ".xz", "wb", preset=9 | lzma.PRESET_EXTREME) as f:
            f.write(out)
        return os.path.basename(base) + ".xz"
    with open(base, "wb") as f:
        f.write(out)
    return os.path.basename(base)


def read_expected(fname):
    path = os.path.join(EXPECTED, fname)
    opener = lzma.open if fname.endswith(".xz") else open
    with opener(path, "rb") as f:
        return f.read()


def option_words():
    """perf's first stderr line for `--WORD` alone: every prefix of every long option."""
    sys.path.insert(0, os.path.join(RECORDINGS, "..", "..", "..", "src"))
    from perfscript.cli.options import OPTIONS
    words = set(ABBREVIATION_EXTRAS)
    for o in OPTIONS:
        for i in range(1, len(o.long) + 1):
            words.update((o.long[:i], "no-" + o.long[:i]))
    out = {}
    for w in sorted(words):
        p = subprocess.run(["perf", "script", "--" + w, "-i", "/nonexistent.data"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, env=perf_env(), text=True)
        line = (p.stderr.strip().splitlines() or [""])[0].strip()
        out[w] = line.replace("Error: ", "", 1) if ("Ambiguous" in line
                                                     or "unknown option" in line) else "ok"
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true")
    opts = ap.parse_args()
    if not shutil.which("perf"):
        sys.exit("perf is not installed")
    work = tempfile.mkdtemp(prefix="perfscript-mkrefs-opts-")
    try:
        main_ks = os.path.join(work, "main.kallsyms")
        unpack(main_kallsyms(), main_ks)
        bid = kernel_build_id("opts/cxx.data")
        stored = os.path.join(HERE, "kallsyms-%s.xz" % bid)
        subset = os.path.join(work, "opts.kallsyms")
        if opts.check:
            unpack(stored, subset)
            kernels = {"main": main_ks, "opts": subset}
            manifest = json.load(open(os.path.join(EXPECTED, "checks.json")))
            bad = 0
            for c in manifest:
                out, rc = run_perf(c["recording"], c["args"], kernels[c["kernel"]], HERE)
                ok = out == read_expected(c["expected"]) and rc == c["rc"]
                bad += not ok
                print("%-36s %s" % (c["name"], "ok" if ok else "DIFFERS (rc %d)" % rc))
            sys.exit(1 if bad else 0)

        # 1. this boot's full kallsyms: the kernel addresses the opts checks print
        with open("/proc/kallsyms") as f:
            full_text = f.read()
        full_ks = os.path.join(work, "full.kallsyms")
        with open(full_ks, "w") as f:
            f.write(full_text)
        texts = []
        for name, rec, args in CHECKS:
            if kernel_of(rec) == "opts" and "vmlinux" not in " ".join(args):
                texts.append(run_perf(rec, args, full_ks, work)[0].decode("utf-8", "replace"))
        for rec in ("opts/cxx.data", "opts/nobid.data", "opts/sideband.data",
                    "opts/poke.data"):
            texts.append(run_perf(rec, ["--kallsyms", "{KS}", "-G"], full_ks, work)[0]
                         .decode("utf-8", "replace"))
        with open(subset, "w") as f:
            f.write(reduce_kallsyms(full_text, kernel_addresses(texts)))
        for name, vbid in (("vmlinux", bid), ("vmlinux-other", OTHER_BUILD_ID)):
            subprocess.run([sys.executable, os.path.join(HERE, "make_vmlinux.py"),
                            os.path.join(HERE, name), vbid, subset], check=True)

        # 2. every check with the subset, twice, and (without -k) as with the full file
        kernels = {"main": main_ks, "opts": subset}
        os.makedirs(EXPECTED, exist_ok=True)
        manifest, problems = [], []
        for name, rec, args in CHECKS:
            ks = kernels[kernel_of(rec)]
            a = run_perf(rec, args, ks, HERE)
            b = run_perf(rec, args, ks, HERE)
            if a != b:
                problems.append("%s: two runs differ" % name)
            if kernel_of(rec) == "opts" and "vmlinux" not in " ".join(args):
                if run_perf(rec, args, full_ks, HERE) != a:
                    problems.append("%s: the kallsyms subset changes the output" % name)
            fname = write_expected(name, a[0])
            manifest.append({"name": name, "recording": rec, "kernel": kernel_of(rec),
                             "args": args, "expected": fname, "rc": a[1]})
            print("%-36s rc=%-3d %8d bytes  %s" % (name, a[1], len(a[0]), fname))
        if problems:
            sys.exit("NOT written:\n  " + "\n  ".join(problems))
        with open(os.path.join(EXPECTED, "checks.json"), "w") as f:
            json.dump(manifest, f, indent=1)
            f.write("\n")
        with open(os.path.join(EXPECTED, "option_words.json"), "w") as f:
            json.dump(option_words(), f, indent=0, sort_keys=True)
            f.write("\n")
        with lzma.open(stored, "wb", preset=9 | lzma.PRESET_EXTREME) as f:
            with open(subset, "rb") as g:
                f.write(g.read())
        print("kallsyms subset -> %s" % os.path.basename(stored))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
