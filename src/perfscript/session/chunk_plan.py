"""Where a recording can be cut into chunks that decode independently.

A mapped, uncompressed perf.data in file mode is a run of rounds (perf writes a
FINISHED_ROUND after each pass over its ring buffers). perf delivers records in time
order, holding a round's records back until the next marker, so records of
neighbouring rounds interleave. A marker is a clean cut when every timed record before
it is older than every timed record after it: then perf delivers all the records
before the cut before any after it, and the ones after see the state (threads, comms,
maps) the ones before left.

Planning reads the file twice, without decoding a sample: once for the times around
the markers (`clean_cuts`), once in perf's order for the side-band records (every
record but the samples) and how many records come before each cut. A chunk [start,
end) between two clean cuts then decodes alone (`Session.limit_to`): the side-band
records before `start` are applied first, in perf's order, then only the chunk's bytes
are read. Its rows are the ones the whole file's pass gives for its samples, with the
same `sample_seq`. perf delivers some records as soon as it reads them, out of the
time order (kernel records without a time, its own records other than FINISHED_ROUND):
such a record read in the round after a marker would come before records of the
round before it, so that marker is no cut. (By the next marker perf has delivered
every record older than the cut: the whole round before it.)
"""

import numpy as np

from perfscript.perfdata import constants as C

DEFAULT_CHUNK_BYTES = 256 << 20
_NO_TIME = np.uint64(0xFFFFFFFFFFFFFFFF)


class Chunk:
    """File bytes [start, end) of a recording's data section, decoded on their own:
    `seq0` records come before them in perf's order, and `replay` holds the side-band
    records among those as (file offsets, evsel indices) arrays, in that order.
    Plain values only, so it pickles to worker processes (Spark, Dask, a pool)."""

    __slots__ = ("path", "index", "count", "start", "end", "seq0", "replay_offsets",
                 "replay_evsels")

    def __init__(self, path, index, count, start, end, seq0=0, replay_offsets=(),
                 replay_evsels=()):
        self.path = path
        self.index = index          # this chunk's place among the file's `count`
        self.count = count
        self.start = start          # file offset of its first record
        self.end = end              # file offset after its last record
        self.seq0 = seq0
        self.replay_offsets = np.asarray(replay_offsets, dtype=np.int64)
        self.replay_evsels = np.asarray(replay_evsels, dtype=np.int64)

    @property
    def size(self):
        return self.end - self.start

    def replay(self):
        """(offset, evsel index) of each side-band record to apply first."""
        return zip(self.replay_offsets.tolist(), self.replay_evsels.tolist())

    def __getstate__(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state):
        for k, v in state.items():
            setattr(self, k, v)

    def __eq__(self, other):
        if not isinstance(other, Chunk):
            return NotImplemented
        return all(np.array_equal(getattr(self, k), getattr(other, k))
                   for k in self.__slots__)

    def __repr__(self):
        return "Chunk(%r, %d/%d, bytes %d..%d)" % (self.path, self.index + 1, self.count,
                                                  self.start, self.end)


class _SidebandIndex:
    """The planner's consumer of the ordered pass: per cut, how many records perf
    delivers before it, and the side-band records in delivery order."""

    sideband_types = frozenset()

    def __init__(self, cuts):
        self.cuts = np.array(cuts, dtype=np.int64)
        self.before = np.zeros(len(cuts), dtype=np.int64)
        self.offsets, self.evsels = [], []

    def prepare_evsel(self, ev):
        pass

    def sample_handler(self, ev):
        return None

    def feature(self, feat, value):
        pass

    def deliver_batch(self, batch):
        offs = batch.offs
        self.before += np.searchsorted(np.sort(offs), self.cuts)
        side = batch.types != C.RECORD_SAMPLE
        if side.any():
            self.offsets.append(offs[side])
            self.evsels.append(batch.evidx[side])

    def end(self):
        pass

    def sideband(self):
        if not self.offsets:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(self.offsets), np.concatenate(self.evsels)


def clean_cuts(session):
    """File offsets after FINISHED_ROUND markers where the recording can be cut (see
    the module's docstring), ascending; none for input that is not batched (pipe
    mode, compressed, unaligned)."""
    from perfscript.perfdata.records import RecordWalker
    from perfscript.session.batched import BatchedOrder, can_batch
    if not can_batch(session):
        return []
    session.queue = None
    order = BatchedOrder(session, None)
    walker = RecordWalker(session.pd, session.features)
    marks, lows, highs, tainted = [], [], [], []
    low, high = _NO_TIME, np.uint64(0)
    taint = False       # the open round has a record perf delivers as soon as read
    for item in walker.stretches():
        if type(item) is not tuple:
            _, _, ts = order.record_times(item)
            timed = (ts != 0) & (ts != _NO_TIME)
            t = ts[timed]
            if len(t):
                low, high = min(low, t.min()), max(high, t.max())
            taint = taint or len(t) < len(ts)
        elif item[0] == C.RECORD_FINISHED_ROUND:
            marks.append(item[3] + item[2])
            lows.append(low)
            highs.append(high)
            tainted.append(taint)
            low, high, taint = _NO_TIME, np.uint64(0), False
        else:
            taint = True
    if walker.trailing_garbage or session.pd.truncated_data is not None:
        return []
    if not marks:
        return []
    lows.append(low)
    tainted.append(taint)
    lows = np.array(lows, dtype=np.uint64)
    highs = np.array(highs, dtype=np.uint64)
    before = np.maximum.accumulate(highs)                  # up to each marker
    after = np.minimum.accumulate(lows[::-1])[::-1][1:]    # from each marker on
    # the records before a marker are all delivered by the next one: a record read
    # in between and delivered at once would come before some of them
    ok = (before < after) & ~np.array(tainted[1:], dtype=bool)
    return np.array(marks, dtype=np.int64)[ok].tolist()


def plan_chunks(path, chunk_bytes=DEFAULT_CHUNK_BYTES):
    """The chunks of recording `path`, each about `chunk_bytes` of its data section or
    more (a chunk ends at the first clean cut past that size), in file order; one
    chunk for the whole data section when the file has no clean cut there (pipe mode,
    compressed, few rounds)."""
    from perfscript.session.session import Session
    session = Session(path)
    try:
        pd = session.pd
        data_start, data_end = pd.data_offset, pd.data_offset + pd.data_size
        bounds = [data_start]
        if not pd.pipe and pd.data_size > chunk_bytes:
            for cut in clean_cuts(session):
                if cut - bounds[-1] >= chunk_bytes and cut < data_end:
                    bounds.append(cut)
    finally:
        _close(session)
    bounds.append(data_end)
    if len(bounds) == 2:
        return [Chunk(str(path), 0, 1, data_start, data_end)]
    session = Session(path)
    index = _SidebandIndex(bounds[1:-1])
    try:
        session.process(index)
    finally:
        _close(session)
    offsets, evsels = index.sideband()
    seq0 = [0] + index.before.tolist()
    count = len(bounds) - 1
    chunks = []
    for i, (a, b) in enumerate(zip(bounds, bounds[1:])):
        before = offsets < a
        chunks.append(Chunk(str(path), i, count, a, b, seq0[i], offsets[before],
                            evsels[before]))
    return chunks


def _close(session):
    if hasattr(session.pd, "close"):
        session.pd.close()
