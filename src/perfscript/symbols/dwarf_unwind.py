"""A sample's user stack unwound as perf 6.1 unwinds it (libunwind 1.6, x86_64).

perf gives libunwind the sample's user registers, its copy of the stack and the mapped
files as memory, and keeps each frame's return address minus one.  Where libunwind stops
(no map for an address, no CFI and no frame pointer to follow, a read it cannot do, a frame
that does not move) perf stops, and where a read outside the stack copy "succeeds" with 0
perf prints that frame too (as 0xffffffffffffffff): this module reproduces those rules,
not a better unwinder.

The address space is given by `find_map(addr)` -> `UnwindMap` or None.
"""

import struct

from .cfi import CFA_REG, CFAREL, NUM_REGS, REG, UNDEF, VAL_CFAREL, VAL_EXPR, CfiError
from .dwarf_forms import sleb, uleb

MASK = 0xFFFFFFFFFFFFFFFF
RSP, RBP, RIP = 7, 6, 16

# libunwind's error codes (negated when returned)
UNW_EBADREG = 3
UNW_EINVAL = 8
UNW_EBADFRAME = 7
UNW_ENOINFO = 10
EINVAL = 22

_U64 = struct.Struct("<Q")

# where a value is: a memory word (its address, a plain int), a sample register
# (LOC_REG, n), or the value itself (LOC_VAL, x); None: nowhere (libunwind's null location)
LOC_REG, LOC_VAL = 0, 2
_INITIAL_LOC = tuple((LOC_REG, i) for i in range(17))

# the x86_64 DWARF register numbers' names, as perf names the registers of a sample
DWARF_REG_NAMES = ("AX", "DX", "CX", "BX", "SI", "DI", "BP", "SP", "R8", "R9", "R10",
                   "R11", "R12", "R13", "R14", "R15", "IP")


class UnwindMap:
    """What the unwinder needs of one map: its extent and file offset, the CFI of the
    file perf reads its data from (None when perf cannot open one), the load bias perf
    computes for .eh_frame_hdr, and where .debug_frame comes from."""

    __slots__ = ("start", "end", "pgoff", "cfi", "bias", "debug_cfi", "found")

    def __init__(self, start, end, pgoff, cfi, bias, debug_cfi=None):
        self.start = start
        self.end = end
        self.pgoff = pgoff
        self.cfi = cfi
        self.bias = bias
        self.debug_cfi = debug_cfi
        self.found = {}          # ip << 1 | use_prev_instr -> _walk's fast rules or False


class _Cursor:
    __slots__ = ("ip", "cfa", "loc", "use_prev_instr", "signal", "regs", "sp", "stack",
                 "end", "find_map")


def unwind(regs, stack, find_map, max_stack):
    """The return addresses perf keeps for a user stack, innermost first, zeros dropped;
    None when perf's unwinding fails as a whole (no IP or SP register, a depth of 0).

    `regs`: DWARF number -> value; `stack`: the bytes of the stack copy (its used part),
    starting at the SP register's value."""
    ip0 = regs.get(RIP)
    if ip0 is None or max_stack <= 0:
        return None
    ips = [ip0]
    if max_stack - 1 > 0:
        c = _Cursor()
        c.regs = regs
        c.stack = stack
        sp = regs.get(RSP)
        if sp is None:
            return None
        c.sp = sp
        c.end = sp + len(stack)
        c.find_map = find_map
        c.ip = ip0
        c.cfa = sp
        c.loc = list(_INITIAL_LOC)
        c.use_prev_instr = 0
        c.signal = False
        _walk(c, ips, max_stack)
    return [ip for ip in ips if ip]


def _walk(c, ips, max_stack):
    """perf's loop: step while libunwind gives a new frame, keeping its ip (minus one
    unless the frame left was a signal frame).  The usual frame (CFI found, CFA = SP + n,
    registers saved at CFA + m, the return address in the stack copy) is stepped here
    without calls; any other goes through _step, which is libunwind's whole logic."""
    loc = c.loc
    stack = c.stack
    sp = c.sp
    end_read = c.end - 8
    unpack = _U64.unpack_from
    find_map = c.find_map
    append = ips.append
    count = len(ips)
    last = None
    ip, cfa, prev = c.ip, c.cfa, c.use_prev_instr
    while count < max_stack:
        lookup = (ip - prev) & MASK
        m = last
        if m is None or not m.start <= lookup < m.end:
            m = last = find_map(lookup)
        if m is not None and loc[RBP] is not None:
            key = ip << 1 | prev
            fast = m.found.get(key)
            if fast is None:
                c.ip, c.use_prev_instr = ip, prev
                fast = m.found[key] = _fast_rules(_find_rules(c))
            if fast is not False:
                cfa_off, saves, ra_off, ra_reg, signal = fast
                new_cfa = (cfa + cfa_off) & MASK
                ra = (new_cfa + ra_off) & MASK
                if sp <= ra < end_read:
                    new_ip = unpack(stack, ra - sp)[0]
                else:
                    st, new_ip = _access_mem(c, ra)
                    if st < 0:
                        break
                if new_ip == ip and new_cfa == cfa:
                    break                               # -UNW_EBADFRAME
                for reg, off in saves:
                    loc[reg] = (new_cfa + off) & MASK
                loc[ra_reg] = ra
                cfa = new_cfa
                ip = new_ip
                if signal:
                    prev = 0
                    append(ip)
                else:
                    prev = 1
                    append((ip - 1) & MASK)
                count += 1
                continue
        c.ip, c.cfa, c.use_prev_instr = ip, cfa, prev
        if _step(c) <= 0:
            break
        ip, cfa, prev = c.ip, c.cfa, c.use_prev_instr
        append(ip if c.signal else (ip - 1) & MASK)
        count += 1


