"""lakecat: a DuckDB-and-Parquet lakehouse data catalog.

Examples:
    >>> import lakecat as lc
    >>> lc.ULabel.__name__
    'ULabel'
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

from ._log import configure as _configure_logging  # noqa: E402

_configure_logging()

_EXPORTS = {
    "init": "instance",
    "connect": "instance",
    "disconnect": "instance",
    "save": "writes",
    "Q": "_q",
    "Record": "record",
    "User": "registries",
    "Storage": "registries",
    "Transform": "registries",
    "Run": "registries",
    "File": "registries",
    "Dataset": "registries",
    "Feature": "registries",
    "FeatureSet": "registries",
    "ULabel": "registries",
    "Modality": "registries",
    "LakecatError": "errors",
    "NotFoundError": "errors",
    "MultipleResultsError": "errors",
    "FieldError": "errors",
    "ValidationError": "errors",
    "IntegrityError": "errors",
    "CatalogError": "errors",
    "ConflictError": "errors",
    "DuplicateError": "errors",
    "CatalogLockedError": "errors",
    "SchemaVersionError": "errors",
    "InstanceError": "errors",
    "settings": "_settings",
    "track": "tracking",
    "finish": "tracking",
    "tracked": "tracking",
    "TrackingError": "tracking",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    from importlib import import_module

    module = _EXPORTS.get(name)
    if module is None:
        if name.startswith("_"):
            raise AttributeError(f"module 'lakecat' has no attribute {name!r}")
        try:  # submodules: lakecat.lineage, lakecat.tracking, …
            return import_module(f"lakecat.{name}")
        except ModuleNotFoundError:
            raise AttributeError(f"module 'lakecat' has no attribute {name!r}") from None

    if module == "_q":
        from catalog_sql.query import Q

        return Q
    value = getattr(import_module(f"lakecat.{module}"), name)
    if name != "settings":
        globals()[name] = value
    return value
