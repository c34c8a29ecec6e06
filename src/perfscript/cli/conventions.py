"""perf script's script-name conventions, as perf 6.1 runs them:

    perfscript record NAME [record options] [-- cmd]   sh .../bin/NAME-record [-a] ARGS
    perfscript report NAME [script args] [-i FILE]     sh .../bin/NAME-report ARGS
    perfscript NAME [script args] [record args] [cmd]  record | report through a pipe

perf runs the record/report shell scripts of its exec path with /bin/sh, with
PERF_EXEC_PATH set; each calls `perf record` or `perf script`. perfscript runs the same
shell scripts, with a `perf` first on PATH that answers `perf script ...` with perfscript
and hands anything else (`perf record`) to the real perf, which recording needs. A NAME
perf's scripts do not have (or perf's scripts not installed) is looked up among
perfscript's own (perfscript.bundled: ports of perf's scripts to the `perf` module, with
shell scripts that take perf's arguments), run the same way with PERF_EXEC_PATH theirs.
"""

import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile

import perfscript
from perfscript.cli.exits import Refused, UsageError
from perfscript.cli.installed import (RECORD_SUFFIX, REPORT_SUFFIX, bin_script,
                                      exec_path_of, where_looked)

# perf record's options that take a value in the next word (perf 6.1 `perf record -h`):
# what perf's have_cmd must skip to see whether a command was given
_RECORD_SHORT_VALUE = set("cCDeFGjkmoprtu")
_RECORD_LONG_VALUE = ("count", "cpu", "delay", "event", "freq", "cgroup", "branch-filter",
                      "clockid", "mmap-pages", "output", "pid", "realtime", "tid", "uid",
                      "affinity", "call-graph", "clang-opt", "clang-path", "control",
                      "filter", "max-size", "mmap-flush", "num-thread-synthesize",
                      "proc-map-timeout", "switch-output-event", "synth", "vmlinux")


def is_subcommand(word, name):
    """perf's test for `record`/`report`: any prefix of it longer than two letters."""
    return len(word) > 2 and name.startswith(word)


def has_command(args):
    """perf's have_cmd: whether record options `args` end in a command to run (else perf
    records system-wide, -a)."""
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            return i + 1 < len(args)
        if not a.startswith("-") or a == "-":
            return True
        if a.startswith("--"):
            name = a[2:]
            if "=" not in name and any(o.startswith(name) for o in _RECORD_LONG_VALUE):
                i += 1
        else:
            for k, ch in enumerate(a[1:]):
                if ch in _RECORD_SHORT_VALUE:
                    if k == len(a) - 2:
                        i += 1          # its value is the next word
                    break
        i += 1
    return False


def record(argv, system_wide=False):
    """`perfscript record NAME [args]`: perf's NAME-record script, run with perf."""
    name, args = argv[0], argv[1:]
    path = bin_script(name, RECORD_SUFFIX)
    if path is None:
        raise Refused("perfscript: no record script '%s' (looked in %s; see 'perfscript -l' "
                      "for listing)" % (name, where_looked()))
    _need_perf("record")
    if not system_wide and not has_command(args):
        system_wide = True
    return _run([["/bin/sh", path] + (["-a"] if system_wide else []) + args],
                exec_path_of(path))


def report(argv):
    """`perfscript report NAME [args]`: perf's NAME-report script, its `perf script`
    answered by perfscript."""
    name, args = argv[0], argv[1:]
    path = bin_script(name, REPORT_SUFFIX)
    if path is None:
        raise Refused("perfscript: no report script '%s' (looked in %s; see 'perfscript -l' "
                      "for listing)" % (name, where_looked()))
    return _run([["/bin/sh", path] + args], exec_path_of(path))


def live(argv, system_wide=False):
    """`perfscript NAME [args]`: NAME-record's output piped into NAME-report, as perf does
    (the report script's required `<args>` first, the rest go to the record script)."""
    name = argv[0]
    rec = bin_script(name, RECORD_SUFFIX)
    rep = bin_script(name, REPORT_SUFFIX)
    if rec is None or rep is None:
        return None
    if name.endswith("top"):            # perf's top scripts record system-wide
        rep_args, system_wide = len(argv) - 1, True
    else:
        rep_args = _required_args(rep)
        if len(argv) - 1 - rep_args < 0:
            raise UsageError("`%s' script requires options.\n\n See 'perfscript -l' for "
                             "available scripts and options." % name)
        if not system_wide and not has_command(argv[rep_args + 1:]):
            system_wide = True
    _need_perf(name)
    recorder = (["/bin/sh", rec] + (["-a"] if system_wide else []) + ["-q", "-o", "-"]
                + argv[rep_args + 1:])
    reporter = ["/bin/sh", rep] + argv[1:rep_args + 1] + ["-i", "-"]
    return _run([recorder, reporter], exec_path_of(rep))


def _required_args(report_path):
    """perf's has_required_arg: how many `<arg>`s the report script's `# args:` names."""
    from perfscript.cli.installed import script_info
    return script_info(report_path)[1].count("<")


def _need_perf(what):
    if shutil.which("perf") is None:
        raise Refused("perfscript: %s runs `perf record`, and perf is not installed (no perf "
                      "in PATH); record with perf elsewhere, then `perfscript report NAME -i "
                      "FILE`" % what)


def _run(pipeline, exec_path):
    """Run the shell scripts (one, or a record | report pair) with perf's environment
    (PERF_EXEC_PATH: the exec path they are in); their exit status (the last one's) is
    the command's."""
    sys.stdout.flush()
    with tempfile.TemporaryDirectory(prefix="perfscript-perf-") as shim_dir:
        env = _environment(shim_dir, exec_path)
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)    # ^C stops the recorder
        try:
            procs = []
            stdin = None
            for k, cmd in enumerate(pipeline):
                last = k == len(pipeline) - 1
                p = subprocess.Popen(cmd, env=env, stdin=stdin,
                                     stdout=None if last else subprocess.PIPE,
                                     preexec_fn=_default_sigint)
                if stdin is not None:
                    stdin.close()
                stdin = p.stdout
                procs.append(p)
            status = [p.wait() for p in procs][-1]
        finally:
            signal.signal(signal.SIGINT, old)
    return 128 - status if status < 0 else status


def _default_sigint():
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _environment(shim_dir, exec_path):
    """perf's: PERF_EXEC_PATH set; and `perf` on PATH answering `perf script`."""
    env = dict(os.environ)
    env["PERF_EXEC_PATH"] = exec_path
    real = shutil.which("perf")
    fallback = ("exec %s \"$@\"" % shlex.quote(real) if real else
                "echo \"perfscript: 'perf $1' needs perf, which is not installed\" >&2; exit 127")
    shim = os.path.join(shim_dir, "perf")
    with open(shim, "w") as f:
        f.write("#!/bin/sh\nif [ \"$1\" = script ]; then shift; exec %s -m perfscript \"$@\"; fi\n"
                "%s\n" % (shlex.quote(sys.executable), fallback))
    os.chmod(shim, 0o755)
    env["PATH"] = shim_dir + os.pathsep + env.get("PATH", "")
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(perfscript.__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env
