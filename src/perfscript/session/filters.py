"""The sample filters `perf script` applies before printing a sample or handing it to a
script: --time, -d, -C/--cpu, --pid, --tid, -c/--comms, -S/--symbols, --addr-range, --dsos,
--switch-on/--switch-off.

The predicates work on values the session already has (a sample's time and cpu, its thread,
where its ip resolves); no I/O. Build one `SampleFilter` from the option strings and ask
`filt.skip(sample, thread, event)` for each sample, in perf's order (process_sample_event):

    time range (perf_time__ranges_skip_sample) -> -d (checks the order, drops every sample)
    -> cpu (filter_cpu) -> machine__resolve's al.filtered (comm/pid/tid, dso, symbol)
    -> --switch-on/--switch-off (evswitch__discard)

Option strings are parsed as perf 6.1 parses them; bad ones raise `FilterError` with perf's
message.
"""

from perfscript.perfdata.constants import MISC_CPUMODE_MASK

U32_MAX = 0xFFFFFFFF
U64_MAX = (1 << 64) - 1
NSEC_PER_SEC = 1000000000


class FilterError(ValueError):
    """An option value perf would refuse; str() is perf's message, `status` perf's exit
    status for it (perf 6.1: 255 for -C, 234 (-EINVAL) for --time, and 0 with nothing
    printed for a bad --pid/--tid list)."""

    after_script_start = False      # perf meets it after a script's trace_begin

    def __init__(self, message, status=255):
        super().__init__(message)
        self.status = status


# ------------------------------------------------------------------ lists

def parse_cpu_list(text, nr_cpus=None):
    """perf's cpu list: "0,2-3" -> {0, 2, 3}."""
    cpus = set()
    if text is None:
        return None
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        lo, dash, hi = part.partition("-")
        try:
            a = int(lo)
            b = int(hi) if dash else a
        except ValueError:
            raise FilterError("Invalid cpu_list") from None
        if a < 0 or b < a:
            raise FilterError("Invalid cpu_list")
        cpus.update(range(a, b + 1))
    if nr_cpus is not None:
        for c in cpus:
            if c >= nr_cpus:
                raise FilterError("Requested CPU %d too large. Consider raising MAX_NR_CPUS"
                                  % c)
    return cpus


def parse_int_list(text, what="pid"):
    """perf's intlist (--pid/--tid): comma (or space) separated integers."""
    if text is None:
        return None
    out = set()
    for part in text.replace(" ", ",").split(","):
        if not part:
            continue
        try:
            out.add(int(part, 10))
        except ValueError:
            raise FilterError("problems parsing %s list" % what, status=0) from None
    return out


def parse_str_list(text):
    """perf's strlist (--comms): comma separated names."""
    if text is None:
        return None
    return {p for p in text.split(",") if p}


def parse_name_list(text, what):
    """perf's strlist of --dsos and -S: comma separated entries (empty ones too); an entry
    `file://PATH` adds PATH's lines."""
    if text is None:
        return None
    out = set()
    for entry in text.split(","):
        if not entry.startswith("file://"):
            out.add(entry)
            continue
        try:
            with open(entry[7:], "rb") as f:
                for line in f:
                    out.add(line[:-1].decode("utf-8", "surrogateescape"))
        except OSError:
            raise FilterError("problems parsing %s list" % what) from None
    return out


def split_addresses(names):
    """perf's setup_addrlist: entries of -S that read whole as hexadecimal numbers (C's
    strtoul base 16: `0x` optional, trailing blanks allowed, so `face` is one) are
    addresses; (names left, addresses)."""
    addrs = set()
    left = set()
    for entry in names:
        v = _strtoul16(entry)
        if v is None:
            left.add(entry)
        else:
            addrs.add(v)
    return left, addrs


def _strtoul16(text):
    s = text.lstrip(" \t\n\v\f\r")
    neg = s[:1] == "-"
    if s[:1] in "+-" and s:
        s = s[1:]
    if s[:2].lower() == "0x" and s[2:3] and s[2:3] in "0123456789abcdefABCDEF":
        s = s[2:]
    n = len(s) - len(s.lstrip("0123456789abcdefABCDEF"))
    if not n or s[n:].strip(" \t\n\v\f\r"):
        return None
    v = int(s[:n], 16)
    if v > U64_MAX:
        return None         # ERANGE: perf keeps it as a name
    return (-v) & U64_MAX if neg else v


# ------------------------------------------------------------------ --time

def parse_nsec_time(text):
    """"secs[.frac]" -> ns, as perf's parse_nsec_time (at most 9 fraction digits)."""
    secs, dot, frac = text.partition(".")
    if not secs.isdigit() and secs != "":
        raise FilterError("Invalid time string", 234)
    if dot:
        if len(frac) > 9 or (frac and not frac.isdigit()):
            raise FilterError("Invalid time string", 234)
        ns = int((frac + "000000000")[:9]) if frac else 0
    else:
        ns = 0
    return int(secs or 0) * NSEC_PER_SEC + ns


