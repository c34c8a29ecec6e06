"""The database layout of perf's export-to-sqlite.py, statement for statement, so that
a database written by export-to-sqlite.py here is the one perf 6.1's script wrote
(same tables, columns, views and indexes; tools such as exported-sql-viewer.py read
it). Each column is written as perf's script wrote it, whitespace included: SQLite
keeps a table's CREATE statement as it was given.
"""

KEY = "id\t\tinteger\t\tNOT NULL\tPRIMARY KEY"

TABLES = {
    "selected_events": ["name\t\tvarchar(80)"],
    "machines": ["pid\t\tinteger", "root_dir \tvarchar(4096)"],
    "threads": ["machine_id\tbigint", "process_id\tbigint", "pid\t\tinteger",
                "tid\t\tinteger"],
    "comms": ["comm\t\tvarchar(16)", "c_thread_id\tbigint", "c_time\t\tbigint",
              "exec_flag\tboolean"],
    "comm_threads": ["comm_id\tbigint", "thread_id\tbigint"],
    "dsos": ["machine_id\tbigint", "short_name\tvarchar(256)", "long_name\tvarchar(4096)",
             "build_id\tvarchar(64)"],
    "symbols": ["dso_id\t\tbigint", "sym_start\tbigint", "sym_end\tbigint",
                "binding\tinteger", "name\t\tvarchar(2048)"],
    "branch_types": ["name\t\tvarchar(80)"],
    "call_paths": ["parent_id\tbigint", "symbol_id\tbigint", "ip\t\tbigint"],
    "calls": ["thread_id\tbigint", "comm_id\tbigint", "call_path_id\tbigint",
              "call_time\tbigint", "return_time\tbigint", "branch_count\tbigint",
              "call_id\tbigint", "return_id\tbigint", "parent_call_path_id\tbigint",
              "flags\t\tinteger", "parent_id\tbigint", "insn_count\tbigint",
              "cyc_count\tbigint"],
    "ptwrite": ["payload\tbigint", "exact_ip\tinteger"],
    "cbr": ["cbr\t\tinteger", "mhz\t\tinteger", "percent\tinteger"],
    "mwait": ["hints\t\tinteger", "extensions\tinteger"],
    "pwre": ["cstate\t\tinteger", "subcstate\tinteger", "hw\t\tinteger"],
    "exstop": ["exact_ip\tinteger"],
    "pwrx": ["deepest_cstate\tinteger", "last_cstate\tinteger", "wake_reason\tinteger"],
    "context_switches": ["machine_id\tbigint", "time\t\tbigint", "cpu\t\tinteger",
                         "thread_out_id\tbigint", "comm_out_id\tbigint",
                         "thread_in_id\tbigint", "comm_in_id\tbigint", "flags\t\tinteger"],
}

_SAMPLE_HEAD = ["evsel_id\tbigint", "machine_id\tbigint", "thread_id\tbigint",
                "comm_id\tbigint", "dso_id\t\tbigint", "symbol_id\tbigint",
                "sym_offset\tbigint", "ip\t\tbigint", "time\t\tbigint", "cpu\t\tinteger",
                "to_dso_id\tbigint", "to_symbol_id\tbigint", "to_sym_offset\tbigint",
                "to_ip\t\tbigint"]
# the columns the "all" layout has and the "branches" one leaves out
_SAMPLE_MORE = ["period\t\tbigint", "weight\t\tbigint", "transaction_\tbigint",
                "data_src\tbigint"]
_SAMPLE_TAIL = ["branch_type\tinteger", "in_tx\t\tboolean", "call_path_id\tbigint",
                "insn_count\tbigint", "cyc_count\tbigint", "flags\t\tinteger"]

# tables made in this order (samples after branch_types; call_paths and calls only
# when asked for), then the synthesized-event tables
FIRST_TABLES = ("selected_events", "machines", "threads", "comms", "comm_threads", "dsos",
                "symbols", "branch_types")
SYNTH_TABLES = ("ptwrite", "cbr", "mwait", "pwre", "exstop", "pwrx", "context_switches")


def create_table(name, columns):
    return "CREATE TABLE %s (%s)" % (name, ",".join([KEY] + columns))


def create_samples(branches):
    more = [] if branches else _SAMPLE_MORE
    return create_table("samples", _SAMPLE_HEAD + more + _SAMPLE_TAIL)


def hex_of(expr):
    return 'printf("%%x", %s)' % expr


def _view(name, columns, source):
    return "CREATE VIEW %s_view AS SELECT %s FROM %s" % (name, ",".join(columns), source)


