"""User frames unwound from a sample's registers and stack copy (`--call-graph dwarf`).

perf unwinds at script time: the sample's callchain holds only the kernel part, and the
user part comes from the saved user registers, the stack bytes and the call-frame
information of the files mapped at the sample's time.  This is the session's side: it
knows the thread's maps and finds each map's file; symbols.dwarf_unwind walks the stack.
"""

from perfscript.names.regs import REG_NAMES, normalize_arch
from perfscript.symbols.cfi import CfiFile
from perfscript.symbols.dwarf_unwind import DWARF_REG_NAMES, RIP, UnwindMap, unwind

_PERF_REG_NUMBER = {name: bit for bit, name in REG_NAMES["x86"].items()}
_REG_SLOTS = {}


def sample_registers(mask, values):
    """DWARF register number -> value, for the x86 registers a sample's dump holds (in
    the bit order of perf's register mask)."""
    slots = _REG_SLOTS.get(mask)
    if slots is None:
        index = {}
        for bit in range(64):
            if mask >> bit & 1:
                index[bit] = len(index)
        slots = _REG_SLOTS[mask] = tuple(
            (dw, index[_PERF_REG_NUMBER[name]]) for dw, name in enumerate(DWARF_REG_NAMES)
            if _PERF_REG_NUMBER[name] in index)
    n = len(values)
    return {dw: values[i] for dw, i in slots if i < n}


class UserStacks:
    """Unwinds samples' user stacks in a session; the files' CFI is read once each."""

    def __init__(self, session):
        self.session = session
        # this perf unwinds with libunwind's x86_64 build only: other architectures'
        # recordings, and 32-bit processes, get no user frames
        self.enabled = normalize_arch(session.arch) == "x86"
        self._cfi = {}           # data file path -> CfiFile or None
        self._debug = {}         # dso -> CfiFile with .debug_frame, or None
        self._spaces = {}        # (maps serial, version) -> _AddressSpace

    def frames(self, attr, s, thread, limit):
        """The user frames perf appends after the sample's own callchain: return
        addresses innermost first (each caller's minus one), at most `limit`; () when
        there is nothing to unwind; None when perf's unwinding fails as a whole."""
        stack = s.user_stack
        if (not self.enabled or thread is None or not s.user_regs or stack is None
                or not stack[2]):
            return ()
        regs = sample_registers(attr.sample_regs_user, s.user_regs)
        space = self._space(thread.maps)
        ip = regs.get(RIP)
        if ip is not None:
            # perf picks the unwinder by the class of the process's files: this perf
            # unwinds 64-bit x86 ones only
            m = space.find(ip)
            if m is not None and m.cfi is not None and not m.cfi.x86_64:
                return ()
        buf, start, size = stack
        ips = unwind(regs, memoryview(buf)[start:start + size], space.find, limit)
        return tuple(ips) if ips is not None else None

    # ------------------------------------------------------------ the address space

    def _space(self, maps):
        key = (maps.serial, maps.version)
        space = self._spaces.get(key)
        if space is None:
            if len(self._spaces) > 256:
                self._spaces.clear()
            space = self._spaces[key] = _AddressSpace(self, maps)
        return space

    def unwind_map(self, maps, m):
        """The unwinder's view of one map of `maps`."""
        session = self.session
        dso = session.dso_of(m, False)
        cfi = self._cfi_of(dso)
        bias = 0
        if cfi is not None:
            # perf's base address: the lowest start of this dso's maps, less the
            # file's first PT_LOAD page
            low = min((x.start for x in maps if session.dso_of(x, False) is dso),
                      default=m.start)
            bias = (low - cfi.base_vaddr) & 0xFFFFFFFFFFFFFFFF
        return UnwindMap(m.start, m.end, m.pgoff, cfi, bias, self._debug_cfi(dso, cfi))

    def _cfi_of(self, dso):
        resolver = self.session.resolver
        if dso is None or resolver is None:
            return None
        path = resolver.data_path(dso)
        if path is None:
            return None
        return self._open(path)

    def _open(self, path):
        if path in self._cfi:
            return self._cfi[path]
        try:
            cfi = CfiFile(path)
        except OSError:
            cfi = None
        self._cfi[path] = cfi
        return cfi

    def _debug_cfi(self, dso, cfi):
        """Where perf finds .debug_frame: the data file, else the symbol file."""
        if dso in self._debug:
            return self._debug[dso]
        found = None
        candidates = [cfi]
        if dso is not None and dso.symsrc:
            candidates.append(self._open(dso.symsrc))
        for cand in candidates:
            if cand is not None and cand.has_debug_frame():
                found = cand
                break
        self._debug[dso] = found
        return found


class _AddressSpace:
    """One version of a process's maps, as the unwinder reads it: map lookups with the
    last hit kept, each map's UnwindMap made once."""

    __slots__ = ("stacks", "maps", "unwind_maps", "last")

    def __init__(self, stacks, maps):
        self.stacks = stacks
        self.maps = maps
        self.unwind_maps = {}
        self.last = None

    def find(self, addr):
        um = self.last
        if um is not None and um.start <= addr < um.end:
            return um
        m = self.maps.find(addr)
        if m is None:
            return None
        um = self.unwind_maps.get(m)
        if um is None:
            um = self.unwind_maps[m] = self.stacks.unwind_map(self.maps, m)
        self.last = um
        return um
