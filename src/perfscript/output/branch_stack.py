"""The `brstack`, `brstacksym` and `brstackoff` fields: a sample's branch stack (LBR)
entries, from/to as addresses, symbols or dso offsets, with their flags (perf 6.1)."""

from perfscript.names.branch_flags import decode_branch_flags
from perfscript.output.fields import BRSTACK, BRSTACKSYM, DSO
from perfscript.perfdata import constants as C
from perfscript.symbols.code import adjusts_symbols

# perf's branch_type_name: the PERF_BR_* kinds of an entry's type bits
BRANCH_TYPES = ("N/A", "COND", "UNCOND", "IND", "CALL", "IND_CALL", "RET", "SYSCALL",
                "SYSRET", "COND_CALL", "COND_RET", "ERET", "IRQ", "SERROR", "NO_TX",
                "EXTEND_ABI")


# ... and of the extended ones (type EXTEND_ABI)
NEW_BRANCH_TYPES = ("FAULT_ALGN", "FAULT_DATA", "FAULT_INST", "ARCH_1", "ARCH_2", "ARCH_3",
                    "ARCH_4", "ARCH_5")
EXTEND_ABI = 15


def branch_type_text(bf):
    """get_branch_type: "" for an unknown type; glibc prints a missing name as (null)."""
    if not bf.type:
        return ""
    if bf.type == EXTEND_ABI:
        return NEW_BRANCH_TYPES[bf.new_type] if bf.new_type < len(NEW_BRANCH_TYPES) \
            else "(null)"
    return BRANCH_TYPES[bf.type]


def _flags_text(bf):
    """print_bstack_flags: /M|P|-/X|-/A|-/cycles/type."""
    pred = "M" if bf.mispred else ("P" if bf.predicted else "-")
    kind = branch_type_text(bf)
    return "/%s/%s/%s/%d/%s " % (pred, "X" if bf.in_tx else "-", "A" if bf.abort else "-",
                                 bf.cycles, kind)


def _dso_name(loc):
    """map__fprintf_dsoname in parentheses."""
    if loc is None:
        return "([unknown])"
    return "(%s)" % (loc[1].name if loc[1] is not None else loc[0].filename)


def _symbol(loc):
    """symbol__fprintf_symname_offs."""
    if loc is None or loc[2] is None:
        return "[unknown]"
    return "%s+0x%x" % (loc[2].name, loc[3])


def _offset(loc, addr):
    """brstackoff's address: map-relative unless the dso keeps link-time addresses."""
    if loc is None or loc[1] is None:
        return addr
    m, dso = loc[0], loc[1]
    if dso.kernel or adjusts_symbols(dso) is not None:
        return addr
    return dso.map_ip(addr, m.start, m.pgoff)


def branch_stack_text(session, s, thread, f):
    """The entries of the sample's branch stack in the form `f` asks for (brstack first,
    then brstacksym, else brstackoff, as perf picks one)."""
    cpumode = s.misc & C.MISC_CPUMODE_MASK
    big_endian = session.endian == ">"
    with_dso = f & DSO
    out = []
    for frm, to, flags in s.branch_stack:
        bf = decode_branch_flags(flags, big_endian)
        if f & BRSTACK:
            text = " 0x%x" % frm
            if with_dso:
                text += _dso_name(session.locate_fallback(thread, cpumode, frm))
            text += "/0x%x" % to
            if with_dso:
                text += _dso_name(session.locate_fallback(thread, cpumode, to))
        elif f & BRSTACKSYM:
            floc = session.locate_fallback(thread, cpumode, frm)
            tloc = session.locate_fallback(thread, cpumode, to)
            text = _symbol(floc)
            if with_dso:
                text += _dso_name(floc)
            text += "/" + _symbol(tloc)
            if with_dso:
                text += _dso_name(tloc)
        else:
            floc = session.locate_fallback(thread, cpumode, frm)
            tloc = session.locate_fallback(thread, cpumode, to)
            text = " 0x%x" % _offset(floc, frm)
            if with_dso:
                text += _dso_name(floc)
            text += "/0x%x" % _offset(tloc, to)
            if with_dso:
                text += _dso_name(tloc)
        out.append(text + _flags_text(bf))
    return "".join(out)
