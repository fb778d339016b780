"""The small protocol every format module implements, and the registry of formats.

A format knows which in-memory objects and which suffixes it handles, how to write an
object to a local path, how to load a path back into an object, and how to open a path
(local or fsspec URL) without loading it. It knows nothing of the catalog.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class FormatError(Exception):
    """A file cannot be written or read in the requested format."""


class MissingDependencyError(FormatError, ImportError):
    """An optional library is not installed; the message names the extra to install."""


class UnsupportedObjectError(FormatError, TypeError):
    """No format can write an in-memory object of this type."""


class UnknownFormatError(FormatError, LookupError):
    """No format has the requested name."""


class TargetExistsError(FormatError, FileExistsError):
    """A write would replace an existing file or folder; formats never overwrite."""


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
        extra: The ``lakecat[extra]`` that installs its libraries ("" for core).
        options: Free-form settings of the format.
        types: Human-readable names of the objects it writes, for error messages.
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
    types: tuple[str, ...] = ()


def instance_of(obj: Any, *dotted: str) -> bool:
    """Whether ``obj`` is an instance of one of the dotted class names, importing nothing.

    A class whose module was never imported can have no instances, so the check only
    looks at ``sys.modules``: asking about a pandas class never imports pandas.

    Examples:
        >>> from collections import OrderedDict
        >>> instance_of(OrderedDict(), "collections.OrderedDict")
        True
        >>> instance_of([], "collections.OrderedDict", "lakecat_no_such_module.Frame")
        False
    """
    for name in dotted:
        module, _, attr = name.rpartition(".")
        cls = getattr(sys.modules.get(module), attr, None)
        if isinstance(cls, type) and isinstance(obj, cls):
            return True
    return False


def accepts_types(*dotted: str) -> Callable[[Any], bool]:
    """An ``accepts`` predicate true for instances of the dotted class names.

    Examples:
        >>> accepts_types("collections.OrderedDict")({})
        False
    """
    return lambda obj: instance_of(obj, *dotted)
