"""Every record of a trace.dat's top buffer as NumPy arrays, in trace-cmd's order:
stream.records() read column-wise, for consumers that want columns (perfscript.frames).

The CPUs' pages are walked by pagewalk (no Python per record), timestamps adjusted as
stream.timestamp_adjuster does, and the CPUs merged as heapq.merge merges them. A CPU
whose timestamps go backwards keeps its file order in a heap merge: sorting by each
CPU's running maximum of its timestamps (stable, CPUs in table order) gives the same
order as the merge, in one argsort."""

from typing import NamedTuple

import numpy as np

from .pagewalk import walk_pages
from .reader import TraceDatError
from .sections import compressed_pages

_U64 = (1 << 64) - 1


class RecordArrays(NamedTuple):
    """Record i is blob[start[i]:start[i]+size[i]], read on cpu[i] at ts[i]."""

    ts: np.ndarray       # uint64, after trace-cmd's adjustments
    cpu: np.ndarray      # int32: the CPU id
    start: np.ndarray    # int64: payload offset in blob
    size: np.ndarray     # int64: payload size
    missed: np.ndarray   # int64: events lost before this one (-1: unknown number)
    blob: np.ndarray     # uint8: the mapped file, or the decompressed data


def adjust_timestamps(tdat, ts):
    """stream.timestamp_adjuster's arithmetic over a uint64 array (64-bit wrap)."""
    mult, shift = tdat.options.tsc_mult, tdat.options.tsc_shift
    offset = tdat.options.ts_offset
    if mult:
        low = ts & np.uint64(0xFFFFFFFF)
        high = ts >> np.uint64(32)
        out = (low * np.uint64(mult)) >> np.uint64(shift)
        hi = high * np.uint64(mult)
        if shift <= 32:
            hi = hi << np.uint64(32 - shift)
        else:
            hi = hi >> np.uint64(shift - 32)
        ts = out + np.where(high != 0, hi, np.uint64(0))
    if offset:
        ts = ts + np.uint64(offset & _U64)
    return ts


def merge_order(streams):
    """The permutation of the concatenated uint64 `streams` that heapq.merge gives
    when merging them keyed by (value, stream index)."""
    return np.argsort(np.concatenate([np.maximum.accumulate(s) for s in streams]),
                      kind="stable")


def _pages(start, size, page_size):
    starts = np.arange(start, start + size, page_size, dtype=np.int64)
    return starts, np.minimum(starts + page_size, start + size)


def record_arrays(tdat, progress=None):
    """RecordArrays of the top buffer (empty for a latency-format file).
    `progress(done, total)` is called after each CPU."""
    commit = tdat.meta.commit_size or tdat.long_size
    walk = [[] for _ in tdat.cpu_data]     # per CPU: (PageEvents, offset in blob)
    parts = []
    if tdat.compressed_data:
        base = 0
        for index, data in enumerate(tdat.cpu_data):
            # all of a CPU's chunks walked at once: the walk's Python steps follow the
            # fullest page, not the number of chunks
            chunks, failure = [], None
            try:
                for chunk in compressed_pages(tdat.buf, tdat.path, tdat.big_endian, data,
                                              tdat.page_size, tdat.decompressor):
                    chunks.append(np.frombuffer(chunk, np.uint8))
            except TraceDatError as exc:
                failure = exc       # raised after the pages before it, as walked in turn
            buf = np.concatenate(chunks) if chunks else np.zeros(0, np.uint8)
            starts, ends = _pages(0, len(buf), tdat.page_size)
            ev = walk_pages(buf, starts, ends, np.full(len(starts), data.offset),
                            tdat.big_endian, commit, tdat.path)
            if failure is not None:
                raise failure
            walk[index].append((ev, base))
            parts.append(buf)
            base += len(buf)
            if progress:
                progress(index + 1, len(tdat.cpu_data))
        blob = np.concatenate(parts) if parts else np.zeros(0, np.uint8)
    else:
        blob = np.frombuffer(tdat.buf, np.uint8)
        for index, data in enumerate(tdat.cpu_data):
            starts, ends = _pages(data.offset, data.size, tdat.page_size)
            ev = walk_pages(blob, starts, ends, starts, tdat.big_endian, commit, tdat.path)
            walk[index].append((ev, 0))
            if progress:
                progress(index + 1, len(tdat.cpu_data))
    ts, cpus, start, size, missed = [], [], [], [], []
    for data, evs in zip(tdat.cpu_data, walk):     # the table's order, as records()
        if not evs:
            continue
        t = adjust_timestamps(tdat, np.concatenate([ev.ts for ev, _ in evs]))
        ts.append(t)
        cpus.append(np.full(len(t), data.cpu, np.int32))
        start.append(np.concatenate([ev.start + base for ev, base in evs]))
        size.append(np.concatenate([ev.size for ev, _ in evs]))
        missed.append(np.concatenate([ev.missed for ev, _ in evs]))
    if not ts:
        none = np.zeros(0, np.int64)
        return RecordArrays(np.zeros(0, np.uint64), np.zeros(0, np.int32), none, none,
                            none, blob)
    order = merge_order(ts)
    return RecordArrays(np.concatenate(ts)[order], np.concatenate(cpus)[order],
                        np.concatenate(start)[order], np.concatenate(size)[order],
                        np.concatenate(missed)[order], blob)
