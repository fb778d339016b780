"""The table of formats and the look-ups over it: by object, suffix, path and name.

Examples:
    >>> for_suffix(".h5ad").accessor
    'AnnData'
    >>> for_suffix(".parquet").name, for_suffix(".parquet", accessor="Table").name
    ('parquet', 'pyarrow')
    >>> suffix_of("s3://bucket/cells.h5ad"), suffix_of("/data/counts.tsv.gz")
    ('.h5ad', '.tsv.gz')
    >>> by_name("zarr").is_folder
    True
"""

from __future__ import annotations

import difflib
import os
import re
from typing import Any
from urllib.parse import urlsplit

from formats._io import is_url, local_path
from formats.anndata_ import H5AD, ZARR
from formats.arrow import ARROW
from formats.base import Format, UnknownFormatError, UnsupportedObjectError
from formats.dataframe import CSV, PARQUET
from formats.hdf5 import HDF5
from formats.mudata_ import H5MU
from formats.tiledb_ import TILEDB, is_tiledb_array

#: Every format, in the order ``for_object`` and ``for_suffix`` try them.
FORMATS: tuple[Format, ...] = (PARQUET, ARROW, CSV, H5AD, ZARR, H5MU, TILEDB, HDF5)

#: Compression suffixes kept together with the suffix before them (``.csv.gz``).
COMPRESSIONS = (".gz", ".bz2", ".xz", ".zst")

#: Entries that mark a folder as a zarr group (v2 and v3 layouts).
ZARR_MARKERS = (".zgroup", "zarr.json")

_SUFFIX = re.compile(r"\.[A-Za-z0-9]+$")


def for_object(obj: Any) -> Format:
    """The first format that can write ``obj``.

    Raises:
        UnsupportedObjectError: no format takes this type (the message lists those that do).

    Examples:
        >>> import pandas as pd
        >>> for_object(pd.DataFrame()).name
        'parquet'
    """
    for fmt in FORMATS:
        if fmt.accepts(obj):
            return fmt
    supported = ", ".join(name for fmt in FORMATS for name in fmt.types)
    kind = f"{type(obj).__module__}.{type(obj).__qualname__}"
    raise UnsupportedObjectError(
        f"Cannot store an object of type {kind}; supported types: {supported}"
    )


def for_suffix(suffix: str, *, accessor: str | None = None) -> Format | None:
    """The format for a suffix (case-insensitive), optionally also matching the accessor.

    Examples:
        >>> for_suffix(".H5MU").name, for_suffix(".txt")
        ('h5mu', None)
    """
    wanted = suffix.lower()
    for fmt in FORMATS:
        if wanted in fmt.suffixes and accessor in (None, fmt.accessor):
            return fmt
    return None


def _is_zarr_folder(path: str | os.PathLike[str]) -> bool:
    folder = local_path(path)
    return os.path.isdir(folder) and any(
        os.path.exists(os.path.join(folder, marker)) for marker in ZARR_MARKERS
    )


def for_path(path: str | os.PathLike[str], *, accessor: str | None = None) -> Format | None:
    """The format of a local path or URL: TileDB folders by content, then the suffix.

    A local folder without a known suffix that holds a zarr group counts as AnnData zarr.
    """
    if accessor in (None, TILEDB.accessor) and is_tiledb_array(path):
        return TILEDB
    found = for_suffix(suffix_of(path), accessor=accessor)
    if found is None and not is_url(path) and _is_zarr_folder(path):
        return ZARR if accessor in (None, ZARR.accessor) else None
    return found


def by_name(name: str) -> Format:
    """The format called ``name``.

    Raises:
        UnknownFormatError: no such format (the message suggests the nearest names).

    Examples:
        >>> by_name("h5ad").suffixes
        ('.h5ad',)
    """
    for fmt in FORMATS:
        if fmt.name == name:
            return fmt
    names = [fmt.name for fmt in FORMATS]
    near = difflib.get_close_matches(name, names, n=2) or names
    raise UnknownFormatError(f"No format named {name!r}; did you mean {' or '.join(near)}?")


def suffix_of(path: str | os.PathLike[str]) -> str:
    """The suffix of a path or URL: ``".h5ad"``, ``".zarr"``, ``".csv.gz"`` or ``""``.

    Only a dot followed by letters and digits counts; a compression suffix keeps the one
    before it. Case is kept; hidden names (``.env``) have no suffix.

    Examples:
        >>> suffix_of("/x/pbmc.zarr/"), suffix_of("notes"), suffix_of(".env")
        ('.zarr', '', '')
    """
    text = urlsplit(os.fspath(path)).path if is_url(path) else os.fspath(path)
    name = os.path.basename(text.rstrip("/\\"))
    last = _SUFFIX.search(name)
    if last is None or last.start() == 0:
        return ""
    inner = _SUFFIX.search(name[: last.start()])
    if last.group().lower() in COMPRESSIONS and inner is not None and inner.start() > 0:
        return inner.group() + last.group()
    return last.group()
