"""perfscript's implementation of upstream perf's standalone Python module (`import perf`,
Linux v7.3+) over perfscript's own reader: `perf.session(perf.data(path),
sample=callback).process_events()` on any machine, without perf.

`perfscript SCRIPT.py` runs a script written for it; `perfscript --perf-module-path`
prints a directory that makes `import perf` find this module under a plain python.

>>> import perfscript.perfmod as perf
>>> counts = {}
>>> def sample(ev):
...     name = str(ev.evsel)
...     counts[name] = counts.get(name, 0) + 1
>>> session = perf.session(perf.data("examples/sched.data"), sample=sample)
>>> session.process_events()
>>> sorted(counts.items())[0]
('evsel(sched:sched_process_exec)', 5)
>>> first = []
>>> perf.session(perf.data("examples/sched.data"), sample=first.append).process_events()
>>> ev = first[0]
>>> (ev.sample_pid, ev.common_pid == ev.sample_pid, ev.prev_comm if hasattr(ev, "prev_comm") else ev.filename)
(11985, True, '/usr/bin/sh')
>>> session.find_thread(0).comm(), perf.syscall_name(0, elf_machine=session.e_machine)
('swapper', 'read')
"""

from perfscript.perfmod.api import data, session
from perfscript.perfmod.chains import branch_entry, branch_stack, callchain, callchain_node
from perfscript.perfmod.config import config_get
from perfscript.perfmod.constants import *  # noqa: F401,F403 - upstream's constants
from perfscript.perfmod.constants import __all__ as _constants
from perfscript.perfmod.live import (LiveCaptureUnsupported, counts_values, cpu_map, evlist,
                                     metrics, parse_events, parse_metrics, pmus, thread_map)
from perfscript.perfmod.machine import arch_strerrno, syscall_id, syscall_name
from perfscript.perfmod.objects import evsel, thread
from perfscript.perfmod.other_events import (comm_event, lost_event, mmap2_event, mmap_event,
                                             read_event, stat_event, stat_round_event,
                                             switch_event, task_event, throttle_event)
from perfscript.perfmod.call_returns import call_return
from perfscript.perfmod.sample_event import sample_event
from perfscript.perfmod.tracefs import tracepoint

__all__ = [
    "data", "session", "sample_event", "evsel", "thread", "callchain", "callchain_node",
    "branch_stack", "branch_entry", "mmap_event", "mmap2_event", "comm_event", "task_event",
    "lost_event", "throttle_event", "read_event", "switch_event", "call_return",
    "stat_event", "stat_round_event", "config_get", "syscall_name", "syscall_id",
    "arch_strerrno", "tracepoint", "parse_events", "parse_metrics", "pmus", "metrics",
    "evlist", "cpu_map", "thread_map", "counts_values", "LiveCaptureUnsupported",
] + list(_constants)
