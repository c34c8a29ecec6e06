#!/usr/bin/env python3
"""Store what the real perf 6.1 prints for the recordings of fields/ and stat_interval/.

    python3 mkrefs_fields.py            # run perf for every check, write the references
    python3 mkrefs_fields.py --check    # run perf again and compare with what is stored

fields/: `perf script --symfs symfs ...` run in fields/ itself (the binaries are under
fields/symfs/, the source file prog.c is found from there, as its DWARF names it
"././prog.c"). stat_interval/: `perf script -i ...` run in an empty directory. Each check
runs twice and must print the same (a reference has to be deterministic). The results go
to <dir>/expected/: <check>.out (stdout; .out.xz above 32 KiB) and checks.json (recording, arguments, script,
exit status). fields/expected/itrace_options.json holds, for each option string of
itrace_options(), what scripts/itrace.py printed (perf_set_itrace_options' answers), perf's
exit status and its "Bad ..." error line.

Stdlib only; needs perf 6.1 with libpython. The environment is the tests' one (fixed PATH,
LC_ALL=C, TZ=UTC, PYTHONHASHSEED=0).
"""

import argparse
import json
import lzma
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ENV_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
COMPRESS_OVER = 32 * 1024   # references larger than this are stored xz-compressed

FIELDS = [
    ("fields.default", "fields.data", []),
    ("fields.srcline", "fields.data", ["-F", "+srcline"]),
    ("fields.srcline-G", "fields.data", ["-F", "+srcline", "-G"]),
    ("fields.srcline-full", "fields.data", ["-F", "+srcline", "--full-source-path"]),
    ("fields.srccode", "fields.data", ["-F", "+srccode"]),
    ("fields.source-insn", "fields.data", ["-F", "+srcline,+srccode,+insn,+insnlen"]),
    ("fields.insn-G", "fields.data", ["-F", "ip,sym,insn,insnlen", "-G"]),
    ("fields.srcline-without-ip", "fields.data", ["-F", "comm,srcline"]),
    ("fields.brstackinsn-without-lbr", "fields.data", ["-F", "+brstackinsn"]),
    ("fields.bpf-output-keeps-defaults", "fields.data", ["-F", "sw:comm,bpf-output"]),
    ("fields.metric-no-group", "fields.data", ["-F", "+metric"]),
    ("branches.brstack", "branches.data", ["-F", "+brstack"]),
    ("branches.brstack-nodso", "branches.data", ["-F", "+brstack,-dso"]),
    ("branches.brstacksym", "branches.data", ["-F", "+brstacksym"]),
    ("branches.brstackoff", "branches.data", ["-F", "+brstackoff"]),
    ("branches.brstack-brstacksym", "branches.data", ["-F", "+brstack,+brstacksym"]),
    ("branches.brstackinsn", "branches.data", ["-F", "+brstackinsn"]),
    ("branches.brstackinsnlen-source", "branches.data",
     ["-F", "+brstackinsnlen,+srcline,+srccode"]),
    ("branches.brstackinsn-max-blocks-1", "branches.data",
     ["-F", "+brstackinsn", "--max-blocks", "1"]),
    ("branches.brstackinsn-max-blocks-2", "branches.data",
     ["-F", "+brstackinsn", "--max-blocks=2"]),
    ("branches_hwidx.brstack", "branches_hwidx.data", ["-F", "+brstack"]),
    ("branches_hwidx.brstackinsn", "branches_hwidx.data", ["-F", "+brstackinsn,+insn"]),
    ("branches_pie.brstackoff", "branches_pie.data", ["-F", "+brstackoff"]),
    ("branches_pie.brstacksym", "branches_pie.data", ["-F", "+brstacksym,-dso"]),
    ("branches_pie.brstackinsn-srcline", "branches_pie.data",
     ["-F", "+brstackinsn,+srcline"]),
    ("synth.default", "synth.data", []),
    ("synth.flags", "synth.data", ["-F", "+flags"]),
    ("synth.synth-ip", "synth.data", ["-F", "synth:synth,ip"]),
    ("synth.bpf-synth", "synth.data", ["-F", "ip,bpf-output,synth"]),
    ("synth.insn-srcline", "synth.data", ["-F", "+insn,+srcline"]),
    ("metric.metric", "metric.data", ["-F", "+metric"]),
    ("metric.metric-only", "metric.data", ["-F", "metric"]),
    ("metric.metric-deltatime", "metric.data", ["-F", "+metric", "--deltatime"]),
    ("group_read.metric", "group_read.data", ["-F", "+metric"]),
    ("group_read.metric-srccode", "group_read.data", ["-F", "+metric,+srccode"]),
]
FIELDS_SCRIPTS = [
    ("fields.api", "fields.data", "scripts/api.py"),
    ("branches_pie.api", "branches_pie.data", "scripts/api.py"),
    ("synth.api", "synth.data", "scripts/api.py"),
    ("fields.itrace-nonstr", "fields.data", "scripts/itrace_nonstr.py"),
]
STAT = ["process", "system", "per_core", "per_cpu", "per_socket", "per_thread",
        "no_interval", "system_scaled", "per_cpu_scaled", "per_core_scaled",
        "process_scaled"]
