"""Tiny perf.data files written by the tests: one attr (TID|TIME, sample_id_all)."""

import struct

SAMPLE_TID, SAMPLE_TIME = 1 << 1, 1 << 2
SAMPLE_ID_ALL = 1 << 18


def build_perf_data(events):
    """events: ('s', time) sample, ('c', time) COMM, ('r',) FINISHED_ROUND,
    ('a', fmt, time, msg) AUXTRACE_ERROR, ('l', time, lost) LOST_SAMPLES,
    ('p', time, addr, old, new) TEXT_POKE, ('k', time, addr, len, flags, name) KSYMBOL,
    ('m', time, start, len, pgoff, name) a kernel MMAP (pid -1)."""
    attr = bytearray(64)
    struct.pack_into("<IIQQQQQ", attr, 0, 1, 64, 0, 1, SAMPLE_TID | SAMPLE_TIME, 0,
                     SAMPLE_ID_ALL)
    data = bytearray()
    for tid, ev in enumerate(events, start=1):
        if ev[0] == "s":
            data += struct.pack("<IHHIIQ", 9, 2, 24, 1, tid, ev[1])
        elif ev[0] == "c":
            data += struct.pack("<IHHII8sIIQ", 3, 0, 40, 1, tid, b"c%d" % tid, 1, tid, ev[1])
        elif ev[0] == "p":
            _, t, addr, old, new = ev
            body = struct.pack("<QHH", addr, len(old), len(new)) + old + new
            body += bytes(-len(body) % 8) + struct.pack("<IIQ", 1, tid, t)
            data += struct.pack("<IHH", 20, 1, 8 + len(body)) + body
        elif ev[0] == "k":
            _, t, addr, size, flags, name = ev
            body = struct.pack("<QIHH", addr, size, 1, flags) + name + b"\0"
            body += bytes(-len(body) % 8) + struct.pack("<IIQ", 1, tid, t)
            data += struct.pack("<IHH", 17, 0, 8 + len(body)) + body
        elif ev[0] == "m":
            _, t, start, size, pgoff, name = ev
            body = struct.pack("<iIQQQ", -1, 0, start, size, pgoff) + name + b"\0"
            body += bytes(-len(body) % 8) + struct.pack("<IIQ", 0xffffffff, 0xffffffff, t)
            data += struct.pack("<IHH", 1, 1, 8 + len(body)) + body
        elif ev[0] == "l":
            data += struct.pack("<IHHQIIQ", 13, 0, 32, ev[2], 1, tid, ev[1])
        elif ev[0] == "a":
            _, fmt, t, msg = ev
            body = struct.pack("<IIiiiIQ", 1, 2, 3, 4, 5, fmt, 0xffffffff81000000)
            if fmt:
                body += struct.pack("<Q", t)
            body += msg.ljust(64, b"\0") + struct.pack("<Ii", 7, 8)
            data += struct.pack("<IHH", 72, 1, 8 + len(body)) + body
        else:
            data += struct.pack("<IHH", 68, 0, 8)
    attrs_off = 104
    data_off = attrs_off + 80
    head = struct.pack("<8sQQQQQQQQ", b"PERFILE2", 104, 80, attrs_off, 80, data_off,
                       len(data), 0, 0) + bytes(32)
    return head + bytes(attr) + struct.pack("<QQ", 0, 0) + bytes(data)
