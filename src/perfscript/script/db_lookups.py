"""db-export's symbol lookups as perf makes them, and records of them that can be replayed.

perf's dso__find_symbol keeps one entry per dso, the last address looked up and what it
found, and answers a repeat of that address from it. That only shows once db-export adds
an "unknown" symbol to a dso: the insertion refreshes the entry when its address is at or
above the new symbol's, and the entry may then hold a symbol that is not the one at its
address. Such a dso is "armed": until its next real lookup, an answer depends on history.
While no dso is armed, a lookup's answer is simply the symbol at the address, and all the
entry keeps is the last address and symbol.

So a resolution (a sample's address and callchain) made while nothing is armed and adding
no symbol can be recorded as the entries it left, and replayed later in the same address
spaces by setting those entries, as long as no dso it touched is armed by then and no
address it found nothing at has since got an "unknown" symbol.
"""

from perfscript.perfdata import constants as C
from perfscript.perfdata.callchain import MISC_USER_UNWOUND
from perfscript.session.maps import LookupCache
from perfscript.session.session import ANON_NAMES, ANON_PREFIXES
from perfscript.symbols.symbol import Symbol

FRAME_CACHE_LIMIT = 1 << 16     # distinct (address space, address) remembered at once
PENDING_LIMIT = 1 << 12         # replays kept before they are applied
_KERNEL_LOOKUP = (C.MISC_KERNEL, C.MISC_GUEST_KERNEL)
_USER_LOOKUP = (C.MISC_USER, C.MISC_GUEST_USER, MISC_USER_UNWOUND)


def _identity_map(m):
    """perf maps addresses in anonymous and dso-less memory to themselves."""
    name = m.filename
    return name in ANON_NAMES or name.startswith(ANON_PREFIXES)


