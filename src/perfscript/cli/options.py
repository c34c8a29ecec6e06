"""perf script's command line: its options, read by perf's rules, into one dict."""

import os
import re
import stat

from perfscript.cli.exits import UsageError

USAGE = """\
usage: perfscript [-i FILE] [OPTIONS]                 (perf script's text output)
   or: perfscript [-i FILE] -s SCRIPT [SCRIPT ARGS...]
   or: perfscript export -i FILE -o DIR --format parquet|csv|jsonl
   or: perfscript sql -i FILE "SELECT ..."
   or: perfscript report -i trace.dat            (trace-cmd report's output)

Run a script written for `perf script -s` on a perf.data recording, without perf.

  -i, --input FILE      recording to read (default: perf.data; '-' reads stdin)
  -s, --script SCRIPT   Python script (also python:SCRIPT / py:SCRIPT); a bare name is
                        also looked up among perf's installed scripts
      --kallsyms FILE   kernel symbols to use (like perf's --kallsyms)
      --symfs DIR       look for object files under DIR
  -F, --fields LIST     fields to print ([type:][+-]comm,tid,pid,time,cpu,event,trace,
                        ip,sym,symoff,dso,addr,period,misc,tod,flags,callindent,iregs,
                        uregs,data_src,weight,ins_lat,phys_addr,data_page_size,
                        code_page_size,ipc,machine_pid,vcpu)
      --ns              nanosecond timestamps
      --reltime, --deltatime    times since the first sample / since the previous one
  -C, --cpu LIST        only samples of these cpus
      --pid LIST / --tid LIST / --comms LIST   only samples of these tasks
      --time RANGES     start,end (secs.usecs) ranges or percentages (10%/2, 0%-10%)
  -G, --hide-call-graph, --max-stack N
      --show-task-events, --show-mmap-events, --show-switch-events, --show-lost-events
      --header, --header-only   print the recording's header first / only
  -I, --show-info       with --header: every header feature in full
  -l, --list            list perf's installed scripts
  -g, --gen-script python   write perf's skeleton script perf-script.py for the recording
  -h, --help            show this help and exit
      --version         show the version and exit

Arguments after the script go to the script (sys.argv[1:]); put '--' before
script arguments that start with '-'.
"""

# perf script options we know but do not implement yet: said so, never ignored
_NOT_YET = {
    "-D", "--dump-raw-trace", "-L", "--Latency",
    "-d", "--debug-mode", "-v", "--verbose", "--itrace",
    "--show-kernel-path", "-S", "--symbols", "--dsos", "-k", "--vmlinux", "-f", "--force",
    "--per-event-dump", "--insn-trace",
    "--xed", "--call-trace", "--call-ret-trace", "--graph-function", "--switch-on",
    "--switch-off", "--show-on-off-events", "--stop-bt", "--dlfilter", "-a", "-e",
}

# options taking a value: option -> opts key (short ones also accept -Xvalue)
_VALUE_OPTS = {
    "-F": "fields", "--fields": "fields", "-C": "cpu", "--cpu": "cpu", "--pid": "pid",
    "--tid": "tid", "--comms": "comms", "--time": "time", "--max-stack": "max_stack",
    "--max-blocks": "max_blocks",
}
# flags: option -> opts key
_FLAG_OPTS = {
    "--ns": "ns", "-G": "hide_call_graph", "--hide-call-graph": "hide_call_graph",
    "--show-task-events": "show_task_events", "--show-mmap-events": "show_mmap_events",
    "--show-switch-events": "show_switch_events", "--show-lost-events": "show_lost_events",
    "--header": "header", "--header-only": "header_only", "-l": "list", "--list": "list",
    "-I": "show_info", "--show-info": "show_info",
    "--reltime": "reltime", "--deltatime": "deltatime",
    "--full-source-path": "full_source_path",
}
# perf's OPT_BOOLEAN pairs: option -> (opts key, value)
_BOOL_OPTS = {"--inline": ("inline", True), "--no-inline": ("inline", False)}


def _c_int(text, option):
    """perf's integer options: C's strtol in base 10 (leading blanks, a sign, digits; ""
    is 0), nothing after the number, the long cut to an int."""
    m = re.fullmatch(r"[ \t\n\v\f\r]*([+-]?[0-9]*)", text)
    if m is None or m.group(1) in ("+", "-"):
        raise UsageError("option `%s' expects a numerical value" % option)
    value = max(min(int(m.group(1) or "0"), (1 << 63) - 1), -(1 << 63))
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def parse_args(argv):
    """perf's rules: options stop at the first non-option after the script; `--` is eaten."""
    opts = {"input": None, "script": None, "script_args": [], "kallsyms": None,
            "symfs": None, "fields": [], "inline": True}
    i = 0
    n = len(argv)

    def value(name):
        nonlocal i
        if i + 1 >= n:
            raise UsageError("option '%s' requires a value" % name)
        i += 1
        return argv[i]

    while i < n:
        a = argv[i]
        if a == "--":
            opts["script_args"].extend(argv[i + 1:])
            break
        key, eq, inline = a.partition("=") if a.startswith("--") else (a, "", "")
        if a in ("-h", "--help"):
            opts["help"] = True
        elif a == "--version":
            opts["version"] = True
        elif key in ("-i", "--input"):
            opts["input"] = inline if eq else value(key)
        elif a.startswith("-i") and len(a) > 2:
            opts["input"] = a[2:]
        elif key in ("-s", "--script"):
            opts["script"] = inline if eq else value(key)
        elif a.startswith("-s") and len(a) > 2:
            opts["script"] = a[2:]
        elif key in ("-g", "--gen-script"):
            opts["gen_script"] = inline if eq else value(key)
        elif a.startswith("-g") and len(a) > 2:
            opts["gen_script"] = a[2:]
        elif key == "--kallsyms":
            opts["kallsyms"] = inline if eq else value(key)
        elif key == "--symfs":
            opts["symfs"] = inline if eq else value(key)
        elif key in _VALUE_OPTS or (a[:2] in ("-F", "-C") and len(a) > 2):
            if key in _VALUE_OPTS:
                v = inline if eq else value(key)
                name = _VALUE_OPTS[key]
            else:
                v = a[2:]
                name = _VALUE_OPTS[a[:2]]
            if name == "fields":
                opts["fields"].append(v)
            elif name in ("max_stack", "max_blocks"):
                opts[name] = _c_int(v, name.replace("_", "-"))
            else:
                opts[name] = v
        elif key in _FLAG_OPTS and not eq:
            opts[_FLAG_OPTS[key]] = True
        elif key in _BOOL_OPTS:
            if eq:
                raise UsageError("option `%s' takes no value" % key[2:])
            name, flag = _BOOL_OPTS[key]
            opts[name] = flag
        elif key in _NOT_YET or (a.startswith("-") and a[:2] in _NOT_YET):
            raise UsageError("option '%s' is not supported yet" % key)
        elif a.startswith("-") and a != "-":
            raise UsageError("unknown option '%s'" % key)
        else:
            # first non-option: it and everything after belong to the script, verbatim
            opts["script_args"].extend(argv[i:])
            break
        i += 1
    return opts


def default_input():
    """perf's default input: stdin when it is a pipe, else perf.data."""
    try:
        if stat.S_ISFIFO(os.fstat(0).st_mode):
            return "-"
    except OSError:
        pass
    return "perf.data"
