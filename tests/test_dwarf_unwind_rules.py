"""The stepping rules of perf 6.1's DWARF unwinding (libunwind 1.6 with perf's accessors),
each on a hand-built address space: where perf goes on, where it stops, and what it keeps.

The recordings in test_dwarf_unwind.py show them on real programs; here each rule is alone,
so a change that breaks one names it."""

import struct

import pytest

from perfscript.symbols.cfi import CFA_REG, CFAREL, NUM_REGS, SAME, UNDEF, Rules
from perfscript.session.user_stack import sample_registers
from perfscript.symbols.dwarf_unwind import UnwindMap, unwind

SP = 0x7FFF0000
CODE = 0x400000           # one mapped "file" of code: [CODE, CODE + 0x10000)
STACK_MAP = (0x7FFE0000, 0x80000000)

RIP, RSP, RBP = 16, 7, 6


def rules(cfa_off=8, ra=(CFAREL, -8), extra=(), signal=False, undefined_ra=False):
    regs = [(SAME, 0)] * NUM_REGS
    regs[16] = (UNDEF, 0) if undefined_ra else ra
    for reg, rule in extra:
        regs[reg] = rule
    return Rules((CFA_REG, RSP, cfa_off), tuple(regs), 16, signal)


class FakeCfi:
    """A file whose CFI is given per address range and whose bytes are `code`."""

    x86_64 = True
    is_exec = False

    def __init__(self, ranges, code=b""):
        self.ranges = ranges          # [(start, end, Rules)] in file addresses
        self.code = code

    def has_eh_table(self):
        return True

    def eh_rules(self, lookup, pc):
        for start, end, r in self.ranges:
            if start <= lookup < end:
                return r
        return None

    def read_offset(self, offset, size):
        if 0 <= offset and offset + size <= len(self.code):
            return self.code[offset:offset + size]
        return None


def space(cfi, with_stack_map=True):
    code = UnwindMap(CODE, CODE + 0x10000, 0, cfi, CODE)
    stack = UnwindMap(STACK_MAP[0], STACK_MAP[1], 0, None, 0)

    def find_map(addr):
        if code.start <= addr < code.end:
            return code
        if with_stack_map and stack.start <= addr < stack.end:
            return stack
        return None
    return find_map


def words(*values):
    return struct.pack("<%dQ" % len(values), *values)


def regs(ip, sp=SP, rbp=0):
    return {RIP: ip, RSP: sp, RBP: rbp}


def test_cfi_frames_then_an_address_without_a_map_stops():
    # every function: CFA = rsp + 8, return address at CFA - 8
    cfi = FakeCfi([(0x1000, 0x2000, rules())])
    stack = words(CODE + 0x1100, CODE + 0x1200, 0x1234, 0)
    ips = unwind(regs(CODE + 0x1010), stack, space(cfi), 127)
    # callers are kept minus one; 0x1234 has no map: perf's find_proc_info fails there
    assert ips == [CODE + 0x1010, CODE + 0x10FF, CODE + 0x11FF, 0x1233]


def test_a_read_past_the_stack_copy_gives_one_frame_of_minus_one():
    # the [stack] map exists but perf cannot read it from a file: the read "succeeds" as 0
    cfi = FakeCfi([(0x1000, 0x2000, rules(cfa_off=0x40))])
    stack = words(*([0] * 4))
    ips = unwind(regs(CODE + 0x1010), stack, space(cfi), 127)
    assert ips == [CODE + 0x1010, 0xFFFFFFFFFFFFFFFF]


def test_a_read_with_no_map_at_all_stops_without_that_frame():
    cfi = FakeCfi([(0x1000, 0x2000, rules(cfa_off=0x40))])
    ips = unwind(regs(CODE + 0x1010), words(0, 0), space(cfi, with_stack_map=False), 127)
    assert ips == [CODE + 0x1010]


def test_the_last_stack_word_is_out_of_reach():
    # perf's access_mem refuses addr + 8 >= end: the copy's last word reads as outside it
    cfi = FakeCfi([(0x1000, 0x2000, rules())])
    ips = unwind(regs(CODE + 0x1010), words(CODE + 0x1100), space(cfi), 127)
    assert ips == [CODE + 0x1010, 0xFFFFFFFFFFFFFFFF]


def test_undefined_return_address_ends_the_stack():
    cfi = FakeCfi([(0x1000, 0x1100, rules()), (0x1100, 0x1200, rules(undefined_ra=True))])
    stack = words(CODE + 0x1150, CODE + 0x1100, 0)
    assert unwind(regs(CODE + 0x1010), stack, space(cfi), 127) == [CODE + 0x1010,
                                                                   CODE + 0x114F]


