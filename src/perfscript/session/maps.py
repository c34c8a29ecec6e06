"""A process's memory maps over time, with perf's rule that a new map cuts old ones."""

from bisect import bisect_right
from itertools import count


class Map:
    """One mapping of a dso (or anonymous memory) into an address space."""

    __slots__ = ("start", "end", "pgoff", "filename", "dso", "prot", "flags", "build_id",
                 "listed")

    def __init__(self, start, end, pgoff, filename, prot=0, flags=0, build_id=None):
        self.start = start
        self.end = end
        self.pgoff = pgoff
        self.filename = filename
        self.prot = prot
        self.flags = flags
        self.build_id = build_id
        self.listed = False     # the recording's build-id table names this file
        self.dso = None         # resolved lazily by the session's symbol layer

    def split(self, start, end):
        """The part of this map covering [start, end), file offset kept consistent."""
        m = Map(start, end, self.pgoff + (start - self.start), self.filename, self.prot,
                self.flags, self.build_id)
        m.dso = self.dso
        m.listed = self.listed
        return m

    def __repr__(self):
        return "Map(%#x-%#x %#x %s)" % (self.start, self.end, self.pgoff, self.filename)


class Maps:
    """Sorted, non-overlapping maps of one address space.

    `serial` names this address space for its lifetime and `version` counts its changes,
    so (serial, version) says "these exact maps" to caches of address lookups."""

    __slots__ = ("starts", "maps", "serial", "version")
    _serials = count(1)

    def __init__(self):
        self.starts = []
        self.maps = []
        self.serial = next(Maps._serials)
        self.version = 0

    def copy(self):
        other = Maps()
        other.starts = list(self.starts)
        other.maps = list(self.maps)
        return other

    def copy_from(self, other):
        """Take `other`'s maps (a forked process's address space), as a change."""
        self.starts = list(other.starts)
        self.maps = list(other.maps)
        self.version += 1

    def insert(self, new):
        """Add `new`, trimming or splitting every map it overlaps (perf's fixup)."""
        starts, maps = self.starts, self.maps
        i = bisect_right(starts, new.start) - 1
        if i < 0:
            i = 0
        keep_before, keep_after = [], []
        j = i
        while j < len(maps) and maps[j].start < new.end:
            old = maps[j]
            if old.end > new.start:
                if old.start < new.start:
                    keep_before.append(old.split(old.start, new.start))
                if old.end > new.end:
                    keep_after.append(old.split(new.end, old.end))
                j += 1
            else:
                keep_before.append(old)
                j += 1
        replacement = keep_before + [new] + keep_after
        maps[i:j] = replacement
        starts[i:j] = [m.start for m in replacement]
        self.version += 1

    def remove(self, m):
        for i, other in enumerate(self.maps):
            if other is m:
                del self.maps[i]
                del self.starts[i]
                self.version += 1
                return

    def find(self, addr):
        i = bisect_right(self.starts, addr) - 1
        if i >= 0:
            m = self.maps[i]
            if addr < m.end:
                return m
        return None

    def __iter__(self):
        return iter(self.maps)

    def __len__(self):
        return len(self.maps)


def space_key(thread, kernel_maps):
    """The address spaces a lookup for `thread` sees, as part of a cache key: its maps
    and the kernel's, each at its current version; None for a thread without maps."""
    maps = getattr(thread, "maps", None)
    if maps is None:
        return None
    return (maps.serial, maps.version, kernel_maps.version)


class LookupCache(dict):
    """Answers of address lookups that only depend on the address spaces (a callchain's
    frames, its printed lines): forgotten all at once past `limit` entries."""

    __slots__ = ("limit",)

    def __init__(self, limit=1 << 17):
        super().__init__()
        self.limit = limit

    def put(self, key, value):
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value
