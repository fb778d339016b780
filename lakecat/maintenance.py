"""Maintenance: find and remove blobs no record points at."""

from __future__ import annotations

import logging

logger = logging.getLogger("lakecat")


def gc(*, dry_run: bool = True) -> list[str]:
    """Orphan blobs under ``.lakecat/objects`` and ``.lakecat/tmp`` (left by crashes).

    With ``dry_run=True`` (the default) nothing is removed; pass ``dry_run=False`` to
    delete them. Returns the storage-relative paths found.

    Examples:
        >>> gc()
        []
    """
    from .instance import current
    from .registries import File

    instance = current()
    storage = instance.storage_root
    found = sorted(storage.walk_objects())
    if not found:
        return []
    referenced: set[str] = set()
    for start in range(0, len(found), 1000):
        chunk = found[start : start + 1000]
        referenced.update(f.blob for f in File.filter(blob__in=chunk).list())
    orphans = [path for path in found if path not in referenced]
    if not dry_run:
        for path in orphans:
            storage.delete(path)
            logger.info("removed orphan blob %s", path)
    return orphans
