"""perf's installed scripts: where `-s NAME` looks when NAME is not a file, the
record/report shell scripts of `perfscript record|report NAME` and `perfscript NAME`
(scripts/LANG/bin/NAME-record, NAME-report), and what `-l` lists.

perf looks under its exec path: $PERF_EXEC_PATH when set, else where it was installed;
perfscript looks in $PERF_EXEC_PATH when set, else in perf's usual install locations,
then, for a name perf's scripts do not have, among its own ports of perf's scripts
(perfscript.bundled: an exec path of the same layout, in the package)."""

import os
import sys

from perfscript.bundled import EXEC_PATH as BUNDLED_EXEC_PATH
from perfscript.cli.exits import UsageError
from perfscript.cli.perf_scripts import PERF_SCRIPT_NAMES, is_perf_script_name, script_name

# perf's installed script trees, for `-s name` lookups perf itself would satisfy
PERF_EXEC_DIRS = ("/usr/lib/perf-core", "/usr/libexec/perf-core", "/usr/local/libexec/perf-core")

RECORD_SUFFIX = "-record"
REPORT_SUFFIX = "-report"


def exec_dirs():
    """$PERF_EXEC_PATH alone when set (as perf), else perf's install locations."""
    env = os.environ.get("PERF_EXEC_PATH")
    return [env] if env else list(PERF_EXEC_DIRS)


def exec_base():
    """The exec path whose scripts/ directory perfscript uses (the first that exists)."""
    for base in exec_dirs():
        if os.path.isdir(os.path.join(base, "scripts")):
            return base
    return None


def where_looked():
    """Where scripts are looked up, said in one phrase."""
    return ", ".join(os.path.join(b, "scripts") for b in exec_dirs() + [BUNDLED_EXEC_PATH])


def where_perfs_looked():
    """Where perf's own scripts are looked up, said in one phrase."""
    return ", ".join(os.path.join(b, "scripts") for b in exec_dirs())


def is_bundled(path):
    """Whether `path` is one of perfscript's own scripts."""
    return os.path.abspath(path).startswith(os.path.join(BUNDLED_EXEC_PATH, "scripts") + os.sep)


def exec_path_of(path):
    """The exec path a record/report shell script belongs to (BASE/scripts/LANG/bin/NAME):
    what its PERF_EXEC_PATH must be."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(path))))


def find_script(spec):
    """Resolve `-s` the way perf does: language prefix, then the path, then perf's tree;
    then perfscript's own (its ports of perf's scripts)."""
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
    for base in exec_dirs() + [BUNDLED_EXEC_PATH]:
        cand = os.path.join(base, "scripts", "python", spec)
        if os.access(cand, os.R_OK):
            return cand
    return spec


def missing_script_hint(spec):
    """For a script that was not found: one line saying why when it is one of perf's own
    (perf's scripts directory is not installed, and perfscript has no port of it), else
    None."""
    if "/" in spec or not is_perf_script_name(spec) or exec_base() is not None:
        return None
    return ("perfscript: %s is one of perf's scripts, and perf's scripts are not installed "
            "(looked in %s): install them (Debian: linux-perf) or set PERF_EXEC_PATH"
            % (spec, where_perfs_looked()))


def bin_script(name, suffix):
    """perf's get_script_path: scripts/LANG/bin/NAME+suffix under perf's exec path, else
    under perfscript's own, or None."""
    for base in (exec_base(), BUNDLED_EXEC_PATH):
        if base is None:
            continue
        scripts = os.path.join(base, "scripts")
        for lang in _listdir(scripts):
            bindir = os.path.join(scripts, lang, "bin")
            for entry in _listdir(bindir):
                if entry == name + suffix:
                    return os.path.join(bindir, entry)
    return None


def _listdir(path):
    try:
        return os.listdir(path)
    except OSError:
        return []


def script_info(path):
    """A report script's `# description:` and `# args:` lines, as perf reads them."""
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


def _line(name, args, desc):
    shown = name + (" " + args if args else "")
    return "  %-36s %s\n" % (shown, desc)


def list_scripts():
    """`perf script -l`: perf's listing, in the directory order perf reads (readdir
    order). Without perf's scripts directory: perfscript's ports of perf's scripts, and
    (on stderr) that they are, where perf's were looked for and which of perf's have no
    port."""
    out = sys.stdout
    out.write("List of available trace scripts:\n")
    base = exec_base()
    if base is None:
        ours = os.path.join(BUNDLED_EXEC_PATH, "scripts", "python")
        bindir = os.path.join(ours, "bin")
        for name in sorted(_listdir(bindir)):
            if name.endswith(REPORT_SUFFIX):
                desc, args = script_info(os.path.join(bindir, name))
                out.write(_line(name[:-len(REPORT_SUFFIX)], args, desc))
        ported = {script_name(f) for f in _listdir(ours) if f.endswith(".py")}
        out.flush()
        sys.stderr.write("perfscript: perf's scripts are not installed (looked in %s): the "
                         "scripts above are perfscript's ports of them (%s); the others (%s) "
                         "need perf's: install them (Debian: linux-perf) or set "
                         "PERF_EXEC_PATH\n" % (where_perfs_looked(), ours,
                                                ", ".join(sorted(PERF_SCRIPT_NAMES - ported))))
        return 0
    scripts = os.path.join(base, "scripts")
    for lang in _listdir(scripts):
        bindir = os.path.join(scripts, lang, "bin")
        for name in _listdir(bindir):
            if name.endswith(REPORT_SUFFIX):
                desc, args = script_info(os.path.join(bindir, name))
                out.write(_line(name[:-len(REPORT_SUFFIX)], args, desc))
    return 0
