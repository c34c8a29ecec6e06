"""Event, view and file names from a hostile recording: every event keeps its own SQL
view and export file (names that collide, differ only in case or in characters the view
name makes `_`, or run to thousands of characters), no file lands outside the export
directory, and a file that cannot be written is one line naming it (issue 10, items 3
and 5 in part).

The recordings are tests/data/recordings/sched.data with its tracing data rewritten:
each event's format renamed or moved to another system (the builder below), and
without the EVENT_DESC feature the event names come from the formats too.
"""

import errno
import json
import os
import re
import struct

import pytest

pa = pytest.importorskip("pyarrow")
pytest.importorskip("duckdb")

import perfscript  # noqa: E402
from conftest import RECORDINGS, TESTS  # noqa: E402
from perfscript.frames.derived import DERIVED  # noqa: E402
from perfscript.frames.tables import (  # noqa: E402
    FILE_STEM_MAX, file_stems, unique_event_names, unique_view_names, view_name)

SCHED = os.path.join(RECORDINGS, "sched.data")
TRACEDAT_V6 = os.path.join(TESTS, "data", "tracedat", "v6.dat")
TRACING_DATA, EVENT_DESC = 1, 12          # feature bits
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


# ------------------------------------------------------------ the builder

def _feature_sections(data):
    """(where the section table starts, {feature bit: section bytes})."""
    data_offset, data_size = struct.unpack_from("<QQ", data, 40)
    bits = int.from_bytes(data[72:104], "little")
    table = data_offset + data_size
    sections = {}
    for bit in range(256):
        if bits >> bit & 1:
            off, size = struct.unpack_from("<QQ", data, table + 16 * len(sections))
            sections[bit] = data[off:off + size]
    return table, sections


def _with_sections(data, table, sections):
    """The file with its feature sections replaced (the header's bitmap to match)."""
    bits = sum(1 << bit for bit in sections)
    head = bytearray(data[:table])
    head[72:104] = bits.to_bytes(32, "little")
    index, body = bytearray(), bytearray()
    start = table + 16 * len(sections)
    for bit in sorted(sections):
        index += struct.pack("<QQ", start + len(body), len(sections[bit]))
        body += sections[bit]
    return bytes(head + index + body)


def _formats(blob, pos):
    (count,) = struct.unpack_from("<I", blob, pos)
    pos += 4
    texts = []
    for _ in range(count):
        (size,) = struct.unpack_from("<Q", blob, pos)
        texts.append(blob[pos + 8:pos + 8 + size])
        pos += 8 + size
    return texts, pos


def _packed(texts):
    return struct.pack("<I", len(texts)) + b"".join(
        struct.pack("<Q", len(t)) + t for t in texts)


def _renamed_blob(blob, renames):
    """A little-endian tracing-data blob with formats renamed: renames maps an event
    name to (system, new name); formats are grouped by system in first-seen order."""
    pos = blob.index(b"\0", 10) + 1 + 6            # magic, version, endian, long, page
    for tag in (b"header_page\0", b"header_event\0"):
        (size,) = struct.unpack_from("<Q", blob, pos + len(tag))
        pos += len(tag) + 8 + size
    head = blob[:pos]
    ftrace, pos = _formats(blob, pos)
    (nsystems,) = struct.unpack_from("<I", blob, pos)
    pos += 4
    systems = {}
    for _ in range(nsystems):
        end = blob.index(b"\0", pos)
        system = blob[pos:end]
        texts, pos = _formats(blob, end + 1)
        for text in texts:
            name = re.search(rb"name: (\S+)\n", text).group(1)
            new_system, new_name = renames.get(name.decode(), (system, name))
            text = text.replace(b"name: %s\n" % name, b"name: %s\n" % new_name, 1)
            systems.setdefault(new_system, []).append(text)
    body = _packed(ftrace) + struct.pack("<I", len(systems)) + b"".join(
        system + b"\0" + _packed(texts) for system, texts in systems.items())
    return head + body + blob[pos:]


