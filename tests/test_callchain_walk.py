"""The callchain walk (perfdata/callchain.py): which cpumode each address gets, in both of
perf's orders, under limits and with unknown context markers, against straightforward
models of perf 6.1's two loops (thread__resolve_callchain_sample)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from perfscript.perfdata import constants as C
from perfscript.perfdata.callchain import (CONTEXT_HV, CONTEXT_KERNEL, CONTEXT_USER,
                                           chain_entries)

K, U, H = C.MISC_KERNEL, C.MISC_USER, C.MISC_HYPERVISOR
GUEST = (1 << 64) - 2048            # PERF_CONTEXT_GUEST: perf 6.1 discards the chain
GUEST_USER = (1 << 64) - 2560
MODES = {CONTEXT_HV: H, CONTEXT_KERNEL: K, CONTEXT_USER: U}


def model_callee(ips, limit):
    """perf's callee-order loop: addresses counted against the limit, markers read as met."""
    out, mode = [], U
    for ip in ips:
        if len(out) >= limit:
            break
        if ip >= C.CONTEXT_MAX:
            if ip not in MODES:
                return None
            mode = MODES[ip]
            continue
        out.append((mode, ip))
    return tuple(out)


def model_caller(ips, limit):
    """perf's caller-order loop: from the end, each marker met looks back for the marker
    before it (find_prev_cpumode); the mode starts as the last marker's."""
    def prev(ent, mode):
        for k in range(ent - 1, -1, -1):
            if ips[k] >= C.CONTEXT_MAX:
                return MODES.get(ips[k])
        return mode

    out = []
    mode = prev(len(ips), U)
    if mode is None:
        return None
    for j in range(len(ips) - 1, -1, -1):
        if len(out) >= limit:
            break
        if ips[j] >= C.CONTEXT_MAX:
            mode = prev(j, mode)
            if mode is None:
                return None
            continue
        out.append((mode, ips[j]))
    return tuple(out)


def test_callee_order():
    ips = (CONTEXT_KERNEL, 0xffff1, 0xffff2, CONTEXT_USER, 0x401, 0x402)
    assert chain_entries(ips) == ((K, 0xffff1), (K, 0xffff2), (U, 0x401), (U, 0x402))
    # addresses before any marker are user space
    assert chain_entries((0x1, CONTEXT_HV, 0x2)) == ((U, 0x1), (H, 0x2))
    assert chain_entries(()) == ()
    assert chain_entries((CONTEXT_KERNEL, CONTEXT_USER)) == ()


def test_caller_order():
    ips = (CONTEXT_KERNEL, 0xffff1, 0xffff2, CONTEXT_USER, 0x401, 0x402)
    assert chain_entries(ips, caller_first=True) == (
        (U, 0x402), (U, 0x401), (K, 0xffff2), (K, 0xffff1))
    # addresses before the first marker take that marker's mode, not user space
    assert chain_entries((0x1, CONTEXT_KERNEL, 0x2), caller_first=True) == (
        (K, 0x2), (K, 0x1))
    assert chain_entries((0x1, CONTEXT_HV, 0x2, CONTEXT_USER, 0x3), caller_first=True) == (
        (U, 0x3), (H, 0x2), (H, 0x1))
    assert chain_entries((0x1, 0x2), caller_first=True) == ((U, 0x2), (U, 0x1))


def test_limits_count_addresses():
    ips = (CONTEXT_KERNEL, 0xffff1, CONTEXT_USER, 0x401, 0x402)
    assert chain_entries(ips, 2) == ((K, 0xffff1), (U, 0x401))
    assert chain_entries(ips, 2, caller_first=True) == ((U, 0x402), (U, 0x401))
    assert chain_entries(ips, 0) == ()
    assert chain_entries(ips, -1, caller_first=True) == ()


def test_unknown_markers():
    # perf discards the whole chain, also for guest markers
    assert chain_entries((CONTEXT_KERNEL, 0xffff1, GUEST, 0x1)) is None
    assert chain_entries((GUEST_USER, 0x1)) is None
    assert chain_entries((0x1, GUEST)) is None
    assert chain_entries((GUEST, 0x1), caller_first=True) is None
    # past the limit the walk never reads it
    assert chain_entries((0x1, 0x2, GUEST), 2) == ((U, 0x1), (U, 0x2))
    assert chain_entries((0x1, 0x2, GUEST, 0x3), 2) == ((U, 0x1), (U, 0x2))
    # caller order: the last marker is read first, whatever the limit
    assert chain_entries((0x1, GUEST, 0x2), 1, caller_first=True) is None
    assert chain_entries((0x1, GUEST), 0, caller_first=True) is None
    # another is read on reaching the marker after it
    ips = (GUEST, 0x1, CONTEXT_USER, 0x2, 0x3)
    assert chain_entries(ips, 2, caller_first=True) == ((U, 0x3), (U, 0x2))
    assert chain_entries(ips, 3, caller_first=True) is None
    # a marker at the very end names no address, but is read
    assert chain_entries((0x1, CONTEXT_KERNEL)) == ((U, 0x1),)
    assert chain_entries((0x1, CONTEXT_KERNEL), caller_first=True) == ((K, 0x1),)


_MARKERS = st.sampled_from([CONTEXT_HV, CONTEXT_KERNEL, CONTEXT_USER, GUEST, GUEST_USER,
                            C.CONTEXT_MAX, (1 << 64) - 1])
_ADDRS = st.integers(0, C.CONTEXT_MAX - 1) | st.integers(0, 16)
_CHAINS = st.lists(_MARKERS | _ADDRS | _ADDRS, max_size=24)


@settings(max_examples=600, deadline=None)
@given(_CHAINS, st.integers(-1, 26) | st.none(), st.booleans(), st.booleans())
def test_walk_matches_models(ips, limit, caller_first, as_list):
    chain = list(ips) if as_list else tuple(ips)
    model = model_caller if caller_first else model_callee
    want = model(chain, len(chain) + 1 if limit is None else limit)
    assert chain_entries(chain, limit, caller_first) == want