def _parse_range(text):
    start_s, comma, end_s = text.partition(",")
    if not comma:
        raise FilterError("Invalid time string", 234)
    start_s, end_s = start_s.strip(), end_s.strip()
    start = parse_nsec_time(start_s) if start_s else 0
    end = parse_nsec_time(end_s) if end_s else 0
    if end and end < start:
        raise FilterError("Invalid time string", 234)
    return (start, end)


def _percent(text):
    if "%" not in text:
        raise FilterError("Invalid time string", 234)
    num = text[:text.index("%")]
    try:
        return float(num) / 100.0
    except ValueError:
        raise FilterError("Invalid time string", 234) from None


def _slash(text, first, last):
    pct_s, slash, idx_s = text.partition("/")
    if not slash:
        raise FilterError("Invalid time string", 234)
    pcnt = _percent(pct_s)
    try:
        i = int(idx_s, 10)
    except ValueError:
        raise FilterError("Invalid time string", 234) from None
    if pcnt <= 0.0:
        raise FilterError("Invalid time string", 234)
    sp, ep = pcnt * (i - 1), pcnt * i
    if not (0.0 <= sp <= 1.0 and 0.0 <= ep <= 1.0):
        raise FilterError("Invalid time string", 234)
    total = float(last - first)
    return (int(first + total * sp), int(first + total * ep))


def _dash(text, first, last):
    a, dash, b = text.partition("-")
    if not dash:
        raise FilterError("Invalid time string", 234)
    sp, ep = _percent(a), _percent(b)
    if not (0.0 <= sp <= 1.0 and 0.0 <= ep <= 1.0) or sp > ep:
        raise FilterError("Invalid time string", 234)
    total = float(last - first)
    return (int(first + total * sp), int(first + total * ep))


def parse_time_ranges(text, first_time=0, last_time=0):
    """--time: "start,end", several "start,end" separated by spaces, or percentages
    ("10%/2", "0%-10%,30%-40%", "25%") of [first_time, last_time] (the recording's
    HEADER_SAMPLE_TIME). Returns a list of (start, end) in ns; 0 means open."""
    if text is None or text == "":
        return []
    if "%" in text:
        if first_time == 0 and last_time == 0:
            raise FilterError("HINT: no first/last sample time found in perf data.\n"
                              "Please use latest perf binary to execute 'perf record'\n"
                              "(if '--buildid-all' is enabled, please set "
                              "'--timestamp-boundary').", 234)
        if "/" in text:
            func = _slash
        elif "-" in text:
            func = _dash
        else:
            if not text.endswith("%") or text.count("%") != 1:
                raise FilterError("Invalid time string", 234)
            return [_slash(text + "/1", first_time, last_time)]
        return [func(p, first_time, last_time) for p in text.split(",")]
    pieces = text.split()
    if not pieces:
        raise FilterError("Invalid time string", 234)
    ranges = [_parse_range(p) for p in pieces]
    return ranges


def time_skips(ranges, t):
    """perf_time__ranges_skip_sample: True when time `t` falls outside the ranges."""
    if not ranges or t == 0:
        return False
    if len(ranges) == 1:
        start, end = ranges[0]
        return bool((start and t < start) or (end and t > end))
    for start, end in ranges:
        if t >= start and (t <= end or not end):
            return False
    return True


# ------------------------------------------------------------------ -S / --dsos

class SymbolSelection:
    """-S/--symbols (names, hex addresses, --addr-range) and --dsos: perf's DSO and SYMBOL
    filter bits of machine__resolve, judged on where a sample's ip resolves."""

    def __init__(self, symbols=None, dsos=None, addr_range=0):
        self.dsos = parse_name_list(dsos, "dso")
        names = parse_name_list(symbols, "symbol")
        self.names = self.addrs = None
        if names is not None:
            self.names, addrs = split_addresses(names)
            self.addrs = addrs or None
        self.addr_range = addr_range or 0
        self.active = self.dsos is not None or self.names is not None

    def skip(self, loc, ip):
        """True when perf filters the sample out; `loc` is (map, dso, symbol, symbol
        offset) of its ip, or None without a map."""
        m, dso, sym = loc[:3] if loc is not None else (None, None, None)
        if self.dsos is not None:
            if dso is None or not (dso.short_name in self.dsos
                                   or dso.long_name in self.dsos):
                return True
        if self.names is None:
            return False
        if sym is not None:
            if sym.name in self.names:
                return False
            if "0x%x" % dso.unmap_ip(sym.start, m.start, m.pgoff) in self.names:
                return False
        if self.addrs is not None and m is not None:
            if ip in self.addrs:
                return False
            r = self.addr_range
            if r and any(a <= ip < (a + r) & U64_MAX for a in self.addrs):
                return False
        return True


# ------------------------------------------------------------------ --switch-on/off

