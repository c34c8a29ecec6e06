"""The per-event path for tracepoint samples, compiled once per event.

Most tracepoint recordings have samples of one fixed layout (ip, tid, time, cpu, period,
raw) and scripts that never ask for perf_sample_dict. For those, a closure reads the few
fields a handler gets straight from the record, without building a Sample, and calls the
handler with perf's arguments. Anything unusual is left to the general path.
"""

import struct

from perfscript.errors import PerfDataError
from perfscript.perfdata import constants as C
from perfscript.script.failures import HandlerFailed, print_handler_traceback

NSEC_PER_SEC = 1000000000
U32_MAX = 0xFFFFFFFF
U64_MAX = (1 << 64) - 1


def compile_tracepoint(engine, ev, decoder):
    """A `fast(buf, off, size, misc, where)` for `ev`, or None when it needs the general
    path (callchains, group reads, no raw data, an odd common_pid)."""
    layout = ev.layout
    st = layout.sample_type
    fmt = ev.tp_format
    if fmt is None or not st & C.SAMPLE_RAW or st & (C.SAMPLE_READ | C.SAMPLE_CALLCHAIN):
        return None
    pid_field = fmt.find_any_field("common_pid")
    if pid_field is None or pid_field.size != 4:
        return None
    session = engine.session
    e = session.endian
    names = layout.fixed_names
    unpack = layout.fixed.unpack_from
    raw_at = 8 + layout.fixed.size + 4
    raw_size_of = struct.Struct(e + "I").unpack_from
    pid_of = struct.Struct(("<" if not session.tracing.big_endian else ">") + "i").unpack_from
    pid_off = pid_field.offset
    i_time = names.index("time") if "time" in names else None
    i_cpu = names.index("cpu") if "cpu" in names else None
    i_tid = names.index("tid") if "tid" in names else None
    i_pid = names.index("pid") if "pid" in names else None
    threads_get = session.threads.threads.get
    findnew = session.threads.findnew
    name = fmt.handler_name
    field_names = tuple(f.name for f in fmt.fields)
    capsule = engine.capsule
    g_get = engine.globals.get
    wants_dict = engine.wants_dict
    general = session.deliver_sample_general
    nfields = 8 + len(field_names)
    file_name = session.name
    last = [None, False]   # the last handler seen and whether it takes perf_sample_dict

    def fast(buf, off, size, misc, where):
        v = unpack(buf, off + 8)
        p = off + raw_at
        rsize = raw_size_of(buf, p - 4)[0]
        if p + rsize > off + size:
            raise PerfDataError("raw data of %d bytes overruns its sample" % rsize,
                                file_name, where)
        raw = buf[p:p + rsize]
        t = v[i_time] if i_time is not None else U64_MAX
        engine.current = (ev, raw, t, where)
        fn = g_get(name)
        if fn is not None:
            if fn is not last[0]:
                if not callable(fn):
                    fn = None
                else:
                    last[0] = fn
                    last[1] = wants_dict(fn, nfields)
            if fn is not None and last[1]:
                return general(ev, buf, off, size, misc, where)
        if fn is None:
            fn = g_get("trace_unhandled")
            if fn is None or not callable(fn) or wants_dict(fn, 3):
                return general(ev, buf, off, size, misc, where) if fn is not None else None
            unhandled = True
        else:
            unhandled = False
        tid = v[i_tid] if i_tid is not None else U32_MAX
        th = threads_get(tid if tid != U32_MAX else -1)
        if th is None or th.pid == -1:
            pid = v[i_pid] if i_pid is not None else U32_MAX
            th = findnew(pid if pid != U32_MAX else -1, tid if tid != U32_MAX else -1)
        secs, nsecs = divmod(t, NSEC_PER_SEC)
        cpu = v[i_cpu] if i_cpu is not None else U32_MAX
        if cpu == U32_MAX:
            cpu = -1
        common_pid = pid_of(raw, pid_off)[0] if pid_off + 4 <= rsize else 0
        values = decoder(raw)
        try:
            if unhandled:
                d = {"common_cpu": cpu, "common_s": secs, "common_ns": nsecs,
                     "common_pid": common_pid, "common_comm": th.comm,
                     "common_callchain": []}
                d.update(zip(field_names, values))
                fn(name, capsule, d)
            else:
                fn(name, capsule, cpu, secs, nsecs, common_pid, th.comm, [], *values)
        except SystemExit:
            raise
        except BaseException as e:
            print_handler_traceback(e)
            raise HandlerFailed() from None

    return fast
