"""Where things are in a dataset directory, how an input is identified, and how a file
gets there whole.

    DIR/_perfscript_dataset.json              the manifest (manifest.py)
    DIR/event=<view>/<file id>.parquet        one recording's rows of one event
    DIR/event=<view>/<file id>-<chunk>.parquet   ... of one chunk of a big recording
    DIR/event=<view>/.<name>.<pid>.<n>.tmp    a part being written (never a `.parquet`)

A file id is 16 hex digits of a BLAKE2b hash of the input's absolute path, content hash
and conversion settings: an input converted again gets new part names, so its old parts
stay until the manifest that drops them is in place. Every file is written under a temporary name in its own
directory, fsync'ed, then renamed: a reader never meets half of one, and readers that
skip names starting with `.` or `_` (Spark, Hive, DuckDB's `*.parquet` globs) never
meet the temporaries or the manifest.
"""

import hashlib
import itertools
import json
import os
import re

MANIFEST = "_perfscript_dataset.json"
LOCK = "_perfscript_dataset.lock"
PARTITION_KEY = "event"

PART_NAME = re.compile(r"^[0-9a-f]{16}(-[0-9]{4,})?\.parquet$")
TEMP_NAME = re.compile(r"^\..+\.[0-9]+\.[0-9]+\.tmp$")
PARTITION_NAME = re.compile(r"^%s=[0-9A-Za-z_]+$" % PARTITION_KEY)

_HASH_BLOCK = 1 << 20
_serial = itertools.count()


class DatasetError(Exception):
    """A directory that is no dataset, a manifest that cannot be read, a dataset
    another export is writing: one line saying which and why."""


def is_dataset(path):
    """Whether `path` is a directory holding a dataset's manifest."""
    return os.path.isfile(os.path.join(path, MANIFEST))


def partition_dir(view):
    """`event=<view>`: a view name is ASCII letters, digits and `_` (tables.view_name),
    so it needs no escaping as a Hive partition value."""
    return "%s=%s" % (PARTITION_KEY, view)


def part_path(view, fid, chunk=None):
    """A part's path relative to the dataset: `event=<view>/<id>[-<chunk>].parquet`."""
    name = fid if chunk is None else "%s-%04d" % (fid, chunk)
    return "%s/%s.parquet" % (partition_dir(view), name)


def content_hash(path):
    """32 hex digits of the BLAKE2b-128 hash of a file's bytes."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        while True:
            block = f.read(_HASH_BLOCK)
            if not block:
                return h.hexdigest()
            h.update(block)


def file_id(source_file, source_hash, settings):
    """The name an input's parts get: one conversion's (path, content, settings), so a
    part is never rewritten in place, and two paths of the same content get two (each
    row says which path it came from)."""
    h = hashlib.blake2b(digest_size=8)
    h.update(os.fsencode(source_file) + b"\0" + source_hash.encode("ascii") + b"\0"
             + json.dumps(settings, sort_keys=True).encode())
    return h.hexdigest()


def write_atomically(path, write):
    """Write `path` whole or not at all: `write(tmp)` writes a temporary file beside it
    (by that name), which is fsync'ed and renamed over `path`. The new name is durable
    once its directory is fsync'ed (`sync_dir`)."""
    directory, name = os.path.split(path)
    tmp = os.path.join(directory, ".%s.%d.%d.tmp" % (name, os.getpid(), next(_serial)))
    try:
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def sync_dir(path):
    """fsync a directory: the names renamed into it survive a crash."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
