"""The define_flag_* / define_symbolic_* calls perf makes for an event's print_fmt.

perf 6.1 walks the parsed print arguments once per event type before the first
handler call and reports every __print_flags / __print_symbolic table to the
script (Core.py builds flag_str()/symbol_str() from them). Its walk has quirks
that scripts can observe, and we reproduce them:

- every literal met anywhere in the arguments calls
  define_flag_value(event, <current field>, 0, literal_text);
- the "current field" is the last REC->field walked, and it is kept from one
  event to the next (module state in perf): use one SymbolWalker per run;
- a top-level __get_dynamic_array(_len) / __get_bitmask / helper-call argument
  ends the walk (the arguments after it are not visited);
- values are parsed by perf's eval_flag (strtoull for text starting with a
  digit, a few softirq/hrtimer names, else 0) and passed as a C long.
"""

from .cnum import strtoull, to_s64
from .printast import (
    Atom, Bitmask, Call, Cast, Cpumask, DynamicArray, DynamicArrayLen, FieldRef,
    Flags, Hex, HexStr, IntArray, Op, Symbolic,
)

# Names perf's eval_flag() knows (enum values the kernel does not expand).
FLAG_NAMES = {
    "HI_SOFTIRQ": 0, "TIMER_SOFTIRQ": 1, "NET_TX_SOFTIRQ": 2, "NET_RX_SOFTIRQ": 3,
    "BLOCK_SOFTIRQ": 4, "IRQ_POLL_SOFTIRQ": 5, "TASKLET_SOFTIRQ": 6,
    "SCHED_SOFTIRQ": 7, "HRTIMER_SOFTIRQ": 8, "RCU_SOFTIRQ": 9,
    "HRTIMER_NORESTART": 0, "HRTIMER_RESTART": 1,
}


def eval_flag(text):
    """perf's eval_flag(): the integer a flag/symbol value text stands for."""
    if text[:1].isascii() and text[:1].isdigit():
        return strtoull(text)
    return FLAG_NAMES.get(text, 0)


# Node kinds after which perf's walk returns without visiting the arguments
# that follow (it skips the `next` link); nested, they are simply skipped.
_STOPPERS = (DynamicArray, DynamicArrayLen, Bitmask, Cpumask, Call)


class SymbolWalker:
    """Produces perf's define_* calls, keeping the current field across events.

    current_field starts as None (perf would pass a NULL string and crash if an
    event's first walked node is a literal; we pass None).
    """

    def __init__(self):
        self.current_field = None

    def callbacks(self, event):
        """List of call tuples for `event`, in perf's order:
        ("define_flag_field", handler, field, delim)
        ("define_flag_value", handler, field, value, text)
        ("define_symbolic_field", handler, field)
        ("define_symbolic_value", handler, field, value, text)
        """
        out = []
        name = event.handler_name
        for arg in event.print_args:
            if isinstance(arg, _STOPPERS):
                break
            self._walk(arg, name, out)
        return out

    def _value(self, kind, name, entry, out):
        value = to_s64(eval_flag(entry.value))
        out.append((kind, name, self.current_field, value, entry.text))

    def _walk(self, node, name, out):
        kind = type(node)
        if kind is Atom:
            out.append(("define_flag_value", name, self.current_field, 0, node.text))
        elif kind is FieldRef:
            self.current_field = node.name
        elif kind is Op:
            self._walk(node.left, name, out)
            self._walk(node.right, name, out)
        elif kind is Cast:
            self._walk(node.item, name, out)
        elif kind is Flags:
            self._walk(node.value, name, out)
            out.append(("define_flag_field", name, self.current_field, node.delim))
            for entry in node.entries:
                self._value("define_flag_value", name, entry, out)
        elif kind is Symbolic:
            self._walk(node.value, name, out)
            out.append(("define_symbolic_field", name, self.current_field))
            for entry in node.entries:
                self._value("define_symbolic_value", name, entry, out)
        elif kind is Hex or kind is HexStr:
            self._walk(node.field, name, out)
            self._walk(node.size, name, out)
        elif kind is IntArray:
            self._walk(node.field, name, out)
            self._walk(node.count, name, out)
            self._walk(node.el_size, name, out)


def symbol_callbacks(event, current_field=None):
    """perf's define_* calls for one event (see SymbolWalker for run-wide state)."""
    walker = SymbolWalker()
    walker.current_field = current_field
    return walker.callbacks(event)
