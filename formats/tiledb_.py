"""TileDB arrays: folders that already exist, registered and copied as they are.

There is no in-memory TileDB object to serialize: ``write`` copies an existing local
array (given as an open ``tiledb.Array`` or as its path). ``load`` reads the whole array:
a dense array with one attribute becomes a numpy array, anything else (several
attributes, sparse arrays with their coordinates) a dict of numpy arrays by name.
``backed`` returns the array opened read-only with ``tiledb.open``; for ``s3://`` URLs
the TileDB context is configured from the s3fs storage options.

Examples:
    >>> is_tiledb_array(".")
    False
"""

from __future__ import annotations

import os
import shutil
from typing import Any
from urllib.parse import urlsplit

from formats._io import define, is_url, local_path
from formats.base import FormatError, instance_of, require

#: Entries that mark a folder as a TileDB array (current and pre-2.10 layouts).
ARRAY_MARKERS = ("__schema", "__array_schema.tdb")


def is_tiledb_array(path: str | os.PathLike[str]) -> bool:
    """Whether a local folder is a TileDB array, judged by its content (imports nothing)."""
    if is_url(path):
        return False
    folder = local_path(path)
    return os.path.isdir(folder) and any(
        os.path.exists(os.path.join(folder, marker)) for marker in ARRAY_MARKERS
    )


def accepts(obj: Any) -> bool:
    """An open ``tiledb.Array`` or the path of an existing local TileDB array."""
    if isinstance(obj, (str, os.PathLike)):
        return is_tiledb_array(obj)
    return instance_of(obj, "tiledb.Array")


def write_array(obj: Any, path: str) -> None:
    """Copy an existing local TileDB array folder to ``path``."""
    source = obj.uri if instance_of(obj, "tiledb.Array") else os.fspath(obj)
    if not is_tiledb_array(source):
        raise FormatError(f"{source!r} is not a local TileDB array folder")
    shutil.copytree(local_path(source), path)


def _read_all(array: Any) -> Any:
    data = array[:]
    if isinstance(data, dict):
        data = dict(data)
        if not array.schema.sparse and len(data) == 1:
            return next(iter(data.values()))
    return data


def load_array(path: str) -> Any:
    """Read the whole array: a numpy array, or a dict of numpy arrays by name."""
    tiledb = require("tiledb", "tiledb")
    with tiledb.open(path, mode="r") as array:
        return _read_all(array)


def s3_config(storage_options: dict) -> dict[str, str]:
    """TileDB ``vfs.s3.*`` settings equivalent to s3fs storage options.

    Examples:
        >>> s3_config({"endpoint_url": "http://127.0.0.1:9000", "key": "k", "secret": "s"})
        ... # doctest: +NORMALIZE_WHITESPACE
        {'vfs.s3.aws_access_key_id': 'k', 'vfs.s3.aws_secret_access_key': 's',
         'vfs.s3.region': 'us-east-1', 'vfs.s3.endpoint_override': '127.0.0.1:9000',
         'vfs.s3.scheme': 'http', 'vfs.s3.use_virtual_addressing': 'false'}
    """
    client = storage_options.get("client_kwargs") or {}
    config = {
        "vfs.s3.aws_access_key_id": storage_options.get("key"),
        "vfs.s3.aws_secret_access_key": storage_options.get("secret"),
        "vfs.s3.aws_session_token": storage_options.get("token"),
        "vfs.s3.region": client.get("region_name") or storage_options.get("region_name"),
    }
    config["vfs.s3.region"] = config["vfs.s3.region"] or "us-east-1"
    endpoint = storage_options.get("endpoint_url") or client.get("endpoint_url")
    if endpoint:
        parts = urlsplit(endpoint)
        config["vfs.s3.endpoint_override"] = parts.netloc
        config["vfs.s3.scheme"] = parts.scheme or "https"
        config["vfs.s3.use_virtual_addressing"] = "false"
    return {key: str(value) for key, value in config.items() if value}


def backed_array(path: str, storage_options: dict) -> Any:
    """The array opened read-only (``tiledb.open``); close it, or use it in ``with``."""
    tiledb = require("tiledb", "tiledb")
    ctx = tiledb.Ctx(s3_config(storage_options)) if path.startswith("s3://") else None
    return tiledb.open(path, mode="r", ctx=ctx)


TILEDB = define(
    "tiledb",
    "TileDBArray",
    (".tiledb",),
    accepts=accepts,
    write=write_array,
    load=load_array,
    backed=backed_array,
    extra="tiledb",
    is_folder=True,
    types=("tiledb.Array", "path of a local TileDB array"),
)
