"""The inlined functions perf 6.1 shows for a callchain frame (machine.c append_inlines,
srcline.c dso__parse_addr_inlines over the addr2line subprocess of a perf built without
libbfd).

For a frame with a symbol in a user dso, perf asks ``addr2line -e FILE -i -f`` about the
address, FILE being the dso's symbol file (its ``symsrc``: the debug file when there is
one, else the dso itself; Debian's perf 6.1 asks even when it has no .debug_line, and
addr2line then names the function from the symbol table, "??:0"), and the address the
frame's map-relative address plus the dso's .text offset (map__rip_2objdump).  Each record
addr2line prints becomes an entry, innermost first: the name (demangled as perf demangles
symbol names) and ``basename:line``.  An entry whose name is the frame symbol's name is
that symbol itself; any other is an "inlined" symbol spanning the frame symbol's range.
The entries replace the plain frame: it is only appended when addr2line knows nothing
(prints ``??:0``), the file cannot be read, or there is no symbol.  perf caches the
answer per dso and address.
"""

import os
from typing import NamedTuple

from .addr2line import Addr2line
from .demangle import demangle
from .srcline import text_offset

MAX_INLINE_NEST = 1024

_resolvers = {}        # symbol file -> Addr2line, or None when it is no readable ELF file
_answers = {}          # (symbol file, address) -> [(name, file, line)], or None
_frames = {}           # (symbol file, address, symbol name, full path) -> entries


class InlineFrame(NamedTuple):
    """One entry perf appends for a frame: its symbol name, whether it is an inlined
    (made-up) symbol rather than the frame's own, and the srcline perf keeps for it."""
    name: str
    inlined: bool
    srcline: str


def symbol_file(dso):
    """The file perf hands addr2line for a dso (srcline_dso_name), or None."""
    if dso is None or getattr(dso, "kernel", False):
        return None
    path = getattr(dso, "symsrc", None) or dso.long_name
    if not path or path.startswith("[") or path.startswith("/tmp/perf-"):
        return None
    return path


def _resolver(path):
    if path in _resolvers:
        return _resolvers[path]
    a2l = Addr2line(path) if os.path.isfile(path) else None
    if a2l is not None and not a2l.exists:
        a2l = None
    _resolvers[path] = a2l
    return a2l


def addr2line_address(dso, addr):
    """map__rip_2objdump for a user dso: the map-relative address plus .text's
    sh_addr - sh_offset of the runtime image."""
    runtime = getattr(dso, "runtime", None) or dso.long_name
    delta = text_offset(runtime) if runtime else None
    return (addr + (delta or 0)) & 0xFFFFFFFFFFFFFFFF


def inline_records(path, pc):
    """What perf reads from addr2line for ``pc``: [(name, file, line)] innermost first,
    or None when perf gets no entries.  File and line are split the way perf splits
    addr2line's "file:line" (at the first colon, the line read as strtoul does)."""
    key = (path, pc)
    if key in _answers:
        return _answers[key]
    a2l = _resolver(path)
    records = a2l.lookup(pc) if a2l is not None else None
    out = None
    if records is not None:
        out = []
        for rec in records[:1 + MAX_INLINE_NEST]:
            function, where = rec.lines()
            file, _, rest = where.partition(":")
            out.append((function.strip(), file, _strtoul(rest)))
    _answers[key] = out
    return out


def inline_frames(dso, symbol, addr, full_path=False):
    """The entries perf appends for a callchain frame instead of the plain one (a tuple,
    innermost first: perf's callee order; the caller order db-export uses reverses it),
    or None when perf appends the plain frame.  ``addr`` is the frame's map-relative address
    (Dso.map_ip); ``full_path`` is perf script's --full-source-path for the srclines."""
    if symbol is None:
        return None
    path = symbol_file(dso)
    if path is None:
        return None
    pc = addr2line_address(dso, addr)
    key = (path, pc, symbol.name, full_path)
    if key in _frames:
        return _frames[key]
    records = inline_records(path, pc)
    frames = None
    if records:
        frames = []
        for name, file, line in records:
            name = demangle(name)
            if not full_path:
                file = file[file.rfind("/") + 1:]
            frames.append(InlineFrame(name, name != symbol.name, "%s:%u" % (file, line)))
        frames = tuple(frames)
    _frames[key] = frames
    return frames


def _strtoul(text):
    """C's strtoul(text, NULL, 0) for the line number perf reads (decimal here)."""
    text = text.lstrip()
    digits = ""
    for c in text:
        if not c.isdigit():
            break
        digits += c
    if not digits:
        return 0
    if len(digits) > 1 and digits[0] == "0":
        octal = ""
        for c in digits:
            if c not in "01234567":
                break
            octal += c
        return int(octal, 8) & 0xFFFFFFFF
    return int(digits) & 0xFFFFFFFF
