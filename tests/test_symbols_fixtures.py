"""Compare our resolution with what real perf 6.1 put in its script dicts, address by address.

The fixtures (tests/data/symbols/*.json.xz) come from make_fixture.py on recordings made on the
reference image; an entry is checked only when the files perf read are here with the same build
ids, so the test skips on other machines instead of failing.
"""

import glob
import json
import lzma
import os

import pytest

from perfscript.symbols import SymbolResolver
from perfscript.symbols.elffile import open_elf

DATA = os.path.join(os.path.dirname(__file__), "data", "symbols")
FIXTURES = sorted(glob.glob(os.path.join(DATA, "*.json.xz")))
KERNEL = "[kernel.kallsyms]"

_bid_cache = {}


def _file_bid(path):
    if path not in _bid_cache:
        img = open_elf(path) if os.path.isfile(path) else None
        _bid_cache[path] = img.build_id if img else None
    return _bid_cache[path]


def load(path):
    with lzma.open(path, "rt") as f:
        return json.load(f)


def available(resolver, ent):
    """Can this machine reproduce the entry (same files as on the recording machine)?"""
    dso = ent["dso"]
    if dso == KERNEL:
        return resolver.kallsyms_path(ent["bid"]) is not None and bool(ent["bid"])
    if dso.startswith("["):
        # a [vdso] without build id was symbolized with the recording machine's own vdso
        return (dso == "[vdso]" and bool(ent["bid"])
                and bool(resolver.dso(dso, ent["bid"]).table))
    if ent["map_start"] is None or ent["pgoff"] is None:
        return False
    return not ent["bid"] or _file_bid(dso) == ent["bid"]


def compare(fixture, resolver=None):
    """(checked, mismatches) for one fixture."""
    resolver = resolver or SymbolResolver()
    ref_reloc = tuple(fixture["ref_reloc"]) if fixture.get("ref_reloc") else None
    kernel_bid = next((e["bid"] for e in fixture["entries"] if e["dso"] == KERNEL and e["bid"]), None)
    checked = 0
    bad = []
    for ent in fixture["entries"]:
        if ent["dso"] == KERNEL and not ent["bid"]:
            ent = dict(ent, bid=kernel_bid or "")
        if not available(resolver, ent):
            continue
        checked += 1
        if ent["dso"] == KERNEL:
            dso = resolver.kernel(ent["bid"], ref_reloc)
            got = dso.find(ent["ip"])
            if ent["kind"] == "sample":
                ext = dso.map_extent(None, None)
                if ext != (ent["map_start"], ent["map_end"]):
                    bad.append((ent, "extent", ext))
        else:
            dso = resolver.dso(ent["dso"], ent["bid"] or None)
            got = dso.find(ent["ip"], ent["map_start"], ent["pgoff"])
            if ent["kind"] == "sample" and dso.build_id != ent["bid"]:
                bad.append((ent, "bid", dso.build_id))
        want_name = ent["symbol"]
        if got is None:
            if want_name is not None:
                bad.append((ent, None))
            continue
        sym, off = got
        if want_name is None or sym.name != want_name or off != ent["symoff"]:
            bad.append((ent, (sym, off)))
            continue
        if ent.get("sym") is not None and sym.as_dict() != ent["sym"]:
            bad.append((ent, sym.as_dict()))
    return checked, bad


@pytest.mark.parametrize("path", FIXTURES, ids=[os.path.basename(p) for p in FIXTURES])
def test_matches_perf(path):
    fixture = load(path)
    checked, bad = compare(fixture)
    if not checked:
        pytest.skip("none of the recorded files is on this machine with the same build id")
    assert not bad[:20], "%d of %d differ" % (len(bad), checked)


if __name__ == "__main__":
    import sys
    for p in sys.argv[1:]:
        n, bad = compare(load(p))
        print("%s: checked %d, %d differ" % (p, n, len(bad)))
        for b in bad[:30]:
            print("  ", b)
