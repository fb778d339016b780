"""Every error lakecat raises on purpose, in one place.

All derive from :class:`LakecatError` and from the builtin they resemble, so both
``except LakecatError`` and ``except ValueError`` (or ``LookupError``…) work. The base
classes live in :mod:`catalog_sql.errors` (the SQL layer raises them too); the
domain's own subclasses are defined here.
"""

from catalog_sql.errors import (
    CatalogError,
    CatalogLockedError,
    ConflictError,
    DiskFullError,
    DuplicateError,
    FieldError,
    InstanceError,
    IntegrityError,
    LakecatError,
    MultipleResultsError,
    NotFoundError,
    ReadOnlyError,
    SchemaVersionError,
    ValidationError,
)


class MissingDependencyError(ValidationError, ImportError):
    """An optional package is missing (a format's library, matplotlib for PNG); the
    message names the extra to install."""


class StorageError(LakecatError, OSError):
    """Storage could not be read or written (unreachable URL, S3 down or without
    credentials, permission denied, disk full); the message names the place."""


class InvalidKeyError(ValidationError):
    """A storage key that is absolute, escapes the root, or is otherwise unsafe."""


class DatasetExistsError(IntegrityError):
    """Saving a new dataset under a name that is taken."""


class SchemaMismatchError(ValidationError):
    """Appended data does not have the dataset's columns and types."""


class VersionNotFoundError(NotFoundError):
    """A dataset version that does not exist."""


class ReadOnlyQueryError(ValidationError):
    """``Dataset.query`` was given SQL that is not a single SELECT."""


class SourceError(LakecatError, ValueError):
    """A public or user-supplied ontology source that is missing, unreadable or malformed
    (``lakecat.bio.sources``); the message names the file and, where it can, the entry or
    line. ``path``, ``entry`` and ``line`` hold them too (``None`` when unknown)."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        entry: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.entry = entry
        self.line = line


class SourceNotFoundError(NotFoundError):
    """No installed or registered ontology source matches (entity, name, version,
    organism); the message lists what exists."""


class TrackingError(LakecatError, RuntimeError):
    """track() / finish() used where they cannot work (no file, no active run)."""


class ServeError(LakecatError, OSError):
    """``lakecat serve`` cannot listen where it was asked (port taken, unknown host)."""


class CollaboratorError(LakecatError, RuntimeError):
    """A collaborator (a Postgres role with privileges on the catalog schema) cannot be
    added, listed or removed; the subclasses say why."""


class RolesUnsupportedError(CollaboratorError):
    """The instance's catalog is an embedded DuckDB file, which has no roles: file-system
    and bucket permissions decide who reads or writes it."""


class RoleExistsError(CollaboratorError):
    """``collaborator add`` names a Postgres role that exists already."""


class RoleNotFoundError(CollaboratorError, NotFoundError):
    """``collaborator remove`` names a role that does not exist."""


class ForeignRoleError(CollaboratorError, PermissionError):
    """The role was not created by lakecat for this instance, so lakecat leaves it alone."""


class RolePrivilegeError(CollaboratorError, PermissionError):
    """The connected Postgres role may not create roles (no ``CREATEROLE``) or does not own
    the catalog schema; the message says what an administrator must grant."""


__all__ = [
    "CatalogError",
    "CatalogLockedError",
    "CollaboratorError",
    "ConflictError",
    "DatasetExistsError",
    "DiskFullError",
    "DuplicateError",
    "FieldError",
    "ForeignRoleError",
    "InstanceError",
    "IntegrityError",
    "InvalidKeyError",
    "LakecatError",
    "MissingDependencyError",
    "MultipleResultsError",
    "NotFoundError",
    "ReadOnlyQueryError",
    "SchemaMismatchError",
    "ReadOnlyError",
    "RoleExistsError",
    "RoleNotFoundError",
    "RolePrivilegeError",
    "RolesUnsupportedError",
    "SchemaVersionError",
    "ServeError",
    "SourceError",
    "SourceNotFoundError",
    "StorageError",
    "TrackingError",
    "ValidationError",
    "VersionNotFoundError",
]