def _select(col, table, key="id", value=None):
    """A column looked up in another table: (SELECT col FROM table WHERE key = value)."""
    return "(SELECT %s FROM %s WHERE %s = %s)" % (col, table, key, value)


def _ipc():
    return ("CASE WHEN cyc_count=0 THEN CAST(0 AS FLOAT) ELSE "
            "ROUND(CAST(insn_count AS FLOAT) / cyc_count, 2) END AS IPC")


_WAKE_REASON = ("CASE     WHEN wake_reason=1 THEN 'Interrupt' WHEN wake_reason=2 THEN "
                "'Timer Deadline' WHEN wake_reason=4 THEN 'Monitored Address' WHEN "
                "wake_reason=8 THEN 'HW' ELSE wake_reason END")
_IN_SAMPLES = " INNER JOIN samples ON samples.id = %s.id"


def base_views(call_paths, calls):
    """The views of the tables every export has (and of call_paths and calls when
    those are made), in perf's order up to samples_view."""
    host = "(SELECT host_or_guest FROM machines_view WHERE id = machine_id) AS host_or_guest"
    thread_of = _select("%s", "threads", value="thread_id")
    views = [
        _view("machines", ["id", "pid", "root_dir",
                           "CASE WHEN id=0 THEN 'unknown' WHEN pid=-1 THEN 'host' ELSE "
                           "'guest' END AS host_or_guest"], "machines"),
        _view("dsos", ["id", "machine_id", host, "short_name", "long_name", "build_id"],
              "dsos"),
        _view("symbols", ["id", "name", "(SELECT short_name FROM dsos WHERE id=dso_id) AS dso",
                          "dso_id", "sym_start", "sym_end",
                          "CASE WHEN binding=0 THEN 'local' WHEN binding=1 THEN 'global' "
                          "ELSE 'weak' END AS binding"], "symbols"),
        _view("threads", ["id", "machine_id", host, "process_id", "pid", "tid"], "threads"),
        _view("comm_threads", ["comm_id", _select("comm", "comms", value="comm_id")
                               + " AS command", "thread_id",
                               thread_of % "pid" + " AS pid",
                               thread_of % "tid" + " AS tid"], "comm_threads"),
    ]
    if call_paths:
        cols = []
        for alias, prefix in (("c", ""), ("p", "parent_")):
            sym = alias + ".symbol_id"
            if alias == "c":
                cols += ["c.id", hex_of("c.ip") + " AS ip", sym]
            else:
                cols += ["c.parent_id", hex_of("p.ip") + " AS parent_ip",
                         sym + " AS parent_symbol_id"]
            cols += [_select("name", "symbols", value=sym) + " AS %ssymbol" % prefix,
                     _select("dso_id", "symbols", value=sym) + " AS %sdso_id" % prefix,
                     _select("dso", "symbols_view ", value=sym)
                     + " AS %sdso_short_name" % prefix]
        views.append(_view("call_paths", cols,
                           "call_paths c INNER JOIN call_paths p ON p.id = c.parent_id"))
    if calls:
        views.append(_view("calls", [
            "calls.id", "thread_id", thread_of % "pid" + " AS pid",
            thread_of % "tid" + " AS tid",
            _select("comm", "comms", value="comm_id") + " AS command", "call_path_id",
            hex_of("ip") + " AS ip", "symbol_id",
            _select("name", "symbols", value="symbol_id") + " AS symbol", "call_time",
            "return_time", "return_time - call_time AS elapsed_time", "branch_count",
            "insn_count", "cyc_count", _ipc(), "call_id", "return_id",
            "CASE WHEN flags=0 THEN '' WHEN flags=1 THEN 'no call' WHEN flags=2 THEN "
            "'no return' WHEN flags=3 THEN 'no call/return' WHEN flags=6 THEN 'jump' "
            "ELSE flags END AS flags", "parent_call_path_id", "calls.parent_id"],
            "calls INNER JOIN call_paths ON call_paths.id = call_path_id"))
    views.append(_view("samples", [
        "id", "time", "cpu", thread_of % "pid" + " AS pid", thread_of % "tid" + " AS tid",
        _select("comm", "comms", value="comm_id") + " AS command",
        _select("name", "selected_events", value="evsel_id") + " AS event",
        hex_of("ip") + " AS ip_hex", _select("name", "symbols", value="symbol_id")
        + " AS symbol", "sym_offset",
        _select("short_name", "dsos", value="dso_id") + " AS dso_short_name",
        hex_of("to_ip") + " AS to_ip_hex",
        _select("name", "symbols", value="to_symbol_id") + " AS to_symbol", "to_sym_offset",
        _select("short_name", "dsos", value="to_dso_id") + " AS to_dso_short_name",
        _select("name", "branch_types", value="branch_type") + " AS branch_type_name",
        "in_tx", "insn_count", "cyc_count", _ipc(), "flags"], "samples"))
    return views


