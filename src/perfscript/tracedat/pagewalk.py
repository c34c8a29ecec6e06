"""Ring-buffer pages walked as arrays: the format ringbuffer.py reads record by record,
read for many pages at once. Every page advances by one entry per step, in lockstep,
so Python runs once per step (at most the number of entries of the fullest page),
never once per record. Results and errors are those of PageReader.events()."""

from typing import NamedTuple

import numpy as np

from .reader import TraceDatError
from .ringbuffer import (
    COMMIT_MASK, MISSED_EVENTS, MISSED_STORED, PADDING, TIME_EXTEND, TIME_STAMP, TS_SHIFT,
)

_TS_MSB = np.uint64(0xF8 << 56)
_DELTA_MASK = np.uint64((1 << 27) - 1)


class PageEvents(NamedTuple):
    """The data events of the walked pages, in file order."""

    ts: np.ndarray       # uint64: raw timestamps (before trace-cmd's adjustments)
    start: np.ndarray    # int64: payload offset in the walked buffer
    size: np.ndarray     # int64: payload size
    missed: np.ndarray   # int64: events lost before this one (-1: unknown number)


def read_uint(buf, pos, size, big_endian):
    """The `size`-byte unsigned numbers at byte offsets `pos` of `buf` (uint64)."""
    out = np.zeros(len(pos), np.uint64)
    for k in range(size):
        shift = 8 * (size - 1 - k) if big_endian else 8 * k
        out |= buf[pos + k].astype(np.uint64) << np.uint64(shift)
    return out


class _Errors:
    """The first error of each page; the one of the earliest page is raised."""

    def __init__(self, path):
        self.path = path
        self.first = None

    def add(self, pages, message, offsets):
        if len(pages):
            k = int(np.argmin(pages))
            page = int(pages[k])
            if self.first is None or page < self.first[0]:
                self.first = (page, message(k), int(offsets[k]))

    def raise_first(self):
        if self.first is not None:
            _, message, offset = self.first
            raise TraceDatError(message, self.path, offset)


