"""Inlined-function frames: binutils 2.40 addr2line's answers computed from DWARF
(symbols.addr2line) and the entries perf 6.1 appends for a frame (symbols.inlines).

The committed test programs in tests/data/inlines (built by build.sh) come with what the
real addr2line printed for every address of their code (answers.json), so those checks
run anywhere.  Where addr2line and glibc's debug files are installed, libc's and ld.so's
answers are also compared live; and where the recording's libc is installed, the frames
perf printed for a --call-graph dwarf recording are rebuilt from its --no-inline output.
"""

import json
import os
import random
import shutil
import subprocess

import pytest

from conftest import first_difference
from perfscript.cli.options import parse_args
from perfscript.cli.exits import UsageError
from perfscript.session.session import Session
from perfscript.symbols import SymbolResolver, inlines
from perfscript.symbols.addr2line import Addr2line, Record
from perfscript.symbols.buildid import build_ids_equal
from perfscript.symbols.elffile import open_elf
from perfscript.symbols.inlines import inline_frames, inline_records, _strtoul
from perfscript.symbols.symbol import Symbol

HERE = os.path.join(os.path.dirname(__file__), "data", "inlines")
LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6"
LDSO = "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
LIBC_BID = "93ac61ec5a8eb1396f9fbd350e3169a558528a40"
LDSO_BID = "7ebc65e52f2bbea498b4040fa92f7238377aaba9"


def _answers():
    with open(os.path.join(HERE, "answers.json")) as f:
        return json.load(f)


def _mine(a2l, addr):
    recs = a2l.lookup(addr)
    if recs is None:
        return [["??", "??:0"]]
    return [list(r.lines()) for r in recs]


@pytest.mark.parametrize("name", ["inl", "inl-dwarf4", "inlcc", "inl-stripped"])
def test_saved_addr2line_answers(name):
    """Every address of the test binaries' code, asked in ascending order as the saved
    answers were: DWARF 5 and 4 (.debug_rnglists / .debug_ranges), C and C++ (mangled
    linkage names, `main` named from the symbol table), inline chains, the ??s; for inl
    and inl-stripped (DWARF and symbols in inl-stripped.debug, found through its
    .gnu_debuglink) every allocated address: data symbols named as variables."""
    runs = _answers()["binaries"][name]
    a2l = Addr2line(os.path.join(HERE, name))
    bad = []
    for start, records, count in runs:
        for addr in range(start, start + count):
            got = _mine(a2l, addr)
            if got != records:
                bad.append((hex(addr), records, got))
    assert not bad, bad[:5]


def test_saved_answers_cover_inline_chains():
    """The saved answers hold what the checks are about (so the test can fail)."""
    runs = _answers()["binaries"]["inl"]
    chains = [r[1] for r in runs if len(r[1]) >= 3]
    assert any([c[0] for c in ch] == ["square", "poly", "twice", "work"] for ch in chains)
    cc = _answers()["binaries"]["inlcc"]
    assert any(r[1][0][0] == "_ZN6shapes7clampitIdEET_S1_S1_S1_" for r in cc)
    assert any(r[1][0][0] == "main" for r in cc)


def _debug_file(build_id):
    path = "/usr/lib/debug/.build-id/%s/%s.debug" % (build_id[:2], build_id[2:])
    return path if os.path.isfile(path) else None


def _real_addr2line(path, addrs):
    out = subprocess.run(["addr2line", "-i", "-f", "-a", "-e", path],
                         input="".join("%x\n" % a for a in addrs).encode(),
                         capture_output=True, check=True).stdout.decode("utf-8", "replace")
    answers = []
    lines = out.split("\n")[:-1]
    i = 0
    while i < len(lines):
        if lines[i].startswith("0x") and len(lines[i]) == 18:
            answers.append([])
            i += 1
            continue
        answers[-1].append([lines[i], lines[i + 1]])
        i += 2
    return answers


def _addr2line_240():
    exe = shutil.which("addr2line")
    if exe is None:
        return False
    v = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout
    return " 2.40" in v.splitlines()[0]


