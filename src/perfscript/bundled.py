"""perfscript's own exec path, laid out as perf's (`$PERF_EXEC_PATH/scripts/python/`):
perf's helper modules for handler scripts (Perf-Trace-Util: what `-s` scripts see in
PERF_EXEC_PATH) and perfscript's ports of perf's shipped scripts, written for the
`perf` module, with their `bin/NAME-record` and `bin/NAME-report` shell scripts (what
`perfscript report NAME` and the other script-name forms fall back to when perf's
scripts do not have NAME)."""

import os

EXEC_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "exec_path")
