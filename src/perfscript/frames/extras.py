"""The optional packages the tables API uses, each imported through `require`, so that a
missing one is an error naming the extra that installs it instead of a bare
ModuleNotFoundError (perfscript itself needs only NumPy, zstandard and pyelftools)."""

import importlib

# module -> the smallest extra that installs it (pyproject.toml's optional-dependencies)
EXTRAS = {
    "pyarrow": "arrow",
    "duckdb": "sql",
    "pandas": "pandas",
    "polars": "polars",
    "pyspark": "spark",
    "dask": "dask",
    "distributed": "dask",
}
# the extras `[frames]` installs all of
FRAMES_EXTRAS = ("arrow", "sql", "pandas", "polars")


class MissingExtra(ModuleNotFoundError):
    """An optional package is not installed; the message says which extra to install.

    A ModuleNotFoundError (so ImportError), so code catching those still does."""

    def __init__(self, module, extra, needed_for):
        hint = (" (or 'perfscript[frames]' for all of the tables API's packages)"
                if extra in FRAMES_EXTRAS else "")
        super().__init__("%s needs %s, which is not installed: pip install 'perfscript[%s]'%s"
                         % (needed_for, module, extra, hint), name=module)
        self.extra = extra


def require(module, needed_for="perfscript's tables API"):
    """Import `module` (`pyarrow`, `pyarrow.compute`, `duckdb`, `pandas`, `polars`,
    `pyspark...`, `dask...`), or
    raise MissingExtra naming the extra that installs it."""
    top = module.partition(".")[0]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name is not None and e.name.partition(".")[0] != top:
            raise           # the package is there but one of its own imports failed
        raise MissingExtra(top, EXTRAS[top], needed_for) from None
