"""perf script's instruction columns: `insnlen`/`insn` (the sample's instruction, read from
the dso file the way perf's arch_fetch_insn does) and `brstackinsn`/`brstackinsnlen` (the
basic blocks between a branch stack's entries, output/brstackinsn.py)."""

import platform

from perfscript.output.brstackinsn import brstackinsn_text, kernel_start
from perfscript.output.fields import BRSTACKINSN, BRSTACKINSNLEN, INSN, INSNLEN
from perfscript.perfdata import constants as C
from perfscript.symbols.code import insn_at

# perf's uname check: its instruction decoder is only used on recordings of its own arch
_NATIVE = {"x86_64": ("x86_64", "i386")}


def native_arch(session):
    """perf's native_arch: pipe input, or a recording of this machine's architecture."""
    if session.pd.pipe:
        return True
    return session.arch in _NATIVE.get(platform.machine(), (platform.machine(),))


class InsnText:
    """The instruction columns of one run's samples."""

    def __init__(self, printer):
        self.printer = printer
        self.session = printer.session
        self.native = native_arch(self.session)
        self.kernel_start = kernel_start(self.session)

    def sample_insn(self, s, thread):
        """The bytes of the instruction at the sample's ip (perf's thread__memcpy of a
        user map: kernel code is not read), or b""."""
        ip = s.ip
        if not ip or not self.native or ip >= self.kernel_start:
            return b""
        session = self.session
        m = session.find_map(thread, C.MISC_USER, ip)
        if m is None:
            return b""
        dso = session.dso_of(m, False)
        if dso is None or dso.kernel:
            return b""
        dso.table                               # loading finds its files
        return insn_at(dso, dso.map_ip(ip, m.start, m.pgoff)) or b""

    def text(self, ev, s, thread, f):
        """perf_sample__fprintf_insn."""
        out = ""
        if f & (INSN | INSNLEN):
            code = self.sample_insn(s, thread)
            if f & INSNLEN:
                out += " ilen: %d" % len(code)
            if f & INSN and code:
                out += " insn:" + "".join(" %02x" % b for b in code)
        if f & (BRSTACKINSN | BRSTACKINSNLEN):
            out += brstackinsn_text(self.printer, ev, s, thread, f)
        return out
