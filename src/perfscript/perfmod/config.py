"""`perf.config_get`: a value of perf's configuration files, read by perf's rules.

The module reads the system file (/etc/perfconfig, unless PERF_CONFIG_NOSYSTEM is true)
and then the user's ($HOME/.perfconfig, unless PERF_CONFIG_NOGLOBAL is true; only when
owned by root or this user, and not empty); a later value replaces an earlier one. (The
perf command's PERF_CONFIG, one file instead of both, is not the module's.) The syntax is
git's, as perf reads it:

- `[section]` (lowercased) or `[section "subsection"]` (subsection kept as written);
- `name = value`: only the name's first letter is lowercased; a name without `=` has no
  value and is not kept; names outside any section are not kept;
- values: whitespace trimmed and runs of it made one space outside double quotes;
  escapes \\t \\b \\n \\\\ \\"; a backslash at the end of a line continues it; `#` or `;`
  starts a comment outside quotes;
- a line perf cannot read ends the file (what came before stays) and, in the system
  file, the reading altogether.
"""

import os
import sys

SYSTEM_FILE = "/etc/perfconfig"
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
_SECTION_CHARS = _NAME_CHARS | {"."}
_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "\\": "\\", '"': '"'}


class ConfigSyntaxError(ValueError):
    """A line perf's config reader rejects."""


def _truthy(name):
    v = os.environ.get(name)
    if v is None:
        return False
    v = v.strip().lower()
    if v in ("", "0", "false", "no", "off"):
        return False
    return True


def _value(text, lines):
    """A value from `text` (after '='), continued over `lines` (an iterator) after a
    trailing backslash."""
    out = []
    quoted = False
    space = False
    while True:
        i = 0
        while i < len(text):
            ch = text[i]
            if ch == "\\":
                if i + 1 == len(text):          # continued on the next line
                    break
                esc = _ESCAPES.get(text[i + 1])
                if esc is None:
                    raise ConfigSyntaxError("bad escape")
                if space and out:
                    out.append(" ")
                space = False
                out.append(esc)
                i += 2
                continue
            if ch == '"':
                quoted = not quoted
            elif not quoted and ch in "#;":
                if quoted:
                    raise ConfigSyntaxError("unterminated quote")
                return "".join(out)
            elif not quoted and ch.isspace():
                space = True
            else:
                if space and out:
                    out.append(" ")
                space = False
                out.append(ch)
            i += 1
        else:
            if quoted:
                raise ConfigSyntaxError("unterminated quote")
            return "".join(out)
        text = next(lines, "")


def parse_config(text):
    """{"section[.subsection].name": value} of one file; ConfigSyntaxError (with what
    was read before it as `.values` and the line as `.line`) at a bad line."""
    values = {}
    section = None
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = iter(text.splitlines())
    number = 0
    for raw in lines:
        number += 1
        line = raw.strip()
        try:
            if not line or line[0] in "#;":
                continue
            if line[0] == "[":
                end = line.find("]")
                if end < 0:
                    raise ConfigSyntaxError("bad section")
                head = line[1:end].strip()
                if '"' in head:
                    name, _, sub = head.partition('"')
                    if not sub.endswith('"'):
                        raise ConfigSyntaxError("bad subsection")
                    name = name.strip()
                    if not name or set(name) - _SECTION_CHARS:
                        raise ConfigSyntaxError("bad section")
                    section = name.lower() + "." + sub[:-1]
                else:
                    if not head or set(head) - _SECTION_CHARS:
                        raise ConfigSyntaxError("bad section")
                    section = head.lower()
                line = line[end + 1:].strip()
                if not line or line[0] in "#;":
                    continue
            name, eq, value = line.partition("=")
            name = name.strip()
            if not name or set(name) - _NAME_CHARS or not name[0].isalpha():
                raise ConfigSyntaxError("bad name")
            if not eq or section is None:
                continue
            values[section + "." + name[0].lower() + name[1:]] = _value(value.strip(), lines)
        except ConfigSyntaxError as e:
            e.values = values
            e.line = number
            raise
    return values


def config_files():
    """(path, is the system file) in reading order."""
    files = []
    if not _truthy("PERF_CONFIG_NOSYSTEM"):
        files.append((SYSTEM_FILE, True))
    home = os.environ.get("HOME")
    if home and not _truthy("PERF_CONFIG_NOGLOBAL"):
        files.append((os.path.join(home, ".perfconfig"), False))
    return files


def _readable_user_file(path):
    try:
        st = os.stat(path)
    except OSError:
        return False
    if st.st_uid not in (0, os.geteuid()):
        sys.stderr.write("Warning: File %s not owned by current user or root, ignoring it.\n"
                         % path)
        return False
    return st.st_size > 0


def config_values():
    values = {}
    for path, system in config_files():
        if not system and not _readable_user_file(path):
            continue
        try:
            with open(path, encoding="utf-8", errors="surrogateescape") as f:
                text = f.read()
        except OSError:
            continue
        try:
            values.update(parse_config(text))
        except ConfigSyntaxError as e:
            values.update(e.values)
            sys.stderr.write("bad config file line %d in %s\n" % (e.line, path))
            if system:
                break
    return values


def config_get(name, /):
    """The configured value of "section.name", or None when it has none."""
    if not isinstance(name, str):
        raise TypeError("argument 1 must be str, not %s" % type(name).__name__)
    return config_values().get(name)
