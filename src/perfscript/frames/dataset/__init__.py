"""Many recordings as one Hive-partitioned Parquet dataset, and queries across them.

    from perfscript.frames.dataset import open_dataset, write_dataset
    write_dataset("fleet.ds", ["/data/hosts/", "extra.data"], jobs=2)   # build.py
    with open_dataset("fleet.ds") as ds:                                # reader.py
        ds.views                                   # {view: event}
        ds.table("sched:sched_switch")             # every file's rows, source_* last
        ds.sql("SELECT source_host, count(*) FROM sched__sched_switch GROUP BY 1")

The directory (layout.py): `event=<view>/<file id>.parquet` per recording and event,
and the manifest (manifest.py) naming every file, its content hash and its parts.
Each part is `perfscript.open(file).table(event)` plus source_file, source_host and
source_id (convert.py); an event's files may differ in columns, unified when read
(schema.py). See docs/datasets.md.
"""

from perfscript.frames.dataset.layout import DatasetError, is_dataset   # no pyarrow


def open_dataset(path):
    """The dataset at `path`: see reader.Dataset."""
    from perfscript.frames.dataset.reader import Dataset
    return Dataset(path)


def write_dataset(root, inputs, **options):
    """Convert recordings into the dataset at `root`: see build.write_dataset."""
    from perfscript.frames.dataset.build import write_dataset as write
    return write(root, inputs, **options)


__all__ = ["open_dataset", "write_dataset", "is_dataset", "DatasetError"]
