"""`import perf` answered by perfscript's implementation of upstream perf's module.

This directory is put on PYTHONPATH on purpose (`perfscript --perf-module-path` prints
it); it is never installed as a top-level `perf`, which would shadow a real one.
"""

from perfscript.perfmod import *  # noqa: F401,F403
from perfscript.perfmod import __all__, __doc__  # noqa: F401
