"""Register many files at once: the bulk path behind ``lakecat ingest``."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from catalog_sql.errors import LakecatError, NotFoundError

logger = logging.getLogger("lakecat")
BATCH = 500


@dataclass
class IngestReport:
    """What an ingest did: new files, files already registered, failures with reasons."""

    new: list = field(default_factory=list)
    existing: list = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        """One line for people."""
        new, old, bad = len(self.new), len(self.existing), len(self.failed)
        return f"{new} new, {old} already registered, {bad} failed"


def collect(paths: Iterable[str | os.PathLike], *, recursive: bool, glob: str | None) -> list[Path]:
    """Expand folders (with ``recursive``) and filter by ``glob``; keep order, drop repeats."""
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise NotFoundError(f"No file or folder at {path}.")
        if path.is_dir() and (recursive or glob):
            pattern = glob or "*"
            matches = path.rglob(pattern) if recursive else path.glob(pattern)
            found.update((p, None) for p in sorted(matches) if p.is_file())
        elif glob is None or path.match(glob):
            found[path] = None
    return list(found)


def ingest(
    paths: Iterable[str | os.PathLike],
    *,
    key_prefix: str | None = None,
    description: str | None = None,
    recursive: bool = False,
    glob: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Register files in batches (one transaction and one Arrow insert per batch).

    A file that fails is reported with its reason; the others are still registered.
    ``key_prefix`` makes keys ``<prefix>/<file name>``.
    """
    from .registries import File

    report = IngestReport()
    batch: list = []
    for path in collect(paths, recursive=recursive, glob=glob):
        try:
            key = f"{key_prefix.rstrip('/')}/{path.name}" if key_prefix else None
            batch.append(File(path, key=key, description=description))
        except LakecatError as err:
            report.failed.append((str(path), str(err)))
        if len(batch) >= BATCH:
            _save_batch(batch, report, progress)
            batch = []
    if batch:
        _save_batch(batch, report, progress)
    return report


def _save_batch(batch: list, report: IngestReport, progress) -> None:
    from .writes import save

    try:
        save(batch)
        outcome = [(f, None) for f in batch]
    except LakecatError:
        outcome = [_save_alone(f) for f in batch]
    for file, error in outcome:
        if error is not None:
            report.failed.append((file.description or "?", error))
        elif file.__dict__.pop("_adopted", False):
            report.existing.append(file)
        else:
            report.new.append(file)
    if progress:
        progress(len(batch))


def _save_alone(file) -> tuple:
    try:
        file.save()
        return file, None
    except LakecatError as err:
        return file, str(err)
