"""perfscript: Linux perf's Python scripting, as an ordinary Python package.

Reads perf.data recordings without perf and runs scripts written for `perf script -s`.
"""

__version__ = "0.1.0"
