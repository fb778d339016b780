"""Maintenance: find and remove blobs no record points at."""

from __future__ import annotations

import logging

logger = logging.getLogger("lakecat")


def gc(*, dry_run: bool = True, min_age: float = 3600.0) -> list[str]:
    """Orphan blobs under ``.lakecat/objects`` and ``.lakecat/tmp`` (left by crashes), and
    datasets whose table holds versions no catalog row owns (a writer killed between
    writing and registering; listed as ``dataset NAME: …``, restored to the registered data).

    With ``dry_run=True`` (the default) nothing is removed; pass ``dry_run=False`` to
    delete them. Entries modified less than ``min_age`` seconds ago are skipped: they may
    belong to a save in progress in another process. Returns the paths found.

    Examples:
        >>> gc()
        []
    """
    from ..core.catalog import registry_class
    from ..instance import current

    datasets = registry_class("Dataset")._restore_unregistered(dry_run=dry_run)
    return (
        _orphan_blobs(registry_class("File"), current().storage_root, dry_run, min_age) + datasets
    )


def _orphan_blobs(File: type, storage, dry_run: bool, min_age: float) -> list[str]:
    found = sorted(storage.walk_objects())
    if not found:
        return []
    referenced: set[str] = set()
    for start in range(0, len(found), 1000):
        chunk = found[start : start + 1000]
        referenced.update(f.blob for f in File.filter(blob__in=chunk).list())
    orphans = [p for p in found if p not in referenced and storage.age(p) >= min_age]
    if not dry_run:
        for path in orphans:
            storage.delete(path)
            logger.info("removed orphan blob %s", path)
    return orphans