# perf_set_itrace_options strings: every letter, the sub-syntaxes, random ones
ITRACE_HANDPICKED = ["", "garbage", "e", "cr", "i100ns", "i10us", "i10ms", "i10", "i10t",
                     "i10i", "i10x", "i10n", "i10ns5", "i 10 i", "i,10,t", "i10tb", "ib",
                     "i9999999999999999999999", "g0", "g1", "g1024", "g1025", "g,5", "g 5",
                     "G3", "L3", "l0", "l64", "l1025", "l5x", "g4294967297", "s", "s5", "s 5",
                     "s+5", "s-5", "g-5", "e+a", "e+A", "e+ a", "e +a", "e-a", "e+a+b-c",
                     "d+a", "d-z", "e+", "e-", "e+aq", "q q", "F", "y", "\u00e9", "e+\u00e9"]


def itrace_options():
    rng = random.Random(7)
    alpha = "iibcrxwpoedgGlLsfmtaMqAIZyhn0123456789 ,+-usnt"
    out = list(ITRACE_HANDPICKED)
    out += [chr(c) for c in range(ord("a"), ord("z") + 1)]
    out += [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    while len(out) < 260:
        s = "".join(rng.choice(alpha) for _ in range(rng.randint(1, 8)))
        if not s.startswith("-") and s not in out:
            out.append(s)
    return out


def perf_env():
    env = {k: v for k, v in os.environ.items()
           if k not in ("PERF_EXEC_PATH", "PYTHONUNBUFFERED", "PYTHONPATH", "PYTHONHOME")}
    env.update(PATH=ENV_PATH, LC_ALL="C", TZ="UTC", PYTHONHASHSEED="0")
    return env


def perf(args, cwd):
    p = subprocess.run(["perf", "script"] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, cwd=cwd, env=perf_env(), timeout=300)
    return p.stdout, p.returncode, p.stderr


def twice(args, cwd):
    first, second = perf(args, cwd), perf(args, cwd)
    if first[:2] != second[:2]:
        sys.exit("perf is not deterministic for %r" % args)
    return first


def checks():
    """(directory, name, args, cwd kind) of every check."""
    out = []
    for name, rec, args in FIELDS:
        out.append(("fields", name, ["--symfs", "symfs", "-i", rec] + args))
    for name, rec, script in FIELDS_SCRIPTS:
        out.append(("fields", name, ["--symfs", "symfs", "-i", rec, "-s", script]))
    for rec in STAT:
        out.append(("stat_interval", rec, ["-i", rec + ".data"]))
        out.append(("stat_interval", rec + ".dump",
                    ["-i", rec + ".data", "-s", "../dump_args.py"]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    opts = ap.parse_args()
    bad = 0
    tables = {}
    for directory, name, args in checks():
        cwd = os.path.join(HERE, directory)
        out, rc, _ = twice(args, cwd)
        stored = name + (".out.xz" if len(out) > COMPRESS_OVER else ".out")
        path = os.path.join(cwd, "expected", stored)
        opener = lzma.open if stored.endswith(".xz") else open
        if opts.check:
            with opener(path, "rb") as f:
                if f.read() != out:
                    print("DIFFERS:", directory, name)
                    bad += 1
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with opener(path, "wb") as f:
                f.write(out)
        tables.setdefault(directory, []).append({"name": name, "args": args, "out": stored,
                                                 "rc": rc})
    answers = {}
    cwd = os.path.join(HERE, "fields")
    for option in itrace_options():
        out, rc, err = perf(["-i", "fields.data", "-s", "scripts/itrace.py", option], cwd)
        errors = [line for line in err.decode("utf-8", "surrogateescape").splitlines()
               if line.startswith("Bad ")]
        answers[option] = [out.decode("utf-8", "surrogateescape"), rc, errors]
    if opts.check:
        with open(os.path.join(cwd, "expected", "itrace_options.json")) as f:
            if json.load(f) != answers:
                print("DIFFERS: itrace_options.json")
                bad += 1
        sys.exit(1 if bad else 0)
    for directory, table in tables.items():
        with open(os.path.join(HERE, directory, "expected", "checks.json"), "w") as f:
            json.dump(table, f, indent=1)
            f.write("\n")
    with open(os.path.join(cwd, "expected", "itrace_options.json"), "w") as f:
        json.dump(answers, f, indent=0, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
