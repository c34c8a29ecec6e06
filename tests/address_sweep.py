"""perf.data files that put one user-space sample at each chosen address of some mapped files.

Symbol lookup can then be compared with perf's address by address (``perf script -F
ip,sym,symoff,dso``): one process, one MMAP record per file (the whole file at page offset 0,
so a sample's file offset is ``ip - map start``), one cpu-clock sample per address.
"""

import struct

SAMPLE_IP, SAMPLE_TID, SAMPLE_TIME = 1 << 0, 1 << 1, 1 << 2
MISC_USER = 2
PID = 4242
MAP_STRIDE = 1 << 32       # each file mapped at its own 4 GiB slot


def _record(kind, misc, body):
    return struct.pack("<IHH", kind, misc, 8 + len(body)) + body


def _padded(name):
    raw = name.encode() + b"\0"
    return raw + bytes(-len(raw) % 8)


def map_start(index):
    """Where the ``index``-th file of a sweep is mapped."""
    return 0x7f0000000000 + index * MAP_STRIDE


def build_sweep(files):
    """perf.data bytes: ``files`` is [(path, size, [file offsets to sample])]."""
    attr = bytearray(64)
    struct.pack_into("<IIQQQQQ", attr, 0, 1, 64, 0, 1, SAMPLE_IP | SAMPLE_TID | SAMPLE_TIME,
                     0, 0)
    data = bytearray()
    data += _record(3, 0, struct.pack("<II", PID, PID) + _padded("sweep"))
    for index, (path, size, _) in enumerate(files):
        data += _record(1, MISC_USER, struct.pack("<IIQQQ", PID, PID, map_start(index),
                                                  (size + 4095) // 4096 * 4096, 0)
                        + _padded(path))
    time = 1000
    for index, (_, _, offsets) in enumerate(files):
        base = map_start(index)
        for off in offsets:
            time += 1
            data += _record(9, MISC_USER, struct.pack("<QIIQ", base + off, PID, PID, time))
    attrs_off = 104
    data_off = attrs_off + 80
    head = struct.pack("<8sQQQQQQQQ", b"PERFILE2", 104, 80, attrs_off, 80, data_off,
                       len(data), 0, 0) + bytes(32)
    return head + bytes(attr) + struct.pack("<QQ", 0, 0) + bytes(data)


def probe_offsets(symbols, limit=None):
    """File offsets worth sampling for a dso's symbols: each start and end and the addresses
    on either side, and every address of a run of overlapping symbols."""
    points = set()
    for sym in symbols:
        for edge in (sym.start, sym.end):
            points.update((edge - 1, edge, edge + 1))
    ordered = sorted(symbols, key=lambda s: s.start)
    reach = None
    lo = None
    for sym in ordered:
        end = max(sym.end, sym.start + 1)
        if reach is not None and sym.start < reach:
            points.update(range(lo, min(max(reach, end), lo + 65536)))
        else:
            lo = sym.start
        reach = end if reach is None or sym.start >= reach else max(reach, end)
    out = sorted(p for p in points if p >= 0)
    return out if limit is None else out[:limit]
