# Top 10 kernel call sites of kmalloc by bytes requested.
from collections import defaultdict

sites = defaultdict(lambda: [0, 0])     # call_site -> [calls, bytes requested]


def kmem__kmalloc(event_name, context, common_cpu, common_secs, common_nsecs,
                  common_pid, common_comm, common_callchain, call_site, ptr, bytes_req,
                  bytes_alloc, *rest):
    s = sites[call_site]
    s[0] += 1
    s[1] += bytes_req


def trace_end():
    top = sorted(sites.items(), key=lambda kv: (-kv[1][1], kv[0]))[:10]
    for site, (n, nbytes) in top:
        print("%#x\t%d\t%d" % (site, n, nbytes))
