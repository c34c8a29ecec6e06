"""The libtraceevent plugins trace-cmd loads that change what `trace-cmd report`
prints: sched_switch, sched_wakeup and sched_wakeup_new (plugin_sched_switch),
hrtimer_start and hrtimer_expire_entry (plugin_hrtimer), the kmem allocation
events (plugin_kmem, which puts "(function+0xoff) " before the usual text),
tlb_flush (plugin_tlb) and sys_enter_futex (plugin_futex). When a plugin gives
up (a field is missing) libtraceevent appends the print_fmt text to what it wrote.

A plugin prints its own line instead of the print_fmt. The sched one records the
comms it prints, so later records of those pids show the name (see CommTable).
Plugins not reproduced (function, jbd2, kvm, scsi, xen, mac80211, cfg80211)
leave their events printed from the print_fmt."""

import struct
from operator import itemgetter

# prev_state bits, lowest first, as the plugin names them; no bit set is 'R'
_STATES = b"SDTtZXxW"
_CODES = {1: "B", 2: "H", 4: "I", 8: "Q"}
_MEMO_LIMIT = 4096


class _Fields:
    """Unsigned reads of an event's own fields, as tep_get_field_val does them."""

    def __init__(self, event, big_endian):
        order = ">" if big_endian else "<"
        self.order = order
        self.readers = {1: struct.Struct(order + "B").unpack_from,
                        2: struct.Struct(order + "H").unpack_from,
                        4: struct.Struct(order + "I").unpack_from,
                        8: struct.Struct(order + "Q").unpack_from}
        self.own = {f.name: f for f in event.fields}
        self.event = event

    def value(self, raw, name, out, report=True):
        """The field's value, or None (writing libtraceevent's complaint to out)."""
        f = self.own.get(name)
        if f is None:
            if report:
                out.append(b"<CANT FIND FIELD %s>" % name.encode())
            return None
        reader = self.readers.get(f.size)
        if reader is None or f.offset + f.size > len(raw):
            if report:
                out.append(b"[CAN'T READ %s]" % name.encode())
            return None
        return reader(raw, f.offset)[0]

    def unpacker(self, numbers, texts=()):
        """(fn(raw) -> the values of these fields, the record size fn needs): the
        numbers as value() reads them, then the char arrays' whole bytes (comm() sees
        them up to their NUL), in one struct read; (None, 0) when a field is missing,
        not a plain number, or the fields overlap (value() and comm() then do it)."""
        fields = []
        for name in numbers:
            f = self.own.get(name)
            if f is None or f.size not in _CODES:
                return None, 0
            fields.append((f.offset, f.size, _CODES[f.size]))
        for name in texts:
            f = self.event.find_any_field(name)
            if f is None or f is not self.own.get(name):
                return None, 0
            fields.append((f.offset, f.size, "%ds" % f.size))
        order = sorted(range(len(fields)), key=lambda i: fields[i][0])
        fmt, end = self.order, 0
        for i in order:
            offset, size, code = fields[i]
            if offset < end:
                return None, 0
            fmt += ("%dx" % (offset - end) if offset > end else "") + code
            end = offset + size
        unpack = struct.Struct(fmt).unpack_from
        back = [order.index(i) for i in range(len(fields))]
        if back == sorted(back):
            return unpack, end
        pick = itemgetter(*back)
        return (lambda raw: pick(unpack(raw))), end

    def comm(self, raw, name):
        f = self.event.find_any_field(name)
        if f is None:
            return None
        chunk = raw[f.offset:f.offset + f.size]
        end = chunk.find(b"\0")
        return bytes(chunk if end < 0 else chunk[:end])


def _c_int(value):
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def _lld(value):
    return value - (1 << 64) if value >= 1 << 63 else value


def _state(value):
    names = [_STATES[i:i + 1] for i in range(len(_STATES)) if value & (1 << i)]
    return b"|".join(names) if names else b"R"


def _memo(fn):
    """fn(value) cached (a few thousand values at most)."""
    cache = {}

    def cached(value):
        text = cache.get(value)
        if text is None:
            if len(cache) >= _MEMO_LIMIT:
                cache.clear()
            text = cache[value] = fn(value)
        return text
    return cached


