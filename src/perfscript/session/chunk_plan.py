"""Where a recording can be cut into chunks that decode independently.

A mapped, uncompressed perf.data in file mode is a run of rounds (perf writes a
FINISHED_ROUND after each pass over its ring buffers). perf delivers records in time
order, holding a round's records back until the next marker, so records of
neighbouring rounds interleave. A marker is a clean cut when every timed record before
it is older than every timed record after it, and the round after it has no record
perf delivers as soon as it reads it (no time, or perf's own records other than
FINISHED_ROUND: such a record would come before records of the round before the
marker, which perf releases at the next one). Then perf delivers all the records
before the cut before any after it, and those after see the state (threads, comms,
maps) the ones before left.

Planning decodes no sample, and its one serial part reads a few KB:
1. cut: from each multiple of the chunk size, the next 8-byte word that reads as a
   FINISHED_ROUND record's header (a NumPy search) is a candidate;
2. index (`index_chunk`, one call per chunk, in parallel when given a pool's `map`):
   each chunk is walked and put in perf's order alone, giving its records' count, its
   side-band records (all but samples) in delivery order, its time range and whether
   its first round has a record delivered at once. A walk that does not end exactly at
   the chunk's end shows a candidate that was no record (a payload that looked like
   one); the first chunk starts at the data section, so by induction every cut kept is
   a record boundary;
3. check: a cut that is not clean, or that the walk before it did not end at, is
   dropped and the chunks around it are indexed again as one.

A chunk [start, end) then decodes alone (`Session.limit_to`): the side-band records of
the chunks before it are applied first, in perf's order, then only its bytes are read,
its ordering starting empty (perf holds nothing from before a clean cut once it
reaches the chunk's records). Its rows are the ones the whole file's pass gives for its
samples, with the same `sample_seq`.
"""

import struct

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


class ChunkIndex:
    """What indexing one chunk found (see the module's docstring, step 2)."""

    __slots__ = ("count", "side_offsets", "side_evsels", "low", "high", "head_tainted",
                 "exact")

    def __init__(self):
        self.count = 0              # records perf delivers from the chunk
        self.side_offsets, self.side_evsels = [], []
        self.low, self.high = None, None    # its timed records' first and last time
        self.head_tainted = False   # its first round has a record delivered at once
        self.exact = True           # its walk ended exactly at its end

    def deliver_batch(self, batch):
        self.count += len(batch)
        side = batch.types != C.RECORD_SAMPLE
        if side.any():
            self.side_offsets.append(batch.offs[side])
            self.side_evsels.append(batch.evidx[side])

    def sideband(self):
        if not self.side_offsets:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(self.side_offsets), np.concatenate(self.side_evsels)

    def __getstate__(self):
        offsets, evsels = self.sideband()
        return (self.count, offsets, evsels, self.low, self.high, self.head_tainted,
                self.exact)

    def __setstate__(self, state):
        (self.count, offsets, evsels, self.low, self.high, self.head_tainted,
         self.exact) = state
        self.side_offsets, self.side_evsels = [offsets], [evsels]


def index_chunk(chunk):
    """Step 2 for one chunk: a ChunkIndex (picklable, for worker processes)."""
    from perfscript.errors import PerfDataError
    from perfscript.perfdata.records import RecordWalker
    from perfscript.session.batched import BatchedOrder, release_freed_memory
    from perfscript.session.ordering import OrderedQueue
    from perfscript.session.session import Session
    index = ChunkIndex()
    session = Session(chunk.path)
    order = None
    try:
        session.limit_to(chunk.start, chunk.end)
        session.queue = OrderedQueue()
        order = BatchedOrder(session, index.deliver_batch)
        walker = RecordWalker(session.pd, session.features)
        low, high = _NO_TIME, np.uint64(0)
        head = True         # before the chunk's first marker
        try:
            for item in walker.stretches():
                if type(item) is not tuple:
                    _, _, ts = order.record_times(item)
                    timed = (ts != 0) & (ts != _NO_TIME)
                    t = ts[timed]
                    if len(t):
                        low, high = min(low, t.min()), max(high, t.max())
                    if head and len(t) < len(ts):
                        index.head_tainted = True
                    order.add_run(item)
                elif item[0] == C.RECORD_FINISHED_ROUND:
                    head = False
                    order.finished_round()
                else:
                    index.head_tainted = index.head_tainted or head
                    order.flush_window()
            order.drain()
        except PerfDataError:
            index.exact = False
        if walker.trailing_garbage or session.pd.truncated_data is not None:
            index.exact = False
        if high:
            index.low, index.high = int(low), int(high)
    finally:
        _close(session)
        del session, order
        release_freed_memory()      # a worker decodes chunks next
    return index


