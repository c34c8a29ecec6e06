"""The one error type for bad input, so the CLI can print one located line."""

# control characters, written as \xNN
_ESCAPED = {c: "\\x%02x" % c for c in (*range(0x20), 0x7f)}


class PerfDataError(Exception):
    """A recording could not be read: names the file, the byte offset and what was wrong."""

    def __init__(self, what, path=None, offset=None):
        super().__init__(what)
        self.what = what
        self.path = path
        self.offset = offset

    def __str__(self):
        where = self.path or "<input>"
        if self.offset is not None:
            where = "%s: offset %d (0x%x)" % (where, self.offset, self.offset)
        # what may quote bytes of the file: its control characters never break the line
        return "%s: %s" % (where, str(self.what).translate(_ESCAPED))
