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

import re

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

# Kernel bugs worked around by libtraceevent: these macros leaked into old
# mac80211 formats; the tokenizer substitutes a string token for them.
FORCED = {
    "LOCAL_PR_FMT": "%s",
    "STA_PR_FMT": " sta:%pM",
    "VIF_PR_FMT": " vif:%p(%d)",
}

# Every printable ASCII character that is no other token's: a one-char operator.
_OP_CHARS = "".join(ch for ch in map(chr, range(0x21, 0x7F))
                    if not (ch.isalnum() or ch in "_'\"(),"))

# All tokens but quoted strings, in the groups' order of preference. Operators
# '+|&><-' double ('++'; '<<' and '>>' may then take '='), '->' is one token,
# and any of '+-|&<>!=' takes a following '='.
_WORDS = (r"(?P<%s>[A-Za-z0-9_]+)|(?P<%s>[(),])"
          r"|(?P<%s>->|\+\+|--|\|\||&&|<<=?|>>=?|[-+|&<>!=]=|[%s])"
          % (ITEM, DELIM, OP, re.escape(_OP_CHARS)))
_TOKEN = re.compile(r"(?P<%s>[ \t\v\f\r]+)|(?P<%s>\n)|" % (SPACE, NEWLINE) + _WORDS)
# The same after spaces (token), or after spaces and newlines (token_item).
_AFTER_SPACES = re.compile(r"[ \t\v\f\r]*(?:(?P<%s>\n)|%s)" % (NEWLINE, _WORDS))
_AFTER_BLANKS = re.compile(r"[ \t\n\v\f\r]*(?:%s)" % _WORDS)
_DQUOTE_JOIN = re.compile(r'[ \t\n\v\f\r]*"')


class Lexer:
    """Reads tokens from one format text; position only moves forward."""

    __slots__ = ("text", "pos", "end")

    def __init__(self, text):
        self.text = text
        self.pos = 0
        self.end = len(text)

    def raw_token(self):
        """One token, spaces and newlines included: (type, text)."""
        match = _TOKEN.match(self.text, self.pos)
        if match is not None:
            self.pos = match.end()
            kind = match.lastgroup
            word = match.group()
            if kind == ITEM and word in FORCED:
                return DQUOTE, FORCED[word]
            return kind, word
        if self.pos >= self.end:
            return NONE, None
        ch = self.text[self.pos]
        self.pos += 1
        if ch == '"':
            return self._quoted(DQUOTE, ch)
        if ch == "'":
            return self._quoted(SQUOTE, ch)
        return NONE, None           # a character outside printable ASCII

    def _quoted(self, kind, quote):
        """The string after an opening quote: up to a quote not preceded by a
        backslash (the opening quote counts as the first 'previous' char);
        adjacent double-quoted strings are joined."""
        text = self.text
        parts = []
        while True:
            start = self.pos
            close = text.find(quote, start)
            while close > start and text[close - 1] == "\\":
                close = text.find(quote, close + 1)
            if close < 0:
                self.pos = self.end
                return ERROR, None
            parts.append(text[start:close])
            self.pos = close + 1
            if kind != DQUOTE:
                break
            joined = _DQUOTE_JOIN.match(text, self.pos)
            if joined is None:
                break
            self.pos = joined.end()
        return kind, "".join(parts)

    def token(self):
        """Next token, skipping spaces (newlines are returned)."""
        return self._next(_AFTER_SPACES, (SPACE,))

    def token_item(self):
        """Next token, skipping spaces and newlines."""
        return self._next(_AFTER_BLANKS, (SPACE, NEWLINE))

    def _next(self, after_skipped, skipped):
        match = after_skipped.match(self.text, self.pos)
        if match is not None:
            self.pos = match.end()
            kind = match.lastgroup
            word = match.group(kind)
            if kind == ITEM and word in FORCED:
                return DQUOTE, FORCED[word]
            return kind, word
        while True:     # a string, a character that ends the input, or the end
            kind, text = self.raw_token()
            if kind not in skipped:
                return kind, text
