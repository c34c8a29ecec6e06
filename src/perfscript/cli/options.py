"""perf script's command line: its options, read by perf 6.1's rules, into one dict.

perf's option parser (tools/lib/subcmd) decides what a word means: short switches cluster
(`-fG`, `-C0`), a long option may be any unambiguous prefix of its name (`--header-o`),
`--no-NAME` negates one (strings become unset, numbers 0), `=` gives a value, and an
ambiguous prefix names the last two options it could be in perf's table order. The table
below is perf 6.1's `perf script` option table, in that order, with what each does here.
"""

import os
import stat
from typing import NamedTuple

from perfscript.cli.exits import UsageError

USAGE = """\
usage: perfscript [<options>]                          (perf script's text output)
   or: perfscript [<options>] -s <script> [script-args]
   or: perfscript [<options>] record <script> [<record-options>] <command>
   or: perfscript [<options>] report <script> [script-args]
   or: perfscript [<options>] <script> [<record-options>] <command>
   or: perfscript [<options>] <top-script> [script-args]
   or: perfscript tracecmd-report [-i trace.dat]       (trace-cmd report's output)
   or: perfscript export -i FILE -o DIR --format parquet|csv|jsonl
   or: perfscript sql -i FILE "SELECT ..."
   or: perfscript tables -i FILE                       (each event's rows and columns)

Run a script written for `perf script -s` on a perf.data recording (or on a trace-cmd
trace.dat: its tracepoint records), without perf.
record/report/<script> run perf's shipped scripts/*/bin/<script>-record|-report as perf
does (recording needs perf); they and -s <name> are looked up in $PERF_EXEC_PATH/scripts
when it is set, else in /usr/lib/perf-core/scripts (and perf's other install places),
then among perfscript's bundled ports of perf's scripts (perf's own win).
perf script's options, as perf 6.1 reads them (unambiguous prefixes, --no-NAME):

  -i, --input FILE      recording to read (default: perf.data; '-' reads stdin)
  -s, --script SCRIPT   Python script (also python:SCRIPT / py:SCRIPT); a bare name is
                        also looked up among perf's installed scripts
  -g, --gen-script python   write perf's skeleton script perf-script.py for the recording
  -l, --list            list available scripts (perf's; without them, perfscript's ports)
  -F, --fields LIST     fields to print ([type:][+-]comm,tid,pid,time,cpu,event,trace,
                        ip,sym,symoff,dso,addr,period,misc,tod,flags,callindent,iregs,
                        uregs,data_src,weight,ins_lat,phys_addr,data_page_size,
                        code_page_size,ipc,machine_pid,vcpu,srcline,srccode,insn,
                        insnlen,brstack,brstacksym,brstackoff,brstackinsn,
                        brstackinsnlen,bpf-output,synth,metric)
      --full-source-path    source lines with the whole file name
      --max-blocks N    -F brstackinsn: the last N blocks
      --ns              nanosecond timestamps
      --reltime, --deltatime    times since the first sample / since the previous one
  -L, --Latency         perf's latency layout of the line start (comm %8.8s, cpu %3d)
  -C, --cpu LIST        only samples of these cpus
      --pid LIST / --tid LIST / -c, --comms LIST   only samples of these tasks
      --time RANGES     start,end (secs.usecs) ranges or percentages (10%/2, 0%-10%)
  -S, --symbols LIST    only samples whose ip is in these symbols (names or hex addresses)
      --addr-range N    with -S addresses: also the N bytes from each address
      --dsos LIST       only samples whose ip is in these objects (name or path)
      --switch-on EV / --switch-off EV   only samples after EV / until EV
      --show-on-off-events   also print the --switch-on/--switch-off samples
  -d, --debug-mode      check the samples' time order instead of printing them
  -G, --hide-call-graph, --max-stack N
      --inline, --no-inline   inlined functions of DWARF-unwound frames (default: on)
      --stop-bt LIST    stop printing a callchain after these symbols
      --show-task-events, --show-mmap-events, --show-switch-events, --show-lost-events,
      --show-namespace-events, --show-cgroup-events, --show-bpf-events,
      --show-text-poke-events, --show-round-events   print these side-band records
      --show-kernel-path    the kernel's symbol file instead of [kernel.kallsyms]
      --demangle, --no-demangle, --demangle-kernel   C++ (and Rust) symbol names
      --per-event-dump  write each event's lines to FILE.EVENT.dump
  -D, --dump-raw-trace, --dump-unsorted-raw-trace   every record as perf dumps it
      --kallsyms FILE   kernel symbols to use (like perf's --kallsyms)
  -k, --vmlinux FILE    kernel symbols from this vmlinux (when its build id matches)
      --symfs DIR       look for object files under DIR
      --no-cache        neither use nor keep parsed symbol tables on disk (see
                        PERFSCRIPT_CACHE_DIR, PERFSCRIPT_NO_CACHE=1 in the README)
      --header, --header-only   print the recording's header first / only
  -I, --show-info       with --header: every header feature in full
  -f, --force           read a recording another user owns
  -v, --verbose         perf's diagnostics on stderr
  -q, --quiet           no warnings on stderr (perfscript's own)
      --no-pager        no pager (on a terminal the text goes through $PERF_PAGER,
                        $PAGER or less, as perf's does)
  -a, --all-cpus        accepted (a perf script record option)
  -h, --help            show this help and exit
      --version         show the version and exit

Arguments after the script go to the script (sys.argv[1:]); put '--' before
script arguments that start with '-'. Options perfscript refuses say why (see README).
"""

