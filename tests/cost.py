"""What a call cost, in measures that do not depend on the machine's load: the peak
of Python memory it allocated (tracemalloc), how often chosen functions ran, and the
CPU time of this process (a backstop only, with a generous budget; never wall time)."""

import pkgutil
import time
import tracemalloc
from contextlib import contextmanager
from dataclasses import dataclass, field
from unittest import mock


@dataclass
class Cost:
    peak: int = 0                                # bytes allocated at the peak
    cpu: float = 0.0                             # seconds of CPU time
    calls: dict = field(default_factory=dict)    # "module.name" -> times called
    sizes: dict = field(default_factory=dict)    # "module.name" -> sum of len(first arg)


@contextmanager
def measured(*targets):
    """Measure the block; `targets` ("module.function" names as patch() takes them)
    are counted, and the lengths of their first arguments summed."""
    cost = Cost()
    patches = []
    for target in targets:
        cost.calls[target] = cost.sizes[target] = 0
        real = pkgutil.resolve_name(target)

        def counting(*args, _real=real, _target=target, **kwargs):
            cost.calls[_target] += 1
            if args and hasattr(args[0], "__len__"):
                cost.sizes[_target] += len(args[0])
            return _real(*args, **kwargs)
        patches.append(mock.patch(target, counting))
    for p in patches:
        p.start()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    start = time.process_time()
    try:
        yield cost
    finally:
        cost.cpu = time.process_time() - start
        cost.peak = tracemalloc.get_traced_memory()[1] - base
        if not was_tracing:
            tracemalloc.stop()
        for p in reversed(patches):
            p.stop()
