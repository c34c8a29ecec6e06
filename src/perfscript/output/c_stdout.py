"""What perf writes with C stdio while a Python script runs, in the order a pipe sees it.

When stdout is not a terminal, glibc buffers perf's own output in blocks of the output's
st_blksize and flushes the rest only when perf exits, after the embedded interpreter has
flushed the script's output. So `perf script --header -s s.py | cat` shows the header's
whole blocks, then everything the script printed, then the header's tail. The two buffers
are apart: a block perf fills while the script runs (-D's dump) reaches the output before
whatever the script's print() still holds. A terminal is line-buffered and keeps the
written order.
"""

import os
import sys


class CStdout:
    """Collects perf-side text; `write` emits whole blocks, `close` the held tail."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.held = ""
        self.block = 0          # 0: pass everything through (a terminal)
        try:
            fd = self.stream.fileno()
            if not os.isatty(fd):
                self.block = os.fstat(fd).st_blksize or 8192
        except (AttributeError, OSError, ValueError):
            self.block = 0

    def write(self, text):
        if not self.block:
            self.stream.write(text)
            return
        self.held += text
        data = self.held.encode("utf-8", "surrogateescape")
        cut = len(data) - len(data) % self.block
        if cut:
            # past the interpreter's own buffer, as glibc's write(2) of a full block
            fd = self.stream.fileno()
            view = memoryview(data)[:cut]
            while view:
                view = view[os.write(fd, view):]
            self.held = data[cut:].decode("utf-8", "surrogateescape")

    def close(self):
        """perf's exit: the script's output has gone out; now the buffered tail."""
        if self.held:
            self.stream.flush()
            self.stream.write(self.held)
            self.held = ""
        self.stream.flush()
