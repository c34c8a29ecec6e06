#!/usr/bin/env python3
"""Store what the real `perf script` prints for the PLT recordings of this directory.

    python3 mkrefs.py            # write expected/<check>.out.xz and expected/checks.json
    python3 mkrefs.py --check    # re-run perf and compare with what is stored

perf reads only the three committed binaries: it runs with `--symfs symfs` and HOME set to an
empty scratch directory (no build-id cache), so libc, ld.so and the vdso stay [unknown] and
the output depends on nothing of the machine.  Every check runs twice and must agree.
The `sweep` check is a perf.data made by tests/address_sweep.py: one sample at each of the
first SWEEP_BYTES file offsets of each binary (headers, .init, .plt, .plt.got, .text, .fini).
"""

import argparse
import json
import lzma
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED = os.path.join(HERE, "expected")
SYMFS = os.path.join(HERE, "symfs")
BINARIES = ["/tmp/plt/prog_plt", "/tmp/plt/prog_noplt", "/tmp/plt/prog_now"]
SWEEP_BYTES = 0x1400
ENV_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# name, recording (None: the sweep), perf script arguments after -i FILE --symfs DIR
CHECKS = [
    ("plt", "plt.data", []),
    ("plt.syms", "plt.data", ["-s", "syms.py"]),
    ("now", "now.data", []),
    ("noplt", "noplt.data", []),
    ("plt_fp", "plt_fp.data", []),
    ("plt_fp.syms", "plt_fp.data", ["-s", "syms.py"]),
    ("plt_dwarf", "plt_dwarf.data", []),
    ("sweep", None, ["-F", "ip,sym,symoff,dso"]),
]


def sweep_bytes():
    """The sweep recording (see the module docstring)."""
    sys.path.insert(0, os.path.join(HERE, "..", "..", ".."))
    from address_sweep import build_sweep
    return build_sweep([(path, os.path.getsize(SYMFS + path), range(SWEEP_BYTES))
                        for path in BINARIES])


def env_for(home):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PERF_EXEC_PATH", "PYTHONUNBUFFERED", "PYTHONHOME")}
    env.update(PATH=ENV_PATH, LC_ALL="C", TZ="UTC", PYTHONHASHSEED="0", HOME=home)
    return env


def command(recording, args):
    """The perf script arguments of a check (recording: a path)."""
    return ["-i", recording, "--symfs", SYMFS] + [
        os.path.join(HERE, a) if a.endswith(".py") else a for a in args]


def run_perf(recording, args):
    with tempfile.TemporaryDirectory() as home:
        got = subprocess.run(["perf", "script"] + command(recording, args),
                             capture_output=True, env=env_for(home), cwd=home)
    return got.stdout, got.returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    opts = ap.parse_args()
    os.makedirs(EXPECTED, exist_ok=True)
    listed = []
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        sweep = os.path.join(tmp, "sweep.data")
        with open(sweep, "wb") as f:
            f.write(sweep_bytes())
        for name, recording, args in CHECKS:
            path = os.path.join(HERE, recording) if recording else sweep
            first = run_perf(path, args)
            if run_perf(path, args) != first:
                sys.exit("%s: perf printed different things on two runs" % name)
            out = os.path.join(EXPECTED, name + ".out.xz")
            if opts.check:
                with lzma.open(out, "rb") as f:
                    same = f.read() == first[0]
                print("%-12s %s" % (name, "same" if same else "DIFFERENT"))
                bad += not same
            else:
                with lzma.open(out, "wb") as f:
                    f.write(first[0])
            listed.append({"name": name, "recording": recording, "args": args,
                           "expected": os.path.basename(out), "status": first[1]})
    if not opts.check:
        with open(os.path.join(EXPECTED, "checks.json"), "w") as f:
            json.dump(listed, f, indent=1)
            f.write("\n")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