def _task(fields, raw, pid_field, comm_field, comms, out):
    """A task's "comm:" (remembered for later lookups, as the plugin does) and its pid,
    or None when the pid field cannot be read."""
    pid = fields.value(raw, pid_field, out)
    if pid is None:
        return None
    comm = fields.comm(raw, comm_field)
    if comm is not None:
        out.append(comm + b":")
        comms.register(pid, comm)
    return pid


def sched_switch(event, ctx):
    fields = _Fields(event, ctx.big_endian)
    comms = ctx.comms
    pretty = ctx.pretty
    register = comms.register
    state_text = _memo(_state)
    read, need = fields.unpacker(("prev_pid", "prev_prio", "prev_state", "next_pid",
                                  "next_prio"), ("prev_comm", "next_comm"))

    def render(raw):
        if read is not None and len(raw) >= need:
            prev_pid, prev_prio, state, next_pid, next_prio, prev_comm, next_comm = read(raw)
            prev_comm = prev_comm.partition(b"\0")[0]
            next_comm = next_comm.partition(b"\0")[0]
            register(prev_pid, prev_comm)
            register(next_pid, next_comm)
            return b"%s:%d [%d] %s ==> %s:%d [%d]" % (
                prev_comm, _lld(prev_pid), _c_int(prev_prio), state_text(state),
                next_comm, _lld(next_pid), _c_int(next_prio))
        return one_by_one(raw)

    def one_by_one(raw):
        out = []
        pid = _task(fields, raw, "prev_pid", "prev_comm", comms, out)
        if pid is None:
            return b"".join(out) + b"!" + pretty(raw)
        out.append(b"%d " % _lld(pid))
        prio = fields.value(raw, "prev_prio", out)
        if prio is not None:
            out.append(b"[%d] " % _c_int(prio))
        state = fields.value(raw, "prev_state", out)
        if state is not None:
            out.append(_state(state))
        out.append(b" ==> ")
        pid = _task(fields, raw, "next_pid", "next_comm", comms, out)
        if pid is None:
            return b"".join(out) + b"!" + pretty(raw)
        out.append(b"%d" % _lld(pid))
        prio = fields.value(raw, "next_prio", out)
        if prio is not None:
            out.append(b" [%d]" % _c_int(prio))
        return b"".join(out)
    return render


def sched_wakeup(event, ctx):
    fields = _Fields(event, ctx.big_endian)
    comms = ctx.comms
    pretty = ctx.pretty
    register = comms.register
    with_success = "success" in fields.own
    read, need = fields.unpacker(("pid", "prio", "target_cpu")
                                 + (("success",) if with_success else ()), ("comm",))

    def render(raw):
        if read is not None and len(raw) >= need:
            if with_success:
                pid, prio, cpu, success, comm = read(raw)
                comm = comm.partition(b"\0")[0]
                register(pid, comm)
                return b"%s:%d [%d] success=%d CPU:%03d" % (comm, _lld(pid), _lld(prio),
                                                            _lld(success), cpu)
            pid, prio, cpu, comm = read(raw)
            comm = comm.partition(b"\0")[0]
            register(pid, comm)
            return b"%s:%d [%d] CPU:%03d" % (comm, _lld(pid), _lld(prio), cpu)
        return one_by_one(raw)

    def one_by_one(raw):
        out = []
        pid = _task(fields, raw, "pid", "comm", comms, out)
        if pid is None:
            return b"".join(out) + b"!" + pretty(raw)
        out.append(b"%d" % _lld(pid))
        prio = fields.value(raw, "prio", out)
        if prio is not None:
            out.append(b" [%d]" % _lld(prio))
        success = fields.value(raw, "success", out, report=False)
        if success is not None:
            out.append(b" success=%d" % _lld(success))
        cpu = fields.value(raw, "target_cpu", out)
        if cpu is not None:
            out.append(b" CPU:%03d" % cpu)
        return b"".join(out)
    return render


def _num_field(fields, raw, name, fmt, out, report, signed=False):
    """tep_print_num_field: the value through fmt, or -1 (and a complaint)."""
    value = fields.value(raw, name, [], report=False)
    if value is None:
        if report:
            out.append(b'CAN\'T FIND FIELD "%s"' % name.encode())
        return -1
    out.append(fmt % (_lld(value) if signed else value))
    return 0


