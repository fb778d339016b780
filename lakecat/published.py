"""An embedded catalog published to object storage, for collaborators who only read.

An instance whose storage is a bucket keeps its DuckDB catalog on the owner's machine.
``lakecat publish`` (``instance.publish()``) puts a consistent copy next to the data, at
``<storage>/.lakecat/published/`` (``catalog.duckdb`` and ``instance.json`` with the
copy's hash); a collaborator opens it with ``lc.connect("s3://bucket/lab",
read_only=True)``: the copy is fetched into the local cache once per publication, checked
against its hash and opened read-only, while files and datasets are read from the bucket
itself. The copy is as of the last publish; nothing is ever written to the bucket by a
reader.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from catalog_sql.errors import InstanceError

FOLDER = ".lakecat/published"


def publish(instance: Any) -> str:
    """Copy the embedded catalog of ``instance`` (remote storage) next to its data;
    returns the URL of the published catalog."""
    from .files.storage import storage_errors

    config = instance.config
    if config.db:
        raise InstanceError(
            f"Instance {config.name!r} keeps its catalog in Postgres: collaborators connect "
            f"to the database (lakecat collaborator add NAME --role read)."
        )
    root = instance.storage_root
    if root.is_local:
        raise InstanceError(
            f"The catalog of {config.name!r} is already next to its data, at {instance.path}: "
            f"collaborators open it with lc.connect({config.storage!r}, read_only=True)."
        )
    snapshot = _snapshot(instance)
    try:
        digest = _hash(snapshot)
        meta = {**asdict(replace(config, storage_options={})), "catalog_blake2b": digest}
        with storage_errors(f"publishing the catalog of {config.name!r}"):
            root.fs.put(str(snapshot), root.url(f"{FOLDER}/catalog.duckdb"))
            with root.fs.open(root.url(f"{FOLDER}/instance.json"), "w") as out:
                out.write(json.dumps(meta, indent=2))
    finally:
        snapshot.unlink(missing_ok=True)
    return root.url(f"{FOLDER}/catalog.duckdb")


def _snapshot(instance: Any) -> Path:
    """A consistent copy of the catalog file: taken while this process holds the file's
    turn (no lakecat process writes meanwhile), after a checkpoint."""
    import shutil

    import duckdb

    backend = instance.backend
    target = instance.path / f".publish-{uuid.uuid4().hex}.duckdb"
    with backend.attachable("published"):
        con = duckdb.connect(str(backend.path))
        try:
            con.execute("CHECKPOINT")
        finally:
            con.close()
        shutil.copyfile(backend.path, target)
    return target


def _hash(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as src:
        for block in iter(lambda: src.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(url: str, storage_options: dict | None, cache: Path) -> Path:
    """The local instance folder of the catalog published at ``url`` (storage URL),
    fetched into ``cache`` if this publication is not there yet."""
    from .files.storage import StorageRoot, storage_errors

    root = StorageRoot(url, dict(storage_options or {}))
    where = root.url(f"{FOLDER}/instance.json")
    with storage_errors(f"reading the published catalog at {url}"):
        if not root.fs.exists(where):
            raise InstanceError(
                f"No published catalog at {url}: the owner of the instance runs "
                f"`lakecat publish` (instance.publish()) to share it read-only."
            )
        with root.fs.open(where, "r") as src:
            meta = json.loads(src.read())
        digest = meta.pop("catalog_blake2b")
        folder = cache / f"{meta['name']}-{hashlib.sha1(url.encode()).hexdigest()[:10]}"
        catalog = folder / "catalog.duckdb"
        if not catalog.exists() or _hash(catalog) != digest:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{uuid.uuid4().hex}.partial"
            root.fs.get(root.url(f"{FOLDER}/catalog.duckdb"), str(tmp))
            if _hash(tmp) != digest:
                tmp.unlink(missing_ok=True)
                raise InstanceError(
                    f"The published catalog at {url} changed while it was read (a new "
                    f"publication?): connect again."
                )
            os.replace(tmp, catalog)
    meta.update(storage=url, storage_options=dict(storage_options or {}), published=url)
    (folder / "instance.json").write_text(json.dumps(meta, indent=2))
    return folder
