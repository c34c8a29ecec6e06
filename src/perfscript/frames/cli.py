"""`perfscript export` and `perfscript sql` (being written)."""

import sys


def main(argv):
    sys.stderr.write("perfscript: '%s' is not supported yet\n" % argv[0])
    return 129