def _func_field(fields, raw, name, symbols, out):
    """tep_print_func_field: "name/0x<start - value>" or the address."""
    value = fields.value(raw, name, [], report=False)
    if value is None:
        return
    out.append(_func_text(symbols, value))


def _func_text(symbols, value):
    found = symbols(value)
    if found is None:
        return b" function=0x%08x" % value
    return b" function=%s/0x%x" % (found[0].encode("utf-8", "surrogateescape"),
                                   -found[1] & ((1 << 64) - 1))


def _hrtimer_address(fields, raw, out):
    out.append(b"hrtimer=")
    if _num_field(fields, raw, "timer", b"0x%x", out, False) == -1:
        _num_field(fields, raw, "hrtimer", b"0x%x", out, True)


def _hrtimer_unpacker(fields, names):
    """fields.unpacker of the timer's address ("timer", else "hrtimer", as
    _hrtimer_address reads it) and these fields."""
    read, need = fields.unpacker(("timer",) + names)
    if read is None:
        read, need = fields.unpacker(("hrtimer",) + names)
    return read, need


def hrtimer_expire_entry(event, ctx):
    fields = _Fields(event, ctx.big_endian)
    func_text = _memo(lambda value: _func_text(ctx.symbols, value))
    read, need = _hrtimer_unpacker(fields, ("now", "function"))

    def render(raw):
        if read is not None and len(raw) >= need:
            timer, now, function = read(raw)
            return b"hrtimer=0x%x now=%d%s" % (timer, now, func_text(function))
        out = []
        _hrtimer_address(fields, raw, out)
        out.append(b" now=")
        _num_field(fields, raw, "now", b"%d", out, True)
        _func_field(fields, raw, "function", ctx.symbols, out)
        return b"".join(out)
    return render


def hrtimer_start(event, ctx):
    fields = _Fields(event, ctx.big_endian)
    func_text = _memo(lambda value: _func_text(ctx.symbols, value))
    read, need = _hrtimer_unpacker(fields, ("function", "expires", "softexpires"))

    def render(raw):
        if read is not None and len(raw) >= need:
            timer, function, expires, soft = read(raw)
            return b"hrtimer=0x%x%s expires=%d softexpires=%d" % (
                timer, func_text(function), expires, soft)
        out = []
        _hrtimer_address(fields, raw, out)
        _func_field(fields, raw, "function", ctx.symbols, out)
        out.append(b" expires=")
        _num_field(fields, raw, "expires", b"%d", out, True)
        out.append(b" softexpires=")
        _num_field(fields, raw, "softexpires", b"%d", out, True)
        return b"".join(out)
    return render


def kmem_call_site(event, ctx):
    fields = _Fields(event, ctx.big_endian)
    pretty = ctx.pretty

    def render(raw):
        value = fields.value(raw, "call_site", [], report=False)
        found = ctx.symbols(value) if value is not None else None
        if found is None:
            return pretty(raw)
        return b"(%s+0x%x) " % (found[0].encode("utf-8", "surrogateescape"),
                                found[1] & 0xFFFFFFFF) + pretty(raw)
    return render


_TLB_REASONS = {0: b"flush on task switch", 1: b"remote shootdown",
                2: b"local shootdown", 3: b"local mm shootdown"}


def tlb_flush(event, ctx):
    fields = _Fields(event, ctx.big_endian)
    pretty = ctx.pretty

    def render(raw):
        out = [b"pages="]
        _num_field(fields, raw, "pages", b"%d", out, True, signed=True)
        reason = fields.value(raw, "reason", out)
        if reason is None:
            return b"".join(out) + pretty(raw)
        out.append(b" reason=" + _TLB_REASONS.get(reason, b"") + b" (%d)" % _lld(reason))
        return b"".join(out)
    return render