# kinds of options, as perf's parse-options types them
BOOL, INCR, STRING, CALLBACK, NOARG, OPTARG, INT, UINT = range(8)

# what is said of a refused option, after its name
_HW_TRACE = ("is refused: it decodes hardware instruction traces (Intel PT, CoreSight, Arm "
             "SPE AUX data), which perfscript does not read")
_DLFILTER = ("is refused: it loads a native shared object through perf's dlfilter C ABI "
             "(perf_dlfilter_fns); perfscript runs no native filter code")
_GUEST = ("is refused: it reads a KVM guest's kernel and modules; perfscript resolves host "
          "samples only (perf drops guest samples without it)")
_NOT_YET = "is not supported yet"
_CRASH = "is refused: perf 6.1 crashes on it (a NULL value)"


class Option(NamedTuple):
    """One row of perf's option table: its names, its kind, the opts key it sets, and
    what is said when perfscript refuses it (None: supported). `refuse_unset`: the same
    for --no-NAME only."""
    short: str | None
    long: str
    kind: int
    key: str
    refuse: str | None = None
    refuse_unset: str | None = None
    own: bool = False       # perfscript's own: matched only in full, never as a prefix
    standalone: bool = False    # forwarded to a standalone `perf` module script; the
    #                             refusal is said only when no such script runs


# perf 6.1's `perf script` options, in its table order (ambiguity messages depend on it)
OPTIONS = (
    Option("D", "dump-raw-trace", BOOL, "dump_raw_trace"),
    Option(None, "dump-unsorted-raw-trace", BOOL, "dump_unsorted_raw_trace"),
    Option("v", "verbose", INCR, "verbose"),
    Option("L", "Latency", BOOL, "latency"),
    Option("l", "list", NOARG, "list"),
    Option(None, "list-dlfilters", NOARG, "list_dlfilters", _DLFILTER),
    Option("s", "script", CALLBACK, "script", refuse_unset=_CRASH),
    Option("g", "gen-script", STRING, "gen_script"),
    Option(None, "dlfilter", STRING, "dlfilter", _DLFILTER),
    Option(None, "dlarg", CALLBACK, "dlarg", _DLFILTER),
    Option("i", "input", STRING, "input"),
    Option("d", "debug-mode", BOOL, "debug_mode"),
    Option(None, "header", BOOL, "header"),
    Option(None, "header-only", BOOL, "header_only"),
    Option("k", "vmlinux", STRING, "vmlinux"),
    Option(None, "kallsyms", STRING, "kallsyms"),
    Option("G", "hide-call-graph", BOOL, "hide_call_graph"),
    Option(None, "symfs", CALLBACK, "symfs", refuse_unset=_CRASH),
    Option("F", "fields", CALLBACK, "fields", refuse_unset=_CRASH),
    Option("a", "all-cpus", BOOL, "all_cpus"),
    Option(None, "dsos", STRING, "dsos"),
    Option("S", "symbols", STRING, "symbols"),
    Option(None, "addr-range", INT, "addr_range"),
    Option(None, "insn-trace", OPTARG, "insn_trace", _HW_TRACE),
    Option(None, "xed", OPTARG, "xed", _HW_TRACE),
    Option(None, "call-trace", OPTARG, "call_trace", _HW_TRACE),
    Option(None, "call-ret-trace", OPTARG, "call_ret_trace", _HW_TRACE),
    Option(None, "graph-function", STRING, "graph_function",
           "is refused: it selects calls of --call-trace/--call-ret-trace, which decode "
           "hardware instruction traces perfscript does not read"),
    Option(None, "stop-bt", STRING, "stop_bt"),
    Option("C", "cpu", STRING, "cpu"),
    Option("c", "comms", STRING, "comms"),
    Option(None, "pid", STRING, "pid"),
    Option(None, "tid", STRING, "tid"),
    Option(None, "max-stack", UINT, "max_stack"),
    Option(None, "reltime", BOOL, "reltime"),
    Option(None, "deltatime", BOOL, "deltatime"),
    Option("I", "show-info", BOOL, "show_info"),
    Option(None, "show-kernel-path", BOOL, "show_kernel_path"),
    Option(None, "show-task-events", BOOL, "show_task_events"),
    Option(None, "show-mmap-events", BOOL, "show_mmap_events"),
    Option(None, "show-switch-events", BOOL, "show_switch_events"),
    Option(None, "show-namespace-events", BOOL, "show_namespace_events"),
    Option(None, "show-cgroup-events", BOOL, "show_cgroup_events"),
    Option(None, "show-lost-events", BOOL, "show_lost_events"),
    Option(None, "show-round-events", BOOL, "show_round_events"),
    Option(None, "show-bpf-events", BOOL, "show_bpf_events"),
    Option(None, "show-text-poke-events", BOOL, "show_text_poke_events"),
    Option(None, "per-event-dump", BOOL, "per_event_dump"),
    Option("f", "force", BOOL, "force"),
    Option(None, "max-blocks", INT, "max_blocks"),
    Option(None, "ns", BOOL, "ns"),
    Option(None, "itrace", OPTARG, "itrace", _HW_TRACE, standalone=True),
    Option(None, "full-source-path", BOOL, "full_source_path"),
    Option(None, "demangle", BOOL, "demangle"),
    Option(None, "demangle-kernel", BOOL, "demangle_kernel"),
    Option(None, "time", STRING, "time"),
    Option(None, "inline", BOOL, "inline"),
    Option(None, "guestmount", STRING, "guestmount", _GUEST),
    Option(None, "guestvmlinux", STRING, "guestvmlinux", _GUEST),
    Option(None, "guestkallsyms", STRING, "guestkallsyms", _GUEST),
    Option(None, "guestmodules", STRING, "guestmodules", _GUEST),
    Option(None, "guest-code", BOOL, "guest_code", _GUEST),
    Option(None, "stitch-lbr", BOOL, "stitch_lbr",
           "is refused: it stitches LBR call stacks (perf record --call-graph lbr), a "
           "hardware feature perfscript could not test against perf"),
    Option(None, "switch-on", STRING, "switch_on"),
    Option(None, "switch-off", STRING, "switch_off"),
    Option(None, "show-on-off-events", BOOL, "show_on_off_events"),
    # perfscript's own, after perf's
    Option(None, "cache", BOOL, "cache", own=True),
    Option("q", "quiet", BOOL, "quiet", own=True),
    Option(None, "pager", BOOL, "pager", own=True),
)

