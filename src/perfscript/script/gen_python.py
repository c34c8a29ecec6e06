"""`perf script -g python`: the skeleton script perf writes (being written)."""

import sys


def write_skeleton(session, directory):
    sys.stderr.write("perfscript: -g python is not supported yet\n")
    return 129
