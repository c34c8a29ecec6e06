"""perf's time ordering of records: queue by timestamp, release at FINISHED_ROUND.

perf holds timestamped kernel records back and, at each FINISHED_ROUND, releases those
not newer than the largest timestamp seen before the *previous* round marker, so a
round's records come out at the next marker. Equal timestamps keep file order. Records
older than the last released one are still delivered ("out of order") and counted.

Records arrive nearly sorted (one sorted run per CPU buffer), so a stable sort of the
pending list at each round is cheaper than a heap operation per record.
"""

from bisect import bisect_right
from operator import itemgetter

import numpy as np

_by_time = itemgetter(0)


class OrderedQueue:
    """Stable time-ordered queue with perf's round-flush rule."""

    def __init__(self):
        self.pending = []       # items whose [0] is the timestamp, in arrival order
        self.next_flush = 0
        self.max_timestamp = 0
        self.last_flush = 0
        self.out_of_order = 0

    def __len__(self):
        return len(self.pending)

    def push(self, item):
        """Queue `item`, a tuple whose first element is its timestamp."""
        timestamp = item[0]
        if timestamp < self.last_flush:
            self.out_of_order += 1
        if timestamp > self.max_timestamp:
            self.max_timestamp = timestamp
        self.pending.append(item)

    def _release(self, limit):
        pending = self.pending
        if not pending:
            return []
        pending.sort(key=_by_time)
        if limit is None or pending[-1][0] <= limit:
            out = pending[:]
            pending.clear()
        else:
            cut = bisect_right(pending, limit, key=_by_time)
            out = pending[:cut]
            del pending[:cut]
        if out:
            self.last_flush = out[-1][0]
        return out

    def finished_round(self):
        """Items released by a FINISHED_ROUND record, in time order."""
        out = self._release(self.next_flush)
        self.next_flush = self.max_timestamp
        return out

    def drain(self):
        """Everything still queued, at the end of the input."""
        return self._release(None)


def in_slice(time_slice, ts):
    """Is a sample at time `ts` in the slice (lo, hi) a parallel worker prints?"""
    return time_slice[0] <= ts < time_slice[1]


def slice_mask(time_slice, ts):
    """in_slice over a NumPy column of times."""
    lo, hi = time_slice
    mask = ts >= np.uint64(lo)
    if hi < 1 << 64:
        mask &= ts < np.uint64(hi)
    return mask
