"""Event id -> EventFormat, each format parsed the first time it is asked for.

A trace.dat stores the format of every event the kernel has (2000+), a perf.data
those of its tracepoints; a run uses the few that have records. Adding a format
reads only its name and ID; its fields and print fmt are parsed on first use.

The one thing that ties formats together is libtraceevent's __print_flags /
__print_symbolic marker, which a print fmt can leave set for the next event in
file order (printfmt._FlagState). A format is therefore parsed with the marker
as the eager parse in file order would have left it: the formats before it
that may leave it set (few: those whose __print_flags/__print_symbolic is not
directly followed by `REC->field`) are parsed first, and while the marker is
set so is each format after them, until one clears it.

>>> table = FormatTable()
>>> table.add("name: a\\nID: 3\\nformat:\\n\\n\\nprint fmt: \\"x\\"\\n", "s")
True
>>> table.add("name: b\\nID: 4\\nformat:\\n\\n\\nprint fmt: \\"y\\"\\n", "s")
True
>>> list(table.names()), table.parsed_count
([(3, 's', 'a'), (4, 's', 'b')], 0)
>>> table[4].print_fmt, table.parsed_count
('y', 1)
"""

import re
from bisect import bisect_left
from collections.abc import Mapping

from .format import parse_format, read_header
from .printfmt import _FlagState

_CLEAR = (False, False)
_MARKER_SET = re.compile(r"__print_(?:flags|symbolic)")
# a __print_flags/__print_symbolic call whose first argument starts with a field (maybe
# in parentheses, maybe cast to unsigned long): it sets the marker and that field's
# REC-> clears it before anything can fail
_MARKS_AT_ONCE = re.compile(r"__print_(?:flags|symbolic)\((?:\(+(?:unsigned long\))?)?"
                            r"REC->[A-Za-z0-9_]")
_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def _may_leave_marker(text):
    """Whether parsing this format may leave the marker set (conservative)."""
    if "__print_" not in text:
        return False
    for match in _MARKER_SET.finditer(text):
        start = match.start()
        if start and text[start - 1] in _WORD or not _MARKS_AT_ONCE.match(text, start):
            return True
    return "_PR_FMT" in text


class FormatTable(Mapping):
    """The formats of one tracing-data blob or trace.dat, by event id (the first
    format of a repeated id wins, as before; the later one still counts for the
    marker). Iterating gives ids in file order without parsing; values() and
    items() parse every format."""

    def __init__(self, *, long_size=8, big_endian=False, extended=False, functions=()):
        self.long_size = long_size
        self.big_endian = big_endian
        self.extended = extended
        self.functions = functions
        self._formats = []      # (system, text, name, id) of every indexable format
        self._first = {}        # id -> index of its first format
        self._parsed = {}       # index -> EventFormat
        self._after = {}        # index -> the marker (flag, symbolic) its parse left
        self._leavers = []      # indexes of the formats that may leave the marker set

    def add(self, text, system):
        """Index one format file (str or bytes); False when it has no readable name
        and ID (perf drops such a format)."""
        if not isinstance(text, str):
            text = bytes(text).decode("utf-8", "surrogateescape")
        header = read_header(text)
        if header is None:
            return False
        index = len(self._formats)
        self._formats.append((system, text, header[0], header[1]))
        self._first.setdefault(header[1], index)
        if _may_leave_marker(text):
            self._leavers.append(index)
        return True

    # ------------------------------------------------------------ Mapping

    def __getitem__(self, event_id):
        index = self._first[event_id]
        event = self._parsed.get(index)
        if event is None:
            event = self._parse(index, self._marker_before(index))
        return event

    def __contains__(self, event_id):
        return event_id in self._first

    def __iter__(self):
        return iter(self._first)

    def __len__(self):
        return len(self._first)

    # ------------------------------------------------------------ cheap lookups

    def names(self):
        """(id, system, name) of each event in file order, nothing parsed."""
        formats = self._formats
        for event_id, index in self._first.items():
            system, _, name, _ = formats[index]
            yield event_id, system, name

    def find(self, system, name):
        """The EventFormat of the first event with this system and name, or None."""
        for event_id, sys_name, ev_name in self.names():
            if ev_name == name and sys_name == system:
                return self[event_id]
        return None

    def first(self):
        """The first event's format (libtraceevent reads every record's common
        fields where it has them), or None."""
        return self[next(iter(self._first))] if self._first else None

    @property
    def parsed_count(self):
        """How many format files have been parsed so far."""
        return len(self._parsed)

    # ------------------------------------------------------------ parsing

    def _parse(self, index, marker):
        system, text, _, _ = self._formats[index]
        state = _FlagState()
        state.flag, state.symbolic = marker
        event = parse_format(text, system, long_size=self.long_size,
                             big_endian=self.big_endian, extended=self.extended,
                             functions=self.functions, _flag_state=state)
        self._parsed[index] = event
        self._after[index] = (state.flag, state.symbolic)
        return event

    def _marker_after(self, index, marker):
        """The marker after format `index`, given the one before it (parsing it
        unless it was parsed already, which was with that same marker)."""
        after = self._after.get(index)
        if after is None:
            self._parse(index, marker)
            after = self._after[index]
        return after

    def _marker_before(self, index):
        """The marker the eager parse in file order would leave before `index`."""
        leavers = self._leavers
        known = bisect_left(leavers, index)
        while known and leavers[known - 1] not in self._after:
            known -= 1
        if known:
            pos = leavers[known - 1] + 1
            marker = self._after[pos - 1]
        else:
            pos, marker = 0, _CLEAR
        while pos < index:
            if marker == _CLEAR:     # only a leaver can set it again
                nxt = bisect_left(leavers, pos)
                if nxt == len(leavers) or leavers[nxt] >= index:
                    break
                pos = leavers[nxt]
            marker = self._marker_after(pos, marker)
            pos += 1
        return marker
