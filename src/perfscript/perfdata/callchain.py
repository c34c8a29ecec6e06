"""A sample's callchain (PERF_SAMPLE_CALLCHAIN) as perf 6.1 reads it.

The chain is a list of u64s, innermost frame first. Values from CONTEXT_MAX up are
context markers, not addresses: each names the address space (cpumode) of the addresses
after it. perf 6.1 (thread__resolve_callchain) knows the hypervisor, kernel and user
markers; on any other one, the guest markers included, it discards the whole chain.
`chain_entries` is the one walk that gives every address its cpumode, in either of the
two orders perf resolves chains in.

A chain may end with user frames perf unwound itself (`--call-graph dwarf`): they follow
the UNWOUND mark, a value no recorded u64 can have, and are counted against the depth
limit on their own, as perf resolves the two parts separately.  Their cpumode is
MISC_USER_UNWOUND: user space, and the frames perf expands into inlined functions.
"""

from perfscript.perfdata.constants import (CONTEXT_MAX, MISC_HYPERVISOR, MISC_KERNEL,
                                          MISC_USER, SAMPLE_CALLCHAIN, SAMPLE_REGS_USER,
                                          SAMPLE_STACK_USER)

CONTEXT_HV = (1 << 64) - 32
CONTEXT_KERNEL = (1 << 64) - 128
CONTEXT_USER = (1 << 64) - 512
UNWOUND = 1 << 64
MISC_USER_UNWOUND = 0x100 | MISC_USER     # not a recorded cpumode: an unwound user frame

# what a sample holds when perf unwinds its user stack itself
DWARF_SAMPLE = SAMPLE_CALLCHAIN | SAMPLE_REGS_USER | SAMPLE_STACK_USER


def unwinds(attr):
    """Whether perf unwinds this event's samples' user stacks (`--call-graph dwarf`)."""
    return attr.sample_type & DWARF_SAMPLE == DWARF_SAMPLE


# marker -> cpumode of the addresses after it; any other marker discards the chain
CONTEXT_MODES = {
    CONTEXT_HV: MISC_HYPERVISOR,
    CONTEXT_KERNEL: MISC_KERNEL,
    CONTEXT_USER: MISC_USER,
}


def chain_entries(ips, limit=None, caller_first=False):
    """The (cpumode, ip) of a chain's addresses, at most `limit` of them (markers do not
    count); None when perf discards the chain for a marker it does not know.

    Innermost first (perf's callee order): addresses before any marker are user space,
    and a marker is read when the walk reaches it under the limit.

    `caller_first` (perf's caller order, find_prev_cpumode): root first, walking from
    the end; each part takes the mode of the marker before it, and the addresses before
    the first marker take that marker's mode (user space when there is none). The last
    marker is read first, whatever the limit; any other when the walk reaches the marker
    after it under the limit."""
    if UNWOUND in ips:
        cut = ips.index(UNWOUND)
        own = chain_entries(ips[:cut], limit, caller_first)
        if own is None:
            return None
        user = ips[cut + 1:]
        if limit is not None:
            user = user[:max(limit, 0)]
        user = tuple((MISC_USER_UNWOUND, ip) for ip in user)
        return user[::-1] + own if caller_first else own + user
    if limit is None or limit >= len(ips):
        limit = len(ips)
    if caller_first:
        return _caller_first(ips, limit)
    if limit <= 0:
        return ()
    out = []
    append = out.append
    modes = CONTEXT_MODES
    mode = MISC_USER
    for ip in ips:
        if ip >= CONTEXT_MAX:
            mode = modes.get(ip)
            if mode is None:
                return None
        else:
            append((mode, ip))
            if len(out) >= limit:
                break
    return tuple(out)


def _caller_first(ips, limit):
    mode = _mode_before(ips, len(ips), MISC_USER)
    if mode is None:
        return None
    if limit <= 0:
        return ()
    out = []
    append = out.append
    for j in range(len(ips) - 1, -1, -1):
        ip = ips[j]
        if ip >= CONTEXT_MAX:
            mode = _mode_before(ips, j, mode)
            if mode is None:
                return None
        else:
            append((mode, ip))
            if len(out) >= limit:
                break
    return tuple(out)


def _mode_before(ips, end, mode):
    """The mode the last marker before index `end` names (None: one perf does not
    know); `mode` when there is no marker."""
    for k in range(end - 1, -1, -1):
        if ips[k] >= CONTEXT_MAX:
            return CONTEXT_MODES.get(ips[k])
    return mode
