"""output/frame_lines.py: a segment's callchains resolved column-wise print as the
per-record walk (perfdata.callchain.chain_entries, then one line per frame) prints them,
for chains with every kind of context marker, addresses out of each space's range, and
--max-stack cuts; the rows it cannot print it hands back."""

import random

import numpy as np
import pytest

from perfscript.output.frame_lines import FrameLines
from perfscript.perfdata import constants as C
from perfscript.perfdata.callchain import CONTEXT_HV, CONTEXT_KERNEL, CONTEXT_USER, chain_entries
from perfscript.session.maps import Maps


class _Session:
    def __init__(self):
        self.kernel_maps = Maps()


class _Printer:
    """Frames print their mode, address and (user frames) their space's maps."""

    def __init__(self):
        self.session = _Session()
        self.looked_up = 0

    def _where(self, thread, cpumode, ip, f, keep=True):
        self.looked_up += 1
        space = "" if cpumode == C.MISC_KERNEL else " s%d" % thread.maps.serial
        return ip + 1, " m%d%s f%d" % (cpumode, space, f)


class _Thread:
    def __init__(self, maps):
        self.maps = maps


def _reference(printer, ips, thread, limit):
    entries = chain_entries(ips, limit)
    out = []
    for mode, ip in entries or ():
        addr, text = printer._where(thread, mode, ip, 7)
        out.append("\t%16x%s\n" % (addr, text))
    return "".join(out)


def _chain(rng):
    kernel = [0xffffffff81000000 + rng.randrange(64) * 16 for _ in range(rng.randrange(6))]
    user = [0x400000 + rng.randrange(64) * 16 for _ in range(rng.randrange(8))]
    odd = rng.random()
    if odd < 0.05:
        user.append(0xffffffffff600000)             # vsyscall page: above 2**48
    elif odd < 0.1:
        kernel.insert(0, 0x1000)                    # a kernel-mode address below 2**63
    chain = []
    if kernel or rng.random() < 0.5:
        chain += [CONTEXT_KERNEL] + kernel
    if user or rng.random() < 0.5:
        chain += [CONTEXT_USER] + user
    r = rng.random()
    if r < 0.05:
        chain.insert(rng.randrange(len(chain) + 1), CONTEXT_HV)
    elif r < 0.1:
        chain.insert(rng.randrange(len(chain) + 1), (1 << 64) - 2048)   # a guest marker
    elif r < 0.15 and chain:
        chain = chain[1:]                           # user frames before any marker
    return tuple(chain)


@pytest.mark.parametrize("max_stack", [127, 4, 1, 0])
def test_rows_print_as_the_per_record_walk(max_stack):
    rng = random.Random(max_stack)
    printer = _Printer()
    lines = FrameLines(printer)
    spaces = [Maps() for _ in range(3)]
    threads = [_Thread(spaces[rng.randrange(3)]) for _ in range(400)]
    chains = [_chain(rng) for _ in threads]
    words = np.array([w for c in chains for w in c] + [0], dtype=np.uint64)
    nrs = np.array([len(c) for c in chains], dtype=np.int64)
    starts = np.cumsum(nrs) - nrs
    texts, odd = lines.chain_texts(7, words, starts, nrs, threads, max_stack)
    assert len(texts) == len(chains)
    odd = set(odd)
    assert len(odd) < len(chains)
    assert odd or not max_stack         # (with no frame printed, no marker is read)
    for i, (chain, thread) in enumerate(zip(chains, threads)):
        if i in odd:
            continue
        assert texts[i] == _reference(printer, chain, thread, max_stack), chain
    # every chain the walk discards, or with an address out of its space's range among the
    # frames printed, is handed back
    for i, chain in enumerate(chains):
        entries = chain_entries(chain, max_stack)
        out_of_range = entries is not None and any(
            (mode == C.MISC_KERNEL and ip < 1 << 63) or (mode == C.MISC_USER and ip >= 1 << 48)
            or mode == C.MISC_HYPERVISOR for mode, ip in entries)
        if entries is None or out_of_range:
            assert i in odd, chain


def test_frames_are_looked_up_once_per_space():
    printer = _Printer()
    lines = FrameLines(printer)
    maps = Maps()
    chain = (CONTEXT_KERNEL, 0xffffffff81000010, CONTEXT_USER, 0x400010, 0x400020)
    threads = [_Thread(maps) for _ in range(50)]
    words = np.array(chain * 50, dtype=np.uint64)
    nrs = np.full(50, len(chain), dtype=np.int64)
    starts = np.arange(50, dtype=np.int64) * len(chain)
    texts, odd = lines.chain_texts(7, words, starts, nrs, threads, 127)
    assert not odd and len(set(texts)) == 1
    assert printer.looked_up == 3
    maps.version += 1               # the space changed (an mmap): user frames again
    lines.chain_texts(7, words, starts, nrs, threads, 127)
    assert printer.looked_up == 5


def test_kept_lines_dropped_past_their_limits(monkeypatch):
    """Past MAX_FRAMES lines everything kept is dropped, space numbers too, between one
    segment and the next: the lines stay right."""
    from perfscript.output import frame_lines
    monkeypatch.setattr(frame_lines, "MAX_FRAMES", 5)
    rng = random.Random(1)
    printer = _Printer()
    lines = FrameLines(printer)
    spaces = [Maps() for _ in range(4)]
    for _ in range(6):
        threads = [_Thread(spaces[rng.randrange(4)]) for _ in range(30)]
        chains = [_chain(rng) for _ in threads]
        words = np.array([w for c in chains for w in c] + [0], dtype=np.uint64)
        nrs = np.array([len(c) for c in chains], dtype=np.int64)
        starts = np.cumsum(nrs) - nrs
        texts, odd = lines.chain_texts(7, words, starts, nrs, threads, 127)
        for i, (chain, thread) in enumerate(zip(chains, threads)):
            if i not in odd:
                assert texts[i] == _reference(printer, chain, thread, 127)
        ips = np.array([0xffffffff81000000 + 16 * i for i in range(30)], dtype=np.uint64)
        modes = np.full(30, C.MISC_KERNEL, dtype=np.int64)
        modes[::2] = C.MISC_USER
        ips[::2] = 0x400000
        got, odd = lines.ip_texts(7, ips, modes, threads)
        assert not odd
        for ip, mode, thread, text in zip(ips.tolist(), modes.tolist(), threads, got):
            assert text == " %16x%s" % (ip, printer._where(thread, mode, ip, 7)[1])
