"""A sample's callchain (PERF_SAMPLE_CALLCHAIN) as perf 6.1 reads it.

The chain is a list of u64s, innermost frame first. Values from CONTEXT_MAX up are
context markers, not addresses: each names the address space (cpumode) of the addresses
after it. perf 6.1 (thread__resolve_callchain) knows the hypervisor, kernel and user
markers; on any other one, the guest markers included, it discards the whole chain.
`chain_entries` is the one walk that gives every address its cpumode, in either of the
two orders perf resolves chains in.
"""

from perfscript.perfdata.constants import CONTEXT_MAX, MISC_HYPERVISOR, MISC_KERNEL, MISC_USER

CONTEXT_HV = (1 << 64) - 32
CONTEXT_KERNEL = (1 << 64) - 128
CONTEXT_USER = (1 << 64) - 512

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
    if limit is None:
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
    marks = [j for j, ip in enumerate(ips) if ip >= CONTEXT_MAX]
    out = []
    append = out.append
    modes = CONTEXT_MODES
    if marks:
        mode = modes.get(ips[marks[-1]])
        if mode is None:
            return None
    else:
        mode = MISC_USER
    if limit <= 0:
        return ()
    end = len(ips)
    for i in range(len(marks) - 1, -2, -1):
        first = marks[i] if i >= 0 else -1
        for j in range(end - 1, first, -1):
            append((mode, ips[j]))
            if len(out) >= limit:
                return tuple(out)
        if i > 0:       # reaching marker i: the part before it is in the mode of i - 1
            mode = modes.get(ips[marks[i - 1]])
            if mode is None:
                return None
        end = first
    return tuple(out)
