"""perf script's output fields: the defaults per event type, -F/--fields, and the checks
perf makes against each event's sample_type before printing anything."""

from perfscript.perfdata import constants as C

FIELD_NAMES = (
    "comm", "tid", "pid", "time", "cpu", "event", "trace", "ip", "sym", "dso", "addr",
    "symoff", "srcline", "period", "iregs", "uregs", "brstack", "brstacksym", "flags",
    "bpf-output", "brstackinsn", "brstackinsnlen", "brstackoff", "callindent", "insn",
    "insnlen", "synth", "phys_addr", "metric", "misc", "srccode", "ipc", "tod",
    "data_page_size", "code_page_size", "ins_lat", "machine_pid", "vcpu", "weight",
    "data_src",
)
F = {name: 1 << i for i, name in enumerate(FIELD_NAMES)}
COMM, TID, PID, TIME, CPU, EVNAME, TRACE = (F[n] for n in (
    "comm", "tid", "pid", "time", "cpu", "event", "trace"))
IP, SYM, DSO, ADDR, SYMOFF, PERIOD = (F[n] for n in ("ip", "sym", "dso", "addr", "symoff",
                                                      "period"))
SRCLINE, SRCCODE, INSN, INSNLEN = (F[n] for n in ("srcline", "srccode", "insn", "insnlen"))
BRSTACK, BRSTACKSYM, BRSTACKOFF, BRSTACKINSN, BRSTACKINSNLEN = (F[n] for n in (
    "brstack", "brstacksym", "brstackoff", "brstackinsn", "brstackinsnlen"))
BPF_OUTPUT, SYNTH, METRIC = F["bpf-output"], F["synth"], F["metric"]
MISC, TOD, FLAGS, CALLINDENT, IREGS, UREGS, DATA_SRC, WEIGHT, INS_LAT, PHYS_ADDR, \
    DATA_PAGE_SIZE, CODE_PAGE_SIZE = (F[n] for n in (
        "misc", "tod", "flags", "callindent", "iregs", "uregs", "data_src", "weight",
        "ins_lat", "phys_addr", "data_page_size", "code_page_size"))
# fields this printer implements; others are refused rather than silently ignored.
# callindent only shapes branch-trace (BTS) lines, which are not printed as such here;
# ipc needs the cycle/instruction counts only hardware trace decoders give a sample, and
# machine_pid/vcpu only guest samples, which perf script drops without --guest: these
# three print nothing, as in perf for such recordings
SUPPORTED = (COMM | TID | PID | TIME | CPU | EVNAME | TRACE | IP | SYM | DSO | ADDR | SYMOFF
             | PERIOD | MISC | TOD | FLAGS | CALLINDENT | IREGS | UREGS | DATA_SRC | WEIGHT
             | INS_LAT | PHYS_ADDR | DATA_PAGE_SIZE | CODE_PAGE_SIZE | F["ipc"]
             | F["machine_pid"] | F["vcpu"] | SRCLINE | SRCCODE | INSN | INSNLEN | BRSTACK
             | BRSTACKSYM | BRSTACKOFF | BRSTACKINSN | BRSTACKINSNLEN | BPF_OUTPUT | SYNTH
             | METRIC)
# (field, sample_type bit, perf's name of it), checked after cpu, in perf's order
_STYPE_CHECKS = (
    (IREGS, C.SAMPLE_REGS_INTR, "IREGS"),
    (UREGS, C.SAMPLE_REGS_USER, "UREGS"),
    (PHYS_ADDR, C.SAMPLE_PHYS_ADDR, "PHYS_ADDR"),
    (DATA_PAGE_SIZE, C.SAMPLE_DATA_PAGE_SIZE, "DATA_PAGE_SIZE"),
    (CODE_PAGE_SIZE, C.SAMPLE_CODE_PAGE_SIZE, "CODE_PAGE_SIZE"),
    (INS_LAT, C.SAMPLE_WEIGHT_STRUCT, "WEIGHT_STRUCT"),
)

# output types (perf's output[] index)
T_HW, T_SW, T_TRACE, T_CACHE, T_RAW, T_BREAK, T_SYNTH, T_OTHER = range(8)
TYPE_NAMES = {"hw": T_HW, "sw": T_SW, "trace": T_TRACE, "raw": T_RAW, "break": T_BREAK,
              "synth": T_SYNTH}
