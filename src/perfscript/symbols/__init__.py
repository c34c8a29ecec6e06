r"""Symbol resolution as perf 6.1 does it: kallsyms for the kernel, ELF files for user space.

Usage: one ``SymbolResolver`` per session; ``resolver.dso(filename, build_id).find(ip,
map_start, map_pgoff)`` gives ``(Symbol, symoff)`` or None. Knows files, not recordings.

>>> import os, tempfile
>>> kallsyms = os.path.join(tempfile.mkdtemp(), "kallsyms")
>>> _ = open(kallsyms, "w").write("ffffffff81000000 T _text\n"
...                               "ffffffff81000100 T do_one\n"
...                               "ffffffff81000200 t do_two\n")
>>> kernel = SymbolResolver(kallsyms=kallsyms).kernel()
>>> sym, offset = kernel.find(0xffffffff81000150)
>>> sym.name, hex(offset)
('do_one', '0x50')
"""

from .dso import Dso, KernelDso, ModuleDso
from .resolver import SymbolResolver
from .symbol import STB_GLOBAL, STB_LOCAL, STB_WEAK, Symbol
from .table import SymbolTable

__all__ = ["Dso", "KernelDso", "ModuleDso", "SymbolResolver", "Symbol", "SymbolTable",
           "STB_GLOBAL", "STB_LOCAL", "STB_WEAK"]
