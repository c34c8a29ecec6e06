"""Text columns of flag/symbolic fields (`prev_state_str`, `gfp_flags_str`, `vec_str`…)
against what the real perf prints for them (ref/script.txt of every corpus case)."""

import glob
import os
import re

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")

import perfscript  # noqa: E402
from conftest import SHARED  # noqa: E402
from perfscript.frames import flagtext  # noqa: E402
from perfscript.ftrace import printast as A  # noqa: E402

CASES = sorted(p for p in glob.glob(os.path.join(SHARED, "corpus", "cases", "*", "perf.data"))
               if os.path.exists(os.path.join(os.path.dirname(p), "ref", "script.txt")))


def _line_regex(items):
    """perf's rendered line of an event as a regex: literals as written, each
    conversion a group."""
    parts = []
    for it in items:
        parts.append(re.escape(it.text) if it.kind == "text" else "(.*?)")
    return re.compile("^" + "".join(parts) + "$")


@pytest.mark.parametrize("data", CASES, ids=[p.split(os.sep)[-2] for p in CASES])
def test_text_columns_are_what_perf_prints(data):
    ref = open(os.path.join(os.path.dirname(data), "ref", "script.txt"),
               errors="surrogateescape").read().splitlines()
    checked = 0
    with perfscript.open(data) as t:
        t.counts()
        for name in t.event_names:
            ev = t._index()[name]
            ec = t._collector.events[ev.index]
            if ec.decoder is None or not ec.decoder.texts:
                continue
            tb = t.table(name).sort_by("sample_seq")
            marker = " %s: " % name
            lines = [ln.split(marker, 1)[1] for ln in ref if marker in ln]
            assert len(lines) == tb.num_rows
            rx = _line_regex(ev.tp_format.print_items)
            # the group of each conversion
            group_of, g = {}, 0
            for k, it in enumerate(ev.tp_format.print_items):
                if it.kind != "text":
                    g += 1
                    group_of[k] = g
            for tc in ec.decoder.texts:
                got = tb.column(tc.name).to_pylist()
                a, b = tc.span
                for row, line in enumerate(lines):
                    m = rx.match(line)
                    if m is None:       # ambiguous line (a value with the literal in it)
                        continue
                    want = "".join(m.group(group_of[k]) for k in range(a, b))
                    assert got[row] == want, (name, tc.name, row, line)
                    checked += 1
    if not checked:
        pytest.skip("no flag/symbolic fields in this recording")


def test_known_columns():
    base = os.path.join(SHARED, "corpus", "cases")
    want = {"sched_messaging": ("sched:sched_switch", "prev_state_str"),
            "kmem_gfp": ("kmem:kmalloc", "gfp_flags_str"),
            "netdev_times": ("irq:softirq_raise", "vec_str")}
    for case, (event, col) in want.items():
        p = os.path.join(base, case, "perf.data")
        if not os.path.exists(p):
            pytest.skip("no corpus")
        with perfscript.open(p) as t:
            tb = t.table(event)
            assert pa.types.is_dictionary(tb.schema.field(col).type)
            names = tb.column_names
            assert names.index(col) == names.index(col[:-4]) + 1
            assert all(v for v in tb.column(col).to_pylist())


def _col(fmt_args, values, spec="%s"):
    col = flagtext.TextColumn("x_str", [(fmt_args, spec)], "", "")
    n = len(next(iter(values.values())))
    texts, idx = flagtext.evaluate(None, col, values, n)
    return [texts[i] for i in idx]


def test_flags_semantics():
    F = A.FieldRef("f")
    E = A.FlagEntry
    flags = A.Flags(F, "|", (E("0x1", "A"), E("0x2", "B"), E("0x6", "BC"),
                             E("ZERO", "Z")))
    v = np.array([0, 1, 3, 4, 6, 7, 0x101, 3], dtype=np.uint64)
    # libtraceevent prints an entry named by an unknown symbol as soon as the value
    # left is 0, without the delimiter: 1 → "AZ"
    assert _col(flags, {"f": v}) == ["Z", "AZ", "A|BZ", "0x4", "B|0x4", "A|B|0x4",
                                     "A|0x100", "A|BZ"]
    # no delimiter, no entry for zero
    flags = A.Flags(F, None, (E("1", "A"), E("2", "B")))
    assert _col(flags, {"f": np.array([0, 3, 8], np.uint64)}) == ["", "AB", "0x8"]
    sym = A.Symbolic(F, (E("0", "HI"), E("9", "RCU"), E("9", "DUP"), E("NAME", "N")))
    assert _col(sym, {"f": np.array([9, 0, 5], np.uint64)}) == ["RCU", "HI", "0x5"]
    # an unknown symbol is -1 for eval_flag: it names 0xffffffffffffffff
    assert _col(sym, {"f": np.array([2**64 - 1], np.uint64)}) == ["N"]
    # cond ? flags : "none", over a computed value
    masked = A.Op("&", F, A.Atom("0x3"))
    cond = A.Op("?", F, A.Op(":", A.Flags(masked, "|", (E("1", "A"), E("2", "B"))),
                              A.Atom("none", '"')))
    assert _col(cond, {"f": np.array([0, 5, 7, 8], np.uint64)}) == ["none", "A", "A|B", ""]
    assert _col(sym, {"f": np.array([9], np.uint64)}, "%-5s") == ["RCU  "]


def test_unsupported_shapes_get_no_column():
    E = A.FlagEntry
    idx = A.Op("[", A.FieldRef("f"), A.Atom("1"))
    col = flagtext.TextColumn("x_str", [(A.Symbolic(idx, (E("1", "A"),)), "%s")], "", "")
    with pytest.raises(flagtext.Unsupported):
        flagtext.evaluate(None, col, {"f": np.zeros(2, np.uint64)}, 2)
