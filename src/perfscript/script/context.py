"""The `perf_trace_context` module scripts import, and the context object perf passes.

perf hands scripts a PyCapsule wrapping its one scripting context; scripts only pass it
back to `common_pc()` and friends. We make a real capsule (so `type(context).__name__`
is what scripts see under perf) and keep the state it stands for in the engine.
"""

import ctypes
import sys
import types

_CAPSULE_NAME = b"perf_script_context"
_new_capsule = ctypes.pythonapi.PyCapsule_New
_new_capsule.restype = ctypes.py_object
_new_capsule.argtypes = (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p)


def make_capsule():
    """A PyCapsule like perf's; it points at a static name, never dereferenced."""
    return _new_capsule(ctypes.cast(ctypes.c_char_p(_CAPSULE_NAME), ctypes.c_void_p),
                        _CAPSULE_NAME, None)


def build_module(engine, capsule):
    """A fresh `perf_trace_context` module bound to `engine`'s current event."""
    mod = types.ModuleType("perf_trace_context")
    mod.__doc__ = "perf scripting context (perfscript)"

    def _check(ctx):
        if ctx is not capsule:
            raise TypeError("perf_trace_context: expected the script context capsule")

    def common_pc(context):
        _check(context)
        return engine.current_common("common_preempt_count")

    def common_flags(context):
        _check(context)
        return engine.current_common("common_flags")

    def common_lock_depth(context):
        _check(context)
        return engine.current_common("common_lock_depth")

    def perf_sample_insn(context):
        _check(context)
        return None

    def perf_set_itrace_options(context, options):
        _check(context)
        return -1

    def perf_sample_srcline(context):
        _check(context)
        return (None, 0)

    def perf_sample_srccode(context):
        _check(context)
        return (None, 0, None)

    for fn in (common_pc, common_flags, common_lock_depth, perf_sample_insn,
               perf_set_itrace_options, perf_sample_srcline, perf_sample_srccode):
        setattr(mod, fn.__name__, fn)
    mod.perf_script_context = None
    return mod


def install(engine):
    """Create the capsule and module and register the module for `import`."""
    capsule = make_capsule()
    mod = build_module(engine, capsule)
    sys.modules["perf_trace_context"] = mod
    return capsule, mod
