"""A dataset's schema for an event: its parts' schemas unified (frames.unify), the
source columns each part ends with kept last.

Each part keeps its own recording's schema (the table `perfscript.open(file)` gives,
plus the source columns), so converting a file never rewrites another's parts; files
are unified in the manifest's order (by path).
"""

from perfscript.frames.extras import require
from perfscript.frames.unify import unify

pa = require("pyarrow")

# what convert.with_source appends to every part (see convert.py)
SOURCE_COLUMNS = ("source_file", "source_host", "source_id")


def unify_parts(schemas):
    """`unify` for parts, whose source columns (their last ones) stay last."""
    schemas = list(schemas)
    n = len(SOURCE_COLUMNS)
    head = unify(pa.schema(list(s)[:len(s) - n]) for s in schemas)
    tail = unify(pa.schema(list(s)[len(s) - n:]) for s in schemas)
    return pa.schema(list(head) + [f for f in tail if f.name not in head.names])
