"""ftrace:bprint records (trace_printk with a constant format): the text
libtraceevent prints for them.

The record holds the caller's address (`ip`), the address of the format (`fmt`,
looked up in the printk formats) and the arguments packed by the kernel's
vbin_printf into `buf`. As libtraceevent does, the format becomes "%ps: " + the
printk format, the arguments are unpacked by walking that format (numbers are
4-byte aligned, 4 bytes, a long or 8 bytes by their l/ll count; %s strings are
NUL-terminated in place; %p with an extension other than s/S/f/F/x is a string
when its first byte is printable), and the result is printed like any print_fmt.
A missing format prints "(NO FORMAT FOUND at <addr>)".
"""

import struct

from . import render_cfmt as cfmt
from .printitems import POINTER, STRING, TEXT, scan_print_format

_C_PRINTABLE = frozenset(range(0x20, 0x7F))


class _Str(bytes):
    """A string argument taken from the record (libtraceevent's BSTRING)."""


def _unpack_args(fmt, buf, buf_offset, size, long_size, read):
    """The argument values the format's conversions consume, from buf."""
    args = []
    pos = buf_offset
    i = len("%ps: ")
    n = len(fmt)
    while pos < size and i < n:
        if fmt[i] == "%":
            ls = 0
            while True:
                i += 1
                ch = fmt[i] if i < n else ""
                if ch == "l":
                    ls += 1
                    continue
                if ch == "L":
                    ls = 2
                    continue
                if ch in ("z", "Z"):
                    ls = 1
                    continue
                if ch and ch in "0123456789.#+":
                    continue
                number = ch != "" and ch in "duixXo"
                if ch == "p":
                    ls, number = 1, True
                    nxt = fmt[i + 1] if i + 1 < n else ""
                    if nxt.isascii() and nxt.isalnum():
                        i += 1
                        special = nxt in "sSx" or (nxt in "fF" and fmt[i + 1:i + 2] != "w")
                        if not special and pos < len(buf) and buf[pos] in _C_PRINTABLE:
                            pos = _take_string(buf, pos, args)
                            break
                if number or ch == "*":
                    vsize = 4 if ch == "*" or ls == 0 else (
                        long_size if ls == 1 else 8 if ls == 2 else ls)
                    pos = (pos + 3) & ~3
                    args.append(read(buf, pos, vsize))
                    pos += vsize
                    if ch == "*":
                        continue    # the value was a width: read on to its conversion
                elif ch == "s":
                    pos = _take_string(buf, pos, args)
                break
        i += 1
    return args


def _take_string(buf, pos, args):
    end = buf.find(b"\0", pos)
    if end < 0:
        end = len(buf)
    args.append(_Str(buf[pos:end]))
    return end + 1


def make_bprint_renderer(event, *, long_size, big_endian, printk, symbolize=None):
    """fn(raw) -> bytes: the text printed for one ftrace:bprint record."""
    order = ">" if big_endian else "<"
    readers = {size: struct.Struct(order + code).unpack_from
               for size, code in ((1, "B"), (2, "H"), (4, "I"), (8, "Q"))}

    def read(buf, offset, size):
        reader = readers.get(size)
        if reader is None or offset + size > len(buf):
            return 0
        return reader(buf, offset)[0]

    fields = {f.name: f for f in event.fields}
    ip_field, fmt_field, buf_field = fields.get("ip"), fields.get("fmt"), fields.get("buf")
    if ip_field is None or fmt_field is None or buf_field is None:
        missing = "ip" if ip_field is None else ("fmt" if fmt_field is None else "buf")
        text = b"[can't find %s field for binary printk]" % missing.encode()
        return lambda raw: text
    symbolize = symbolize or (lambda addr: None)
    compiled = {}

    def render(raw):
        raw = bytes(raw)
        addr = read(raw, fmt_field.offset, fmt_field.size)
        ip = read(raw, ip_field.offset, ip_field.size)
        text = printk.get(addr)
        if text is None:
            fmt = "%%ps: (NO FORMAT FOUND at %x)\n" % addr
        else:
            fmt = "%ps: " + text
        args = [ip] + _unpack_args(fmt, raw, buf_field.offset, len(raw), long_size, read)
        items = compiled.get((fmt, len(args)))
        if items is None:
            items = compiled[(fmt, len(args))] = scan_print_format(fmt, range(len(args)))[0]
        return b"".join(_print_item(item, args, symbolize, long_size) for item in items)
    return render


def _print_item(item, args, symbolize, long_size):
    if item.kind == TEXT:
        return item.text.encode("utf-8", "surrogateescape")
    value = args[item.arg]
    star = None
    if item.width_arg is not None:
        star = args[item.width_arg]
        star = star if not isinstance(star, _Str) else 0
        star = (star & 0xFFFFFFFF) - ((star & 0x80000000) << 1)
    if item.kind == STRING:
        text = bytes(value) if isinstance(value, _Str) else b"%d" % _signed(value)
        return cfmt.string_formatter(item.text)(text, star)
    if item.kind == POINTER:
        if isinstance(value, _Str):
            return bytes(value)
        suffix = item.text[item.text.index("p") + 1:][:1]
        if suffix in ("s", "S", "f", "F"):
            found = symbolize(value)
            if found is None:
                return b"0x%x" % value
            name, offset = found
            name = name.encode("utf-8", "surrogateescape") if isinstance(name, str) else name
            return name + (b"+0x%x" % offset if suffix in ("S", "F") else b"")
        if suffix in ("M", "m", "I", "i", "U", "h"):
            return b"ARG TYPE NOT FIELD BUT 1"
        return b"0x%x" % value if value else b"(nil)"
    if isinstance(value, _Str):
        value = 0
    spec = cfmt.Spec(item.text)
    number = cfmt.int_converter(spec, item.length)(value)
    return cfmt.int_formatter(spec)(number, star)


def _signed(value):
    return value - (1 << 64) if value >= 1 << 63 else value
