"""One recording cut into chunks that decode apart (session.chunk_plan,
frames.chunks): the chunks' rows, concatenated, are the whole file's, row for row."""

import os
import pickle

import pytest

pa = pytest.importorskip("pyarrow")

import perfscript  # noqa: E402
from perfscript.frames.chunks import (balanced_chunk_bytes, open_chunk,  # noqa: E402
                                      plan_chunks, read_chunk, read_tables)

HERE = os.path.dirname(os.path.abspath(__file__))
REC = os.path.join(HERE, "data", "recordings")
CHUNKS = os.path.join(REC, "chunks", "chunks.data")


def rows(table):
    """A table's rows with every column but the chunk-local stack ids."""
    cols = [c for c in table.column_names if c != "sample_stack_id"]
    return table.select(cols).to_pylist()


def whole(path):
    with perfscript.open(path) as t:
        return {n: t.table(n) for n in t.event_names}


def test_plan_covers_the_data_section():
    one = plan_chunks(CHUNKS, 1 << 30)
    assert len(one) == 1 and one[0].seq0 == 0 and len(one[0].replay_offsets) == 0
    chunks = plan_chunks(CHUNKS, 20000)
    assert len(chunks) >= 4
    assert chunks[0].start == one[0].start and chunks[-1].end == one[0].end
    for a, b in zip(chunks, chunks[1:]):
        assert a.end == b.start and b.size > 0
        assert a.seq0 < b.seq0
        assert len(a.replay_offsets) <= len(b.replay_offsets)
        assert (b.replay_offsets < b.start).all()
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert all(c.count == len(chunks) for c in chunks)
    assert pickle.loads(pickle.dumps(chunks[2])) == chunks[2]


@pytest.mark.parametrize("chunk_bytes", [1, 20000, 45000])
def test_chunks_are_the_whole_file_row_for_row(chunk_bytes):
    full = whole(CHUNKS)
    chunks = plan_chunks(CHUNKS, chunk_bytes)
    assert len(chunks) > 1
    parts = [read_chunk(c) for c in chunks]
    for name, table in full.items():
        got = []
        for part in parts:
            assert part[name].schema == table.schema
            got += rows(part[name])
        assert got == rows(table), name
        assert table.num_rows > 10


def test_events_of_a_chunk_and_its_threads():
    full = whole(CHUNKS)
    chunks = plan_chunks(CHUNKS, 20000)
    last = chunks[-1]
    with open_chunk(last, events=["sched:sched_switch"]) as t:
        assert t.event_names == ["sched:sched_switch"]
        mine = t.table("sched:sched_switch")
        first_seq = mine.column("sample_seq")[0].as_py()
        # the replayed side-band records leave the whole file's threads
        threads = t.derived("threads").to_pylist()
    want = [r for r in rows(full["sched:sched_switch"]) if r["sample_seq"] >= first_seq]
    assert rows(mine) == want
    with perfscript.open(CHUNKS) as t:
        assert threads == t.derived("threads").to_pylist()


def test_read_tables_in_worker_processes():
    full = whole(CHUNKS)
    got = read_tables(CHUNKS, workers=2, chunk_bytes=20000)
    assert set(got) == set(full)
    for name, table in full.items():
        assert rows(got[name]) == rows(table), name


@pytest.mark.parametrize("size,most,workers,want", [
    (9 * 256, 256, 2, 9 * 256 // 10 + 1),   # nine would leave a worker idle at the end
    (8 * 256, 256, 2, 256),                 # eight already are even
    (9 * 256, 256, 1, 256),
    (100, 256, 2, 256),                     # one chunk: nothing to balance
    (1000, 256, 3, 167),                    # four -> six
])
def test_chunks_are_made_a_multiple_of_the_workers(size, most, workers, want):
    got = balanced_chunk_bytes(size, most, workers)
    assert got == want and got <= most
    count = -(-size // got)
    assert size <= most or count % workers == 0


def test_balanced_chunks_of_a_real_file_even_out():
    """The cuts fall at the first marker past each multiple: balanced sizes give the
    planned number of chunks, not one more."""
    assert len(plan_chunks(CHUNKS, 20000)) == 5
    for workers in (2, 3):
        chunks = plan_chunks(CHUNKS, 20000, workers=workers)
        assert len(chunks) == 6, (workers, [c.size for c in chunks])
        assert max(c.size for c in chunks) < 20000


@pytest.mark.parametrize("name", ["pipe.data", "zstd.data", "sched.data"])
def test_files_without_cuts_are_one_chunk(name):
    path = os.path.join(REC, name)
    chunks = plan_chunks(path, 1)
    full = whole(path)
    if name != "sched.data":
        assert len(chunks) == 1
    parts = [read_chunk(c) for c in chunks]
    for ev, table in full.items():
        assert sum((rows(p[ev]) for p in parts), []) == rows(table)


def test_a_candidate_that_is_no_record_is_dropped(monkeypatch):
    """A word in a payload can read like a FINISHED_ROUND header: the walk of the chunk
    before does not end there, so the cut goes and the rows stay right."""
    from perfscript.session import chunk_plan
    real = chunk_plan._marker_after
    calls = []

    def off_by_eight(session, off, end):
        cut = real(session, off, end)
        calls.append(cut)
        return cut + 8 if cut is not None and len(calls) == 2 else cut
    monkeypatch.setattr(chunk_plan, "_marker_after", off_by_eight)
    chunks = plan_chunks(CHUNKS, 20000)
    bogus = calls[1] + 8
    assert bogus not in [c.start for c in chunks]
    full = whole(CHUNKS)
    parts = [read_chunk(c) for c in chunks]
    for name, table in full.items():
        assert sum((rows(p[name]) for p in parts), []) == rows(table), name


def test_cuts_that_are_not_clean_are_dropped():
    from perfscript.session.chunk_plan import ChunkIndex, _bad_cuts

    def ix(low, high, tainted=False, exact=True):
        i = ChunkIndex()
        i.low, i.high, i.head_tainted, i.exact = low, high, tainted, exact
        return i
    assert _bad_cuts([ix(1, 5), ix(6, 9), ix(10, 12)]) == []
    assert _bad_cuts([ix(1, 7), ix(6, 9), ix(10, 12)]) == [1]      # times overlap
    assert _bad_cuts([ix(1, 5), ix(6, 9, tainted=True), ix(10, 12)]) == [1]
    assert _bad_cuts([ix(1, 5, exact=False), ix(6, 9), ix(10, 12)]) == [1]
    assert _bad_cuts([ix(1, 5), ix(None, None), ix(10, 12)]) == []  # no timed record
    assert _bad_cuts([ix(1, 11), ix(6, 9), ix(10, 12)]) == [1, 2]   # later chunk older
