"""`perfscript SCRIPT.py [args]`: a script written for upstream's standalone `perf`
module, run the way upstream's `perf script SCRIPT.py` runs it.

The script parses its own arguments (everything after its name). The symbol options
given before its name reach its `perf.session` as upstream forwards them, through the
environment (PERF_SYMBOL_VMLINUX, PERF_SYMBOL_KALLSYMS, PERF_SYMBOL_SYMFS, PERF_ITRACE);
perf script's event filters do not apply to such a script and are refused.

A `perf script -s` handler script named the same way (no -s) runs as with -s; a
standalone script given with -s runs standalone.
"""

import os

from perfscript.cli.exits import UsageError
from perfscript.perfmod.runner import (HANDLERS, STANDALONE, imports_perf, run_standalone,
                                      script_kind)

# options forwarded to a standalone script (opts key -> environment variable)
FORWARDED = (("vmlinux", "PERF_SYMBOL_VMLINUX"), ("kallsyms", "PERF_SYMBOL_KALLSYMS"),
             ("symfs", "PERF_SYMBOL_SYMFS"), ("itrace", "PERF_ITRACE"))
# options that change nothing a standalone script does, accepted
_HARMLESS = {"input", "force", "verbose", "cache", "pager", "script", "script_args",
             "deferred_refusals", "perf_module_path", "fields", "demangle", "inline"}


def wanted(opts):
    """Whether the command line names a standalone script; a handler script named
    without -s becomes opts["script"]."""
    script = opts.get("script")
    if script:
        # -s means a handler script, unless the script uses the perf module itself
        return script_kind(script) == STANDALONE and imports_perf(script)
    args = opts["script_args"]
    if not args or not args[0].endswith(".py") or not os.path.isfile(args[0]):
        return False
    kind = script_kind(args[0])
    if kind == STANDALONE:
        return True
    if kind == HANDLERS:
        opts["script"] = args[0]
        opts["script_args"] = args[1:]
    return False


def run(opts):
    from perfscript.cli.options import defaults
    base = defaults()
    for key, value in opts.items():
        if key in _HARMLESS or key in dict(FORWARDED):
            continue
        if value != base.get(key):
            raise UsageError("option '%s' does not apply to a standalone perf-module script: "
                             "it selects what perf script itself prints or passes to "
                             "handlers; the script reads every event"
                             % ("--" + key.replace("_", "-")))
    for key, env in FORWARDED:
        value = opts.get(key)
        if value is not None:
            os.environ[env] = value
    if opts.get("script"):
        path, args = opts["script"], opts["script_args"]
    else:
        path, args = opts["script_args"][0], opts["script_args"][1:]
    if opts.get("input"):
        args = ["-i", opts["input"]] + list(args)
    return run_standalone(path, args)
