"""The batch renderer (formats of plain numbers) gives the per-record renderer's texts."""

import glob
import os

import numpy as np
import pytest

from perfscript.ftrace.render import make_renderer
from perfscript.session.session import Session
from perfscript.session.consumer import Consumer

HERE = os.path.dirname(__file__)
FILES = sorted(glob.glob(os.path.join(HERE, "data", "recordings", "*.data")) +
               glob.glob(os.path.join(HERE, "..", "..", "shared", "corpus", "cases", "*",
                                      "perf.data")))


class Payloads(Consumer):
    def __init__(self):
        self.by_event = {}

    def sample(self, ev, s, thread):
        if ev.tp_format is not None:
            self.by_event.setdefault(ev.index, (ev, []))[1].append(s.raw)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.split("/")[-2] + "/" +
                         p.split("/")[-1])
def test_batch_texts_equal_per_record_texts(path):
    session = Session(path)
    got = Payloads()
    session.process(got, batched=False)
    checked = 0
    for ev, raws in got.by_event.values():
        render = make_renderer(ev.tp_format, long_size=session.tracing.long_size,
                               big_endian=session.tracing.big_endian,
                               printk=session.tracing.printk, parse_warnings=False)
        if render.batch is None:
            continue
        width = render.need
        block = np.zeros((len(raws), max(width, 1)), dtype=np.uint8)
        for i, raw in enumerate(raws):
            raw = raw[:width]
            block[i, :len(raw)] = np.frombuffer(raw, dtype=np.uint8)
        assert render.batch(block) == [render(raw) for raw in raws]
        checked += 1
    if "raw_syscalls" in path or "syscalls.data" in path:
        assert checked        # the plain-number formats are the ones this is for
