"""The `brstackinsn` field: the instructions a sample's branch stack says ran, block by block
from the oldest branch to the sample, as perf 6.1 built without libxed prints them.

Each block runs from one entry's target to the next entry's source; its code is read from
the dso file and cut into instructions by the x86 length decoder, each printed as its bytes
("insn: 48 89 c8 "). The jump closing a block carries the entry's flags and cycles, with
the block's instructions per cycle. The last block runs to the sample's ip and stops early
at a branch the stack does not show.
"""

import numpy as np

from perfscript.names.branch_flags import decode_branch_flags
from perfscript.output.fields import BRSTACKINSNLEN, SRCCODE, SRCLINE
from perfscript.perfdata import constants as C
from perfscript.symbols.code import code_bytes, is_64bit
from perfscript.symbols.x86_insn import insn_length, is_branch

MAXBB = 16384           # the longest block perf reads
MAXINSN = 15
ENXIO = -6              # a block between kernel and user space
KERNEL_START_X86_64 = 1 << 63
U64 = (1 << 64) - 1


def kernel_start(session):
    """machine__kernel_start: where perf's kernel addresses begin (2**63 on x86-64, where
    entry trampolines lie below the kernel map; else the kernel map's start)."""
    if session.arch in (None, "x86_64"):
        return KERNEL_START_X86_64
    return session.kernel_start()


class _Walk:
    """One sample's walk: its code reads, the symbol last named, the cycles so far."""

    def __init__(self, printer, s, thread, f):
        self.printer = printer
        self.session = printer.session
        self.source = printer.source_lines
        self.thread = thread
        self.f = f
        self.cpumode = C.MISC_USER
        self.is64 = True
        self.lastsym = None         # (start, end) of the symbol named last
        self.total_cycles = 0
        self.out = []
        self.kernel_start = kernel_start(self.session)

    def grab(self, start, end, last=False):
        """perf's grab_bb: the code from start to end (and an instruction more), or a
        length <= 0 (nothing read, or ENXIO across the kernel boundary)."""
        if not start or not end:
            return 0, b""
        kernel = start >= self.kernel_start
        self.cpumode = C.MISC_KERNEL if kernel else C.MISC_USER
        if kernel != (end >= self.kernel_start):
            return ENXIO, b""
        if (end - start) & U64 > MAXBB - MAXINSN:
            return 0, b""
        m = self.session.find_map(self.thread, self.cpumode, start)
        if m is None:
            return 0, b""
        dso = self.session.dso_of(m, kernel)
        if dso is None or dso.kernel:
            return 0, b""           # no kernel image to read
        dso.table                   # loading finds its files
        code = code_bytes(dso, dso.map_ip(start, m.start, m.pgoff), end - start + MAXINSN)
        self.is64 = is_64bit(dso)
        return (len(code), code) if code else (0, b"")

    def sym(self, addr):
        """ip__fprintf_sym: the symbol's name when the walk enters another symbol."""
        session = self.session
        m = session.find_map(self.thread, self.cpumode, addr)
        if m is None:
            return
        dso = session.dso_of(m, self.cpumode == C.MISC_KERNEL)
        if dso is None:
            return
        al_addr = dso.map_ip(addr, m.start, m.pgoff)     # the symbols' address space
        last = self.lastsym
        if last is not None and last[0] <= al_addr < last[1]:
            return
        found = dso.find(addr, m.start, m.pgoff)
        if found is None:
            return
        sym, off = found
        text = "\t" + sym.name
        if off:
            text += "%+d" % off
        text += ":"
        if self.f & SRCLINE:
            line = self.source.srcline(m, dso, al_addr)
            if line:
                text += "\t" + line
        self.out.append(text + "\n")
        self.lastsym = (sym.start, sym.end)

    def insn(self, ip, code):
        """dump_insn: (text, length) of the instruction at the start of `code`."""
        n = insn_length(code[:MAXINSN], self.is64) if code else None
        if n is None or n > len(code):
            return "<bad>", 0
        return "insn: " + "".join("%02x " % b for b in code[:n]), n

    def jump(self, ip, entry, code, insns):
        """ip__fprintf_jump: the instruction that ends a block, with the entry's flags."""
        text, n = self.insn(ip, code)
        line = "\t%016x\t%-30s\t" % (ip, text)
        if self.f & BRSTACKINSNLEN:
            line += "ilen: %d\t" % n
        bf = entry
        line += "#%s%s%s%s" % (" PRED" if bf.predicted else "", " MISPRED" if bf.mispred else "",
                               " INTX" if bf.in_tx else "", " ABORT" if bf.abort else "")
        if bf.cycles:
            self.total_cycles += bf.cycles
            line += " %d cycles [%d]" % (bf.cycles, self.total_cycles)
            if insns:
                line += " %.2f IPC" % float(np.float32(insns) / np.float32(bf.cycles))
        self.out.append(line + "\n")

    def plain(self, ip, code):
        """An instruction inside a block; its length (0: stop)."""
        text, n = self.insn(ip, code)
        line = "\t%016x\t%s" % (ip, text)
        if self.f & BRSTACKINSNLEN:
            line += "\tilen: %d" % n
        self.out.append(line + "\n")
        return n

    def srccode(self, addr):
        """print_srccode: the source line of an address when it changes."""
        if not self.f & SRCCODE:
            return
        m, dso, al_addr = self.printer.map_addr(self.thread, self.cpumode, addr)
        code = self.source.srccode(self.thread, m, dso, al_addr)
        if code:
            self.out.append(code + "\n")


