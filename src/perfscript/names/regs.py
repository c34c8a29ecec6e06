"""Register dumps as perf 6.1 puts them in perf_sample_dict ('iregs', 'uregs').

perf prints each sampled register as ``"%5s:0x%x "`` (name right-aligned in 5
columns, value in lower-case hex, a trailing space) in mask bit order.  The
name comes from the *recording's* architecture (perf.data ARCH header,
normalised the way perf does: x86_64/i686 -> x86, aarch64 -> arm64, ...);
bits without a name print as "unknown".

One perf 6.1 quirk matters for real files: it sizes the text buffer for both
strings from the number of *interrupt* registers (28 bytes each), so a
recording with only --user-regs gets uregs == '' and a user mask larger than
the interrupt mask is cut short.  :func:`sample_regs_strings` reproduces it.
"""

from __future__ import annotations

import os
from functools import lru_cache

_BYTES_PER_REG = 28  # perf 6.1: __sw_hweight64(attr->sample_regs_intr) * 28


def normalize_arch(machine: str | None) -> str:
    """perf's normalised arch name for a ``uname -m`` string.

    Unknown values pass through unchanged (perf then has no register names
    for them); None means the running machine, as in perf.
    """
    arch = machine if machine else os.uname().machine
    if arch == "x86_64":
        return "x86"
    if len(arch) >= 4 and arch[0] == "i" and arch[2] == "8" and arch[3] == "6":
        return "x86"
    if arch == "sun4u" or arch.startswith("sparc"):
        return "sparc"
    if arch.startswith("aarch64") or arch.startswith("arm64"):
        return "arm64"
    if arch.startswith("arm") or arch == "sa110":
        return "arm"
    if arch.startswith("s390"):
        return "s390"
    if arch.startswith("parisc"):
        return "parisc"
    if arch.startswith("powerpc") or arch.startswith("ppc"):
        return "powerpc"
    if arch.startswith("mips"):
        return "mips"
    if arch.startswith("sh") and len(arch) > 2 and arch[2].isdigit():
        return "sh"
    return arch


def _x86() -> dict[int, str]:
    names = ["AX", "BX", "CX", "DX", "SI", "DI", "BP", "SP", "IP", "FLAGS",
             "CS", "SS", "DS", "ES", "FS", "GS"]
    names += ["R%d" % n for n in range(8, 16)]
    table = dict(enumerate(names))
    for n in range(16):  # each XMM register takes two 64-bit slots from bit 32
        table[32 + 2 * n] = table[33 + 2 * n] = "XMM%d" % n
    return table


def _arm64() -> dict[int, str]:
    table = {n: "x%d" % n for n in range(30)}
    table.update({30: "lr", 31: "sp", 32: "pc", 46: "vg"})
    return table


def _arm() -> dict[int, str]:
    table = {n: "r%d" % n for n in range(11)}
    table.update({11: "fp", 12: "ip", 13: "sp", 14: "lr", 15: "pc"})
    return table


def _powerpc() -> dict[int, str]:
    table = {n: "r%d" % n for n in range(32)}
    extra = ["nip", "msr", "orig_r3", "ctr", "link", "xer", "ccr", "softe", "trap",
             "dar", "dsisr", "sier", "mmcra", "mmcr0", "mmcr1", "mmcr2", "mmcr3",
             "sier2", "sier3", "pmc1", "pmc2", "pmc3", "pmc4", "pmc5", "pmc6",
             "sdar", "siar"]
    table.update({32 + i: name for i, name in enumerate(extra)})
    return table


def _s390() -> dict[int, str]:
    table = {n: "R%d" % n for n in range(16)}
    table.update({16 + n: "FP%d" % n for n in range(16)})
    table.update({32: "MASK", 33: "PC"})
    return table


def _riscv() -> dict[int, str]:
    names = ["pc", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1"]
    names += ["a%d" % n for n in range(8)]
    names += ["s%d" % n for n in range(2, 12)]
    names += ["t%d" % n for n in range(3, 7)]
    return dict(enumerate(names))


def _csky() -> dict[int, str]:
    # Bits 0 (tls), 3 (sr) and 5 (orig_a0) have no name; perf built for other
    # architectures also lacks the ABIv2 extras (exregs, hi, lo, tls name),
    # so those print as "unknown" -- as on the x86 reference perf.
    table = {1: "lr", 2: "pc", 4: "sp", 6: "a0", 7: "a1", 8: "a2", 9: "a3"}
    table.update({10 + n: "regs%d" % n for n in range(10)})
    return table


def _mips() -> dict[int, str]:
    table = {0: "PC"}
    table.update({n: "$%d" % n for n in range(1, 26)})
    table.update({n: "$%d" % n for n in range(28, 32)})
    return table


#: perf 6.1's register names per normalised arch (bit number -> name).
REG_NAMES: dict[str, dict[int, str]] = {
    "x86": _x86(),
    "arm64": _arm64(),
    "arm": _arm(),
    "powerpc": _powerpc(),
    "s390": _s390(),
    "riscv": _riscv(),
    "csky": _csky(),
    "mips": _mips(),
}


def reg_name(bit: int, arch: str) -> str:
    """perf_reg_name(): the register at mask bit ``bit``, or 'unknown'."""
    return REG_NAMES.get(normalize_arch(arch), {}).get(bit, "unknown")


@lru_cache(maxsize=256)
def _labels(arch: str | None, mask: int) -> tuple[str, ...]:
    """The '%5s:' label of each set mask bit, computed once per (arch, mask)."""
    names = REG_NAMES.get(normalize_arch(arch), {})
    return tuple("%5s:" % names.get(bit, "unknown") for bit in range(64) if mask >> bit & 1)


def format_regs(arch: str | None, mask: int, values, bufsize: int | None = None) -> str:
    """One iregs/uregs string: ``"%5s:0x%x "`` per set bit of mask, lowest first.

    values: the sampled register values in mask bit order (None or empty when
    the sample has no registers, i.e. abi 0 -> '').  arch: ``uname -m`` or a
    normalised name.  bufsize: perf's buffer size, whose last byte is the
    terminator (None: no limit); see sample_regs_strings().
    """
    if not values or (bufsize is not None and bufsize <= 0):
        return ""
    labels = _labels(arch, mask & 0xFFFFFFFFFFFFFFFF)
    values = list(values)
    if len(values) < len(labels):  # perf would read past the sample; be lenient
        values += [0] * (len(labels) - len(values))
    text = "".join(["%s0x%x " % (label, value & 0xFFFFFFFFFFFFFFFF)
                    for label, value in zip(labels, values)])
    if bufsize is not None:
        text = text[:bufsize - 1]
    return text


def sample_regs_strings(arch: str | None, intr_mask: int, intr_values,
                        user_mask: int, user_values) -> tuple[str, str]:
    """(iregs, uregs) exactly as perf 6.1 builds them for one sample.

    Both strings share one buffer of 28 bytes per *interrupt* register, so
    uregs is '' without interrupt registers and may be truncated.
    """
    size = bin(intr_mask & 0xFFFFFFFFFFFFFFFF).count("1") * _BYTES_PER_REG
    return (format_regs(arch, intr_mask, intr_values, size),
            format_regs(arch, user_mask, user_values, size))