def _fast_rules(found):
    """What _walk needs of a frame's rules when they are the usual kind (CFA = SP + n,
    saves at CFA + m): (n, saves, the return address's m, its register, signal frame);
    False for any other (or a failed search), which libunwind's whole step handles."""
    st, rules = found
    if st < 0 or rules.simple is None:
        return False
    cfa_off, saves, ra_off = rules.simple
    return cfa_off, saves, ra_off, rules.ra_reg, rules.signal


# ------------------------------------------------------------------ perf's accessors

def _access_mem(c, addr):
    """perf's access_mem: (status, value); status > 0 is a failed read libunwind takes
    as a 0 it read."""
    if addr + 8 > MASK:
        return -EINVAL, 0
    if addr < c.sp or addr + 8 >= c.end:
        return _access_dso_mem(c, addr)
    off = addr - c.sp
    return 0, _U64.unpack_from(c.stack, off)[0]


def _access_dso_mem(c, addr):
    m = c.find_map(addr)
    if m is None:
        return -1, 0
    if m.cfi is None:
        return 1, 0
    raw = m.cfi.read_offset(addr - m.start + m.pgoff, 8)
    if raw is None:
        return 1, 0
    return 0, _U64.unpack(raw)[0]


def _get(c, loc):
    """libunwind's dwarf_get."""
    if loc is None:
        return -UNW_EBADREG, 0
    if loc.__class__ is int:
        return _access_mem(c, loc)
    kind, x = loc
    if kind == LOC_REG:
        v = c.regs.get(x)
        if v is None:
            return -EINVAL, 0
        return 0, v
    return 0, x


def _get_reg(c, reg):
    """libunwind's unw_get_reg for x86_64: RSP is the current CFA."""
    if reg == RSP:
        return 0, c.cfa
    if not 0 <= reg < NUM_REGS:
        return -UNW_EBADREG, 0
    return _get(c, c.loc[reg])


def _read_words(c, addr):
    s0, w0 = _access_mem(c, addr)
    if s0 < 0:
        return None
    s1, w1 = _access_mem(c, addr + 8)
    if s1 < 0:
        return None
    return w0, w1


def _is_plt_entry(c):
    words = _read_words(c, c.ip)
    if words is None:
        return False
    w0, w1 = words
    return (w0 & 0xFFFF) == 0x25FF and (w0 >> 48) & 0xFF == 0x68 and (w1 >> 24) & 0xFF == 0xE9


# ------------------------------------------------------------------ the step

def _step(c):
    """libunwind's unw_step: 1 a new frame, 0 the end, < 0 an error.  `c.signal` says
    afterwards whether the frame just left was a signal frame (its CIE's "S"), which is
    what libunwind's unw_is_signal_frame answers and perf asks before it subtracts one."""
    c.signal = False
    ret = _dwarf_step(c)
    if ret < 0 and ret != -UNW_ENOINFO:
        return ret
    if ret >= 0:
        if c.loc[RBP] is None:
            c.ip = 0
            ret = 0
        return ret
    # no CFI for this ip: a PLT stub, or the frame-pointer chain
    prev_ip, prev_cfa = c.ip, c.cfa
    loc = c.loc
    if _is_plt_entry(c):
        loc[RIP] = c.cfa
        c.cfa = (c.cfa + 8) & MASK
    elif loc[RBP] is None:
        for i in range(NUM_REGS):
            loc[i] = None
    else:
        st, rbp = _get(c, loc[RBP])
        if st < 0:
            return st
        invalid_prev_rip = _access_mem(c, prev_ip)[0]
        if not rbp and invalid_prev_rip == 0:
            rbp_loc = rsp_loc = rip_loc = None
        else:
            fixed = False
            if invalid_prev_rip != 0:
                st, rsp = _get(c, loc[RSP])
                st2, new_ip = _access_mem(c, rsp)
                if st2 == 0 and _access_mem(c, new_ip)[0] == 0:
                    fixed = True
                    c.cfa = (c.cfa + 8) & MASK
                    rbp_loc = rbp
                    rsp_loc = rsp
                    rip_loc = rsp
            if not fixed:
                rbp_loc = rbp
                rsp_loc = None
                rip_loc = (rbp + 8) & MASK
                st = _get(c, rbp_loc)[0]
                if st < 0 or rbp < c.cfa or rbp - c.cfa > 0x4000:
                    rip_loc = None
                    rbp_loc = None
                c.cfa = (c.cfa + 16) & MASK
        for i in range(NUM_REGS):
            loc[i] = None
        loc[RBP] = rbp_loc
        loc[RSP] = rsp_loc
        loc[RIP] = rip_loc
        c.use_prev_instr = 1
    if loc[RBP] is None:
        return 0
    if loc[RIP] is not None:
        st, c.ip = _get(c, loc[RIP])
        if st < 0:
            return st
        ret = 1
    else:
        c.ip = 0
    if c.ip == prev_ip and c.cfa == prev_cfa:
        return -UNW_EBADFRAME
    return ret


