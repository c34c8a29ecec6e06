"""The tokenizer libtraceevent (as bundled with perf 6.1) applies to format files.

Format files and print_fmt are read with one small C-like tokenizer whose quirks
decide what perf accepts and how it groups things, so we reproduce its token
classes and rules rather than using a standard C lexer:

- ITEM is a run of letters, digits and '_' (so numbers like 0x40UL are one ITEM);
- strings keep their backslashes verbatim, end at a quote not preceded by a
  backslash, and adjacent double-quoted strings are joined;
- operators are one char, or the pairs '->', '++', '--', '||', '&&', '<<', '>>'
  and those followed by '=' (plus '==', '!=', '<=', '>=');
- a character outside printable ASCII ends the input (token NONE).

An unterminated string makes perf 6.1 loop forever; we report ERROR instead.
"""

NONE = "NONE"
ERROR = "ERROR"
SPACE = "SPACE"
NEWLINE = "NEWLINE"
OP = "OP"
DELIM = "DELIM"
ITEM = "ITEM"
DQUOTE = "DQUOTE"
SQUOTE = "SQUOTE"

# Token types that read like an operand (libtraceevent's "event_item_type").
ITEM_TYPES = frozenset((ITEM, DQUOTE, SQUOTE))

_SPACES = " \t\v\f\r"
_DOUBLING = "+|&><-"

# Kernel bugs worked around by libtraceevent: these macros leaked into old
# mac80211 formats; the tokenizer substitutes a string token for them.
_FORCED = {
    "LOCAL_PR_FMT": "%s",
    "STA_PR_FMT": " sta:%pM",
    "VIF_PR_FMT": " vif:%p(%d)",
}


def _char_type(ch):
    if ch == "\n":
        return NEWLINE
    if ch in _SPACES:
        return SPACE
    if ch.isascii() and (ch.isalnum() or ch == "_"):
        return ITEM
    if ch == "'":
        return SQUOTE
    if ch == '"':
        return DQUOTE
    if not ("\x20" <= ch <= "\x7e"):
        return NONE
    if ch in "(),":
        return DELIM
    return OP


class Lexer:
    """Reads tokens from one format text; position only moves forward."""

    __slots__ = ("text", "pos", "end")

    def __init__(self, text):
        self.text = text
        self.pos = 0
        self.end = len(text)

    def _peek(self):
        return self.text[self.pos] if self.pos < self.end else ""

    def _next(self):
        if self.pos >= self.end:
            return ""
        ch = self.text[self.pos]
        self.pos += 1
        return ch

    def raw_token(self):
        """One token, spaces and newlines included: (type, text)."""
        ch = self._next()
        if not ch:
            return NONE, None
        kind = _char_type(ch)
        if kind == NONE:
            return NONE, None
        if kind in (NEWLINE, DELIM):
            return kind, ch
        if kind == OP:
            return OP, self._operator(ch)
        if kind in (DQUOTE, SQUOTE):
            return self._quoted(kind, ch)
        start = self.pos - 1
        text, end = self.text, self.end
        pos = self.pos
        while pos < end and _char_type(text[pos]) == kind:
            pos += 1
        self.pos = pos
        word = text[start:pos]
        if kind == ITEM and word in _FORCED:
            return DQUOTE, _FORCED[word]
        return kind, word

    def _operator(self, ch):
        token = ch
        nxt = self._peek()
        if ch == "-" and nxt == ">":
            self.pos += 1
            return "->"
        if ch in _DOUBLING:
            if nxt == ch:
                self.pos += 1
                token += ch
                if ch not in "<>":
                    return token
            if self._peek() == "=":
                self.pos += 1
                token += "="
            return token
        if ch in "!=" and nxt == "=":
            self.pos += 1
            token += "="
        return token

    def _quoted(self, kind, quote):
        parts = []
        while True:
            start = self.pos
            last = quote
            while True:
                ch = self._next()
                if not ch:
                    return ERROR, None
                if ch == quote and last != "\\":
                    break
                last = ch
            parts.append(self.text[start:self.pos - 1])
            if kind != DQUOTE:
                break
            look = self.pos
            while look < self.end and self.text[look] in " \t\n\v\f\r":
                look += 1
            if look < self.end and self.text[look] == '"':
                self.pos = look + 1
                continue
            break
        return kind, "".join(parts)

    def token(self):
        """Next token, skipping spaces (newlines are returned)."""
        while True:
            kind, text = self.raw_token()
            if kind != SPACE:
                return kind, text

    def token_item(self):
        """Next token, skipping spaces and newlines."""
        while True:
            kind, text = self.raw_token()
            if kind not in (SPACE, NEWLINE):
                return kind, text
