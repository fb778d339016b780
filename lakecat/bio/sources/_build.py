"""Turning a source file into its standard table, through the reader table."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ...errors import SourceError
from . import _cache, _cellxgene, _gencode, _icd, _obo, _tabular
from ._model import SourceInfo, schema_of
from ._tables import Terms, clean, terms_table

if TYPE_CHECKING:
    import pyarrow as pa

logger = logging.getLogger("lakecat.bio")


class Reader(NamedTuple):
    """How one format is read: ``read(path, only, entity)`` returns :class:`Terms` or a
    table in the entity's schema; ``first_line`` is the file line of row 0 for tables
    read line by line (``None``: rows are named by their key)."""

    read: Callable[[Path, str | None, str], Any]
    first_line: int | None = None


def _terms(read: Callable[[Path, str | None], Terms]) -> Callable[[Path, str | None, str], Terms]:
    return lambda path, only, entity: read(path, only)


READERS: dict[str, Reader] = {
    "cellxgene-json": Reader(_terms(_cellxgene.read)),
    "obo": Reader(_terms(_obo.read)),
    "owl": Reader(_terms(_obo.read)),
    "icd10cm": Reader(_terms(_icd.read_icd10cm)),
    "icd10": Reader(_terms(_icd.read_icd10)),
    "gencode-csv": Reader(lambda path, only, entity: _gencode.read(path), first_line=1),
    "csv": Reader(_tabular.read_csv, first_line=2),
    "tsv": Reader(_tabular.read_tsv, first_line=2),
}


def split_format(fmt: str) -> tuple[str, str | None]:
    """``"cellxgene-json[ZFS]"`` → ``("cellxgene-json", "ZFS")``.

    Examples:
        >>> split_format("cellxgene-json[ZFS]"), split_format("obo")
        (('cellxgene-json', 'ZFS'), ('obo', None))
    """
    if fmt.endswith("]") and "[" in fmt:
        base, _, only = fmt[:-1].partition("[")
        return base, only or None
    return fmt, None


def reader_of(info: SourceInfo) -> tuple[Reader, str | None]:
    """The reader for ``info.format`` and its id-prefix option."""
    base, only = split_format(info.format)
    if base not in READERS:
        raise SourceError(
            f"{info.path or info.key}: unknown source format {info.format!r}; one of "
            f"{', '.join(READERS)}.",
            path=info.path or None,
        )
    return READERS[base], only


def build(info: SourceInfo) -> tuple[pa.Table, list[str]]:
    """The standard table of ``info`` and the rows skipped (see ``_tables.clean``)."""
    schema_of(info.entity)
    reader, only = reader_of(info)
    path = Path(info.path)
    result = reader.read(path, only, info.entity)
    table = (
        terms_table(result, info.entity, origin=info.path) if isinstance(result, Terms) else result
    )
    locate = None
    if reader.first_line is not None:
        first = reader.first_line
        locate = lambda row: f"line {row + first}"  # noqa: E731
    return clean(table, info.entity, origin=info.path, locate=locate)


def source_file(info: SourceInfo) -> Path:
    """The local file of ``info``; a missing one raises :class:`SourceError`."""
    path = Path(info.path) if info.path else None
    if path is None or not path.is_file():
        raise SourceError(
            f"source file of {info.key} not found: {info.path or '(no path)'}.",
            path=info.path or None,
        )
    return path


def ensure(info: SourceInfo, cache_root: Path, *, rebuild: bool = False) -> Path:
    """The cached Parquet file of ``info``, converting the source first if needed."""
    path = source_file(info)
    target = _cache.entry(info, _cache.digest(path), cache_root)
    if not rebuild and _cache.is_valid(target):
        return target
    start = time.perf_counter()
    table, skipped = build(info)
    _cache.write(table, target, info, skipped)
    logger.debug(
        "converted %s (%d rows) in %.2f s", info.key, table.num_rows, time.perf_counter() - start
    )
    return target