EVENT_TYPE_NAMES = {T_HW: "hardware", T_SW: "software", T_TRACE: "tracepoint",
                    T_CACHE: "hardware-cache", T_RAW: "raw", T_BREAK: "breakpoint",
                    T_SYNTH: "synth", T_OTHER: "unknown"}

_HW_DEFAULT = COMM | TID | CPU | TIME | EVNAME | IP | SYM | SYMOFF | DSO | PERIOD
_DEFAULTS = {
    T_HW: (_HW_DEFAULT, TRACE | F["bpf-output"]),
    T_SW: (_HW_DEFAULT | F["bpf-output"], TRACE),
    T_TRACE: (COMM | TID | CPU | TIME | EVNAME | TRACE, 0),
    T_CACHE: (_HW_DEFAULT, TRACE | F["bpf-output"]),
    T_RAW: (_HW_DEFAULT | ADDR | F["data_src"] | F["weight"] | F["phys_addr"]
            | F["data_page_size"] | F["code_page_size"] | F["ins_lat"],
            TRACE | F["bpf-output"]),
    T_BREAK: (_HW_DEFAULT, TRACE | F["bpf-output"]),
    T_SYNTH: (COMM | TID | CPU | TIME | EVNAME | IP | SYM | SYMOFF | DSO | F["synth"],
              TRACE | F["bpf-output"]),
    T_OTHER: (_HW_DEFAULT, TRACE | F["bpf-output"]),
}


def output_type(attr_type):
    if attr_type == C.TYPE_SYNTH:
        return T_SYNTH
    if attr_type < 6:
        return attr_type
    return T_OTHER


class FieldsError(Exception):
    """-F refused, or an event cannot print a requested field: perf's message."""


