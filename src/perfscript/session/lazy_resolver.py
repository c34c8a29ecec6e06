"""A session's symbol resolver made when the first address is resolved: a run that
looks up no dso or symbol (most tracepoint scripts) never imports the symbols package
(pyelftools, build ids, the on-disk cache)."""


class LazyResolver:
    """Stands for symbols.resolver.SymbolResolver(**kwargs) until first used."""

    def __init__(self, **kwargs):
        self._kwargs = kwargs
        self._real = None

    def __getattr__(self, name):
        real = self._real
        if real is None:
            from perfscript.symbols.resolver import SymbolResolver
            real = self._real = SymbolResolver(**self._kwargs)
        return getattr(real, name)
