"""perf's script API, as perf 6.1 gives it to scripts run with `perf script -s`: handler
calls with perf's arguments and types (engine.py; compiled per-event paths in
fast_tracepoint.py; column-wise calls in batch_dispatch.py, made by C-level maps in
call_stream.py from tracepoint_plan.py's and sample_plan.py's columns), perf_sample_dict
(sample_dict.py), the perf_trace_context module (context.py), db-export mode
(db_export.py, thread_stack.py), perf stat's handlers (stat.py) and the skeleton that
`perf script -g python` writes (gen_python.py).

A script runs in this process as perf runs it in its embedded interpreter; here, in a
child process, the bundled example against what perf printed for it:

>>> import subprocess, sys
>>> run = subprocess.run([sys.executable, "-m", "perfscript", "-i", "examples/sched.data",
...                       "-s", "examples/sched_summary.py"], capture_output=True, text=True)
>>> run.stdout == open("examples/sched_summary.expected").read()
True
>>> import os, tempfile
>>> from perfscript.script.gen_python import write_skeleton
>>> from perfscript.session.session import Session
>>> with tempfile.TemporaryDirectory() as where:
...     status = write_skeleton(Session("examples/sched.data"), where)
...     skeleton = open(os.path.join(where, "perf-script.py")).read()
>>> status, "def sched__sched_switch(" in skeleton
(0, True)
"""
