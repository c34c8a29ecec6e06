"""`perf.config_get`: a value of perf's configuration files, read by perf's rules.

perf reads the system file (/etc/perfconfig, unless PERF_CONFIG_NOSYSTEM is set) and
then the user's (~/.perfconfig, unless PERF_CONFIG_NOGLOBAL is set); PERF_CONFIG names
one file to read instead of both. A later value replaces an earlier one. The syntax is
git's: `[section]` or `[section "subsection"]` headers, `name = value` lines, `#` and
`;` comments, double quotes and backslash escapes in values; section and variable
names are case-insensitive (subsections are not), a variable without `=` is true.
"""

import os

SYSTEM_FILE = "/etc/perfconfig"


def _truthy(name):
    v = os.environ.get(name)
    if v is None:
        return False
    return v.strip().lower() not in ("", "0", "false", "no", "off")


def config_files():
    exclusive = os.environ.get("PERF_CONFIG")
    if exclusive:
        return [exclusive]
    files = []
    if not _truthy("PERF_CONFIG_NOSYSTEM"):
        files.append(SYSTEM_FILE)
    home = os.environ.get("HOME")
    if home and not _truthy("PERF_CONFIG_NOGLOBAL"):
        files.append(os.path.join(home, ".perfconfig"))
    return files


def _value(text):
    """A value's text after '=': quotes joined, escapes applied, comments cut."""
    out = []
    quoted = False
    i = 0
    pending_space = ""
    while i < len(text):
        ch = text[i]
        if ch == '"':
            quoted = not quoted
        elif ch == "\\" and i + 1 < len(text):
            i += 1
            out.append(pending_space + {"n": "\n", "t": "\t", "b": "\b"}.get(text[i], text[i]))
            pending_space = ""
        elif ch in "#;" and not quoted:
            break
        elif ch.isspace() and not quoted:
            if out:
                pending_space += ch
        else:
            out.append(pending_space + ch)
            pending_space = ""
        i += 1
    return "".join(out)


def parse_config(text):
    """{"section[.subsection].name": value} of one file's text."""
    values = {}
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            end = line.find("]")
            if end < 0:
                section = None
                continue
            head = line[1:end].strip()
            if '"' in head:
                name, _, sub = head.partition('"')
                section = name.strip().lower() + "." + sub.rstrip('"')
            else:
                section = head.lower()
            rest = line[end + 1:].strip()
            if not rest or rest[0] in "#;":
                continue
            line = rest
        if section is None:
            continue
        name, eq, value = line.partition("=")
        key = section + "." + name.strip().lower()
        values[key] = _value(value.strip()) if eq else "true"
    return values


def config_get(name):
    """The configured value of `name` ("section.variable"), or None."""
    if not isinstance(name, str):
        raise TypeError("name must be a str")
    section, _, var = name.rpartition(".")
    key = section.lower() + "." + var.lower() if section else name.lower()
    found = None
    for path in config_files():
        try:
            with open(path, encoding="utf-8", errors="surrogateescape") as f:
                text = f.read()
        except OSError:
            continue
        got = parse_config(text).get(key)
        if got is not None:
            found = got
    return found