def _power_column(event, expr, alias):
    """A column of power_events_view: `expr` of the event's own table."""
    return ("CASE WHEN selected_events.name='%s' THEN (SELECT %s FROM %s WHERE %s.id = "
            "samples.id) ELSE \"\" END AS %s" % (event, expr, event, event, alias))


def synth_views():
    """The views of the synthesized-event and context switch tables, in perf's order."""
    true_false = "CASE WHEN %s=0 THEN 'False' ELSE 'True' END AS %s"
    power = [("cbr", "cbr", "cbr"), ("cbr", "mhz", "mhz"), ("cbr", "percent", "percent"),
             ("mwait", hex_of("hints"), "hints_hex"),
             ("mwait", hex_of("extensions"), "extensions_hex"),
             ("pwre", "cstate", "cstate"), ("pwre", "subcstate", "subcstate"),
             ("pwre", "hw", "hw"), ("exstop", "exact_ip", "exact_ip"),
             ("pwrx", "deepest_cstate", "deepest_cstate"),
             ("pwrx", "last_cstate", "last_cstate"), ("pwrx", _WAKE_REASON, "wake_reason")]
    switch_flags = ("CASE\t  WHEN context_switches.flags = 0 THEN 'in' WHEN "
                    "context_switches.flags = 1 THEN 'out' WHEN context_switches.flags = 3 "
                    "THEN 'out preempt' ELSE context_switches.flags END AS flags")
    cs = "context_switches."
    return [
        _view("ptwrite", ["ptwrite.id", "time", "cpu", hex_of("payload") + " AS payload_hex",
                          true_false % ("exact_ip", "exact_ip")],
              "ptwrite" + _IN_SAMPLES % "ptwrite"),
        _view("cbr", ["cbr.id", "time", "cpu", "cbr", "mhz", "percent"],
              "cbr" + _IN_SAMPLES % "cbr"),
        _view("mwait", ["mwait.id", "time", "cpu", hex_of("hints") + " AS hints_hex",
                        hex_of("extensions") + " AS extensions_hex"],
              "mwait" + _IN_SAMPLES % "mwait"),
        _view("pwre", ["pwre.id", "time", "cpu", "cstate", "subcstate",
                       true_false % ("hw", "hw")], "pwre" + _IN_SAMPLES % "pwre"),
        _view("exstop", ["exstop.id", "time", "cpu", true_false % ("exact_ip", "exact_ip")],
              "exstop" + _IN_SAMPLES % "exstop"),
        _view("pwrx", ["pwrx.id", "time", "cpu", "deepest_cstate", "last_cstate",
                       _WAKE_REASON + " AS wake_reason"], "pwrx" + _IN_SAMPLES % "pwrx"),
        _view("power_events", ["samples.id", "time", "cpu", "selected_events.name AS event"]
              + [_power_column(*p) for p in power],
              "samples INNER JOIN selected_events ON selected_events.id = evsel_id WHERE "
              "selected_events.name IN ('cbr','mwait','exstop','pwre','pwrx')"),
        _view("context_switches", [
            cs + "id", cs + "machine_id", cs + "time", cs + "cpu", "th_out.pid AS pid_out",
            "th_out.tid AS tid_out", "comm_out.comm AS comm_out", "th_in.pid AS pid_in",
            "th_in.tid AS tid_in", "comm_in.comm AS comm_in", switch_flags],
            "context_switches INNER JOIN threads AS th_out ON th_out.id   = "
            "context_switches.thread_out_id INNER JOIN threads AS th_in  ON th_in.id    = "
            "context_switches.thread_in_id INNER JOIN comms AS comm_out ON comm_out.id = "
            "context_switches.comm_out_id INNER JOIN comms AS comm_in  ON comm_in.id  = "
            "context_switches.comm_in_id"),
    ]


def schema(branches, call_paths, calls):
    """Every statement that makes the empty database, in perf's order."""
    out = [create_table(t, TABLES[t]) for t in FIRST_TABLES]
    out.append(create_samples(branches))
    if call_paths:
        out.append(create_table("call_paths", TABLES["call_paths"]))
    if calls:
        out.append(create_table("calls", TABLES["calls"]))
    out += [create_table(t, TABLES[t]) for t in SYNTH_TABLES]
    return out + base_views(call_paths, calls) + synth_views()
