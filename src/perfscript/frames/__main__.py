"""`python -m perfscript.frames -i FILE`: every event's rows and columns (the bench's
columnar row); the command itself is perfscript.cli.tables.count_rows."""

import sys

from perfscript.cli.exits import run
from perfscript.cli.tables import count_rows

if __name__ == "__main__":
    sys.exit(run(count_rows, sys.argv[1:], "python -m perfscript.frames"))