_HEX, _DEC = b"0x%08x", b"%d"
# futex command -> (name, val, utime (or val2), uaddr2, val3 formats; None: not shown)
_FUTEX_OPS = (
    (b"FUTEX_WAIT", (b" val=", _HEX), (b" utime=", _HEX), None, None),
    (b"FUTEX_WAKE", (b" val=", _DEC), None, None, None),
    (b"FUTEX_FD", (b" val=", _DEC), None, None, None),
    (b"FUTEX_REQUEUE", (b" val=", _DEC), (b" val2=", _DEC), (b" uaddr2=", _HEX), None),
    (b"FUTEX_CMP_REQUEUE", (b" val=", _DEC), (b" val2=", _DEC), (b" uaddr2=", _HEX),
     (b" val3=", _HEX)),
    (b"FUTEX_WAKE_OP", (b" val=", _DEC), (b" val2=", _DEC), (b" uaddr2=", _HEX),
     (b" val3=", _HEX)),
    (b"FUTEX_LOCK_PI", None, (b" utime=", _HEX), None, None),
    (b"FUTEX_UNLOCK_PI", None, None, None, None),
    (b"FUTEX_TRYLOCK_PI", None, None, None, None),
    (b"FUTEX_WAIT_BITSET", (b" val=", _HEX), (b" utime=", _HEX), None, (b" val3=", _HEX)),
    (b"FUTEX_WAKE_BITSET", (b" val=", _DEC), None, None, (b" val3=", _HEX)),
    (b"FUTEX_WAIT_REQUEUE_PI", (b" val=", _HEX), (b" utime=", _HEX), (b" uaddr2=", _HEX),
     (b" val3=", _HEX)),
    (b"FUTEX_CMP_REQUEUE_PI", (b" val=", _DEC), (b" val2=", _DEC), (b" uaddr2=", _HEX),
     (b" val3=", _HEX)),
)
_FUTEX_PRIVATE, _FUTEX_REALTIME = 128, 256
_FUTEX_ARGS = ("uaddr", "op", "val", "utime", "uaddr2", "val3")


def sys_enter_futex(event, ctx):
    fields = _Fields(event, ctx.big_endian)
    pretty = ctx.pretty

    def render(raw):
        out = []
        values = {}
        for name in _FUTEX_ARGS:
            values[name] = fields.value(raw, name, out)
            if values[name] is None:
                return b"".join(out) + pretty(raw)
        op = values["op"]
        cmd = op & ~(_FUTEX_PRIVATE | _FUTEX_REALTIME)
        if cmd >= len(_FUTEX_OPS):
            return pretty(raw)
        name, *shown = _FUTEX_OPS[cmd]
        out.append(b"op=" + name)
        if op & _FUTEX_PRIVATE:
            out.append(b"|FUTEX_PRIVATE_FLAG")
        if op & _FUTEX_REALTIME:
            out.append(b"|FUTEX_CLOCK_REALTIME")
        out.append(b" uaddr=0x%08x" % values["uaddr"])
        for key, fmt in zip(("val", "utime", "uaddr2", "val3"), shown):
            if fmt is not None:
                out.append(fmt[0] + fmt[1] % values[key])
        return b"".join(out)
    return render


# (system, event name) -> factory(event, ctx) -> fn(raw) -> bytes, where ctx has
# big_endian, comms (CommTable), symbols(addr) -> (name, offset) or None, and
# pretty (the print_fmt renderer)
PLUGINS = {
    ("sched", "sched_switch"): sched_switch,
    ("sched", "sched_wakeup"): sched_wakeup,
    ("sched", "sched_wakeup_new"): sched_wakeup,
    ("timer", "hrtimer_expire_entry"): hrtimer_expire_entry,
    ("timer", "hrtimer_start"): hrtimer_start,
    ("kmem", "kmalloc"): kmem_call_site,
    ("kmem", "kmalloc_node"): kmem_call_site,
    ("kmem", "kfree"): kmem_call_site,
    ("kmem", "kmem_cache_alloc"): kmem_call_site,
    ("kmem", "kmem_cache_alloc_node"): kmem_call_site,
    ("kmem", "kmem_cache_free"): kmem_call_site,
    ("tlb", "tlb_flush"): tlb_flush,
    ("syscalls", "sys_enter_futex"): sys_enter_futex,
}


class CommTable:
    """libtraceevent's pid -> comm map as trace-cmd uses it: the saved cmdlines,
    then names plugins print for pids not seen yet (never replacing one);
    pid 0 is "<idle>", an unknown pid "<...>"."""

    def __init__(self, cmdlines):
        self.comms = {}
        for pid, comm in cmdlines:
            self.comms[pid] = comm.encode("utf-8", "surrogateescape")

    def register(self, pid, comm):
        pid = _c_int(pid)
        if pid:
            self.comms.setdefault(pid, comm)

    def lookup(self, pid):
        if not pid:
            return b"<idle>"
        return self.comms.get(pid, b"<...>")
