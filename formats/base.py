"""The small protocol every format module implements, and the registry of formats.

A format knows which in-memory objects and which suffixes it handles, how to write an
object to a local path, how to load a path back into an object, and how to open a path
(local or fsspec URL) without loading it. It knows nothing of the catalog.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class FormatError(Exception):
    """A file cannot be written or read in the requested format."""


class MissingDependencyError(FormatError, ImportError):
    """An optional library is not installed; the message names the extra to install."""


def require(module: str, extra: str) -> Any:
    """Import ``module`` or raise MissingDependencyError naming ``pip install 'lakecat[extra]'``.

    Examples:
        >>> require("json", "core").__name__
        'json'
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(
            f"Reading or writing this format needs the '{module}' package. "
            f"Install it with: pip install 'lakecat[{extra}]'"
        ) from None


@dataclass(frozen=True)
class Format:
    """One format: what it handles and its four operations.

    Attributes:
        name: Short name, e.g. ``"parquet"``, ``"h5ad"``.
        accessor: What ``load`` returns, e.g. ``"DataFrame"``, ``"AnnData"``.
        suffixes: Suffixes it reads (first one is the default when writing).
        accepts: Whether an in-memory object can be written by this format.
        write: ``write(obj, path)`` writes to a local path (file or folder).
        load: ``load(path)`` returns the in-memory object from a local path.
        backed: ``backed(path_or_url, storage_options)`` opens without loading.
        is_folder: Whether the artifact is a directory (zarr, TileDB).
    """

    name: str
    accessor: str
    suffixes: tuple[str, ...]
    accepts: Callable[[Any], bool]
    write: Callable[[Any, str], None]
    load: Callable[[str], Any]
    backed: Callable[..., Any] | None = None
    is_folder: bool = False
    extra: str = ""
    options: dict[str, Any] = field(default_factory=dict)
