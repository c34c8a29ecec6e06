#!/usr/bin/env python3
"""Store what the real perf 6.1 prints for the scripts of streams/ (handlers that rebind,
delete and swap handlers, keep and change what they get, raise StopIteration).

    python3 mkrefs_streams.py            # run perf for every check, write the references
    python3 mkrefs_streams.py --check    # run perf again and compare with what is stored

Each check is `perf script --kallsyms <stored subset> -i <recording> -s streams/<script>`,
run twice in this directory with the tests' environment (fixed PATH, LC_ALL=C, TZ=UTC,
PYTHONHASHSEED=0); both runs must agree. Results go to streams/expected/: <check>.out
(stdout; .out.xz above 32 KiB) and checks.json (recording, script, perf's exit status as subprocess reports it).
Stdlib only; needs perf 6.1 with libpython.
"""

import argparse
import glob
import json
import lzma
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED = os.path.join(HERE, "streams", "expected")
ENV_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
COMPRESS_OVER = 32 * 1024   # references larger than this are stored xz-compressed

CHECKS = [
    ("syscalls.rebind_named", "syscalls.data", "rebind_named.py"),
    ("syscalls.keep_mutate", "syscalls.data", "keep_mutate.py"),
    ("syscalls.stop_iteration", "syscalls.data", "stop_iteration.py"),
    ("syscalls.handlers_appear", "syscalls.data", "handlers_appear.py"),
    ("callchain.process_event_mutate", "callchain.data", "process_event_mutate.py"),
    ("callchain.process_event_appears", "callchain.data", "process_event_appears.py"),
]


def perf(kallsyms, recording, script):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PERF_EXEC_PATH", "PYTHONUNBUFFERED", "PYTHONPATH", "PYTHONHOME")}
    env.update(PATH=ENV_PATH, LC_ALL="C", TZ="UTC", PYTHONHASHSEED="0")
    p = subprocess.run(["perf", "script", "--kallsyms", kallsyms, "-i", recording, "-s",
                        os.path.join("streams", script)], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, cwd=HERE, env=env, timeout=300)
    return p.stdout, p.returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    check = ap.parse_args().check
    (xz,) = glob.glob(os.path.join(HERE, "kallsyms-*.xz"))
    with tempfile.TemporaryDirectory() as tmp:
        kallsyms = os.path.join(tmp, "kallsyms")
        with lzma.open(xz) as f, open(kallsyms, "wb") as out:
            out.write(f.read())
        os.makedirs(EXPECTED, exist_ok=True)
        table, bad = [], 0
        for name, recording, script in CHECKS:
            first = perf(kallsyms, recording, script)
            if perf(kallsyms, recording, script) != first:
                sys.exit("%s: perf printed differently twice" % name)
            out = name + (".out.xz" if len(first[0]) > COMPRESS_OVER else ".out")
            path = os.path.join(EXPECTED, out)
            opener = lzma.open if out.endswith(".xz") else open
            if check:
                with opener(path, "rb") as f:
                    same = f.read() == first[0]
                print("%-40s %s" % (name, "ok" if same else "DIFFERS"))
                bad += not same
            else:
                with opener(path, "wb") as f:
                    f.write(first[0])
            table.append({"name": name, "recording": recording, "script": script,
                          "expected": out, "rc": first[1]})
        if not check:
            with open(os.path.join(EXPECTED, "checks.json"), "w") as f:
                json.dump(table, f, indent=1)
                f.write("\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