def _find_rules(c):
    """perf's find_proc_info, libunwind's table search and CFI program run for the
    cursor's frame: (status, rules)."""
    ip = c.ip
    lookup = (ip - c.use_prev_instr) & MASK
    m = c.find_map(lookup)
    if m is None:
        return -EINVAL, None
    ret = -EINVAL
    cfi = m.cfi
    try:
        if cfi is not None and cfi.has_eh_table():
            bias = m.bias
            rules = cfi.eh_rules((lookup - bias) & MASK, (ip - bias) & MASK)
            if rules is not None:
                return 0, rules
            ret = -UNW_ENOINFO
        dbg = m.debug_cfi
        if dbg is not None:
            # perf's segbase (0 for an executable, else the map's start) less the file's
            # first PT_LOAD address: libunwind's load offset of .debug_frame addresses
            base = ((0 if dbg.is_exec else m.start) - dbg.first_load) & MASK
            fde = dbg.find_debug((lookup - base) & MASK)
            if fde is None:
                return -UNW_ENOINFO, None
            return 0, dbg.rules(fde, (ip - base) & MASK)
    except (CfiError, IndexError, struct.error):
        return -UNW_EINVAL, None
    return ret, None


def _dwarf_step(c):
    st, rules = _find_rules(c)
    if st < 0:
        return st
    c.use_prev_instr = 0 if rules.signal else 1
    c.signal = rules.signal
    return _apply(c, rules)


def _apply(c, rules):
    """libunwind's apply_reg_state."""
    prev_ip, prev_cfa = c.ip, c.cfa
    cfa_rule = rules.cfa
    if rules.cfa_from_sp:
        cfa = (c.cfa + cfa_rule[2]) & MASK
    elif cfa_rule[0] == CFA_REG:
        reg = cfa_rule[1]
        if reg == RSP:
            cfa = c.cfa
        else:
            st, cfa = _get_reg(c, reg)
            if st < 0:
                return st
        cfa = (cfa + cfa_rule[2]) & MASK
    else:
        st, loc = _eval(c, 0, cfa_rule[1])
        if st < 0:
            return st
        if loc.__class__ is not int:
            return -UNW_EBADFRAME
        cfa = loc
    loc = c.loc
    for i, where, val in rules.changed:
        if where == UNDEF:
            loc[i] = None
        elif where == CFAREL:
            loc[i] = (cfa + val) & MASK
        elif where == VAL_CFAREL:
            loc[i] = (LOC_VAL, (cfa + val) & MASK)
        elif where == REG:
            loc[i] = (LOC_REG, val)
        else:
            st, new = _eval(c, cfa, val)
            if st < 0:
                return st
            if where == VAL_EXPR:
                new = (LOC_VAL, new if new.__class__ is int else new[1])
            loc[i] = new
    c.cfa = cfa
    ra = loc[rules.ra_reg] if rules.ra_reg < NUM_REGS else None
    if ra is None:
        c.ip = 0
        ret = 0
    else:
        st, ip = _get(c, ra)
        if st < 0:
            return st
        c.ip = ip
        ret = 1
    if c.ip == prev_ip and c.cfa == prev_cfa:
        return -UNW_EBADFRAME
    return ret


# ------------------------------------------------------------------ DWARF expressions

def _signed(v):
    return v - (1 << 64) if v >> 63 else v


_CONSTS = {0x08: ("<B", 1), 0x09: ("<b", 1), 0x0A: ("<H", 2), 0x0B: ("<h", 2),
           0x0C: ("<I", 4), 0x0D: ("<i", 4), 0x0E: ("<Q", 8), 0x0F: ("<q", 8)}