class EventSwitch:
    """perf's evswitch: with --switch-on, samples are dropped until the first sample of
    that event; with --switch-off, from the first sample of that event on (until the next
    on-event). The switching samples themselves show only with --show-on-off-events."""

    def __init__(self, on=None, off=None, show_on_off=False):
        self.on = on                      # the event (evsel) or None
        self.off = off
        self.show_on_off = show_on_off
        self.discarding = on is not None

    def discard(self, ev):
        if self.on is not None and self.discarding:
            if ev is not self.on:
                return True
            self.discarding = False
            return not self.show_on_off
        if self.off is not None and not self.discarding:
            if ev is not self.off:
                return False
            self.discarding = True
            return not self.show_on_off
        return False


def find_switch_event(evsels, name, which):
    """The event named `name` for --switch-`which`, or perf's error."""
    for ev in evsels:
        if ev.name == name:
            return ev
    raise FilterError("ERROR: switch-%s event not found (%s)\n"
                      "HINT:  use 'perf evlist' to see the available event names"
                      % (which, name), status=254)


# ------------------------------------------------------------------ -d

class OrderCheck:
    """-d/--debug-mode: perf drops every sample after the time filter and only says, on
    stderr, when one is older than the one before."""

    def __init__(self, say):
        self.say = say
        self.last = 0
        self.misordered = 0

    def see(self, t):
        if t < self.last:
            self.say("Samples misordered, previous: %d this: %d" % (self.last, t))
            self.misordered += 1
        self.last = t


# ------------------------------------------------------------------ the filter

class SampleFilter:
    """The selection options of one run. `active` is False when nothing is filtered, so a
    consumer can skip the call entirely.

    `locate(thread, cpumode, ip)` -> (map, dso, symbol, offset) or None resolves a sample's
    ip for `symbols`; `on_resolve(sample, thread, loc)` is told of each sample perf resolves
    (the raw dump prints it)."""

    def __init__(self, cpus=None, pids=None, tids=None, comms=None, time_ranges=None,
                 order_check=None, symbols=None, switch=None, locate=None, on_resolve=None):
        self.cpus = cpus                  # set of cpu numbers, or None
        self.pids = pids                  # set of pids, or None
        self.tids = tids                  # set of tids, or None
        self.comms = comms                # set of comm strings, or None
        self.time_ranges = time_ranges or []
        self.order_check = order_check    # OrderCheck (-d) or None
        self.symbols = symbols if symbols is not None and symbols.active else None
        self.switch = switch              # EventSwitch or None
        self.locate = locate
        self.on_resolve = on_resolve
        self.thread_filtered = bool(pids is not None or tids is not None
                                    or comms is not None)
        self.active = bool(cpus is not None or self.thread_filtered or self.time_ranges
                           or order_check is not None or self.symbols is not None
                           or switch is not None or on_resolve is not None)

    @classmethod
    def from_options(cls, cpu=None, pid=None, tid=None, comms=None, time=None,
                     first_time=0, last_time=0, nr_cpus=None, **stages):
        """From the option strings (perf's -C, --pid, --tid, --comms, --time); nr_cpus:
        the recording's available cpus (HEADER_NRCPUS), the bound perf checks -C against.
        `stages`: the other constructor arguments, as they are."""
        return cls(cpus=parse_cpu_list(cpu, nr_cpus), pids=parse_int_list(pid, "pid"),
                   tids=parse_int_list(tid, "tid"), comms=parse_str_list(comms),
                   time_ranges=parse_time_ranges(time, first_time, last_time), **stages)

    def skip_time(self, t):
        return time_skips(self.time_ranges, t)

    def skip_cpu(self, cpu):
        """filter_cpu: samples without a cpu (u32 -1) always pass."""
        cpus = self.cpus
        return cpus is not None and cpu != U32_MAX and cpu != -1 and cpu not in cpus

    def skip_thread(self, thread):
        """thread__is_filtered: comm (current comm), then the thread's pid, then its tid."""
        if self.comms is not None and thread.comm not in self.comms:
            return True
        if self.pids is not None and thread.pid not in self.pids:
            return True
        if self.tids is not None and thread.tid not in self.tids:
            return True
        return False

    def skip(self, sample, thread, ev=None):
        """True when perf would drop this sample (of event `ev`) before printing or
        scripting it."""
        if self.time_ranges and time_skips(self.time_ranges, sample.time):
            return True
        if self.order_check is not None:
            self.order_check.see(sample.time)
            return True
        if self.cpus is not None and self.skip_cpu(sample.cpu):
            return True
        if self.symbols is not None or self.on_resolve is not None:
            loc = self.locate(thread, sample.misc & MISC_CPUMODE_MASK, sample.ip or 0)
            if self.on_resolve is not None:
                self.on_resolve(sample, thread, loc)
            if self.symbols is not None and self.symbols.skip(loc, sample.ip or 0):
                return True
        if self.thread_filtered and self.skip_thread(thread):
            return True
        if self.switch is not None and self.switch.discard(ev):
            return True
        return False
