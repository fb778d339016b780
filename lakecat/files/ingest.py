"""Register many files at once: the bulk path behind ``lakecat ingest``."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from catalog_sql.errors import LakecatError, NotFoundError

from ..core.lifecycle import state

logger = logging.getLogger("lakecat")
BATCH = 500


@dataclass
class IngestReport:
    """What an ingest did: new files, new versions of existing keys, files whose bytes
    were registered already, folders registered whole, failures with reasons."""

    new: list = field(default_factory=list)
    existing: list = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    folders: list = field(default_factory=list)

    @property
    def new_versions(self) -> list:
        """The new files that became a new version of a key registered before."""
        return [f for f in self.new if f.version not in (None, "1")]

    def summary(self) -> str:
        """One line for people.

        Examples:
            >>> IngestReport().summary()
            '0 new, 0 already registered, 0 failed'
        """
        new, old, bad = len(self.new), len(self.existing), len(self.failed)
        versions = len(self.new_versions)
        extra = f" ({versions} as new versions)" if versions else ""
        return f"{new} new{extra}, {old} already registered, {bad} failed"


def collect(
    paths: Iterable[str | os.PathLike], *, recursive: bool, glob: str | None
) -> list[tuple[Path, str]]:
    """(path, relative key) of every file to register, in order, without repeats.

    Files found in a folder keep their path relative to that folder
    (``DIR/a/x.csv`` → ``a/x.csv``); a file given directly is keyed by its name.
    """
    found: dict[Path, str] = {}
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise NotFoundError(f"No file or folder at {path}.")
        if path.is_dir() and (recursive or glob):
            pattern = glob or "*"
            matches = path.rglob(pattern) if recursive else path.glob(pattern)
            for match in sorted(matches):
                if match.is_file():
                    found.setdefault(match, match.relative_to(path).as_posix())
        elif glob is None or path.match(glob):
            found.setdefault(path, path.name)
    return list(found.items())


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

    Keys keep the layout of the folder given: ``DIR/a/x.csv`` becomes ``a/x.csv``, or
    ``<key_prefix>/a/x.csv``. A key registered before (or twice in one ingest) with
    other bytes gets a new version; bytes registered before are reported as such. A
    folder given without ``recursive`` is registered as one File and listed in
    ``report.folders``. A file that fails is reported with its reason; the others are
    still registered.
    """
    from ..core.catalog import registry_class

    File = registry_class("File")

    report = IngestReport()
    batch: list = []
    prefix = key_prefix.strip("/") + "/" if key_prefix and key_prefix.strip("/") else ""
    for path, relative in collect(paths, recursive=recursive, glob=glob):
        try:
            file = File(path, key=prefix + relative, description=description)
            batch.append(file)
            if path.is_dir():
                report.folders.append(file)
        except LakecatError as err:
            report.failed.append((str(path), str(err)))
        if len(batch) >= BATCH:
            _save_batch(batch, report, progress)
            batch = []
    if batch:
        _save_batch(batch, report, progress)
    return report


def _save_batch(batch: list, report: IngestReport, progress) -> None:
    from ..core.writes import save

    try:
        save(batch)
        outcome = [(f, None) for f in batch]
    except LakecatError:
        outcome = [_save_alone(f) for f in batch]
    for file, error in outcome:
        if error is not None:
            report.failed.append((file.description or "?", error))
        elif state(file).adopted:
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