def test_a_caller_is_looked_up_at_its_return_address_minus_one():
    # the return address is the first byte after the function: its FDE is the caller's
    cfi = FakeCfi([(0x1000, 0x1100, rules()), (0x1100, 0x1200, rules(undefined_ra=True))])
    stack = words(CODE + 0x1100, 0, 0)
    ips = unwind(regs(CODE + 0x1010), stack, space(cfi), 127)
    # looked up at 0x10ff: the first FDE again, whose return address is 0 -> stop
    assert ips[:2] == [CODE + 0x1010, CODE + 0x10FF]


def test_after_a_signal_frame_the_interrupted_ip_is_kept_as_is():
    sig = rules(cfa_off=16, ra=(CFAREL, -16), signal=True)
    # the trampoline's FDE starts one byte early, as glibc's does, so that the handler's
    # return address minus one finds it
    cfi = FakeCfi([(0x1000, 0x1100, rules()), (0x1FFF, 0x2100, sig),
                   (0x3000, 0x3100, rules(undefined_ra=True))])
    # handler -> __restore_rt-like frame (CIE "S") -> interrupted code
    stack = words(CODE + 0x2000, CODE + 0x3050, 0, 0, 0)
    ips = unwind(regs(CODE + 0x1010), stack, space(cfi), 127)
    assert ips == [CODE + 0x1010, CODE + 0x1FFF, CODE + 0x3050]


def test_plt_stub_without_cfi():
    plt = bytes.fromhex("ff25e22f0000" "68000000" "00" "e9e0ffffff") + b"\0" * 3
    code = b"\0" * 0x1800 + plt
    cfi = FakeCfi([(0x1000, 0x1100, rules(undefined_ra=True))], code)
    stack = words(CODE + 0x1050, 0, 0)
    ips = unwind(regs(CODE + 0x1800), stack, space(cfi), 127)
    assert ips == [CODE + 0x1800, CODE + 0x104F]


def test_no_cfi_follows_the_frame_pointer_within_16k():
    cfi = FakeCfi([(0x1000, 0x1100, rules(undefined_ra=True))], b"\x90" * 0x4000)
    frame = SP + 0x20                 # saved rbp, then the return address
    stack = words(0, 0, 0, 0, 0, CODE + 0x1050, 0, 0)
    ips = unwind(regs(CODE + 0x3000, rbp=frame), stack, space(cfi), 127)
    assert ips == [CODE + 0x3000, CODE + 0x104F]
    far = SP + 0x8000                 # more than 0x4000 above the CFA: a wrong guess
    assert unwind(regs(CODE + 0x3000, rbp=far), stack, space(cfi), 127) == [CODE + 0x3000]


def test_no_cfi_and_a_zero_frame_pointer_ends_the_stack():
    cfi = FakeCfi([], b"\x90" * 0x4000)
    assert unwind(regs(CODE + 0x3000, rbp=0), words(0, 0), space(cfi), 127) == [CODE + 0x3000]


def test_a_frame_that_does_not_move_stops():
    # CFA = rsp + 0 and the return address at CFA: ip and CFA unchanged -> libunwind stops
    cfi = FakeCfi([(0x1000, 0x2000, rules(cfa_off=0, ra=(CFAREL, 0)))])
    stack = words(CODE + 0x1010, CODE + 0x1010, 0)
    assert unwind(regs(CODE + 0x1010), stack, space(cfi), 127) == [CODE + 0x1010]


@pytest.mark.parametrize("depth,expected", [(1, 1), (2, 2), (3, 3), (127, 4)])
def test_depth_limits_the_unwound_frames(depth, expected):
    cfi = FakeCfi([(0x1000, 0x2000, rules())])
    stack = words(CODE + 0x1100, CODE + 0x1200, 0x1234, 0)
    assert len(unwind(regs(CODE + 0x1010), stack, space(cfi), depth)) == expected


def test_depth_zero_or_no_ip_fails_the_whole_chain():
    cfi = FakeCfi([(0x1000, 0x2000, rules())])
    assert unwind(regs(CODE + 0x1010), words(0), space(cfi), 0) is None
    assert unwind({RSP: SP}, words(0), space(cfi), 127) is None


def test_sample_registers_follow_perfs_mask_order():
    # perf's x86 order: ax bx cx dx si di bp sp ip flags cs ss ... r8..r15 (bits 16..23)
    mask = 0xFF0FFF
    values = list(range(100, 120))
    got = sample_registers(mask, values)
    assert got[0] == 100 and got[3] == 101 and got[2] == 102 and got[1] == 103   # ax bx cx dx
    assert got[RBP] == 106 and got[RSP] == 107 and got[RIP] == 108
    assert got[8] == 112 and got[15] == 119                                      # r8, r15
