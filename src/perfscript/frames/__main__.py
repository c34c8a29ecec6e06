"""`python -m perfscript.frames -i FILE`: decode every event of a recording into Arrow
tables and print each event's rows and columns (the bench's columnar row)."""

import argparse
import sys
import time


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m perfscript.frames", description=__doc__)
    ap.add_argument("-i", "--input", default="perf.data")
    ap.add_argument("--time", action="store_true", help="print the seconds taken")
    opts = ap.parse_args(argv)
    from perfscript.frames.trace import open as open_trace
    t0 = time.perf_counter()
    with open_trace(opts.input) as t:
        tables = t.tables()
        for name, tb in tables.items():
            sys.stdout.write("%s\t%d rows\t%d columns\n" % (name, tb.num_rows, tb.num_columns))
    if opts.time:
        sys.stdout.write("%.3f s\n" % (time.perf_counter() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
