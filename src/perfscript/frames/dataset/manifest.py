"""The dataset's manifest: which recordings it holds, with what content, in which parts.

`DIR/_perfscript_dataset.json`, replaced whole (layout.write_atomically) after the parts
it names are in place, so a reader that goes by it sees every file of one run or of the
one before, never a part half written or a file half converted:

    {"format": "perfscript-dataset", "version": 1, "partition_key": "event",
     "events": {view: {"event", "files", "rows", "columns": [[name, type], ...]}},
     "schemas": [base64 Arrow IPC schema, ...],
     "files": {source_file: {"id", "hash", "size", "mtime_ns", "kind", "settings",
               "host", "header", "chunks", "warnings",
               "events": {event: {"view", "rows", "parts": [...], "schema": index}}}}}

`events` sums the files up (its `columns` are the unified schema, schema.py); each
file's event points at its parts' schema in `schemas` (stored once per distinct
schema). Keys are sorted: the same conversions give the same bytes.
"""

import base64
import json
import os

from perfscript.frames.dataset import layout
from perfscript.frames.dataset.layout import DatasetError
from perfscript.frames.dataset.schema import unify_parts
from perfscript.frames.extras import require

pa = require("pyarrow")

FORMAT = "perfscript-dataset"
VERSION = 1


def encode_schema(schema):
    return base64.b64encode(schema.serialize().to_pybytes()).decode("ascii")


_decoded = {}


def decode_schema(text):
    """The pyarrow.Schema of an `encode_schema` text (kept: many parts share one)."""
    schema = _decoded.get(text)
    if schema is None:
        schema = _decoded[text] = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(text)))
    return schema


class Manifest:
    """The files of a dataset (`files`: {source_file: entry}, entries as the module's
    docstring shows them, each event's `schema` an `encode_schema` text)."""

    def __init__(self, root, files=None):
        self.root = root
        self.files = files or {}

    @classmethod
    def load(cls, root):
        """The manifest of dataset `root`; an empty one when it has none yet."""
        path = os.path.join(root, layout.MANIFEST)
        try:
            with open(path, "rb") as f:
                doc = json.loads(f.read())
        except FileNotFoundError:
            return cls(root)
        except (OSError, ValueError) as e:
            raise DatasetError("%s: cannot read the dataset's manifest: %s" % (path, e)) \
                from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise DatasetError("%s: not a perfscript dataset manifest" % path)
        if doc.get("version") != VERSION:
            raise DatasetError("%s: dataset version %r; this perfscript reads version %d"
                               % (path, doc.get("version"), VERSION))
        try:
            schemas = doc["schemas"]
            files = doc["files"]
            for entry in files.values():
                for ev in entry["events"].values():
                    ev["schema"] = schemas[ev["schema"]]
        except (KeyError, IndexError, TypeError, AttributeError) as e:
            raise DatasetError("%s: a damaged manifest (%s: %s)"
                               % (path, type(e).__name__, e)) from None
        return cls(root, files)

    def parts(self):
        """Every part the manifest names (paths relative to the dataset)."""
        return {p for entry in self.files.values() for ev in entry["events"].values()
                for p in ev["parts"]}

    def views(self):
        """{view: [(source_file, event name, event entry)...]}, files by path."""
        out = {}
        for source in sorted(self.files):
            for name, ev in self.files[source]["events"].items():
                out.setdefault(ev["view"], []).append((source, name, ev))
        return dict(sorted(out.items()))

    def to_json(self):
        """The manifest's bytes (sorted keys, schemas stored once)."""
        schemas = []
        index = {}
        files = {}
        for source in sorted(self.files):
            entry = dict(self.files[source])
            events = {}
            for name in sorted(entry["events"]):      # as json.dumps will order them
                ev = dict(entry["events"][name])
                if ev["schema"] not in index:
                    index[ev["schema"]] = len(schemas)
                    schemas.append(ev["schema"])
                ev["schema"] = index[ev["schema"]]
                events[name] = ev
            entry["events"] = events
            files[source] = entry
        events = {}
        for view, members in self.views().items():
            schema = unify_parts(decode_schema(ev["schema"]) for _, _, ev in members)
            events[view] = {"event": members[0][1], "files": len(members),
                            "rows": sum(ev["rows"] for _, _, ev in members),
                            "columns": [[f.name, str(f.type)] for f in schema]}
        doc = {"format": FORMAT, "version": VERSION, "partition_key": layout.PARTITION_KEY,
               "events": events, "schemas": schemas, "files": files}
        return (json.dumps(doc, indent=1, sort_keys=True, default=str) + "\n").encode()

    def save(self):
        """Replace the manifest on disk, whole (the parts it names must be durable
        already: see build.py)."""
        data = self.to_json()
        layout.write_atomically(os.path.join(self.root, layout.MANIFEST),
                                lambda tmp: _write_bytes(tmp, data))
        layout.sync_dir(self.root)


def _write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)
