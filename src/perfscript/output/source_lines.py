"""The source columns of perf script's text: `srcline` (map__fprintf_srcline) and
`srccode` (map__fprintf_srccode), from the line tables symbols/srcline.py reads.

perf asks addr2line for the map-relative address in its objdump form. An answer prints
as "file:line" (the file's base name unless --full-source-path), except addr2line's
"??:0"; no answer prints as "dso-short-name[objdump address]". Like perf, a dso whose
first 123 lookups all fail is not asked again (its later lookups fail too).
"""

import os

from perfscript.symbols.code import adjusts_symbols
from perfscript.symbols.srcline import source_file_lines, srcline

A2L_FAIL_LIMIT = 123
SRCLINE_UNKNOWN = "??:0"


def short_name(dso, m):
    """perf's dso->short_name: "[kernel.kallsyms]", "[module]", else the file's base name."""
    name = dso.name if dso is not None else m.filename
    if name.startswith("["):
        return name
    return os.path.basename(dso.long_name if dso is not None else name)


class SourceLines:
    """Per-run answers (perf keeps its addr2line state per dso and the printed source line
    per thread)."""

    def __init__(self, full_path=False):
        self.full_path = full_path
        self._fails = {}          # dso -> perf's a2l_fails (1 until a lookup succeeds)
        self._answers = {}        # (dso, addr) -> (file, line) or None
        self._last_code = {}      # thread -> (file, line) whose code was printed last

    def lookup(self, dso, addr):
        """(file, line) addr2line gives for a map-relative address, or None."""
        if dso is None:
            return None
        dso.table                           # loading finds its files
        fails = self._fails.get(dso, 1)
        if fails > A2L_FAIL_LIMIT:
            return None
        key = (dso, addr)
        if key in self._answers:
            found = self._answers[key]
        else:
            found = self._answers[key] = srcline(dso, addr)
        if found is not None:
            self._fails[dso] = 0
        elif fails:
            self._fails[dso] = fails + 1
        return found

    def srcline(self, m, dso, addr):
        """The srcline text of map-relative `addr`, "" when perf prints none."""
        if m is None:
            return ""
        found = self.lookup(dso, addr)
        if found is None:
            return "%s[%x]" % (short_name(dso, m), addr + (adjusts_symbols(dso) or 0))
        path, line = found
        if not self.full_path:
            path = path.rpartition("/")[2]
        text = "%s:%d" % (path, line)
        return "" if text.startswith(SRCLINE_UNKNOWN) else text

    def srccode(self, thread, m, dso, addr):
        """"|line     code" of the address's source line, "" when it has none or it is
        the line last printed for this thread."""
        if m is None:
            return ""
        found = self.lookup(dso, addr)
        if found is None or self._last_code.get(thread) == found:
            return ""
        code = source_code_line(*found)
        if code is None:
            return ""
        self._last_code[thread] = found
        return "|%-8d %s" % (found[1], code)


def source_code_line(path, line):
    """Line `line` of a source file without its newline, or None (perf's find_sourceline:
    only lines ended by a newline count); its bytes as they are."""
    lines = source_file_lines(path)
    if not 1 <= line <= len(lines):
        return None
    return lines[line - 1].decode("utf-8", "surrogateescape")