def hostile(tmp_path, renames, keep_desc=False, name="hostile.data"):
    """sched.data with its formats renamed: {event: (system, name)} (str or bytes)."""
    enc = {k: tuple(x if isinstance(x, bytes) else x.encode() for x in v)
           for k, v in renames.items()}
    data = open(SCHED, "rb").read()
    table, sections = _feature_sections(data)
    sections[TRACING_DATA] = _renamed_blob(sections[TRACING_DATA], enc)
    if not keep_desc:
        del sections[EVENT_DESC]
    path = tmp_path / name
    path.write_bytes(_with_sections(data, table, sections))
    return str(path)


def test_builder_without_renames_keeps_the_recording(tmp_path):
    data = open(SCHED, "rb").read()
    built = open(hostile(tmp_path, {}, keep_desc=True), "rb").read()
    table, sections = _feature_sections(data)
    assert built[:table] == data[:table] and _feature_sections(built) == (table, sections)


# ------------------------------------------------------------ the names

NORMAL = {"cpu-clock": "cpu_clock",
          "cpu-clock/period=100000/": "cpu_clock_period_100000",
          "raw_syscalls:sys_enter": "raw_syscalls_sys_enter", "1abc": "_1abc"}


@pytest.mark.parametrize("event", sorted(NORMAL))
def test_normal_names_unchanged(event):
    assert view_name(event) == NORMAL[event]


def test_sched_data_views_unchanged():
    with perfscript.open(SCHED) as t:
        assert list(t.view_names()) == [
            "sched__sched_switch", "sched__sched_wakeup", "sched__sched_wakeup_new",
            "sched__sched_process_fork", "sched__sched_process_exit",
            "sched__sched_process_exec"]


HOSTILE = ["/", "../../etc/passwd", "..", ".", "", "\0", "a\0b", ".hidden", "x/../y",
           "header", "header.json", "CON", "nul", "é", "\n\t", "1", "a" * 5000,
           "-" * 5000, "%s/%s" % ("../" * 2000, "x")]


@pytest.mark.parametrize("event", HOSTILE, ids=range(len(HOSTILE)))
def test_view_names_are_identifiers_and_safe_file_names(event):
    view = view_name(event)
    assert IDENTIFIER.match(view) and view == view_name(event)
    (stem,) = file_stems([view]).values()
    assert IDENTIFIER.match(stem) and len(stem) <= FILE_STEM_MAX
    assert os.path.basename(stem + ".parquet") == stem + ".parquet"
    assert len((stem + ".parquet").encode()) <= 255


def test_long_views_keep_their_start_and_a_hash_in_file_names():
    a, b = "x" * 5000 + "a", "x" * 5000 + "b"
    stems = file_stems([a, b])
    assert stems[a] != stems[b] and len(stems[a]) == len(stems[b]) == FILE_STEM_MAX
    assert stems[a].startswith("x" * 100) and re.search(r"_[0-9a-f]{8}\Z", stems[a])
    assert file_stems([a]) == {a: stems[a]}
    # as long as a real user_events tracepoint's (the corpus' ms_tracepoints): its view
    # keeps all 252 characters, its file is cut
    real = "user_events__Long_Provider_Name_" + "X" * 200 + "0123456789_L5K0Gasdf"
    assert len(real) == 252 and view_name(real) == real
    assert len(file_stems([real])[real]) == FILE_STEM_MAX
    fits = "y" * FILE_STEM_MAX
    assert file_stems([fits]) == {fits: fits}


def test_file_stems_that_meet_get_suffixes():
    """A view that reads like another's cut file name: the later one gets a suffix,
    still within FILE_STEM_MAX."""
    long = "z" * 300
    (cut,) = file_stems([long]).values()
    stems = file_stems([long, cut, cut.upper() + "_X"])
    assert stems[long] == cut and stems[cut] == cut[:-2] + "_2"
    assert len({v.lower() for v in stems.values()}) == 3
    assert all(len(v) <= FILE_STEM_MAX for v in stems.values())


def _distinct(views):
    return len({v.lower() for v in views}) == len(views)


