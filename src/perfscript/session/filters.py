"""The sample filters `perf script` applies before printing a sample or handing it to a
script: --time, -C/--cpu, --pid, --tid, --comms.

Everything here is a pure predicate over values the session already has (a sample's time and
cpu, the thread it belongs to); no I/O, no session state. Build one `SampleFilter` from the
option strings and ask `filt.skip(sample, thread)` for each sample, in perf's order:

    time range (perf_time__ranges_skip_sample) -> cpu (filter_cpu) -> thread (comm/pid/tid)

Option strings are parsed as perf 6.1 parses them; bad ones raise `FilterError` with perf's
message.
"""

U32_MAX = 0xFFFFFFFF
U64_MAX = (1 << 64) - 1
NSEC_PER_SEC = 1000000000


class FilterError(ValueError):
    """An option value perf would refuse; str() is perf's message, `status` perf's exit
    status for it (perf 6.1: 255 for -C, 234 (-EINVAL) for --time, and 0 with nothing
    printed for a bad --pid/--tid list)."""

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


# ------------------------------------------------------------------ the filter

class SampleFilter:
    """The selection options of one run. `active` is False when nothing is filtered, so a
    consumer can skip the call entirely."""

    def __init__(self, cpus=None, pids=None, tids=None, comms=None, time_ranges=None):
        self.cpus = cpus                  # set of cpu numbers, or None
        self.pids = pids                  # set of pids, or None
        self.tids = tids                  # set of tids, or None
        self.comms = comms                # set of comm strings, or None
        self.time_ranges = time_ranges or []
        self.active = bool(cpus is not None or pids is not None or tids is not None
                           or comms is not None or self.time_ranges)
        self.thread_filtered = bool(pids is not None or tids is not None
                                    or comms is not None)

    @classmethod
    def from_options(cls, cpu=None, pid=None, tid=None, comms=None, time=None,
                     first_time=0, last_time=0, nr_cpus=None):
        """From the option strings (perf's -C, --pid, --tid, --comms, --time); nr_cpus:
        the recording's available cpus (HEADER_NRCPUS), the bound perf checks -C against."""
        return cls(cpus=parse_cpu_list(cpu, nr_cpus), pids=parse_int_list(pid, "pid"),
                   tids=parse_int_list(tid, "tid"), comms=parse_str_list(comms),
                   time_ranges=parse_time_ranges(time, first_time, last_time))

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

    def skip(self, sample, thread):
        """True when perf would drop this sample before printing or scripting it."""
        if self.time_ranges and time_skips(self.time_ranges, sample.time):
            return True
        if self.cpus is not None and self.skip_cpu(sample.cpu):
            return True
        if self.thread_filtered and self.skip_thread(thread):
            return True
        return False
