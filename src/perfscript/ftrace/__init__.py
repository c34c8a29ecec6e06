r"""ftrace event formats: the tracing-data blob, format files, print_fmt, decoding.

Knows nothing of perf.data or scripts; behaviour follows the libtraceevent that
perf 6.1 bundles, since that is what perf script's output depends on.

>>> fmt = parse_format(
...     "name: demo\nID: 7\nformat:\n"
...     "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n"
...     "\tfield:int pid;\toffset:4;\tsize:4;\tsigned:1;\n"
...     "\tfield:char comm[8];\toffset:8;\tsize:8;\tsigned:0;\n"
...     "\nprint fmt: \"comm=%s pid=%d\", REC->comm, REC->pid\n", system="demo")
>>> [f.name for f in fmt.fields]
['pid', 'comm']
>>> decode = make_field_decoder(fmt, False)         # payloads in little-endian order
>>> decode(bytes(4) + (42).to_bytes(4, "little") + b"sh\0\0\0\0\0\0")
[42, 'sh']
"""

from .decode import make_common_decoder, make_field_decoder, printable_text
from .format import EventFormat, Field, parse_format
from .printast import PrintFmt
from .printfmt import parse_print_fmt, parse_print_fmt_text
from .printitems import PrintItem, scan_print_format
from .symbols import SymbolWalker, eval_flag, symbol_callbacks
from .tracing_data import TracingData, parse_tracing_data

__all__ = [
    "EventFormat", "Field", "PrintFmt", "PrintItem", "SymbolWalker", "TracingData",
    "eval_flag", "make_common_decoder", "make_field_decoder", "parse_format",
    "parse_print_fmt", "parse_print_fmt_text", "parse_tracing_data", "printable_text",
    "scan_print_format", "symbol_callbacks",
]