class OutputSpec:
    """perf's output[] table: per type the fields, and what the user set or unset."""

    def __init__(self):
        self.fields = {t: d[0] for t, d in _DEFAULTS.items()}
        self.invalid = {t: d[1] for t, d in _DEFAULTS.items()}
        self.user_set = {t: False for t in _DEFAULTS}
        self.wildcard_set = {t: False for t in _DEFAULTS}
        self.user_set_fields = {t: 0 for t in _DEFAULTS}
        self.user_unset_fields = {t: 0 for t in _DEFAULTS}
        # perf prints the sample flags column for every event type once any -F names it
        self.print_flags = False
        self.warnings = []

    def any_user_set(self):
        return any(self.user_set.values())

    def parse(self, text):
        """One -F/--fields argument, perf 6.1's parse_output_fields."""
        typ = None
        body = text
        head, colon, rest = text.partition(":")
        if colon and head in TYPE_NAMES:
            typ = TYPE_NAMES[head]
            body = rest
            if not body:
                raise FieldsError("Invalid field string.")
        elif colon and head and "," not in head and not head.startswith(("+", "-")):
            raise FieldsError("Invalid event type in field string.")
        tokens = body.split(",")
        # perf keeps the defaults when a + or - is anywhere in the list ("bpf-output")
        plusminus = "+" in body or "-" in body
        if typ is not None:
            if self.user_set[typ]:
                self.warnings.append("Overriding previous field request for %s events."
                                     % EVENT_TYPE_NAMES[typ])
            if not plusminus:
                self.fields[typ] = 0
            self.user_set[typ] = True
            self.wildcard_set[typ] = False
        elif not plusminus:
            if self.any_user_set():
                self.warnings.append("Overriding previous field request for all events.")
            for t in self.fields:
                self.fields[t] = 0
                self.user_set[t] = True
                self.wildcard_set[t] = True
        change = None
        for tok in tokens:
            if tok.startswith("+"):
                if change == "set":
                    raise FieldsError("Cannot mix +-field with overridden fields")
                change, tok = "add", tok[1:]
            elif tok.startswith("-"):
                if change == "set":
                    raise FieldsError("Cannot mix +-field with overridden fields")
                change, tok = "remove", tok[1:]
            else:
                if change not in (None, "set"):
                    raise FieldsError("Cannot mix +-field with overridden fields")
                change = "set"
            bit = F.get(tok)
            if bit is None:
                raise FieldsError("Invalid field requested.")
            if bit == FLAGS and change != "remove":
                self.print_flags = True
            if not bit & SUPPORTED:
                raise FieldsError("field '%s' is not supported yet" % tok)
            targets = [typ] if typ is not None else list(self.fields)
            for t in targets:
                if self.invalid[t] & bit:
                    if typ is not None:
                        raise FieldsError("'%s' not valid for %s events."
                                          % (tok, EVENT_TYPE_NAMES[t]))
                    self.warnings.append("'%s' not valid for %s events. Ignoring."
                                         % (tok, EVENT_TYPE_NAMES[t]))
                    continue
                if change == "remove":
                    self.fields[t] &= ~bit
                    self.user_set_fields[t] &= ~bit
                    self.user_unset_fields[t] |= bit
                else:
                    self.fields[t] |= bit
                    self.user_set_fields[t] |= bit
                    self.user_unset_fields[t] &= ~bit
                self.user_set[t] = True
                if typ is None:
                    self.wildcard_set[t] = True

    # -------------------------------------------------------------- sample_type checks

    def _check_stype(self, ev, stype_bit, msg, field, allow_user_set=False):
        t = output_type(ev.attr.type)
        if ev.attr.sample_type & stype_bit:
            return
        if self.user_set_fields[t] & field:
            if allow_user_set:
                return
            raise FieldsError("Samples for '%s' event do not have %s attribute set. "
                              "Cannot print '%s' field." % (ev.name, msg,
                                                            _field_name(field)))
        self.fields[t] &= ~field

    def check_attr(self, ev, has_stat=False, has_auxtrace=False, branch_types=0):
        """evsel__check_attr for the first event of its type; `branch_types`: the branch
        sample types of all events together."""
        if ev.attr.type == C.TYPE_SOFTWARE and ev.attr.config == 9:   # dummy
            return
        if has_stat:
            return
        t = output_type(ev.attr.type)
        st = ev.attr.sample_type
        f = self.fields[t]
        if f & IP:
            self._check_stype(ev, C.SAMPLE_IP, "IP", IP)
        if self.fields[t] & ADDR:
            self._check_stype(ev, C.SAMPLE_ADDR, "ADDR", ADDR, has_auxtrace)
        if self.fields[t] & DATA_SRC:
            self._check_stype(ev, C.SAMPLE_DATA_SRC, "DATA_SRC", DATA_SRC, has_auxtrace)
        if self.fields[t] & WEIGHT:
            self._check_stype(ev, C.SAMPLE_WEIGHT | C.SAMPLE_WEIGHT_STRUCT, "WEIGHT", WEIGHT,
                              has_auxtrace)
        f = self.fields[t]
        if f & SYM and not st & (C.SAMPLE_IP | C.SAMPLE_ADDR):
            raise FieldsError("Display of symbols requested but neither sample IP nor "
                              "sample address\navailable. Hence, no addresses to convert "
                              "to symbols.")
        if f & SYMOFF and not f & SYM:
            raise FieldsError("Display of offsets requested but symbol is notselected.")
        if f & DSO and not st & (C.SAMPLE_IP | C.SAMPLE_ADDR):
            raise FieldsError("Display of DSO requested but no address to convert.")
        if f & (SRCLINE | SRCCODE) and not f & IP:
            raise FieldsError("Display of source line number requested but sample IP is not"
                              "\nselected. Hence, no address to lookup the source line "
                              "number.")
        if f & (BRSTACKINSN | BRSTACKINSNLEN) and not has_auxtrace and \
                not branch_types & C.BRANCH_ANY:
            raise FieldsError("Display of branch stack assembler requested, but non "
                              "all-branch filter set\nHint: run 'perf record -b ...'")
        if f & (PID | TID):
            self._check_stype(ev, C.SAMPLE_TID, "TID", PID | TID)
        if self.fields[t] & TIME:
            self._check_stype(ev, C.SAMPLE_TIME, "TIME", TIME)
        if self.fields[t] & CPU:
            self._check_stype(ev, C.SAMPLE_CPU, "CPU", CPU, has_auxtrace)
        for field, stype, msg in _STYPE_CHECKS:
            if self.fields[t] & field:
                self._check_stype(ev, stype, msg, field,
                                  has_auxtrace and field in (IREGS, PHYS_ADDR))


def _field_name(bits):
    for name, bit in F.items():
        if bits & bit:
            return name
    return "?"
