"""lakecat's typed errors (one hierarchy for every layer; see catalog_sql.errors)."""

from catalog_sql.errors import (
    CatalogError,
    CatalogLockedError,
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
    "FieldError",
    "InstanceError",
    "IntegrityError",
    "LakecatError",
    "MultipleResultsError",
    "NotFoundError",
    "SchemaVersionError",
    "ValidationError",
]