def walk_pages(buf, starts, ends, file_offsets, big_endian, commit_size, path):
    """PageEvents of the pages buf[starts[i]:ends[i]] (buf: a uint8 array). Offsets in
    errors are file_offsets[i] plus the offset within the page, as PageReader says."""
    starts = np.asarray(starts, np.int64)
    ends = np.asarray(ends, np.int64)
    file_offsets = np.asarray(file_offsets, np.int64)
    head = 16 if commit_size == 8 else 12
    errors = _Errors(path)
    short = np.flatnonzero(ends - starts < head)
    errors.add(short, lambda k: "ring-buffer page of %d bytes is shorter than its header"
               % (ends[short[k]] - starts[short[k]]), file_offsets[short])
    ok = np.flatnonzero(ends - starts >= head)
    data = starts + head
    ts = np.zeros(len(starts), np.uint64)
    flags = np.zeros(len(starts), np.uint64)
    ts[ok] = read_uint(buf, starts[ok], 8, big_endian)
    flags[ok] = read_uint(buf, starts[ok] + 8, commit_size, big_endian)
    commit = (flags & np.uint64(COMMIT_MASK)).astype(np.int64)
    end = data + commit
    over = ok[end[ok] > ends[ok]]
    errors.add(over, lambda k: "ring-buffer page commit %d exceeds the page (%d bytes)"
               % (commit[over[k]], ends[over[k]] - data[over[k]]), file_offsets[over] + 8)
    ok = ok[end[ok] <= ends[ok]]
    missed = np.zeros(len(starts), np.int64)
    lost = ok[(flags[ok] & np.uint64(MISSED_EVENTS)) != 0]
    missed[lost] = -1
    stored = lost[((flags[lost] & np.uint64(MISSED_STORED)) != 0)
                  & (end[lost] + commit_size <= ends[lost])]
    missed[stored] = read_uint(buf, end[stored], commit_size, big_endian).astype(np.int64)

    pos = data.copy()
    out = []
    act = ok[pos[ok] < end[ok]]
    while len(act):
        p, e, rel0 = pos[act], end[act], starts[act]
        alive = np.ones(len(act), bool)

        def fail(sub, at, text):
            """Pages act[sub] stop at an error at absolute position(s) `at`."""
            if len(sub):
                errors.add(act[sub], lambda k: text(k, int(at[k] - rel0[sub[k]]),
                                                    int(act[sub[k]])),
                           file_offsets[act[sub]] + at - rel0[sub])
                alive[sub] = False

        def past(what):
            return lambda k, rel, page: ("%s at page offset %d runs past the page's data "
                                         "(%d bytes)" % (what(k), rel, commit[page]))

        bad = np.flatnonzero(p + 4 > e)
        fail(bad, p[bad], past(lambda k: "event header"))
        word = np.zeros(len(act), np.uint64)
        ok_head = np.flatnonzero(alive)
        word[ok_head] = read_uint(buf, p[ok_head], 4, big_endian)
        if big_endian:
            type_len, delta = word >> np.uint64(27), word & _DELTA_MASK
        else:
            type_len, delta = word & np.uint64(31), word >> np.uint64(5)
        type_len[~alive] = PADDING + 99      # stopped pages match no kind below
        after = p + 4
        nxt = np.zeros(len(act), np.int64)

        pad = np.flatnonzero(type_len == PADDING)
        if len(pad):
            a = after[pad]
            has = a + 4 <= e[pad]
            length = e[pad] - a
            length[has] = read_uint(buf, a[has], 4, big_endian).astype(np.int64)
            ts[act[pad]] += delta[pad]
            nxt[pad] = a + length

        ext = np.flatnonzero((type_len == TIME_EXTEND) | (type_len == TIME_STAMP))
        if len(ext):
            cut = after[ext] + 4 > e[ext]
            bad = ext[cut]
            fail(bad, after[bad], past(lambda k: "time extend"))
            ext = ext[~cut]
            value = (read_uint(buf, after[ext], 4, big_endian) << np.uint64(TS_SHIFT)) \
                + delta[ext]
            pages = act[ext]
            stamp = type_len[ext] == TIME_STAMP
            ts[pages[stamp]] = value[stamp] | (ts[pages[stamp]] & _TS_MSB)
            ts[pages[~stamp]] += value[~stamp]
            nxt[ext] = after[ext] + 4

        length = type_len.astype(np.int64) * 4
        begin = after.copy()
        var = np.flatnonzero(type_len == 0)
        if len(var):
            cut = after[var] + 4 > e[var]
            bad = var[cut]
            fail(bad, after[bad], past(lambda k: "event length"))
            var = var[~cut]
            word_len = read_uint(buf, after[var], 4, big_endian).astype(np.int64)
            low = word_len < 4
            bad, low_len = var[low], word_len[low]
            fail(bad, after[bad], lambda k, rel, page: "event length word %d at page "
                 "offset %d is below 4" % (low_len[k], rel))
            length[var] = (word_len - 4 + 3) & ~3
            begin[var] = after[var] + 4

        dat = np.flatnonzero(alive & (type_len < PADDING))
        if len(dat):
            cut = begin[dat] + length[dat] > e[dat]
            bad, bad_len = dat[cut], length[dat[cut]]
            fail(bad, begin[bad], past(lambda k: "event of %d bytes" % bad_len[k]))
            dat = dat[~cut]
            pages = act[dat]
            ts[pages] += delta[dat]
            first = p[dat] == data[pages]
            out.append((pages, ts[pages], begin[dat], length[dat],
                        np.where(first, missed[pages], 0)))
            nxt[dat] = begin[dat] + length[dat]
        act, nxt = act[alive], nxt[alive]
        pos[act] = nxt
        act = act[nxt < end[act]]
    errors.raise_first()
    if not out:
        empty = np.zeros(0, np.int64)
        return PageEvents(np.zeros(0, np.uint64), empty, empty, empty)
    pages = np.concatenate([o[0] for o in out])
    order = np.argsort(pages, kind="stable")
    return PageEvents(*(np.concatenate([o[i] for o in out])[order] for i in range(1, 5)))