def test_colliding_views_get_suffixes():
    formats = dict.fromkeys(["a-b:c", "a_b:c", "a.b:c", "A_B:C", "a_b_c_2", "a_b_c_3",
                             "a/b:c", "x" * 5000, "-%s-" % ("x" * 5000)], None)
    views = unique_view_names(formats)
    assert sorted(views.values()) == sorted(formats)
    assert _distinct(views)
    assert list(views) == ["a_b_c", "a_b_c_4", "a_b_c_5", "A_B_C_6", "a_b_c_2", "a_b_c_3",
                           "a_b_c_7", "x" * 5000, "x" * 5000 + "_2"]
    assert unique_view_names(formats) == views
    stems = file_stems(views)
    assert _distinct(stems.values())
    assert all(len(v) <= FILE_STEM_MAX for v in stems.values())


def test_event_names_made_distinct():
    assert unique_event_names(["e", "e", "e#1", "f"], [0, 1, 2, 3]) == \
        ["e", "e#2", "e#1", "f"]
    assert unique_event_names(["e", "e", "e"], [0, 1, 2]) == ["e", "e#1", "e#2"]
    assert unique_event_names(["e#5", "e", "e"], [0, 1, 5]) == ["e#5", "e", "e#6"]
    assert unique_event_names(["e", "e", "e"], [0, 7, 2]) == ["e", "e#7", "e#8"]


def test_many_equal_names_take_linear_time():
    """100,000 events of one name, or of one view (and the recording holds the names
    their suffixes would take): no quadratic search."""
    n = 100_000
    names = ["e"] * n + ["e#%d" % i for i in range(n)]
    assert len(set(unique_event_names(names, range(2 * n)))) == 2 * n
    punct = "-./:;,+=!?@%^&*~"

    def same_view(i):           # "a" and i in punctuation: all of them the view "a"
        s = ""
        while True:
            i, d = divmod(i, len(punct))
            s += punct[d]
            if not i:
                return "a" + s
    events = [same_view(i) for i in range(n)] + ["a_%d" % i for i in range(2, n)]
    views = unique_view_names(dict.fromkeys(events))
    assert len({v.lower() for v in views}) == len(events)
    assert sorted(views.values()) == sorted(events)


# ------------------------------------------------------------ whole recordings

CASES = {
    # the same system:event twice (two ids): the event names get #index
    "same_event": {"sched_wakeup": ("sched", "sched_switch")},
    # systems that the view name makes equal, events of one name
    "dash_underscore": {"sched_wakeup": ("a-b", "c"), "sched_wakeup_new": ("a_b", "c"),
                        "sched_process_fork": ("a.b", "c")},
    # DuckDB identifiers ignore case
    "case": {"sched_wakeup": ("Sched", "sched_switch"),
             "sched_wakeup_new": ("SCHED", "SCHED_SWITCH")},
    # a view another event's suffix would take
    "suffix_taken": {"sched_wakeup": ("sched", "sched_switch"),
                     "sched_wakeup_new": ("sched", "sched_switch_2")},
    # 5,000-character names: alone, differing at the end, the same twice
    "long": {"sched_wakeup": ("sched", "x" * 5000)},
    "long_pair": {"sched_wakeup": ("sched", "x" * 5000 + "a"),
                  "sched_wakeup_new": ("sched", "x" * 5000 + "b"),
                  "sched_process_fork": ("sched", "x" * 5000 + "a")},
    # system names that are paths
    "paths": {"sched_wakeup": ("../../..", "passwd"), "sched_wakeup_new": ("/", "x"),
              "sched_process_fork": (".hidden", "header"),
              "sched_process_exit": ("..", "x")},
}


