"""perf's --itrace option grammar, as perf_set_itrace_options() checks a script's string
(perf 6.1's itrace_do_parse_synth_opts): 0 when perf takes it, -EINVAL when not.

Letters: i[period[i|t|ns|us|ms]] b c r x w p o e d (e/d with +x/-x flags) g/G/l/L[size]
s<skip> f m t a M q A I Z; spaces and commas separate.
"""

EINVAL = 22
MAX_CALLCHAIN = 1024
MAX_LAST_BRANCH = 1024
_SIMPLE = set("bcrxwpofmtaMqAIZ ,")
_U32 = 0xFFFFFFFF
_ULONG_MAX = (1 << 64) - 1


def _skip_separators(s, p):
    while p < len(s) and s[p] in " ,":
        p += 1
    return p


def _digits(s, p):
    """(value as C's strtoul saturates it, end) of the decimal digits at p."""
    end = p
    while end < len(s) and s[end].isascii() and s[end].isdigit():
        end += 1
    return min(int(s[p:end]), _ULONG_MAX), end


def _flags(s, p):
    """get_flags: +x / -x lowercase letters (spaces allowed); the end, or None."""
    while p < len(s):
        c = s[p]
        if c in "+-":
            p += 1
            while p < len(s) and s[p] == " ":
                p += 1
            if p >= len(s) or not "a" <= s[p] <= "z":
                return None
            p += 1
        elif c == " ":
            p += 1
        else:
            break
    return p


def _strtoul(s, p):
    """C's strtoul(s + p, &end, 10): the end, or p when it reads no number."""
    q = p
    while q < len(s) and s[q] in " \t\n\v\f\r":
        q += 1
    if q < len(s) and s[q] in "+-":
        q += 1
    if q < len(s) and s[q].isascii() and s[q].isdigit():
        return _digits(s, q)[1]
    return p


def parse_itrace_options(s):
    """0 when perf accepts the options, -EINVAL when it does not."""
    p = 0
    n = len(s)
    while p < n:
        c = s[p]
        p += 1
        if c in _SIMPLE:
            continue
        if c == "i":
            p = _skip_separators(s, p)
            if p < n and s[p].isascii() and s[p].isdigit():
                _, p = _digits(s, p)
                p = _skip_separators(s, p)
                if p >= n:
                    return 0
                kind = s[p]
                p += 1
                if kind in "mun":
                    if p >= n or s[p] != "s":
                        return -EINVAL
                    p += 1
                elif kind not in "it":
                    return -EINVAL
        elif c in "ed":
            p = _flags(s, p)
            if p is None:
                return -EINVAL
        elif c in "gGlL":
            limit = MAX_CALLCHAIN if c in "gG" else MAX_LAST_BRANCH
            p = _skip_separators(s, p)
            if p < n and s[p].isascii() and s[p].isdigit():
                val, p = _digits(s, p)
                val &= _U32
                if not val or val > limit:
                    return -EINVAL
        elif c == "s":
            end = _strtoul(s, p)
            if end == p:
                return -EINVAL
            p = end
        else:
            return -EINVAL
    return 0