def _marker_after(session, off, end):
    """The offset after the first 8-aligned word at or after `off` (before `end`) that
    reads as a FINISHED_ROUND record's header, or None."""
    buf = session.pd.source.buf
    head = np.frombuffer(struct.pack(session.endian + "IHH", C.RECORD_FINISHED_ROUND, 0,
                                     8), np.uint64)[0]
    off += (-(off - session.pd.data_offset)) % 8
    step = 1 << 13
    while off < end:
        stop = min(end, off + step * 8)
        words = np.frombuffer(buf, np.uint64, (stop - off) // 8, off)
        hit = np.flatnonzero(words == head)
        if len(hit):
            return off + 8 * int(hit[0]) + 8
        off = stop
        step *= 2
    return None


def balanced_chunk_bytes(size, chunk_bytes, workers):
    """At most `chunk_bytes`, so that `size` bytes make a multiple of `workers` chunks:
    nine equal chunks on two workers finish when the fifth does, ten of them when the
    fifth of each worker does."""
    if workers <= 1 or size <= chunk_bytes:
        return chunk_bytes
    count = -(-size // chunk_bytes)
    count = -(-count // workers) * workers
    return -(-size // count)


def plan_chunks(path, chunk_bytes=DEFAULT_CHUNK_BYTES, map=map, workers=1):  # noqa: A002
    """The chunks of recording `path`, each about `chunk_bytes` of its data section, in
    file order, ready to decode (`seq0` and the replay set). `map` runs the per-chunk
    indexing (the builtin: in this process; a pool's map: in its workers). `workers`:
    the chunks are made smaller so as to be a multiple of that many (for the ones not
    merged). One chunk for the whole data section when the file cannot be cut (pipe
    mode, compressed, no clean cut)."""
    from perfscript.session.batched import can_batch
    from perfscript.session.session import Session
    session = Session(path)
    try:
        pd = session.pd
        data_start, data_end = pd.data_offset, pd.data_offset + pd.data_size
        bounds = [data_start]
        if not pd.pipe and pd.data_size > chunk_bytes and can_batch(session):
            chunk_bytes = balanced_chunk_bytes(pd.data_size, chunk_bytes, workers)
            # each cut is the first marker at or past a multiple of chunk_bytes: the
            # chunks' sizes do not drift by a round each
            target = data_start + chunk_bytes
            while target < data_end:
                cut = _marker_after(session, target, data_end)
                if cut is None or cut >= data_end:
                    break
                bounds.append(cut)
                while target <= cut:
                    target += chunk_bytes
    finally:
        _close(session)
    bounds.append(data_end)
    if len(bounds) == 2:
        return [Chunk(str(path), 0, 1, data_start, data_end)]
    spans = list(zip(bounds, bounds[1:]))
    indexes = list(map(index_chunk, [Chunk(str(path), 0, 1, a, b) for a, b in spans]))
    while True:
        bad = _bad_cuts(indexes)
        if not bad:
            break
        k = bad[0]                  # merge chunks k-1 and k, index the merged one
        spans[k - 1:k + 1] = [(spans[k - 1][0], spans[k][1])]
        indexes[k - 1:k + 1] = [index_chunk(Chunk(str(path), 0, 1, *spans[k - 1]))]
    count = len(spans)
    chunks = []
    seq0 = 0
    offsets, evsels = [], []
    for i, ((a, b), ix) in enumerate(zip(spans, indexes)):
        chunks.append(Chunk(str(path), i, count, a, b, seq0,
                            np.concatenate(offsets) if offsets else (),
                            np.concatenate(evsels) if evsels else ()))
        seq0 += ix.count
        o, e = ix.sideband()
        offsets.append(o)
        evsels.append(e)
    return chunks


def _bad_cuts(indexes):
    """The cuts (k: between chunks k-1 and k) that are not clean, or not proven record
    boundaries (the walk of chunk k-1 did not end there), ascending."""
    bad = []
    highest = None
    for k, ix in enumerate(indexes):
        if k:
            after = [j.low for j in indexes[k:] if j.low is not None]
            clean = highest is None or not after or highest < min(after)
            if not (indexes[k - 1].exact and clean and not ix.head_tainted):
                bad.append(k)
        if ix.high is not None:
            highest = ix.high if highest is None else max(highest, ix.high)
    return bad


def _close(session):
    if hasattr(session.pd, "close"):
        session.pd.close()
