"""`python -m perfscript` is the `perfscript` command."""

import sys

from perfscript.cli import main

sys.exit(main())
