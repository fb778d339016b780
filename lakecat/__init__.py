"""lakecat: a DuckDB-and-Parquet lakehouse data catalog.

Examples:
    >>> import lakecat as lc
    >>> lc.ULabel.__name__
    'ULabel'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from ._log import configure as _configure_logging  # noqa: E402

_configure_logging()

_EXPORTS = {
    "init": "instance",
    "connect": "instance",
    "disconnect": "instance",
    "using": "mesh",
    "sql": "mesh",
    "attach": "mesh",
    "TransferConflictError": "core.transfer",
    "save": "core.writes",
    "Q": "_q",
    "Record": "core.record",
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
    "DiskFullError": "errors",
    "ReadOnlyError": "errors",
    "SchemaVersionError": "errors",
    "InstanceError": "errors",
    "settings": "_settings",
    "track": "lineage.tracking",
    "finish": "lineage.tracking",
    "tracked": "lineage.tracking",
    "TrackingError": "errors",
    "MissingDependencyError": "errors",
    "InvalidKeyError": "errors",
    "StorageError": "errors",
    "DatasetExistsError": "errors",
    "SchemaMismatchError": "errors",
    "VersionNotFoundError": "errors",
    "ReadOnlyQueryError": "errors",
    "CollaboratorError": "errors",
    "RolesUnsupportedError": "errors",
    "RoleExistsError": "errors",
    "RoleNotFoundError": "errors",
    "ForeignRoleError": "errors",
    "RolePrivilegeError": "errors",
    "SourceError": "errors",
    "SourceNotFoundError": "errors",
    "Curator": "curation",
    "CharField": "core.fields",
    "TextField": "core.fields",
    "IntegerField": "core.fields",
    "FloatField": "core.fields",
    "BooleanField": "core.fields",
    "DateTimeField": "core.fields",
    "DateField": "core.fields",
    "JSONField": "core.fields",
    "ForeignKey": "core.fields",
    "ManyToMany": "core.fields",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # what IDEs and type checkers see; at run time names load lazily
    from catalog_sql.query import Q

    from ._settings import settings
    from .core.fields import (
        BooleanField,
        CharField,
        DateField,
        DateTimeField,
        FloatField,
        ForeignKey,
        IntegerField,
        JSONField,
        ManyToMany,
        TextField,
    )
    from .core.record import Record
    from .core.transfer import TransferConflictError
    from .core.writes import save
    from .curation import Curator
    from .errors import (
        CatalogError,
        CatalogLockedError,
        CollaboratorError,
        ConflictError,
        DatasetExistsError,
        DiskFullError,
        DuplicateError,
        FieldError,
        ForeignRoleError,
        InstanceError,
        IntegrityError,
        InvalidKeyError,
        LakecatError,
        MissingDependencyError,
        MultipleResultsError,
        NotFoundError,
        ReadOnlyError,
        ReadOnlyQueryError,
        RoleExistsError,
        RoleNotFoundError,
        RolePrivilegeError,
        RolesUnsupportedError,
        SchemaMismatchError,
        SchemaVersionError,
        SourceError,
        SourceNotFoundError,
        StorageError,
        TrackingError,
        ValidationError,
        VersionNotFoundError,
    )
    from .instance import connect, disconnect, init
    from .lineage.tracking import finish, track, tracked
    from .mesh import attach, sql, using
    from .registries import (
        Dataset,
        Feature,
        FeatureSet,
        File,
        Modality,
        Run,
        Storage,
        Transform,
        ULabel,
        User,
    )


def __getattr__(name: str) -> Any:
    from importlib import import_module

    module = _EXPORTS.get(name)
    if module is None:
        if name.startswith("_"):
            raise AttributeError(f"module 'lakecat' has no attribute {name!r}")
        try:  # submodules: lakecat.lineage, lakecat.lineage.tracking, …
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
