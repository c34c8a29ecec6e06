"""Symbol resolution as perf 6.1 does it: kallsyms for the kernel, ELF files for user space.

Usage: one ``SymbolResolver`` per session; ``resolver.dso(filename, build_id).find(ip,
map_start, map_pgoff)`` gives ``(Symbol, symoff)`` or None.
"""

from .dso import Dso, KernelDso, ModuleDso
from .resolver import SymbolResolver
from .symbol import STB_GLOBAL, STB_LOCAL, STB_WEAK, Symbol
from .table import SymbolTable

__all__ = ["Dso", "KernelDso", "ModuleDso", "SymbolResolver", "Symbol", "SymbolTable",
           "STB_GLOBAL", "STB_LOCAL", "STB_WEAK"]
