"""The inlined functions perf 6.1 shows for a callchain frame (machine.c append_inlines,
srcline.c dso__parse_addr_inlines over the addr2line subprocess of a perf built without
libbfd).

For a frame with a symbol in a user dso, perf asks ``addr2line -e FILE -i -f`` about the
address, FILE being srcline.addr2line_file (the file the dso's .symtab came from, else the
dso itself; Debian's perf 6.1 asks even when it has no .debug_line, and
addr2line then names the function from the symbol table), and the address the frame's
map-relative address plus the dso's .text offset (map__rip_2objdump).  perf sends the
address and then "," (which addr2line answers as address 0: ``??``/``??:0``), and reads
two-line records until one whose second line is ``??:0``, addr2line's answer when it
knows nothing: a first record like that gives no entries at all.  Every other record
becomes an entry, innermost first: the name (whitespace trimmed, demangled as perf
demangles symbol names) and a srcline made of the second line split at its first colon:
the file's basename (the whole name with --full-source-path), ":", and what strtoul reads
of the rest (``??:?`` gives "??:0", ``:?`` ":0", ``f.c:7 (discriminator 2)`` "f.c:7").
An entry whose name is the frame symbol's name is that symbol itself; any other is an
"inlined" symbol spanning the frame symbol's range.  The entries replace the plain frame:
it is only appended when addr2line knows nothing, the file cannot be read, or there is
no symbol.  perf keeps one addr2line process, and the answers, per dso.
"""

import os
from typing import NamedTuple

from .addr2line import Addr2line
from .demangle import demangle
from .srcline import addr2line_file, text_offset

MAX_INLINE_NEST = 1024

_resolvers = {}        # (dso, symbol file) -> Addr2line, or None when it is no readable ELF
_answers = {}          # (dso, symbol file, address) -> [(name, file, line)], or None
_frames = {}           # (dso, symbol file, address, symbol name, full path) -> entries
_STRIM = " \t\n\v\f\r"  # what perf's strim() trims (isspace)


class InlineFrame(NamedTuple):
    """One entry perf appends for a frame: its symbol name, whether it is an inlined
    (made-up) symbol rather than the frame's own, and its srcline as perf's python
    callchain shows it (``sym_srcline``): None for perf's ":0" (an empty file name,
    as for hand-written assembly), which perf leaves out of the dict."""
    name: str
    inlined: bool
    srcline: "str | None"


def _resolver(owner, path):
    key = (owner, path)
    if key in _resolvers:
        return _resolvers[key]
    a2l = Addr2line(path) if os.path.isfile(path) else None
    if a2l is not None and not a2l.exists:
        a2l = None
    _resolvers[key] = a2l
    return a2l


def addr2line_address(dso, addr):
    """map__rip_2objdump for a user dso: the map-relative address plus .text's
    sh_addr - sh_offset of the runtime image."""
    runtime = getattr(dso, "runtime", None) or dso.long_name
    delta = text_offset(runtime) if runtime else None
    return (addr + (delta or 0)) & 0xFFFFFFFFFFFFFFFF


def inline_records(path, pc, owner=None):
    """What perf reads from addr2line for ``pc``: [(name, file, line)] innermost first,
    or None when perf gets no entries.  File and line are split the way perf splits
    addr2line's "file:line" (at the first colon, the line read as strtoul does).
    ``owner`` names the dso: perf starts one addr2line per dso, each answering in the
    order it is asked."""
    key = (owner, path, pc)
    if key in _answers:
        return _answers[key]
    a2l = _resolver(owner, path)
    records = a2l.lookup(pc) if a2l is not None else None
    out = None
    if records is not None:
        out = []
        for rec in records[:1 + MAX_INLINE_NEST]:
            function, where = rec.lines()
            file, _, rest = where.partition(":")
            out.append((function.strip(_STRIM), file, _strtoul(rest)))
    _answers[key] = out
    return out


def inline_frames(dso, symbol, addr, full_path=False):
    """The entries perf appends for a callchain frame instead of the plain one (a tuple,
    innermost first: perf's callee order; the caller order db-export uses reverses it),
    or None when perf appends the plain frame.  ``addr`` is the frame's map-relative address
    (Dso.map_ip); ``full_path`` is perf script's --full-source-path for the srclines."""
    if symbol is None:
        return None
    path = addr2line_file(dso)
    if path is None:
        return None
    pc = addr2line_address(dso, addr)
    owner = dso.long_name
    key = (owner, path, pc, symbol.name, full_path)
    if key in _frames:
        return _frames[key]
    records = inline_records(path, pc, owner)
    frames = None
    if records:
        frames = []
        for name, file, line in records:
            name = demangle(name)
            if not full_path:
                file = file[file.rfind("/") + 1:]
            srcline = "%s:%u" % (file, line)
            frames.append(InlineFrame(name, name != symbol.name,
                                      srcline if srcline != ":0" else None))
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
