"""perf script's own text output: samples, side-band records, stat tables and the header
listing (and trace-cmd report's text for trace.dat). It formats; the command line
(perfscript.cli) parses options and sets exit statuses.

>>> import io
>>> from perfscript.output.fields import OutputSpec
>>> from perfscript.output.text import TextOptions, TextPrinter
>>> from perfscript.session.filters import SampleFilter
>>> from perfscript.session.session import Session
>>> session, out = Session("examples/sched.data"), io.StringIO()
>>> session.process(TextPrinter(session, OutputSpec(), TextOptions(), SampleFilter(), out))
>>> print(out.getvalue().splitlines()[0])
              sh 11985 [000]   673.163474: sched:sched_process_exec: filename=/usr/bin/sh pid=11985 old_pid=11985
"""