def _interesting_addresses(path, count, rnd):
    """Random .text addresses, symbol starts (and the byte after), data symbols, PLT
    entries and every allocated section's middle, shuffled."""
    img = open_elf(path)
    text = img.section_by_name(".text")
    addrs = [rnd.randrange(text.addr, text.addr + text.size) for _ in range(count)]
    starts = set()
    imgs = [img]
    debug = Addr2line(path).debug_path
    if debug:
        imgs.append(open_elf(debug))
    for one in imgs:
        for name, sht in ((".symtab", 2), (".dynsym", 11)):
            sec = one.symtab(name, sht)
            if sec is not None:
                starts.update(v for _, _, v, _, _, _, shndx in one.iter_symbols(sec)
                              if v and 0 < shndx < 0xFF00)
    starts = sorted(starts)
    for v in rnd.sample(starts, min(count, len(starts))):
        addrs += [v, v + 1]
    for sec in img.sections:
        if sec.flags & 2 and sec.size:
            addrs.append(sec.addr + sec.size // 2)
            if sec.name.startswith(".plt"):
                addrs.extend(range(sec.addr, sec.addr + sec.size, 16))
    rnd.shuffle(addrs)
    return addrs


def _library(name, build_id):
    path = {"ld.so": LDSO, "libc": LIBC}[name]
    img = open_elf(path)
    return path if img is not None and img.build_id == build_id else None


@pytest.mark.parametrize("which,build_id,count", [
    ("debug", LDSO_BID, 1500), ("debug", LIBC_BID, 1500),
    ("ld.so", LDSO_BID, 1500), ("libc", LIBC_BID, 1500)])
def test_live_against_addr2line(which, build_id, count):
    """glibc's libraries (their DWARF and symbols read from the debug file libc6-dbg
    installs, found by build id) and those debug files themselves: random .text
    addresses, symbol starts, data symbols (looked up as variables), PLT entries, the
    middle of every section, asked of the real addr2line and of ours in the same order."""
    debug = _debug_file(build_id)
    path = debug if which == "debug" else _library(which, build_id)
    if debug is None or path is None or not _addr2line_240():
        pytest.skip("needs binutils 2.40's addr2line and glibc's debug file %s" % build_id)
    addrs = _interesting_addresses(path, count, random.Random(20261207))
    real = _real_addr2line(path, addrs)
    a2l = Addr2line(path)
    bad = []
    for addr, want in zip(addrs, real):
        got = _mine(a2l, addr)
        if got != want:
            bad.append((hex(addr), want, got))
    assert not bad, bad[:5]


def test_stripped_library_reads_its_debug_file():
    """ld.so without symbols or DWARF: addr2line reads both from the debug file its build
    id names, so _start (hand-written assembly) is named from that file's .symtab, with
    the empty STT_FILE name before it, not from ld.so's .dynsym (_dl_catch_error)."""
    if _library("ld.so", LDSO_BID) is None or _debug_file(LDSO_BID) is None:
        pytest.skip("needs the ld.so of build id %s and its debug file" % LDSO_BID)
    a2l = Addr2line(LDSO)
    assert a2l.debug_path == _debug_file(LDSO_BID)
    assert _mine(a2l, 0x1ab76) == [["_start", ":?"]]


class _Dso:
    """The parts of a user Dso inline_frames reads."""

    kernel = False

    def __init__(self, path, symtab_file=None):
        self.long_name = path
        self.symtab_file = symtab_file
        self.runtime = path


def test_inline_frames_entries():
    """perf's entries for a frame inside work(): square/poly/twice made-up symbols
    spanning work's range, then work itself, each with basename:line."""
    path = os.path.join(HERE, "inl")
    work = next(r for r in _answers()["binaries"]["inl"]
                if [c[0] for c in r[1]] == ["square", "poly", "twice", "work"])
    addr = work[0]
    img = open_elf(path)
    text = img.section_by_name(".text")
    delta = text.addr - text.offset
    sym = Symbol(0x12a0, 0x1361, 1, "work")
    frames = inline_frames(_Dso(path), sym, addr - delta)
    assert [f.name for f in frames] == ["square", "poly", "twice", "work"]
    assert [f.inlined for f in frames] == [True, True, True, False]
    lines = [rec[1].rsplit("/", 1)[1] for rec in work[1]]
    assert [f.srcline for f in frames] == lines
    full = inline_frames(_Dso(path), sym, addr - delta, full_path=True)
    assert full[0].srcline == work[1][0][1]
    # a symbol of another name (perf's alias) makes every entry a made-up one
    other = inline_frames(_Dso(path), Symbol(0x12a0, 0x1361, 1, "work.part.0"), addr - delta)
    assert all(f.inlined for f in other)


def test_inline_frames_plain_frame_cases(tmp_path):
    """No symbol, a kernel dso, perf's map files, ??:0: the plain frame.  Without DWARF
    perf still asks addr2line, which names the function from the symbol table."""
    path = os.path.join(HERE, "inl")
    sym = Symbol(0x12a0, 0x1361, 1, "work")
    assert inline_frames(_Dso(path), None, 0x12b0) is None
    stripped = tmp_path / "inl-stripped"
    shutil.copy(path, stripped)
    if shutil.which("strip"):
        subprocess.run(["strip", "--strip-debug", str(stripped)], check=True)
        assert inline_frames(_Dso(str(stripped)), sym, 0x12b0) == (("work", False, "??:0"),)
        alias = Symbol(0x12a0, 0x1361, 1, "work_alias")
        assert inline_frames(_Dso(str(stripped)), alias, 0x12b0) == (("work", True, "??:0"),)
    kdso = _Dso(path)
    kdso.kernel = True
    assert inline_frames(kdso, sym, 0x12b0) is None
    assert inline_frames(_Dso("[vdso]"), sym, 0x12b0) is None
    assert inline_frames(_Dso("/tmp/perf-1.map"), sym, 0x12b0) is None
    assert inline_records(path, 0x20) is None           # addr2line: ??/??:0
    # addr2line is given the file the symbols' .symtab came from (the debug file when
    # there is one), else the dso's own path
    assert inline_frames(_Dso("/nonexistent", symtab_file=path), sym, 0x12b0) is not None
    assert inline_frames(_Dso("/nonexistent"), sym, 0x12b0) is None


def test_strtoul_as_perf_reads_lines():
    assert _strtoul("12") == 12
    assert _strtoul("12 (discriminator 3)") == 12
    assert _strtoul("?") == 0
    assert _strtoul("010") == 8


def test_inline_options():
    assert parse_args([])["inline"] is True
    assert parse_args(["--no-inline"])["inline"] is False
    assert parse_args(["--no-inline", "--inline"])["inline"] is True
    with pytest.raises(UsageError):
        parse_args(["--inline=1"])


def _installed(path, build_id):
    img = open_elf(path)
    return img is not None and img.build_id == build_id and _debug_file(build_id)


PROGRAMS = {"dwarf": "inl", "asm": "nodbg"}     # recording -> its program in HERE


def _place_program(recording):
    """The recordings name /tmp/perfscript-inl/PROGRAM: put the committed one there."""
    name = PROGRAMS[recording]
    prog = "/tmp/perfscript-inl/" + name
    if not os.path.isfile(prog) or open(prog, "rb").read() != \
            open(os.path.join(HERE, name), "rb").read():
        os.makedirs(os.path.dirname(prog), exist_ok=True)
        shutil.copy(os.path.join(HERE, name), prog)


def _skip_unless_recorded_system(recording):
    """The recordings' libc and ld.so (with their debug files), and any other system
    file they name, must be this machine's."""
    if not (_installed(LIBC, LIBC_BID) and _installed(LDSO, LDSO_BID)):
        pytest.skip("needs the recording's libc and ld.so with their debug files")
    session = Session(os.path.join(HERE, recording + ".data"))
    for path, bid in session.build_ids.items():
        if path.startswith("/usr/"):
            img = open_elf(path)
            if img is None or not build_ids_equal(bid, img.build_id or ""):
                pytest.skip("not the recorded %s" % path)


@pytest.mark.parametrize("recording", ["dwarf", "asm"])
def test_dwarf_recording_frames_rebuilt(recording):
    """perf's --call-graph dwarf output with inlines (X.script.out) from its --no-inline
    output (X.noinline.out): every plain frame line replaced by the entries inline_frames
    gives, printed as perf prints them."""
    _skip_unless_recorded_system(recording)
    _place_program(recording)
    resolver = SymbolResolver()
    with open(os.path.join(HERE, recording + ".noinline.out")) as f:
        plain = f.read().split("\n")
    with open(os.path.join(HERE, recording + ".script.out")) as f:
        want = f.read()
    out = []
    for line in plain:
        parts = line.split()
        if not line.startswith("\t") or len(parts) != 3 or not parts[2].startswith("(/"):
            out.append(line)
            continue
        addr = int(parts[0], 16)
        path = parts[2][1:-1]
        dso = resolver.dso(path)
        found = dso.find(addr)
        frames = inline_frames(dso, found[0], addr) if found else None
        if not frames:
            out.append(line)
            continue
        off = parts[1].rsplit("+", 1)[1]
        for fr in frames:
            tail = " (inlined)" if fr.inlined else " (%s)" % path
            out.append("\t%16x %s+%s%s" % (addr, fr.name, off, tail))
    assert "\n".join(out) == want


@pytest.mark.parametrize("recording,options,expected", [
    ("dwarf", [], "dwarf.chaindump.out"),
    ("dwarf", ["--no-inline"], "dwarf.chaindump.noinline.out"),
    ("asm", [], "asm.chaindump.out")])
def test_dwarf_recording_script_callchains(recording, options, expected, perfscript):
    """The callchain dicts perf hands a script (chaindump.py) for the recordings: each
    inlined entry's sym_srcline as perf builds it from addr2line's record: "work" /
    "nodbg.c:?" gives nodbg.c:0, crt1's "_start" / "??:?" gives ??:0, and ld.so's
    hand-written "_start" / ":?" (an empty STT_FILE name) gives ":0", which perf leaves
    out of the dict."""
    _skip_unless_recorded_system(recording)
    _place_program(recording)
    p = perfscript(["-i", os.path.join(HERE, recording + ".data")] + options
                   + ["-s", os.path.join(HERE, "chaindump.py")])
    with open(os.path.join(HERE, expected), "rb") as f:
        want = f.read()
    assert p.returncode == 0, p.stderr.decode("utf-8", "replace")[-2000:]
    assert p.stdout == want, first_difference(p.stdout, want)


def test_asm_recording_has_each_srcline_shape():
    """asm.chaindump.out holds the addr2line answer shapes the test is about."""
    with open(os.path.join(HERE, "asm.chaindump.out")) as f:
        text = f.read()
    assert " _start off=7 srcline=None dso=%s keys=dso,ip,sym,sym_off\n" % LDSO in text
    assert " work off=" in text and "srcline=nodbg.c:0 dso=/tmp/perfscript-inl/nodbg" in text
    assert " _start off=32 srcline=??:0 dso=/tmp/perfscript-inl/nodbg" in text


class _Answers:
    """An Addr2line answering fixed records."""

    exists = True

    def __init__(self, records):
        self.records = records

    def lookup(self, pc):
        return self.records


@pytest.mark.parametrize("record,entry", [
    (Record("_start", "", 0), ("_start", False, None)),            # ":?" -> ":0": no key
    (Record("_start", None, 0), ("_start", False, "??:0")),        # "??:?"
    (Record("work", "nodbg.c", 0), ("work", False, "nodbg.c:0")),  # "nodbg.c:?"
    (Record("work", "/s/inl.c", 12, 3), ("work", False, "inl.c:12")),
    (Record("work", "/s:x/f.c", 12), ("work", False, "s:0")),      # split at the first colon
    (Record("work", "/s/", 9), ("work", False, ":9")),             # empty basename, a line
    (Record(None, "/s/f.c", 4), ("??", True, "f.c:4")),
    (Record("_Z3fooi", "/s/f.cc", 4), ("foo", True, "f.cc:4"))])   # demangled as perf
def test_inline_entry_for_each_answer_shape(record, entry, monkeypatch):
    """perf's read_addr2line_record / srcline_from_fileline on each record shape."""
    monkeypatch.setattr(inlines, "_resolver", lambda owner, path: _Answers([record]))
    dso = _Dso("/nonexistent/shape-%d" % id(record))
    got = inline_frames(dso, Symbol(0x1000, 0x1100, 1, "_start" if record.function ==
                                    "_start" else "work"), 0x1010)
    assert got == (entry,)


def test_inline_entries_none_when_addr2line_knows_nothing(monkeypatch):
    monkeypatch.setattr(inlines, "_resolver", lambda owner, path: _Answers(None))
    assert inline_frames(_Dso("/nonexistent/none"), Symbol(0x1000, 0x1100, 1, "f"),
                         0x1010) is None
