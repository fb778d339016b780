"""``lakecat verify``: re-read what the catalog promises and report every mismatch.

Files: the blob exists and re-hashes to the recorded hash and size. Datasets: every
registered version is readable with its recorded row count, and the table holds no
version that no record registers (a writer that died before registering it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One mismatch between the catalog and storage."""

    uid: str
    registry: str
    what: str

    def __str__(self) -> str:
        return f"{self.registry} {self.uid}: {self.what}"


def verify(uids: Iterable[str] | None = None) -> list[Problem]:
    """Check Files and Datasets (all of them, or those with these uids).

    Examples:
        >>> verify()
        []
    """
    from ..core.catalog import registry_class

    File, Dataset = registry_class("File"), registry_class("Dataset")
    wanted = list(uids) if uids is not None else None
    files = File.filter(uid__in=wanted) if wanted is not None else File.all()
    datasets = Dataset.filter(uid__in=wanted) if wanted is not None else Dataset.all()
    problems = [p for f in _each(files) for p in _check_file(f)]
    problems += [p for d in _each(datasets) for p in _check_dataset(d)]
    if wanted is not None:
        found = set(files.values_list("uid")) | set(datasets.values_list("uid"))
        problems += [Problem(u, "?", "no File or Dataset has this uid") for u in wanted
                     if (u,) not in found]  # fmt: skip
    return problems


def _each(query: Any, size: int = 1000) -> Iterator[Any]:
    """The records of ``query`` a page at a time (never all in memory)."""
    offset = 0
    while page := query.order_by("id").limit(size).offset(offset).list():
        yield from page
        offset += size


def _check_file(file: Any) -> list[Problem]:
    if file.blob is None:
        return [Problem(file.uid, "File", "has no blob recorded")]
    storage = file._storage()
    if not storage.exists(file.blob):
        return [Problem(file.uid, "File", f"blob {file.blob} is missing")]
    try:
        digest = storage.digest(file.blob)
    except OSError as err:
        return [Problem(file.uid, "File", f"blob {file.blob} cannot be read: {err}")]
    out = []
    if digest.hash != file.hash:
        out.append(Problem(file.uid, "File", f"blob {file.blob} does not match its hash"))
    if file.size is not None and digest.size != file.size:
        out.append(Problem(file.uid, "File", f"size {digest.size} != recorded {file.size}"))
    return out


def _check_dataset(record: Any) -> list[Problem]:
    from ..datasets import tables

    if record.format == "files":
        missing = [f.uid for f in record.files.list() if not f._storage().exists(f.blob)]
        return [Problem(record.uid, "Dataset", f"file {uid} is missing") for uid in missing]
    out = []
    try:
        where = tables.location(record._url(), record.format, record.delta_version)
        rows = tables.row_count(where, record.format, record.delta_version, record._options())
        if record.n_rows is not None and rows != record.n_rows:
            out.append(Problem(record.uid, "Dataset",
                               f"version {record.version} has {rows} rows, "
                               f"recorded {record.n_rows}"))  # fmt: skip
    except Exception as err:  # noqa: BLE001 - any failure to read is a finding
        out.append(Problem(record.uid, "Dataset", f"version {record.version} unreadable: {err}"))
    if record.is_latest:
        found = tables.unregistered_versions(record._url(), record.format,
                                             record.delta_version, record._options())  # fmt: skip
        if found:
            what = (
                f"table has unregistered version(s) {found[0]}..{found[-1]} (the next "
                f"append, or `lakecat gc --yes`, restores the registered data)"
            )
            out.append(Problem(record.uid, "Dataset", what))
    return out
