"""Bytes <-> objects, one module per format; knows nothing of the catalog.

Each module defines :class:`~formats.base.Format` objects (what they write, their
suffixes, ``write``/``load``/``backed``); :mod:`formats.registry` holds them in one table.
Importing this package imports no data library: each is imported inside the function
that needs it, and a missing one raises :class:`~formats.base.MissingDependencyError`
naming the extra to install.

Examples:
    >>> import formats
    >>> [fmt.name for fmt in formats.FORMATS]
    ['parquet', 'pyarrow', 'csv', 'h5ad', 'zarr', 'h5mu', 'tiledb', 'hdf5']
"""

from formats.base import (
    Format,
    FormatError,
    MissingDependencyError,
    TargetExistsError,
    UnknownFormatError,
    UnsupportedObjectError,
    require,
)
from formats.registry import FORMATS, by_name, for_object, for_path, for_suffix, suffix_of

__all__ = [
    "FORMATS",
    "Format",
    "FormatError",
    "MissingDependencyError",
    "TargetExistsError",
    "UnknownFormatError",
    "UnsupportedObjectError",
    "by_name",
    "for_object",
    "for_path",
    "for_suffix",
    "require",
    "suffix_of",
]
