"""lakecat's typed errors (one hierarchy for every layer; see catalog_sql.errors)."""

from catalog_sql.errors import (
    CatalogError,
    CatalogLockedError,
    ConflictError,
    DuplicateError,
    FieldError,
    InstanceError,
    IntegrityError,
    LakecatError,
    MultipleResultsError,
    NotFoundError,
    SchemaVersionError,
    ValidationError,
)

__all__ = [
    "CatalogError",
    "CatalogLockedError",
    "ConflictError",
    "DuplicateError",
    "FieldError",
    "InstanceError",
    "IntegrityError",
    "LakecatError",
    "MultipleResultsError",
    "NotFoundError",
    "SchemaVersionError",
    "ValidationError",
]