class Lookups:
    """The lookup state of one db-export run."""

    def __init__(self, session):
        self.session = session
        self.unknown = {}        # id(dso) -> {address: "unknown" Symbol}
        self.last_find = {}      # id(dso) -> [address, symbol, dso]: perf's lookup cache
        self.armed = set()       # id(dso) of the armed dsos
        self.added = 0           # "unknown" symbols added so far
        # (maps serial, maps version, address) -> frame: (map, dso, address in the dso,
        # the dso's own symbol there, the dso's lookup-cache entry); which map and dso an
        # address falls in only changes with the maps, a dso's own symbols never
        self.frames = LookupCache(FRAME_CACHE_LIMIT)
        self.touched = None      # while recording: the lookup-cache entries set
        self.misses = None       # ... the (id(dso), address) lookups that found nothing
        self.tainted = False     # ... and whether the resolution can be replayed
        # replays not applied yet: the entries they set, applied in order before anything
        # reads or sets an entry
        self.pending = []

    # ------------------------------------------------------------ frames

    def frame_of(self, thread, cpumode, ip):
        """The frame of ip as perf's thread__find_map sees it (None: no maps to look in)."""
        if cpumode in _KERNEL_LOOKUP:
            return self.frame(self.session.kernel_maps, True, ip)
        if cpumode in _USER_LOOKUP and thread is not None:
            return self.frame(thread.maps, False, ip)
        return None

    def frame(self, maps, kernel, ip):
        """The frame of `ip` in `maps` (the kernel's when `kernel`)."""
        key = (maps.serial, maps.version, ip)
        f = self.frames.get(key)
        if f is not None:
            return f
        m = maps.find(ip)
        if m is None:
            f = (None, None, ip, None, None)
        else:
            dso = self.session.dso_of(m, kernel)
            # (after dso_of: loading the kernel can move its map)
            if dso is None:
                f = (m, None, ip, None, None)
            else:
                addr = ip if _identity_map(m) else dso.map_ip(ip, m.start, m.pgoff)
                f = (m, dso, addr, dso.table.find(addr), self._entry(dso))
        return self.frames.put(key, f)

    def _entry(self, dso):
        last = self.last_find.get(id(dso))
        if last is None:
            last = self.last_find[id(dso)] = [0, None, dso]
        return last

    def find_frame(self, f):
        """`find(dso, address)` for a frame with a dso, from what the frame knows."""
        if self.pending:
            self._settle()
        if self.armed:
            return self.find(f[1], f[2])
        sym = f[3]
        addr = f[2]
        if sym is None:
            extra = self.unknown.get(id(f[1]))
            if extra is not None:
                sym = extra.get(addr)
        last = f[4]
        last[0] = addr
        last[1] = sym
        if self.touched is not None:
            self.touched.append(last)
            if sym is None:
                self.misses.append((id(f[1]), addr))
        return sym

    def resolve_chain(self, thread, entries):
        """[(cpumode, ip, frame or None, dso or None, symbol)] of a callchain's
        (cpumode, ip) entries, each looked up in turn: find_frame over a whole chain."""
        if self.pending:
            self._settle()
        out = []
        append = out.append
        kernel_maps = self.session.kernel_maps
        user_maps = thread.maps if thread is not None else None
        frames_get = self.frames.get
        unknown = self.unknown
        touched, misses = self.touched, self.misses
        for cpumode, ip in entries:
            if cpumode in _KERNEL_LOOKUP:
                maps = kernel_maps
            elif cpumode in _USER_LOOKUP and user_maps is not None:
                maps = user_maps
            else:
                append((cpumode, ip, None, None, None))
                continue
            # (the version is read for every frame: loading the kernel changes its maps)
            f = frames_get((maps.serial, maps.version, ip))
            if f is None:
                f = self.frame(maps, maps is kernel_maps, ip)
            dso = f[1]
            if dso is None:
                append((cpumode, ip, f, None, None))
                continue
            if self.armed:
                append((cpumode, ip, f, dso, self.find(dso, f[2])))
                continue
            sym = f[3]
            addr = f[2]
            if sym is None:
                extra = unknown.get(id(dso))
                if extra is not None:
                    sym = extra.get(addr)
            last = f[4]
            last[0] = addr
            last[1] = sym
            if touched is not None:
                touched.append(last)
                if sym is None:
                    misses.append((id(dso), addr))
            append((cpumode, ip, f, dso, sym))
        return out

    # ------------------------------------------------------------ lookups

    def find(self, dso, addr):
        """perf's dso__find_symbol, including the "unknown" symbols db-export added, and
        its one-entry cache: the same address as the last lookup gives the same symbol."""
        if self.pending:
            self._settle()
        key = id(dso)
        last = self._entry(dso)
        if self.touched is not None:
            self.touched.append(last)
            if key in self.armed:
                self.tainted = True
        if last[0] == addr and last[1] is not None:
            return last[1]
        sym = self.symbol_at(dso, addr)
        last[0] = addr
        last[1] = sym
        if self.armed:
            self.armed.discard(key)
        if sym is None and self.touched is not None:
            # an "unknown" symbol added here later would change this answer
            self.misses.append((key, addr))
        return sym

    def symbol_at(self, dso, addr):
        """The symbol at addr, from the dso or the "unknown" ones added to it."""
        sym = dso.table.find(addr)
        if sym is None:
            extra = self.unknown.get(id(dso))
            if extra is not None:
                sym = extra.get(addr)
        return sym

    def add_unknown(self, dso, addr):
        """A new "unknown" symbol added to the dso; as in perf, a second one at the same
        address is added too (an address resolved before the first existed), and lookups
        keep finding the first."""
        if self.pending:
            self._settle()
        sym = Symbol(addr, addr, 0, "unknown")
        self.unknown.setdefault(id(dso), {}).setdefault(addr, sym)
        self.added += 1
        # perf's insertion refreshes the lookup cache when its address is at or above a
        # zero-length symbol, whichever address that was: the next lookup of that
        # address finds this symbol
        self.tainted = True
        last = self.last_find.get(id(dso))
        if last is not None and last[0] >= addr:
            last[1] = sym
            if self.symbol_at(dso, last[0]) is not sym:
                self.armed.add(id(dso))
        return sym

    # ------------------------------------------------------------ records

    def record(self):
        """Start recording the lookups of one resolution."""
        if self.pending:
            self._settle()
        self.touched, self.misses, self.tainted = [], [], False

    def recorded(self):
        """Stop recording: [the entries left, flat: entry, address, symbol, ...; the
        lookups that found nothing; the count of "unknown" symbols then], or None when
        the resolution cannot be replayed."""
        touched, misses = self.touched, self.misses
        self.touched = self.misses = None
        if self.tainted:
            return None
        lasts = []
        seen = set()
        for last in touched:
            if id(last) not in seen:
                seen.add(id(last))
                lasts += (last, last[0], last[1])
        return [tuple(lasts), tuple(misses), self.added]

    def replay(self, rec):
        """Replay a recorded resolution (its entries are set before the next lookup);
        False (nothing done) when its answers may differ now."""
        if not self.armed and rec[2] == self.added:
            pending = self.pending
            pending.append(rec[0])
            if len(pending) >= PENDING_LIMIT:
                self._settle()
            return True
        self._settle()
        lasts = rec[0]
        armed = self.armed
        if armed and any(id(lasts[i][2]) in armed for i in range(0, len(lasts), 3)):
            return False
        if rec[2] != self.added:
            # "unknown" symbols were added since: one where it found nothing?
            unknown = self.unknown
            if any(a in unknown.get(k, ()) for k, a in rec[1]):
                return False
            rec[2] = self.added
        self.pending.append(lasts)
        return True

    def _settle(self):
        """Set the entries of the replays not applied yet."""
        for lasts in self.pending:
            it = iter(lasts)
            for last, addr, sym in zip(it, it, it):
                last[0] = addr
                last[1] = sym
        self.pending.clear()