_BY_SHORT = {o.short: o for o in OPTIONS if o.short}
_TAKES_NO_VALUE = (BOOL, INCR, NOARG)


def defaults():
    """The opts dict before any option: perf's defaults."""
    opts = {o.key: False if o.kind == BOOL else None for o in OPTIONS}
    opts.update(script_args=[], fields=[], verbose=0, demangle=True, inline=True, cache=True, pager=True,
                deferred_refusals=[], perf_module_path=False)
    return opts


class _Stop(Exception):
    """-l lists perf's scripts as it is parsed: nothing after it is read."""


def parse_args(argv):
    """perf's rules: options stop at the first non-option (it and the rest go to the
    script); a `--` is eaten and ends them too."""
    opts = defaults()
    reader = _Reader(argv, opts)
    try:
        reader.run()
    except _Stop:
        pass
    return opts


class _Reader:
    """One pass over argv, as perf's parse_options_step."""

    def __init__(self, argv, opts):
        self.argv = argv
        self.i = 0
        self.opts = opts

    def run(self):
        argv, opts = self.argv, self.opts
        while self.i < len(argv):
            a = argv[self.i]
            if a in ("--help", "-h"):
                opts["help"] = True
            elif a == "--version":
                opts["version"] = True
            elif a == "--perf-module-path":
                opts["perf_module_path"] = True
            elif a == "--":
                opts["script_args"].extend(argv[self.i + 1:])
                return
            elif not a.startswith("-") or a == "-":
                opts["script_args"].extend(argv[self.i:])
                return
            elif a.startswith("--"):
                self._long(a[2:])
            else:
                self._short_cluster(a[1:])
            self.i += 1

    # ------------------------------------------------------------ short switches

    def _short_cluster(self, text):
        rest = text
        first = True
        while rest:
            if rest[0] == "h":
                self.opts["help"] = True
                return
            opt = _BY_SHORT.get(rest[0])
            if opt is None:
                raise UsageError("unknown switch `%s'" % rest[0])
            rest = rest[1:]
            if opt.kind in _TAKES_NO_VALUE:
                self._apply(opt, False, None, "-" + opt.short)
            else:
                self._apply(opt, False, rest or None, "-" + opt.short)
                rest = ""
            if first and rest:
                _check_typos(text)
            first = False

    # ------------------------------------------------------------ long options

    def _long(self, arg):
        name, eq, value = arg.partition("=")
        value = value if eq else None
        abbrev = ambiguous = None      # (option, negated)
        for opt in OPTIONS:
            if arg == opt.long or arg.startswith(opt.long + "="):
                return self._apply(opt, False, value, "--" + opt.long)
            if opt.own:
                if arg == "no-" + opt.long or arg.startswith("no-" + opt.long + "="):
                    return self._apply(opt, True, value, "--no-" + opt.long)
                continue        # perf's abbreviations and ambiguities stay perf's
            if opt.long.startswith(name):
                match = (opt, False)
            elif "no-".startswith(arg):
                match = (opt, True)
            elif arg.startswith("no-"):
                tail = arg[3:]
                if tail == opt.long or tail.startswith(opt.long + "="):
                    return self._apply(opt, True, value, "--no-" + opt.long)
                if not opt.long.startswith(tail):
                    continue
                match = (opt, True)
            else:
                continue
            if abbrev is not None:
                ambiguous = abbrev
            abbrev = match
        if ambiguous is not None:
            raise UsageError("Ambiguous option: %s (could be --%s%s or --%s%s)" % (
                arg, "no-" if ambiguous[1] else "", ambiguous[0].long,
                "no-" if abbrev[1] else "", abbrev[0].long))
        if abbrev is None:
            raise UsageError("unknown option `%s'" % arg)
        opt, negated = abbrev
        return self._apply(opt, negated, value, ("--no-" if negated else "--") + opt.long)

    # ------------------------------------------------------------ values

    def _apply(self, opt, unset, value, spelled):
        """perf's get_value: what `opt` (negated: `unset`) does with its value (given
        with `=`, or in the rest of a cluster of switches)."""
        value_given = value is not None
        label = ("no-" if unset else "") + opt.long
        if unset and value_given:
            raise UsageError("option `%s' takes no value" % label)
        if opt.standalone and opt.refuse is not None:
            self.opts["deferred_refusals"].append("option '%s' %s" % (spelled, opt.refuse))
            self.opts[opt.key] = None if unset else (value if value_given else "")
            return
        if opt.refuse is not None or (unset and opt.refuse_unset is not None):
            raise UsageError("option '%s' %s" % (
                spelled, opt.refuse if opt.refuse is not None else opt.refuse_unset))
        if value_given and opt.kind in _TAKES_NO_VALUE:
            raise UsageError("option `%s' takes no value" % label)
        opts, key, kind = self.opts, opt.key, opt.kind
        if kind == BOOL:
            opts[key] = not unset
        elif kind == INCR:
            opts[key] = 0 if unset else opts[key] + 1
        elif kind == NOARG:
            opts[key] = True
            if key == "list":
                raise _Stop()       # perf lists its scripts as it reads -l
        elif kind == STRING:
            opts[key] = None if unset else self._value(opt, value, spelled)
        elif kind == CALLBACK:
            v = self._value(opt, value, spelled)
            if key == "fields":
                opts[key].append(v)
            else:
                opts[key] = v
        elif kind in (INT, UINT):
            opts[key] = 0 if unset else _c_long(self._value(opt, value, spelled), opt.long,
                                                unsigned=kind == UINT)

    def _value(self, opt, value, spelled):
        """perf's get_arg: the value given with the option, else the next word."""
        if value is not None:
            return value
        if self.i + 1 < len(self.argv):
            self.i += 1
            return self.argv[self.i]
        if spelled.startswith("--"):
            raise UsageError("option `%s' requires a value" % opt.long)
        raise UsageError("switch `%s' requires a value" % opt.short)


