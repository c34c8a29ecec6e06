"""perf's installed scripts: where `-s NAME` looks when NAME is not a file, and what
`-l` lists (the record/report script pairs)."""

import os
import sys

from perfscript.cli.exits import UsageError

# perf's installed script trees, for `-s name` lookups perf itself would satisfy
PERF_EXEC_DIRS = ("/usr/lib/perf-core", "/usr/libexec/perf-core", "/usr/local/libexec/perf-core")


def _exec_dirs():
    """$PERF_EXEC_PATH first, then perf's install locations."""
    bases = []
    env = os.environ.get("PERF_EXEC_PATH")
    if env:
        bases.append(env)
    bases.extend(PERF_EXEC_DIRS)
    return bases


def find_script(spec):
    """Resolve `-s` the way perf does: language prefix, then the path, then perf's tree."""
    lang, sep, rest = spec.partition(":")
    if sep and lang.lower() in ("python", "py"):
        spec = rest
    elif sep and "/" not in lang and lang.lower() in ("perl", "pl"):
        raise UsageError("perl scripts are not supported: perfscript runs Python scripts")
    elif not spec.lower().endswith(".py") and sep == "":
        if spec.lower().endswith(".pl"):
            raise UsageError("perl scripts are not supported: perfscript runs Python scripts")
    if os.access(spec, os.R_OK):
        return spec
    for base in _exec_dirs():
        cand = os.path.join(base, "scripts", "python", spec)
        if os.access(cand, os.R_OK):
            return cand
    return spec


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


def list_scripts():
    """`perf script -l`: perf's listing, in the directory order perf reads (readdir order)."""
    out = sys.stdout
    out.write("List of available trace scripts:\n")
    for base in _exec_dirs():
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
