#!/usr/bin/env python3
"""Store what the real `perf script -s` prints for the recordings of this directory.

    python3 mkrefs.py                 # make kallsyms-<build id>.xz and expected/, check both
    python3 mkrefs.py --check         # only re-run perf and compare with what is stored

For every check of CHECKS below, perf runs twice (stdout and exit status must agree: the
reference has to be deterministic) in an empty scratch directory, with the environment the
tests use (fixed PATH, LC_ALL=C, TZ=UTC, PYTHONHASHSEED=0, no PERF_EXEC_PATH/PYTHONUNBUFFERED)
and `--kallsyms` pointing at the stored kernel symbols.  Results go to expected/: one
`<check>.out` (or `.out.xz` when large) per check, and expected/checks.json (the list the
tests read: recording, script, arguments, stdin or not, expected file, exit status).

Kernel symbols.  perf read them, at record time, from ~/.debug/[kernel.kallsyms]/<build id>/
kallsyms.  The file stored here is a subset of it: every kallsyms line whose address is the
start of a symbol some recording resolves to, and every line at the next address after it
(so perf computes the same symbol ends), plus the text boundaries.  `mkrefs.py` proves the
subset is enough: each check, and plain `perf script` for each recording, print the same with
the subset as with the full file.  perf and perfscript both get the subset with --kallsyms.

Stdlib only; needs the real perf 6.1 (with libpython) and root for nothing.
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
EXPECTED = os.path.join(HERE, "expected")
SHIPPED = "/usr/lib/perf-core/scripts/python"
ENV_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
COMPRESS_OVER = 32 * 1024   # expected outputs larger than this are stored xz-compressed

# name, recording, script ("perf:NAME" = shipped with perf), script args, read from stdin
CHECKS = [
    ("sched.dump", "sched.data", "dump_args.py", ["alpha", "--", "--beta"], False),
    ("syscalls.dump", "syscalls.data", "dump_args.py", [], False),
    ("syscalls.syscall-counts", "syscalls.data", "perf:syscall-counts.py", [], False),
    ("syscalls.syscall-counts-ls", "syscalls.data", "perf:syscall-counts.py", ["ls"], False),
    ("syscalls.syscall-counts-by-pid", "syscalls.data", "perf:syscall-counts-by-pid.py", [],
     False),
    ("syscalls.failed-syscalls-by-pid", "syscalls.data", "perf:failed-syscalls-by-pid.py", [],
     False),
    ("pipe.dump", "pipe.data", "dump_args.py", [], False),
    ("pipe.dump-stdin", "pipe.data", "dump_args.py", [], True),
    ("pipe.syscall-counts", "pipe.data", "perf:syscall-counts.py", [], False),
    ("pipe.syscall-counts-by-pid-stdin", "pipe.data", "perf:syscall-counts-by-pid.py", [],
     True),
    ("zstd.dump", "zstd.data", "dump_args.py", [], False),
    ("zstd.syscall-counts", "zstd.data", "perf:syscall-counts.py", [], False),
    ("zstd.syscall-counts-by-pid", "zstd.data", "perf:syscall-counts-by-pid.py", [], False),
    ("zstd.failed-syscalls-by-pid", "zstd.data", "perf:failed-syscalls-by-pid.py", [], False),
    ("callchain.dump", "callchain.data", "dump_args.py", [], False),
    ("callchain.stackcollapse", "callchain.data", "perf:stackcollapse.py", [], False),
    ("callchain.stackcollapse-opts", "callchain.data", "perf:stackcollapse.py",
     ["--", "--include-tid", "--kernel"], False),
    ("stat.dump", "stat.data", "dump_args.py", ["a b", ""], False),
    ("stat_percpu.dump", "stat_percpu.data", "dump_args.py", [], False),
    ("kmem_softirq.dump", "kmem_softirq.data", "dump_args.py", [], False),
    # dies at the first kmem:kmalloc (the 6.18 format has a field this 6.1 script lacks):
    # TypeError, traceback, perf aborts (SIGABRT)
    ("kmem_softirq.check-perf-trace", "kmem_softirq.data", "perf:check-perf-trace.py", [],
     False),
]

RECORDINGS = sorted({c[1] for c in CHECKS})


def perf_env():
    env = {k: v for k, v in os.environ.items()
           if k not in ("PERF_EXEC_PATH", "PYTHONUNBUFFERED", "PYTHONPATH", "PYTHONHOME")}
    env.update(PATH=ENV_PATH, LC_ALL="C", TZ="UTC", PYTHONHASHSEED="0")
    return env


def script_path(spec):
    if spec.startswith("perf:"):
        return os.path.join(SHIPPED, spec[5:])
    return os.path.join(HERE, spec)


def run_perf(recording, script, args, stdin, kallsyms, scratch):
    data = os.path.join(HERE, recording)
    cmd = ["perf", "script", "--kallsyms", kallsyms, "-i", "-" if stdin else data]
    if script is not None:
        cmd += ["-s", script_path(script)] + list(args)
    with open(data if stdin else os.devnull, "rb") as inp:
        p = subprocess.run(cmd, stdin=inp, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           cwd=scratch, env=perf_env())
    return p.stdout, p.returncode, p.stderr


# ------------------------------------------------------------------------ kernel symbols

def kernel_build_id():
    ids = set()
    for rec in RECORDINGS:
        p = subprocess.run(["perf", "buildid-list", "-i", os.path.join(HERE, rec)],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                           env=perf_env())
        for line in p.stdout.splitlines():
            bid, _, name = line.partition(" ")
            if name.strip() == "[kernel.kallsyms]" and bid.strip():
                ids.add(bid.strip())
    if len(ids) != 1:
        sys.exit("expected one kernel build id in the recordings, got %r" % sorted(ids))
    return ids.pop()


KEEP_ALWAYS = {"_text", "_stext", "_etext", "_sinittext", "_einittext", "_end", "_edata"}
KERNEL_MIN = 0xffffffff80000000


def reduce_kallsyms(full_text, addresses):
    """The kallsyms lines needed to resolve `addresses` exactly as the full file does."""
    lines = full_text.splitlines()
    addr_of = []
    for line in lines:
        try:
            addr_of.append(int(line.split(None, 1)[0], 16))
        except (ValueError, IndexError):
            addr_of.append(None)
    starts = sorted({a for a in addr_of if a})
    keep_addr = set()
    for a in addresses:
        i = bisect.bisect_right(starts, a) - 1
        if i < 0:
            continue
        keep_addr.add(starts[i])
        if i + 1 < len(starts):
            keep_addr.add(starts[i + 1])
    # the highest-addressed lines bound the last symbols (perf sizes the kernel map by them)
    keep_addr.update(starts[-2:])
    out = []
    for line, a in zip(lines, addr_of):
        parts = line.split()
        if a in keep_addr or (len(parts) >= 3 and parts[2] in KEEP_ALWAYS):
            out.append(line)
    return "\n".join(out) + "\n"


def kernel_addresses(outputs):
    """Every int >= KERNEL_MIN printed by the dumper, or hex kernel address perf printed."""
    found = set()
    for text in outputs:
        for m in re.finditer(r"<int>(\d{19,20})", text):
            v = int(m.group(1))
            if KERNEL_MIN <= v < 1 << 64:
                found.add(v)
        for m in re.finditer(r"\b(ffffffff[0-9a-f]{8})\b", text):
            found.add(int(m.group(1), 16))
    return found


# ---------------------------------------------------------------------------------- main

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
    if fname.endswith(".xz"):
        with lzma.open(path, "rb") as f:
            return f.read()
    with open(path, "rb") as f:
        return f.read()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="compare perf's output with expected/ instead of writing it")
    ap.add_argument("--full-kallsyms", help="the full kallsyms (default: perf's build-id cache)")
    opts = ap.parse_args()
    if not shutil.which("perf"):
        sys.exit("perf is not installed")
    bid = kernel_build_id()
    stored = os.path.join(HERE, "kallsyms-%s.xz" % bid)
    scratch = tempfile.mkdtemp(prefix="perfscript-mkrefs-")
    try:
        subset_path = os.path.join(scratch, "kallsyms.subset")
        if opts.check:
            with lzma.open(stored, "rb") as f, open(subset_path, "wb") as g:
                g.write(f.read())
            manifest = json.load(open(os.path.join(EXPECTED, "checks.json")))
            bad = 0
            for c in manifest:
                out, rc, _ = run_perf(c["recording"], c["script"], c["args"], c["stdin"],
                                      subset_path, scratch)
                ok = out == read_expected(c["expected"]) and rc == c["rc"]
                bad += not ok
                print("%-40s %s" % (c["name"], "ok" if ok else "DIFFERS (rc %d)" % rc))
            sys.exit(1 if bad else 0)

        full_path = opts.full_kallsyms or os.path.expanduser(
            "~/.debug/[kernel.kallsyms]/%s/kallsyms" % bid)
        with open(full_path) as f:
            full_text = f.read()

        # 1. with the full kallsyms: the reference outputs, and every kernel address used
        full = {}
        for name, rec, script, args, stdin in CHECKS:
            full[name] = run_perf(rec, script, args, stdin, full_path, scratch)
        plain = {}
        for rec in RECORDINGS:
            plain[rec] = run_perf(rec, None, [], False, full_path, scratch)
        texts = [o[0].decode("utf-8", "replace") for o in list(full.values())
                 + list(plain.values())]
        subset = reduce_kallsyms(full_text, kernel_addresses(texts))
        with open(subset_path, "w") as f:
            f.write(subset)

        # 2. with the subset: twice, identical to each other and to the full-kallsyms run
        os.makedirs(EXPECTED, exist_ok=True)
        manifest = []
        problems = []
        for name, rec, script, args, stdin in CHECKS:
            a = run_perf(rec, script, args, stdin, subset_path, scratch)
            b = run_perf(rec, script, args, stdin, subset_path, scratch)
            if a[:2] != b[:2]:
                problems.append("%s: two runs differ" % name)
            if a[:2] != full[name][:2]:
                problems.append("%s: subset kallsyms changes the output" % name)
            fname = write_expected(name, a[0])
            manifest.append({"name": name, "recording": rec, "script": script, "args": args,
                             "stdin": stdin, "expected": fname, "rc": a[1]})
            print("%-40s rc=%-3d %7d bytes  %s" % (name, a[1], len(a[0]), fname))
        for rec in RECORDINGS:
            if run_perf(rec, None, [], False, subset_path, scratch)[:2] != plain[rec][:2]:
                problems.append("%s: plain perf script differs with the subset" % rec)
        if problems:
            sys.exit("NOT written (kallsyms, checks.json):\n  " + "\n  ".join(problems))
        with open(os.path.join(EXPECTED, "checks.json"), "w") as f:
            json.dump(manifest, f, indent=1)
            f.write("\n")
        with lzma.open(stored, "wb", preset=9 | lzma.PRESET_EXTREME) as f:
            f.write(subset.encode())
        print("kallsyms: %d of %d lines -> %s" % (
            subset.count("\n"), full_text.count("\n"), os.path.basename(stored)))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