def brstackinsn_text(printer, ev, s, thread, f):
    """perf_sample__fprintf_brstackinsn for one sample ("" without a branch stack)."""
    stack = s.branch_stack
    if not stack:
        return ""
    big_endian = printer.session.endian == ">"
    entries = [(frm, to, decode_branch_flags(flags, big_endian)) for frm, to, flags in stack]
    nr = len(entries)
    max_blocks = printer.o.max_blocks
    if max_blocks and nr > max_blocks + 1:
        nr = max_blocks + 1
    w = _Walk(printer, s, thread, f)
    w.out.append("\n")

    # the oldest branch: only its own instruction is known
    frm = entries[nr - 1][0]
    n, code = w.grab(frm, frm)
    if n > 0:
        w.sym(frm)
        w.jump(frm, entries[nr - 1][2], code, 0)
        w.srccode(frm)

    i = nr - 2
    while i >= 0:
        start, end = entries[i + 1][1], entries[i][0]
        n, code = w.grab(start, end)
        if n == ENXIO and i > 0:
            i -= 1                  # a kernel entry the ring filter hid: skip to the next
            end = entries[i][0]
            n, code = w.grab(start, end)
        if n > 0:
            _block(w, entries[i][2], start, end, n, code)
        i -= 1

    ip = s.ip
    first = entries[0]
    if first[0] == ip or first[2].abort:
        return "".join(w.out)
    start, end = first[1], ip
    if end < start:
        end = start + 128           # a missed branch: look for the next one
    n, code = w.grab(start, end, last=True)
    w.sym(start)
    if n <= 0:
        n, code = w.grab(ip, ip)
        if n > 0:
            w.plain(ip, code)
            w.srccode(ip)
        return "".join(w.out)
    off = 0
    while off <= end - start:
        ilen = w.plain(start + off, code[off:n] if off < n else b"")
        if ilen == 0:
            break
        if is_branch(code[off:n], w.is64) and start + off != ip:
            w.out.append("\t... not reaching sample ...\n")
            break
        w.srccode(start + off)
        off += ilen
    return "".join(w.out)


def _block(w, flags, start, end, n, code):
    """One whole block, start to the jump at `end`."""
    insns = 0
    off = 0
    while off < n:
        ip = start + off
        w.sym(ip)
        if ip == end:
            insns += 1
            w.jump(ip, flags, code[off:n], insns)
            w.srccode(ip)
            break
        ilen = w.plain(ip, code[off:n])
        if ilen == 0:
            break
        w.srccode(ip)
        insns += 1
        off += ilen
    if off != end - start:
        w.out.append("\tmismatch of LBR data and executable\n")