def _eval(c, stack_val, expr):
    """libunwind's location-expression evaluation: (status, location)."""
    try:
        return _eval_ops(c, stack_val, expr)
    except (IndexError, struct.error, ZeroDivisionError):
        return -UNW_EINVAL, None


def _eval_ops(c, stack_val, expr):
    stack = [stack_val]
    pos = 0
    end = len(expr)
    while pos < end:
        op = expr[pos]
        pos += 1
        if 0x30 <= op <= 0x4F:                       # lit0..31
            stack.append(op - 0x30)
        elif 0x50 <= op <= 0x6F:                     # reg0..31
            return 0, (LOC_REG, op - 0x50)
        elif 0x70 <= op <= 0x8F:                     # breg0..31
            off, pos = sleb(expr, pos)
            st, v = _get_reg(c, op - 0x70)
            if st < 0:
                return st, None
            stack.append((v + off) & MASK)
        elif op == 0x92:                             # bregx
            reg, pos = uleb(expr, pos)
            off, pos = sleb(expr, pos)
            st, v = _get_reg(c, reg)
            if st < 0:
                return st, None
            stack.append((v + off) & MASK)
        elif op == 0x90:                             # regx
            reg, pos = uleb(expr, pos)
            return 0, (LOC_REG, reg)
        elif op == 0x03:                             # addr
            stack.append(_U64.unpack_from(expr, pos)[0])
            pos += 8
        elif op in _CONSTS:
            fmt, n = _CONSTS[op]
            stack.append(struct.unpack_from(fmt, expr, pos)[0] & MASK)
            pos += n
        elif op == 0x10:                             # constu
            v, pos = uleb(expr, pos)
            stack.append(v & MASK)
        elif op == 0x11:                             # consts
            v, pos = sleb(expr, pos)
            stack.append(v & MASK)
        elif op == 0x06:                             # deref
            st, v = _access_mem(c, stack.pop())
            if st < 0:
                return st, None
            stack.append(v)
        elif op == 0x94:                             # deref_size
            size = expr[pos]
            pos += 1
            st, v = _access_mem(c, stack.pop())
            if st < 0:
                return st, None
            stack.append(v & ((1 << (8 * size)) - 1) if size < 8 else v)
        elif op == 0x12:                             # dup
            stack.append(stack[-1])
        elif op == 0x13:                             # drop
            stack.pop()
        elif op == 0x14:                             # over
            stack.append(stack[-2])
        elif op == 0x15:                             # pick
            stack.append(stack[-1 - expr[pos]])
            pos += 1
        elif op == 0x16:                             # swap
            stack[-1], stack[-2] = stack[-2], stack[-1]
        elif op == 0x17:                             # rot
            stack[-1], stack[-2], stack[-3] = stack[-2], stack[-3], stack[-1]
        elif op == 0x19:                             # abs
            stack.append(abs(_signed(stack.pop())) & MASK)
        elif op == 0x1F:                             # neg
            stack.append(-_signed(stack.pop()) & MASK)
        elif op == 0x20:                             # not
            stack.append(~stack.pop() & MASK)
        elif op == 0x23:                             # plus_uconst
            v, pos = uleb(expr, pos)
            stack.append((stack.pop() + v) & MASK)
        elif op in _BINARY:
            b = stack.pop()
            a = stack.pop()
            stack.append(_BINARY[op](a, b) & MASK)
        elif op == 0x2F:                             # skip
            pos += 2 + struct.unpack_from("<h", expr, pos)[0]
        elif op == 0x28:                             # bra
            off = struct.unpack_from("<h", expr, pos)[0]
            pos += 2
            if stack.pop():
                pos += off
        elif op == 0x96:                             # nop
            pass
        else:
            return -UNW_EINVAL, None
    return 0, stack[-1]


_BINARY = {
    0x1A: lambda a, b: a & b,
    0x1B: lambda a, b: int(_signed(a) / _signed(b)),
    0x1C: lambda a, b: a - b,
    0x1D: lambda a, b: a % b,
    0x1E: lambda a, b: a * b,
    0x21: lambda a, b: a | b,
    0x22: lambda a, b: a + b,
    0x24: lambda a, b: a << b if b < 64 else 0,
    0x25: lambda a, b: a >> b,
    0x26: lambda a, b: _signed(a) >> b,
    0x27: lambda a, b: a ^ b,
    0x29: lambda a, b: int(a == b),
    0x2A: lambda a, b: int(_signed(a) >= _signed(b)),
    0x2B: lambda a, b: int(_signed(a) > _signed(b)),
    0x2C: lambda a, b: int(_signed(a) <= _signed(b)),
    0x2D: lambda a, b: int(_signed(a) < _signed(b)),
    0x2E: lambda a, b: int(a != b),
}
