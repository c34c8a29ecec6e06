"""The length of one x86 instruction, as perf needs it to hand a sample's code bytes out.

perf reads up to 16 bytes at a sample's ip from the dso and keeps as many as its x86
decoder says the instruction has.  This decoder knows only lengths: prefixes, REX, VEX,
EVEX, the opcode maps, ModRM/SIB/displacement and immediates.  Written from the Intel SDM
opcode tables.
"""

MAX_INSN = 16

_LEGACY_PREFIXES = frozenset((0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2,
                              0xF3))


def _ranges(*spans):
    out = set()
    for span in spans:
        if isinstance(span, int):
            out.add(span)
        else:
            out.update(range(span[0], span[1] + 1))
    return frozenset(out)


# one-byte map: opcodes with a ModRM byte
_MODRM_1 = _ranges((0x00, 0x03), (0x08, 0x0B), (0x10, 0x13), (0x18, 0x1B), (0x20, 0x23),
                   (0x28, 0x2B), (0x30, 0x33), (0x38, 0x3B), 0x62, 0x63, 0x69, 0x6B,
                   (0x80, 0x8F), 0xC0, 0xC1, 0xC4, 0xC5, 0xC6, 0xC7, (0xD0, 0xD3),
                   (0xD8, 0xDF), 0xF6, 0xF7, 0xFE, 0xFF)
# one-byte map immediates: "b" 1 byte, "z" 2 or 4 (operand size), "w" 2
_IMM_1 = {}
for _op in (0x04, 0x0C, 0x14, 0x1C, 0x24, 0x2C, 0x34, 0x3C, 0x6A, 0x6B, 0x80, 0x82, 0x83,
            0xA8, 0xC0, 0xC1, 0xC6, 0xCD, 0xD4, 0xD5, 0xE4, 0xE5, 0xE6, 0xE7, 0xEB,
            *range(0x70, 0x80), *range(0xB0, 0xB8), *range(0xE0, 0xE4)):
    _IMM_1[_op] = "b"
for _op in (0x05, 0x0D, 0x15, 0x1D, 0x25, 0x2D, 0x35, 0x3D, 0x68, 0x69, 0x81, 0xA9, 0xC7):
    _IMM_1[_op] = "z"
_IMM_1.update({0xC2: "w", 0xCA: "w", 0xC8: "wb", 0xE8: "j", 0xE9: "j"})

# two-byte map (0F xx): opcodes without a ModRM byte
_NO_MODRM_2 = _ranges(0x05, 0x06, 0x07, 0x08, 0x09, 0x0B, 0x0E, (0x30, 0x37), 0x77,
                      (0x80, 0x8F), 0xA0, 0xA1, 0xA2, 0xA8, 0xA9, 0xAA, (0xC8, 0xCF))
_IMM8_2 = _ranges((0x70, 0x73), 0xA4, 0xAC, 0xBA, 0xC2, 0xC4, 0xC5, 0xC6)


def _modrm_len(code, pos, end, addr16):
    """Bytes taken by ModRM, SIB and displacement starting at `pos`, or None."""
    if pos >= end:
        return None
    modrm = code[pos]
    mod, rm = modrm >> 6, modrm & 7
    n = 1
    if mod == 3:
        return n
    if addr16:
        if mod == 0:
            return n + (2 if rm == 6 else 0)
        return n + (1 if mod == 1 else 2)
    if rm == 4:
        if pos + 1 >= end:
            return None
        n += 1
        if mod == 0 and code[pos + 1] & 7 == 5:
            return n + 4
    if mod == 0:
        return n + (4 if rm == 5 else 0)
    return n + (1 if mod == 1 else 4)