def _check_export(perfscript, path, out, fmt="parquet"):
    p = perfscript(["export", "-i", path, "-o", out, "--format", fmt])
    assert p.returncode == 0, p.stderr
    with perfscript_open(path) as t:
        counts = t.counts()
        views = t.view_names()
    assert len(counts) == len(views) == 6 and _distinct(views)
    meta = json.loads((out / "header.json").read_text())
    files = {info["file"]: name for name, info in meta["events"].items()}
    assert sorted(meta["events"]) == sorted(counts)
    assert len(files) == len(counts)
    assert sorted(os.listdir(out)) == sorted(list(files) + ["header.json"])
    summary = p.stdout.decode().splitlines()
    assert sorted(summary) == sorted("%s\t%s" % (name, out / info["file"])
                                     for name, info in meta["events"].items())
    for name, info in meta["events"].items():
        assert info["rows"] == counts[name]
        assert views[info["view"]] == name
        assert info["file"] == file_stems(views)[info["view"]] + "." + fmt
        assert len(info["file"].encode()) < 255
        if fmt == "parquet":
            import pyarrow.parquet as pq
            assert pq.read_table(out / info["file"]).num_rows == counts[name]
    return meta


def perfscript_open(path):
    return perfscript.open(path)


@pytest.mark.parametrize("case", sorted(CASES))
def test_export_writes_every_event(perfscript, tmp_path, case):
    path = hostile(tmp_path, CASES[case])
    _check_export(perfscript, path, tmp_path / "out")


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_text_formats(perfscript, tmp_path, fmt):
    path = hostile(tmp_path, CASES["case"])
    _check_export(perfscript, path, tmp_path / "out", fmt)


@pytest.mark.parametrize("case", sorted(CASES))
def test_sql_sees_every_event(perfscript, tmp_path, case):
    path = hostile(tmp_path, CASES[case])
    with perfscript_open(path) as t:
        counts = t.counts()
        views = t.view_names()
    assert sorted(views.values()) == sorted(counts) and len(counts) == 6
    p = perfscript(["sql", "-i", path, "--views"])
    assert p.returncode == 0, p.stderr
    listed = [line.split("\t") for line in p.stdout.decode().splitlines()]
    assert [(v, e) for v, e, _ in listed if e != "(derived)"] == list(views.items())
    # then the derived tables the recording gives (threads, processes...)
    assert {v for v, e, _ in listed if e == "(derived)"} <= set(DERIVED)
    union = " UNION ALL ".join("SELECT '%s' AS v, count(*) AS n FROM \"%s\"" % (v, v)
                               for v in views)
    p = perfscript(["sql", "-i", path, "--csv", union])
    assert p.returncode == 0, p.stderr
    got = dict(line.split(",") for line in p.stdout.decode().splitlines()[1:])
    assert {v: int(n) for v, n in got.items()} == {v: counts[e] for v, e in views.items()}


def test_same_event_twice_keeps_both_names(tmp_path):
    with perfscript_open(hostile(tmp_path, CASES["same_event"])) as t:
        assert t.event_names[:2] == ["sched:sched_switch", "sched:sched_switch#1"]
        assert list(t.view_names().items())[:2] == [
            ("sched__sched_switch", "sched:sched_switch"),
            ("sched__sched_switch_2", "sched:sched_switch#1")]


def test_event_desc_names_with_colliding_formats(perfscript, tmp_path):
    """perf's own event names kept (EVENT_DESC), the formats' handler names equal."""
    path = hostile(tmp_path, CASES["same_event"], keep_desc=True)
    meta = _check_export(perfscript, path, tmp_path / "out")
    assert meta["events"]["sched:sched_wakeup"]["file"] == "sched__sched_switch_2.parquet"


def test_names_are_the_same_every_time(tmp_path):
    path = hostile(tmp_path, CASES["long_pair"])
    with perfscript_open(path) as t:
        first = t.view_names()
    with perfscript_open(path) as t:
        assert t.view_names() == first


def test_export_selects_a_suffixed_view(perfscript, tmp_path):
    path = hostile(tmp_path, CASES["case"])
    p = perfscript(["export", "-i", path, "-o", tmp_path / "out", "-e",
                    "SCHED__SCHED_SWITCH_3", "-e", "Sched:sched_switch"])
    assert p.returncode == 0, p.stderr
    assert sorted(os.listdir(tmp_path / "out")) == [
        "SCHED__SCHED_SWITCH_3.parquet", "Sched__sched_switch_2.parquet", "header.json"]


