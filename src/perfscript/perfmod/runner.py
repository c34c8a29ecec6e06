"""Running a standalone script written for upstream's `perf` module, and telling such a
script from one written for `perf script -s`.

A standalone script is an ordinary program: it imports `perf`, parses its own
arguments and calls `perf.session(...).process_events()` itself. It runs in this
interpreter as `__main__` (so pdb, the virtualenv and its packages all work), with
`import perf` and `import perf_live` answered by perfscript's module.

The two kinds are told apart from the script's syntax tree, without running it: a
standalone script imports the module `perf`; a handler script defines perf script's
callbacks (trace_begin, process_event, sys__event handlers...), which are called by
name, or imports its helpers, and does not import `perf` (perf 6.1's own `perf` binding
is for live counting, which handler scripts do not use); both may define
`process_event`. A script of neither kind is a plain program, run standalone.
"""

import ast
import os
import runpy
import sys
import traceback

STANDALONE, HANDLERS = "standalone", "handlers"
IMPORTABLE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "importable")
_LEGACY_MODULES = {"perf_trace_context", "Core", "Util", "EventClass", "SchedGui"}


def _syntax_tree(path):
    """The script's syntax tree, or None when it cannot be read or parsed."""
    try:
        with open(path, "rb") as f:
            return ast.parse(f.read(), path)
    except (OSError, SyntaxError, ValueError):
        return None


def _imported_modules(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


def _uses_session(tree):
    """Whether the script makes a `perf.session` (perf.session(...) or a `session`
    imported from perf)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "session" and \
                isinstance(node.value, ast.Name) and node.value.id == "perf":
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "perf" and \
                any(a.name in ("session", "*") for a in node.names):
            return True
    return False


_HANDLER_NAMES = {"trace_begin", "trace_end", "trace_unhandled", "process_event",
                  "context_switch", "auxtrace_error", "throttle", "unthrottle"}


def _module_level(body):
    """The statements run at module level, those inside if/try/with blocks included
    (flamegraph.py binds its handlers under `if __name__ == "__main__":`)."""
    for node in body:
        yield node
        if isinstance(node, (ast.If, ast.With, ast.Try)):
            for part in ("body", "orelse", "finalbody"):
                yield from _module_level(getattr(node, part, ()) or ())
            for handler in getattr(node, "handlers", ()) or ():
                yield from _module_level(handler.body)


def _defines_handlers(tree):
    """Whether the script defines a function perf script calls by name: its fixed
    callbacks, `sys__event` tracepoint handlers, `stat__*` and db-export `*_table`."""
    for node in _module_level(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names = [node.name]
        elif isinstance(node, ast.Assign):      # process_event = cli.process_event
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        else:
            continue
        for name in names:
            if name in _HANDLER_NAMES or name.endswith("_table") or \
                    ("__" in name.strip("_") and not name.startswith("_")):
                return True
    return False


def script_kind(path):
    """STANDALONE, HANDLERS, or None when the file cannot be read or parsed (the caller
    then treats it as perf would). A script that imports `perf` is standalone when it
    makes a perf.session or imports none of perf script's helper modules; one that does
    not import `perf` is a handler script when it defines perf script's callbacks or
    imports its helpers, else a plain program (upstream runs those standalone too)."""
    tree = _syntax_tree(path)
    if tree is None:
        return None
    modules = set(_imported_modules(tree))
    if "perf" in modules:
        if _uses_session(tree) or not modules & _LEGACY_MODULES:
            return STANDALONE
        return HANDLERS
    if modules & _LEGACY_MODULES or _defines_handlers(tree):
        return HANDLERS
    return STANDALONE


def imports_perf(path):
    """Whether the script imports the module `perf` (False when it cannot be read)."""
    tree = _syntax_tree(path)
    return tree is not None and "perf" in set(_imported_modules(tree))


def install_module():
    """Make `import perf` and `import perf_live` give perfscript's module in this
    process (the caller runs a standalone script under perfscript)."""
    import perfscript.perfmod as perfmod
    sys.modules["perf"] = perfmod
    from perfscript.perfmod import live
    live_mod = type(sys)("perf_live")
    live_mod.LiveSession = live.LiveSession
    live_mod.__doc__ = "Not provided by perfscript: live capture."
    sys.modules.setdefault("perf_live", live_mod)


def run_standalone(path, args):
    """Run a standalone script as `__main__` with sys.argv [path, *args]; returns its
    exit status (SystemExit's, else 0). Its exceptions propagate."""
    install_module()
    from perfscript.perfmod.api import UnreadableRecording
    sys.argv = [path] + list(args)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as e:
        code = e.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        sys.stderr.write("%s\n" % code)
        return 1
    except UnreadableRecording as e:
        raise e.error from None     # a bad recording: said in one line, located
    except BaseException as e:
        # what python itself prints for the script: its own frames only
        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != path and \
                os.path.abspath(tb.tb_frame.f_code.co_filename) != os.path.abspath(path):
            tb = tb.tb_next
        sys.stdout.flush()
        traceback.print_exception(type(e), e, tb or e.__traceback__)
        return 130 if isinstance(e, KeyboardInterrupt) else 1
    finally:
        sys.stdout.flush()
    return 0