def insn_length(code, is64=True):
    """The length of the instruction at the start of `code` (bytes), or None when the bytes
    are cut short or are not an instruction this decoder knows."""
    end = min(len(code), 15)
    pos = 0
    opsize16 = addr_override = False
    while pos < end and code[pos] in _LEGACY_PREFIXES:
        if code[pos] == 0x66:
            opsize16 = True
        elif code[pos] == 0x67:
            addr_override = True
        pos += 1
    rex_w = False
    if is64 and pos < end and 0x40 <= code[pos] <= 0x4F:
        rex_w = bool(code[pos] & 8)
        pos += 1
    if pos >= end:
        return None
    addr16 = addr_override and not is64
    op = code[pos]
    pos += 1
    imm_z = 2 if opsize16 and not rex_w else 4

    # VEX (C4, C5) and EVEX (62): outside 64-bit mode only when ModRM.mod would be 3
    if op in (0xC4, 0xC5, 0x62) and pos < end and (is64 or code[pos] >> 6 == 3):
        if op == 0xC5:
            mmap, pos = 1, pos + 1
        elif op == 0xC4:
            mmap, pos = code[pos] & 0x1F, pos + 2
        else:
            mmap, pos = code[pos] & 7, pos + 3
        if pos >= end:
            return None
        vop = code[pos]
        pos += 1
        if op != 0x62 and mmap == 1 and vop == 0x77:
            return pos                       # vzeroupper / vzeroall
        m = _modrm_len(code, pos, end, addr16)
        if m is None:
            return None
        pos += m
        if mmap == 3 or (mmap == 1 and vop in _IMM8_2):
            pos += 1
        return pos if pos <= end else None

    if op == 0x0F:
        if pos >= end:
            return None
        op2 = code[pos]
        pos += 1
        if op2 in (0x38, 0x3A):
            pos += 1                         # the third opcode byte
            m = _modrm_len(code, pos, end, addr16)
            if m is None:
                return None
            pos += m + (1 if op2 == 0x3A else 0)
            return pos if pos <= end else None
        if op2 in _NO_MODRM_2:
            if 0x80 <= op2 <= 0x8F:
                pos += 2 if opsize16 and not is64 else 4
            return pos if pos <= end else None
        m = _modrm_len(code, pos, end, addr16)
        if m is None:
            return None
        pos += m
        if op2 in _IMM8_2 or op2 == 0x0F:    # 0F 0F: 3DNow! suffix byte
            pos += 1
        return pos if pos <= end else None

    if not is64 and 0x40 <= op <= 0x4F:
        return pos                           # inc / dec
    if op in (0xA0, 0xA1, 0xA2, 0xA3):       # mov with a full-width address
        if is64:
            pos += 4 if addr_override else 8
        else:
            pos += 2 if addr_override else 4
        return pos if pos <= end else None
    if 0xB8 <= op <= 0xBF:
        pos += 8 if rex_w else imm_z
        return pos if pos <= end else None
    if op in (0x9A, 0xEA):                   # far call / jmp ptr16:16/32
        if is64:
            return None
        pos += 2 + imm_z
        return pos if pos <= end else None
    if op in _MODRM_1:
        m = _modrm_len(code, pos, end, addr16)
        if m is None:
            return None
        reg = (code[pos] >> 3) & 7
        pos += m
        if op == 0xF6 and reg in (0, 1):
            pos += 1
        elif op == 0xF7 and reg in (0, 1):
            pos += imm_z
    imm = _IMM_1.get(op)
    if imm == "b":
        pos += 1
    elif imm == "z":
        pos += imm_z
    elif imm == "w":
        pos += 2
    elif imm == "wb":
        pos += 3
    elif imm == "j":
        pos += 4 if is64 else imm_z
    return pos if pos <= end else None


def is_branch(code, is64=True):
    """Whether the instruction at the start of `code` transfers control, by perf's Intel PT
    instruction classes (jumps, jcc/loop/jcxz, calls, returns, int/iret, syscall/sysret,
    sysenter/sysexit, vmlaunch/vmresume); call only on an instruction insn_length knows."""
    pos = 0
    end = min(len(code), 15)
    while pos < end and code[pos] in _LEGACY_PREFIXES:
        pos += 1
    if is64 and pos < end and 0x40 <= code[pos] <= 0x4F:
        pos += 1
    if pos >= end:
        return False
    op = code[pos]
    nxt = code[pos + 1] if pos + 1 < end else None
    if op in (0xC4, 0xC5, 0x62) and nxt is not None and (is64 or nxt >> 6 == 3):
        return False                         # VEX / EVEX: never a branch
    if op == 0x0F:
        if nxt in (0x05, 0x07, 0x34, 0x35) or (nxt is not None and 0x80 <= nxt <= 0x8F):
            return True
        return nxt == 0x01 and pos + 2 < end and code[pos + 2] in (0xC2, 0xC3)
    if 0x70 <= op <= 0x7F or 0xE0 <= op <= 0xE3:
        return True
    if op in (0xC2, 0xC3, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF, 0xE8, 0x9A, 0xE9, 0xEA, 0xEB):
        return True
    if op == 0xFF and nxt is not None:
        return (nxt >> 3) & 7 in (2, 3, 4, 5)
    return False