def _check_typos(text):
    """perf's check_typos: `-demangle` is a long option written with one dash."""
    if len(text) < 3:
        return
    if text.startswith("no-") or any(o.long.startswith(text) for o in OPTIONS if not o.own):
        raise UsageError("did you mean `--%s` (with two dashes ?)" % text)


def _c_long(text, name, unsigned=False):
    """strtol(text, &end, 10) with nothing left over, as perf reads numbers."""
    s = text.lstrip(" \t\n\v\f\r")
    sign = 1
    if s[:1] in ("+", "-"):
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    digits = len(s) - len(s.lstrip("0123456789"))
    if not digits:
        if text:        # no number at all: strtol stops at the first character
            raise UsageError("option `%s' expects a numerical value" % name)
        return 0
    if s[digits:]:
        raise UsageError("option `%s' expects a numerical value" % name)
    v = sign * int(s[:digits])
    v = max(min(v, (1 << 63) - 1), -(1 << 63)) & 0xFFFFFFFF     # an int / unsigned int
    if not unsigned and v >= 1 << 31:
        v -= 1 << 32
    return v


def default_input():
    """perf's default input: stdin when it is a pipe, else perf.data."""
    try:
        if stat.S_ISFIFO(os.fstat(0).st_mode):
            return "-"
    except OSError:
        pass
    return "perf.data"
