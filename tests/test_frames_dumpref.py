"""Reading the corpus' dump.py references (what the real perf's script API delivered).

`ref/dump.txt` of each corpus case is the output of `perf script -s dump.py`: one block per
callback with every argument as `name=<type>repr`. `samples()` turns it back into one
record per delivered sample: the event name, the tracepoint fields (event_fields_dict) and
the sample values (perf_sample_dict['sample'] / param_dict['sample'], plus comm), with
scalar values as Python values. The frames tests compare the tables against these.
"""

import ast
import glob
import os
import re

import pytest

from conftest import SHARED

CASES = os.path.join(SHARED, "corpus", "cases")

_HEADER = re.compile(r"^== #\d+ (trace_unhandled event_name|process_event ev_name)=<str>'(.*)'$")
_SCALAR = re.compile(r"^( +)([A-Za-z_][A-Za-z_0-9]*)=<(int|str|bytes|bytearray|bool|NoneType|"
                     r"float)>(.*)$")
_OPEN = re.compile(r"^( +)([A-Za-z_][A-Za-z_0-9]*)=<dict>\{$")


def perf_data_cases():
    """(case name, perf.data path, dump.txt path) of every corpus perf.data with a dump."""
    out = []
    for d in sorted(glob.glob(os.path.join(CASES, "*"))):
        data = os.path.join(d, "perf.data")
        dump = os.path.join(d, "ref", "dump.txt")
        if os.path.exists(data) and os.path.exists(dump):
            out.append((os.path.basename(d), data, dump))
    return out


def _value(typ, text):
    if typ == "NoneType":
        return None
    if typ == "bytearray" and text.startswith("bytearray("):
        return bytearray(ast.literal_eval(text[len("bytearray("):-1]))
    return ast.literal_eval(text)


def samples(path):
    """[(event_name, fields dict or None, sample dict)] in delivery order.

    event_name is perf's name ("raw_syscalls:sys_enter", "cpu-clock"). fields holds the
    top-level scalars of event_fields_dict (tracepoints); sample holds the scalars of the
    'sample' dict plus the top-level scalars of perf_sample_dict/param_dict (comm, ev_name…).
    """
    out = []
    cur = None
    stack = []          # (indent, dict name)
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("=="):
                m = _HEADER.match(line)
                if m:
                    cur = [None, None, {}]
                    out.append(cur)
                    if m.group(1).startswith("trace"):
                        cur[1] = {}
                else:
                    cur = None
                stack = []
                continue
            if cur is None:
                continue
            indent = len(line) - len(line.lstrip(" "))
            while stack and indent <= stack[-1][0]:
                stack.pop()
            m = _OPEN.match(line)
            if m:
                stack.append((len(m.group(1)), m.group(2)))
                continue
            m = _SCALAR.match(line)
            if not m or not stack:
                if line.rstrip().endswith(("[", "(", "{")):
                    stack.append((indent, None))
                continue
            path_ = tuple(name for _, name in stack)
            if m.group(2) in ("attr", "raw_buf"):
                continue
            key, value = m.group(2), _value(m.group(3), m.group(4))
            if path_ == ("event_fields_dict",):
                cur[1][key] = value
            elif path_ in (("perf_sample_dict",), ("param_dict",)):
                cur[2][key] = value
            elif path_ in (("perf_sample_dict", "sample"), ("param_dict", "sample")):
                cur[2][key] = value
    for rec in out:
        name = rec[2].get("ev_name")
        rec[0] = name
    return [tuple(r) for r in out]


def test_parser_reads_a_tracepoint_block(tmp_path):
    p = tmp_path / "dump.txt"
    p.write_text("""== #1 trace_begin
  argv[1:]=<list>[]
== #2 trace_unhandled event_name=<str>'raw_syscalls__sys_exit'
  context=<PyCapsule>
  event_fields_dict=<dict>{
    common_callchain=<list>[]
    common_comm=<str>'ls'
    id=<int>59
    ret=<int>0
  }
  perf_sample_dict=<dict>{
    callchain=<list>[
      [0]=<dict>{
        ip=<int>5
      }
    ]
    comm=<str>'ls'
    ev_name=<str>'raw_syscalls:sys_exit'
    raw_buf=<bytes>b'\\x00'
    sample=<dict>{
      cpu=<int>0
      time=<int>1192655565579
    }
    symbol=<str>'x'
  }
""")
    (rec,) = samples(str(p))
    assert rec[0] == "raw_syscalls:sys_exit"
    assert rec[1] == {"common_comm": "ls", "id": 59, "ret": 0}
    assert rec[2]["cpu"] == 0 and rec[2]["time"] == 1192655565579
    assert rec[2]["comm"] == "ls" and rec[2]["symbol"] == "x" and "ip" not in rec[2]


@pytest.mark.skipif(not perf_data_cases(), reason="no corpus")
def test_parser_finds_samples_in_the_corpus():
    _, _, dump = perf_data_cases()[0]
    assert samples(dump)
