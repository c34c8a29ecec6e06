#!/usr/bin/env python3
"""Store what the real perf 6.1 prints for this directory's recordings (expected/).

    python3 mkrefs.py          # run every check twice with perf, store the outputs

The programs must be at the path the recordings name (/tmp/perfscript-dwarf; record.sh
leaves them there).  Each check runs in an empty directory with the tests' environment.
"""

import json
import os
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED = os.path.join(HERE, "expected")
SHIPPED = "/usr/lib/perf-core/scripts/python"
DUMP = os.path.join(HERE, "..", "recordings", "dump_args.py")
DBEXPORT = os.path.join(HERE, "..", "recordings", "calls", "dbexport_calls.py")
ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C",
       "TZ": "UTC", "PYTHONHASHSEED": "0", "HOME": os.environ.get("HOME", "/root")}

# name, recording, perf script arguments after -i FILE
CHECKS = []
for rec in ("prog", "mt", "py", "dbgf", "dbgfx"):
    CHECKS += [
        (rec + ".text", rec, []),
        (rec + ".text-no-inline", rec, ["--no-inline"]),
        (rec + ".stackcollapse-no-inline", rec,
         ["--no-inline", "-s", SHIPPED + "/stackcollapse.py"]),
        (rec + ".dump-no-inline", rec, ["--no-inline", "-s", DUMP]),
        (rec + ".dbexport-no-inline", rec, ["--no-inline", "-s", DBEXPORT]),
    ]
CHECKS += [
    ("prog.max-stack-3", "prog", ["--no-inline", "--max-stack", "3"]),
    ("prog.max-stack-0", "prog", ["--no-inline", "--max-stack", "0"]),
    ("prog.callee-fields", "prog", ["--no-inline", "-F", "comm,tid,time,ip,sym,symoff,dso"]),
    ("prog.stop-bt", "prog", ["--stop-bt=msort_with_tmp,walk"]),
    ("prog.srcline", "prog", ["-F", "+srcline"]),
    ("dbgf.srcline-full-path", "dbgf", ["--full-source-path", "-F", "+srcline"]),
]


def run(args):
    with tempfile.TemporaryDirectory() as tmp:
        p = subprocess.run(["perf", "script"] + args, cwd=tmp, env=ENV,
                           capture_output=True)
    return p.returncode, p.stdout


def main():
    os.makedirs(EXPECTED, exist_ok=True)
    table = []
    for name, rec, args in CHECKS:
        full = ["-i", os.path.join(HERE, rec + ".data")] + args
        rc, out = run(full)
        rc2, out2 = run(full)
        if (rc, out) != (rc2, out2):
            raise SystemExit("%s: perf is not deterministic" % name)
        with open(os.path.join(EXPECTED, name + ".out"), "wb") as f:
            f.write(out)
        table.append({"name": name, "recording": rec + ".data",
                      "args": [a.replace(SHIPPED + "/", "perf:").replace(DUMP, "dump_args.py")
                               .replace(DBEXPORT, "dbexport_calls.py")
                               for a in args],
                      "expected": name + ".out", "status": rc})
    with open(os.path.join(EXPECTED, "checks.json"), "w") as f:
        json.dump(table, f, indent=1)
    print("%d checks stored" % len(table))


if __name__ == "__main__":
    if shutil.which("perf") is None:
        raise SystemExit("needs the real perf")
    main()
