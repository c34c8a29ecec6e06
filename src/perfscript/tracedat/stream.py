"""Records of a trace.dat file in trace-cmd's order: each CPU's pages in turn, the
CPUs merged by timestamp (the earliest head first; on a tie the CPU listed first),
timestamps adjusted as trace-cmd does (TSC multiplier, DATE/OFFSET options)."""

import heapq
from typing import NamedTuple

from .ringbuffer import PageReader
from .sections import compressed_pages


class Record(NamedTuple):
    ts: int            # nanoseconds (or clock units), after trace-cmd's adjustments
    cpu: int           # the CPU id
    data: memoryview   # the event payload (common fields first)
    missed: int        # events lost before this one (-1: an unknown number)


def _mul_u64_u32_shr(value, mult, shift):
    """The kernel's mul_u64_u32_shr() as trace-cmd computes it (64-bit wrap)."""
    low, high = value & 0xFFFFFFFF, value >> 32
    out = (low * mult) >> shift
    if high:
        out += ((high * mult) << (32 - shift)) & ((1 << 64) - 1)
    return out & ((1 << 64) - 1)


def timestamp_adjuster(tdat):
    """fn(raw ts) -> ts, or None when trace-cmd would not change it."""
    mult, shift = tdat.options.tsc_mult, tdat.options.tsc_shift
    offset = tdat.options.ts_offset
    if not mult and not offset:
        return None

    def adjust(ts):
        if mult:
            ts = _mul_u64_u32_shr(ts, mult, shift)
        return (ts + offset) & ((1 << 64) - 1)
    return adjust


def cpu_pages(tdat, cpu_data):
    """Yield (file offset, page memoryview) for one CPU's data."""
    page_size = tdat.page_size
    if tdat.compressed_data:
        offset = cpu_data.offset
        for chunk in compressed_pages(tdat.buf, tdat.path, tdat.big_endian, cpu_data,
                                      page_size, tdat.decompressor):
            view = memoryview(chunk)
            for start in range(0, len(chunk), page_size):
                yield offset, view[start:start + page_size]
        return
    view = memoryview(tdat.buf)
    end = cpu_data.offset + cpu_data.size
    for start in range(cpu_data.offset, end, page_size):
        yield start, view[start:min(start + page_size, end)]


def cpu_records(tdat, index, reader=None):
    """Yield Records of the index-th CPU of the top buffer, in file order."""
    cpu_data = tdat.cpu_data[index]
    reader = reader or PageReader(tdat.big_endian, tdat.meta.commit_size or tdat.long_size,
                                  tdat.path)
    adjust = timestamp_adjuster(tdat)
    cpu = cpu_data.cpu
    for offset, page in cpu_pages(tdat, cpu_data):
        for ts, data, missed in reader.events(page, offset):
            yield Record(adjust(ts) if adjust else ts, cpu, data, missed)


def records(tdat):
    """All Records, merged across CPUs in timestamp order as trace-cmd reads them."""
    reader = PageReader(tdat.big_endian, tdat.meta.commit_size or tdat.long_size, tdat.path)
    streams = []
    for index in range(len(tdat.cpu_data)):
        streams.append(((rec.ts, index, rec) for rec in cpu_records(tdat, index, reader)))
    for _, _, rec in heapq.merge(*streams):
        yield rec
