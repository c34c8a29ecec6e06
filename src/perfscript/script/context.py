"""The `perf_trace_context` module scripts import, and the context object perf passes.

perf hands scripts a PyCapsule wrapping its one scripting context; scripts only pass it
back to `common_pc()` and friends. We make a real capsule (so `type(context).__name__`
is what scripts see under perf) and keep the state it stands for in the engine.

perf_sample_insn/srcline/srccode answer for the sample being handled, as perf 6.1 does:
the instruction's bytes read from the dso file (None for kernel addresses: perf would need
the vmlinux image), its source file and line from the DWARF line table (perf asks
addr2line; none for the kernel and for memory without a file), and that line's text.
A sample handled column-wise is parsed again from its record when a script asks; one
delivered on the per-record tracepoint fast path (fast_tracepoint.py) has no sample object
here: the answers are those of a kernel address, as they are for every tracepoint but
uprobes.
"""

import ctypes
import sys
import types

from perfscript.perfdata import constants as C
from perfscript.script.itrace_options import parse_itrace_options

_CAPSULE_NAME = b"perf_script_context"
_new_capsule = ctypes.pythonapi.PyCapsule_New
_new_capsule.restype = ctypes.py_object
_new_capsule.argtypes = (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p)


def make_capsule():
    """A PyCapsule like perf's; it points at a static name, never dereferenced."""
    return _new_capsule(ctypes.cast(ctypes.c_char_p(_CAPSULE_NAME), ctypes.c_void_p),
                        _CAPSULE_NAME, None)


def sample_insn(engine):
    """perf_sample_insn: the bytes of the instruction at the sample's ip, or None."""
    got = engine.handled_sample()
    if got is None or not got[0].ip:
        return None
    s, thread = got
    session = engine.session
    ip = s.ip
    if ip >= session.kernel_start():
        return None
    loc = session.user_file_address(thread, C.MISC_USER, ip)
    if loc is None:
        return None
    from perfscript.symbols.code import insn_at     # loaded when a script asks
    return insn_at(*loc)


def sample_srcline(engine):
    """(source file, line) of the sample's ip, or None."""
    got = engine.handled_sample()
    if got is None:
        return None
    s, thread = got
    loc = engine.session.user_file_address(thread, s.misc & C.MISC_CPUMODE_MASK, s.ip or 0)
    if loc is None:
        return None
    from perfscript.symbols.srcline import srcline
    return srcline(*loc)


def set_itrace_options(engine, options):
    """perf_set_itrace_options: perf takes instruction-trace options once (--itrace, or a
    script's first call: parsed, 0 or -EINVAL); after that every call answers 1."""
    if engine.itrace_options_set:
        return 1
    engine.itrace_options_set = True
    # perf takes the string's UTF-8 form; without one it parses NULL (the defaults) and
    # returns with the conversion's error still set
    try:
        if not isinstance(options, str):
            raise TypeError("bad argument type for built-in operation")
        options.encode("utf-8")
    except (TypeError, UnicodeEncodeError) as e:
        raise SystemError("<built-in function perf_set_itrace_options> returned a result "
                          "with an exception set") from e
    result = parse_itrace_options(options)
    if result:
        sys.stdout.flush()
        sys.stderr.write("Bad Instruction Tracing options '%s'\n" % options)
    return result


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
        return sample_insn(engine)

    def perf_set_itrace_options(context, options):
        _check(context)
        return set_itrace_options(engine, options)

    def perf_sample_srcline(context):
        _check(context)
        return sample_srcline(engine) or (None, 0)

    def perf_sample_srccode(context):
        _check(context)
        found = sample_srcline(engine)
        if found is None:
            return (None, 0, None)
        from perfscript.symbols.srcline import source_line
        return found + (source_line(*found),)

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
