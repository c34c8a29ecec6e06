#!/usr/bin/env python3
"""Store what the real `perf script -s` prints for the recordings of calls/ (db-export with
perf_db_export_calls: call_return rows from perf's thread stack).

    python3 mkrefs_calls.py            # make calls/kallsyms-<build id>.xz and expected/calls/
    python3 mkrefs_calls.py --check    # only re-run perf and compare with what is stored

Works as mkrefs.py does (same environment, two identical runs, a kallsyms subset proved
sufficient), kept apart because calls/ was recorded on another kernel: its own build id and
kallsyms file.  db-export prints kernel addresses as signed 64-bit ints, so the subset is
taken from the negative ints of the outputs too.
"""

import argparse
import json
import lzma
import os
import re
import shutil
import sys
import tempfile

import mkrefs

HERE = os.path.dirname(os.path.abspath(__file__))
CALLS = os.path.join(HERE, "calls")
EXPECTED = os.path.join(HERE, "expected", "calls")
DUMPER = "calls/dbexport_calls.py"

# name, recording (in calls/), script arguments
CHECKS = [
    ("pf_exec.dbexport", "pf_exec.data", []),
    ("pf_threads.dbexport", "pf_threads.data", []),
    ("pf_threads.dbexport-nocallchains", "pf_threads.data", ["nocallchains"]),
    ("pf_mixed.dbexport", "pf_mixed.data", []),
    ("pf_mixed.dbexport-nocallchains", "pf_mixed.data", ["nocallchains"]),
]


def run(rec, args, kallsyms, scratch):
    return mkrefs.run_perf(os.path.join("calls", rec), DUMPER, args, False, kallsyms, scratch)


def kernel_build_id():
    mkrefs.RECORDINGS = sorted({os.path.join("calls", c[1]) for c in CHECKS})
    return mkrefs.kernel_build_id()


def kernel_addresses(outputs):
    found = mkrefs.kernel_addresses(outputs)
    for text in outputs:
        for m in re.finditer(r"<int>(-\d{10,19})\b", text):
            v = int(m.group(1)) & ((1 << 64) - 1)
            if v >= mkrefs.KERNEL_MIN:
                found.add(v)
    return found


def write_expected(name, out):
    saved = mkrefs.EXPECTED
    mkrefs.EXPECTED = EXPECTED
    try:
        return mkrefs.write_expected(name, out)
    finally:
        mkrefs.EXPECTED = saved


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--full-kallsyms", help="the full kallsyms (default: perf's build-id cache)")
    opts = ap.parse_args()
    if not shutil.which("perf"):
        sys.exit("perf is not installed")
    bid = kernel_build_id()
    stored = os.path.join(CALLS, "kallsyms-%s.xz" % bid)
    scratch = tempfile.mkdtemp(prefix="perfscript-mkrefs-calls-")
    try:
        subset_path = os.path.join(scratch, "kallsyms.subset")
        if opts.check:
            with lzma.open(stored, "rb") as f, open(subset_path, "wb") as g:
                g.write(f.read())
            with open(os.path.join(EXPECTED, "checks.json")) as f:
                manifest = json.load(f)
            bad = 0
            for c in manifest:
                out, rc, _ = run(c["recording"], c["args"], subset_path, scratch)
                with lzma.open(os.path.join(EXPECTED, c["expected"])) if c["expected"].endswith(
                        ".xz") else open(os.path.join(EXPECTED, c["expected"]), "rb") as f:
                    ok = out == f.read() and rc == c["rc"]
                bad += not ok
                print("%-40s %s" % (c["name"], "ok" if ok else "DIFFERS (rc %d)" % rc))
            sys.exit(1 if bad else 0)

        full_path = opts.full_kallsyms or os.path.expanduser(
            "~/.debug/[kernel.kallsyms]/%s/kallsyms" % bid)
        with open(full_path) as f:
            full_text = f.read()
        full = {name: run(rec, args, full_path, scratch) for name, rec, args in CHECKS}
        texts = [o[0].decode("utf-8", "replace") for o in full.values()]
        subset = mkrefs.reduce_kallsyms(full_text, kernel_addresses(texts))
        with open(subset_path, "w") as f:
            f.write(subset)

        os.makedirs(EXPECTED, exist_ok=True)
        manifest, problems = [], []
        for name, rec, args in CHECKS:
            a = run(rec, args, subset_path, scratch)
            b = run(rec, args, subset_path, scratch)
            if a[:2] != b[:2]:
                problems.append("%s: two runs differ" % name)
            if a[:2] != full[name][:2]:
                problems.append("%s: subset kallsyms changes the output" % name)
            fname = write_expected(name, a[0])
            manifest.append({"name": name, "recording": rec, "script": DUMPER, "args": args,
                             "expected": fname, "rc": a[1]})
            print("%-40s rc=%-3d %7d bytes  %s" % (name, a[1], len(a[0]), fname))
        if problems:
            sys.exit("NOT written (kallsyms, checks.json):\n  " + "\n  ".join(problems))
        with open(os.path.join(EXPECTED, "checks.json"), "w") as f:
            json.dump(manifest, f, indent=1)
            f.write("\n")
        with lzma.open(stored, "wb", preset=9 | lzma.PRESET_EXTREME) as f:
            f.write(subset.encode())
        print("kallsyms: %d of %d lines -> %s" % (
            subset.count("\n"), full_text.count("\n"), os.path.relpath(stored, HERE)))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
