"""ftrace event formats: the tracing-data blob, format files, print_fmt, decoding.

Knows nothing of perf.data or scripts; behaviour follows the libtraceevent that
perf 6.1 bundles, since that is what perf script's output depends on.
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
