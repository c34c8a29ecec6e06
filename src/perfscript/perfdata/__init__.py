"""The perf.data container: file header, attrs, features, records, pipe mode, compression.

Knows the file's layout (container.py, features.py, records.py), the layout of each
record (sample.py for samples, record_types.py for the others, callchain context
markers) and nothing of what a session makes of them. A recording's events and records,
as `perf report --header-only` and `perf script -D` list them:

>>> from collections import Counter
>>> from perfscript.perfdata import constants as C
>>> from perfscript.perfdata.container import PerfData
>>> from perfscript.perfdata.records import RecordWalker
>>> from perfscript.perfdata.record_types import parse_record
>>> pd = PerfData("examples/sched.data")
>>> [(a.attr.type, a.attr.config) for a in pd.attrs]       # three tracepoints
[(2, 372), (2, 365), (2, 369)]
>>> types = Counter(typ for typ, *_ in RecordWalker(pd))
>>> types[C.RECORD_SAMPLE], types[C.RECORD_COMM], types[C.RECORD_MMAP2]
(21, 6, 24)
>>> sorted({parse_record(typ, misc, buf, off, off + size, pd.endian).comm
...         for typ, misc, size, buf, off, _ in RecordWalker(pd) if typ == C.RECORD_COMM})
['head', 'ls', 'perf-exec', 'sh', 'sleep']
"""
