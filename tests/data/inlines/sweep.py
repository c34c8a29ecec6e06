"""Compares symbols.addr2line with binutils' addr2line on a file's interesting addresses:
every symbol's start, start+1, last byte and end, PLT entries, each allocated section's
start, middle and end, data symbols, and random addresses.  Two ways: ``seq`` asks one
addr2line process all of them in a shuffled order (as perf's long-running addr2line is
asked) against one Addr2line; ``fresh`` asks a sample one address per process against a
new Addr2line each.  Prints the figures and the first mismatches.

    PYTHONPATH=src python tests/data/inlines/sweep.py FILE [--random N] [--fresh N] [--seed S]
"""

import argparse
import random
import subprocess
import sys
import time

from perfscript.symbols.addr2line import Addr2line
from perfscript.symbols.elffile import SHF_ALLOC, SHT_DYNSYM, SHT_SYMTAB, open_elf

SHF_EXECINSTR = 0x4


def _symbol_images(path):
    """The file and the debug file addr2line would read, if any."""
    imgs = [open_elf(path)]
    debug = Addr2line(path).debug_path
    if debug:
        imgs.append(open_elf(debug))
    return imgs


def addresses(path, count, rnd):
    img = open_elf(path)
    secs = [s for s in img.sections if s.flags & SHF_ALLOC and s.size]
    out = set()
    for img2 in _symbol_images(path):
        for name, sht in ((".symtab", SHT_SYMTAB), (".dynsym", SHT_DYNSYM)):
            sec = img2.symtab(name, sht)
            if sec is None:
                continue
            for _, _, value, size, info, _, shndx in img2.iter_symbols(sec):
                if not value or shndx == 0 or shndx >= 0xFF00:
                    continue
                out.update((value, value + 1))
                if size:
                    out.update((value + size - 1, value + size))
    for s in secs:
        out.update((s.addr, s.addr + s.size // 2, s.addr + s.size - 1, s.addr + s.size))
        if s.name.startswith(".plt"):
            for a in range(s.addr, s.addr + s.size, 16):
                out.update((a, a + 6, a + 11))
    code = [s for s in secs if s.flags & SHF_EXECINSTR]
    weights = [s.size for s in code]
    for _ in range(count):
        s = rnd.choices(code, weights)[0] if rnd.random() < 0.9 else rnd.choice(secs)
        out.add(rnd.randrange(s.addr, s.addr + s.size))
    last = max(s.addr + s.size for s in secs)
    out.update((0, 1, last + 0x1000))
    return sorted(out)


def real(path, addrs):
    text = subprocess.run(["addr2line", "-i", "-f", "-a", "-e", path],
                          input="".join("%x\n" % a for a in addrs).encode(),
                          capture_output=True, check=True).stdout.decode("utf-8", "replace")
    out = []
    lines = text.split("\n")[:-1]
    i = 0
    while i < len(lines):
        if lines[i].startswith("0x") and len(lines[i]) == 18:
            out.append([])
            i += 1
            continue
        out[-1].append([lines[i], lines[i + 1]])
        i += 2
    return out


def mine(a2l, addr):
    recs = a2l.lookup(addr)
    if recs is None:
        return [["??", "??:0"]]
    return [list(r.lines()) for r in recs]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--random", type=int, default=3000)
    ap.add_argument("--fresh", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--show", type=int, default=8)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    addrs = addresses(args.file, args.random, rnd)
    rnd.shuffle(addrs)
    t = time.time()
    want = real(args.file, addrs)
    t_real = time.time() - t
    t = time.time()
    a2l = Addr2line(args.file)
    got = [mine(a2l, a) for a in addrs]
    t_mine = time.time() - t
    bad = [(hex(a), w, g) for a, w, g in zip(addrs, want, got) if w != g]
    print("%s: seq %d addresses, %d differ (addr2line %.1fs, ours %.1fs)"
          % (args.file, len(addrs), len(bad), t_real, t_mine))
    for b in bad[:args.show]:
        print("   ", b)
    sample = rnd.sample(addrs, min(args.fresh, len(addrs)))
    bad = []
    for a in sample:
        w = real(args.file, [a])[0]
        g = mine(Addr2line(args.file), a)
        if w != g:
            bad.append((hex(a), w, g))
    print("%s: fresh %d addresses, %d differ" % (args.file, len(sample), len(bad)))
    for b in bad[:args.show]:
        print("   ", b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