# ------------------------------------------------------------ trace.dat

def test_tracedat_same_event_twice(perfscript, tmp_path):
    """trace.dat v6 keeps its formats as text: sched_wakeup renamed in place."""
    data = open(TRACEDAT_V6, "rb").read()
    assert data.count(b"name: sched_wakeup\n") == 1
    path = tmp_path / "dup.dat"
    path.write_bytes(data.replace(b"name: sched_wakeup\n", b"name: sched_switch\n"))
    with perfscript_open(str(path)) as t:
        counts = t.counts()
        views = t.view_names()
        wakeup = [n for n in t.event_names if n.startswith("sched:sched_switch#")]
    assert len(wakeup) == 1 and _distinct(views) and len(views) == len(counts)
    p = perfscript(["export", "-i", path, "-o", tmp_path / "out"])
    assert p.returncode == 0, p.stderr
    meta = json.loads((tmp_path / "out" / "header.json").read_text())
    assert {n: i["rows"] for n, i in meta["events"].items()} == counts
    assert meta["events"][wakeup[0]]["file"] == "sched__sched_switch_2.parquet"


# ------------------------------------------------------------ files that cannot be written

def _one_line(p, path):
    err = p.stderr.decode()
    assert p.returncode == 1 and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("perfscript: ") and str(path) in err
    return err


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_file_that_is_a_directory(perfscript, tmp_path, fmt):
    out = tmp_path / "out"
    blocked = out / ("sched__sched_switch." + fmt)
    blocked.mkdir(parents=True)
    p = perfscript(["export", "-i", SCHED, "-o", out, "--format", fmt])
    assert "Is a directory" in _one_line(p, blocked)


def test_header_json_that_is_a_directory(perfscript, tmp_path):
    out = tmp_path / "out"
    (out / "header.json").mkdir(parents=True)
    p = perfscript(["export", "-i", SCHED, "-o", out])
    _one_line(p, out / "header.json")


def test_output_directory_name_too_long(perfscript, tmp_path):
    out = tmp_path / ("d" * 300)
    p = perfscript(["export", "-i", SCHED, "-o", out])
    assert "File name too long" in _one_line(p, out)


def test_full_disk_names_the_file(tmp_path, monkeypatch, capsys):
    """pyarrow's write error names no file: it is not 'standard output' that failed."""
    import pyarrow.parquet as pq

    from perfscript.cli import main

    def full(table, where, **kw):
        raise OSError(errno.ENOSPC, "Error writing bytes to file")

    monkeypatch.setattr(pq, "write_table", full)
    status = main(["export", "-i", SCHED, "-o", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 1
    assert err == "perfscript: [Errno 28] No space left on device: '%s'\n" % (
        tmp_path / "sched__sched_switch.parquet")


MS_TRACEPOINTS = os.path.join(os.path.dirname(os.path.dirname(TESTS)), "shared", "corpus",
                              "thirdparty", "ms_tracepoints_file", "perf.data")


@pytest.mark.skipif(not os.path.exists(MS_TRACEPOINTS), reason="no corpus")
def test_real_tracepoint_too_long_for_a_file_name(perfscript, tmp_path):
    """A user_events tracepoint whose view has 252 characters: the view stays, the
    file name is cut (export failed with ENAMETOOLONG before)."""
    p = perfscript(["export", "-i", MS_TRACEPOINTS, "-o", tmp_path / "out"])
    assert p.returncode == 0, p.stderr
    meta = json.loads((tmp_path / "out" / "header.json").read_text())
    (long,) = [i for i in meta["events"].values() if len(i["view"]) > FILE_STEM_MAX]
    assert len(long["view"]) == 252
    assert re.fullmatch(re.escape(long["view"][:231]) + r"_[0-9a-f]{8}\.parquet",
                        long["file"])
    assert len(os.listdir(tmp_path / "out")) == len(meta["events"]) + 1
