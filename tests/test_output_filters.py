"""session/filters.py: perf's --time/-C/--pid/--tid/--comms predicates, unit by unit."""

import pytest

from perfscript.output.fields import COMM, CPU, FieldsError, IP, OutputSpec, PERIOD, T_SW, \
    T_TRACE, TRACE
from perfscript.output.sideband import format_record
from perfscript.perfdata.record_types import parse_record
from perfscript.perfdata import constants as C
from perfscript.session.filters import (FilterError, SampleFilter, parse_nsec_time,
                                        parse_time_ranges, time_skips)

S = 1000000000


def test_nsec_time():
    assert parse_nsec_time("1204.5") == 1204 * S + 500000000
    assert parse_nsec_time("3") == 3 * S
    assert parse_nsec_time("1.000000001") == S + 1
    with pytest.raises(FilterError):
        parse_nsec_time("1.0000000001")
    with pytest.raises(FilterError):
        parse_nsec_time("1x")


def test_time_ranges_plain():
    assert parse_time_ranges("1.5,2.5") == [(S + S // 2, 2 * S + S // 2)]
    assert parse_time_ranges("1.5,") == [(S + S // 2, 0)]
    assert parse_time_ranges(",2") == [(0, 2 * S)]
    assert parse_time_ranges("1,2 3,4") == [(S, 2 * S), (3 * S, 4 * S)]
    with pytest.raises(FilterError):
        parse_time_ranges("2,1")
    with pytest.raises(FilterError):
        parse_time_ranges("5")


def test_time_ranges_percent():
    first, last = 1000, 2000
    assert parse_time_ranges("10%/2", first, last) == [(1100, 1200)]
    assert parse_time_ranges("0%-10%,50%-60%", first, last) == [(1000, 1100), (1500, 1600)]
    assert parse_time_ranges("25%", first, last) == [(1000, 1250)]
    with pytest.raises(FilterError):
        parse_time_ranges("20%-10%", first, last)
    with pytest.raises(FilterError):
        parse_time_ranges("10%", 0, 0)          # no HEADER_SAMPLE_TIME


def test_time_skips():
    assert not time_skips([], 5)
    assert not time_skips([(10, 20)], 0)         # time 0 is never dropped
    assert time_skips([(10, 20)], 9) and time_skips([(10, 20)], 21)
    assert not time_skips([(10, 20)], 20)
    assert not time_skips([(10, 0)], 10 ** 12)   # open end
    assert time_skips([(10, 20), (30, 40)], 25)
    assert not time_skips([(10, 20), (30, 40)], 30)


class _T:
    def __init__(self, pid, tid, comm):
        self.pid, self.tid, self.comm = pid, tid, comm


class _S:
    def __init__(self, time=5, cpu=0):
        self.time, self.cpu = time, cpu


def test_sample_filter():
    f = SampleFilter.from_options(cpu="0,2-3", pid="10", comms="ls,dd")
    assert f.active
    assert not f.skip(_S(cpu=2), _T(10, 11, "ls"))
    assert f.skip(_S(cpu=1), _T(10, 11, "ls"))
    assert not f.skip(_S(cpu=0xFFFFFFFF), _T(10, 11, "ls"))   # no cpu: kept
    assert f.skip(_S(cpu=0), _T(12, 12, "ls"))
    assert f.skip(_S(cpu=0), _T(10, 10, "sh"))
    assert not SampleFilter().active
    assert SampleFilter.from_options(tid="11").skip(_S(), _T(10, 12, "x"))


def test_fields_spec():
    spec = OutputSpec()
    assert spec.fields[T_SW] & PERIOD and spec.fields[T_TRACE] & TRACE
    spec.parse("sw:comm,ip")
    assert spec.fields[T_SW] == COMM | IP and spec.user_set[T_SW]
    spec.parse("+cpu")
    assert spec.fields[T_SW] & CPU and spec.fields[T_TRACE] & CPU
    with pytest.raises(FieldsError):
        OutputSpec().parse("bogus")
    with pytest.raises(FieldsError):
        OutputSpec().parse("comm,+pid")
    with pytest.raises(FieldsError):
        OutputSpec().parse("hw:trace")


def test_sideband_text():
    import struct
    rec = struct.pack("<IHH", C.RECORD_COMM, C.MISC_COMM_EXEC, 24) + \
        struct.pack("<ii", 5, 6) + b"ls\0\0\0\0\0\0"
    assert format_record(parse_record(C.RECORD_COMM, C.MISC_COMM_EXEC, rec, 0, len(rec),
                                      "<")) == "PERF_RECORD_COMM exec: ls:5/6\n"
    rec = struct.pack("<IHH", C.RECORD_SWITCH_CPU_WIDE, C.MISC_SWITCH_OUT, 16) + \
        struct.pack("<ii", 7, 8)
    assert format_record(parse_record(C.RECORD_SWITCH_CPU_WIDE, C.MISC_SWITCH_OUT, rec, 0,
                                      16, "<")) == \
        "PERF_RECORD_SWITCH_CPU_WIDE OUT          next pid/tid:     7/8    \n"
