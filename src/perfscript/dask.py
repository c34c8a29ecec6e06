"""Dask: `perfscript.dask.read_events(paths, event)`, a dask DataFrame of one event
read from many recordings (engines.dask). Needs `pip install 'perfscript[dask]'`."""

from perfscript.engines.dask import read_events, write_dataset

__all__ = ["read_events", "write_dataset"]
