"""`perf script -l`: the record/report script pairs installed with perf."""

import os
import sys


def _describe(path):
    desc, args = "", ""
    try:
        with open(path, "r", errors="replace") as f:
            for line in f:
                line = line.strip()
                if not line.startswith("#"):
                    continue
                line = line[1:].strip()
                if line.startswith("description:"):
                    desc = line[len("description:"):].strip()
                elif line.startswith("args:"):
                    args = line[len("args:"):].strip()
    except OSError:
        pass
    return desc, args


def list_scripts(exec_dirs, out=None):
    """Print perf's listing, in the directory order perf reads (readdir order)."""
    out = out or sys.stdout
    out.write("List of available trace scripts:\n")
    bases = []
    env = os.environ.get("PERF_EXEC_PATH")
    if env:
        bases.append(env)
    bases.extend(exec_dirs)
    for base in bases:
        scripts = os.path.join(base, "scripts")
        if not os.path.isdir(scripts):
            continue
        for lang in os.listdir(scripts):
            bindir = os.path.join(scripts, lang, "bin")
            if not os.path.isdir(bindir):
                continue
            for name in os.listdir(bindir):
                if not name.endswith("-report"):
                    continue
                desc, args = _describe(os.path.join(bindir, name))
                shown = name[:-len("-report")]
                if args:
                    shown += " " + args
                out.write("  %-36s %s\n" % (shown, desc))
        break
    return 0
