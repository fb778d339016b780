"""The error hierarchy shared by every lakecat layer.

Every class derives from :class:`LakecatError` and from the builtin it resembles,
so ``except LookupError`` and ``except LakecatError`` both work.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class LakecatError(Exception):
    """Root of every error lakecat raises on purpose."""


class NotFoundError(LakecatError, LookupError):
    """A record, instance or object does not exist."""


class MultipleResultsError(LakecatError, LookupError):
    """A query that should match one record matched several."""


class FieldError(LakecatError, AttributeError):
    """An unknown field, relation or lookup in a filter."""


class ValidationError(LakecatError, ValueError):
    """A value has the wrong type or shape for its field."""


class IntegrityError(LakecatError, ValueError):
    """Stored data violates a constraint (duplicate key, corrupted content)."""


class DuplicateError(IntegrityError):
    """An insert met a unique value that another writer stored first (insert-or-get
    retries once and returns that record)."""


class CatalogError(LakecatError, RuntimeError):
    """The catalog database is missing, corrupt, unreachable or busy."""


class ConflictError(CatalogError):
    """Another writer changed what this transaction read (serialization failure, or a
    version lock held elsewhere); the write paths retry it in a new transaction."""

    def __init__(self, message: str, *, table: str | None = None) -> None:
        super().__init__(message)
        self.table = table


class CatalogLockedError(CatalogError, TimeoutError):
    """Another process held the embedded catalog for longer than the timeout."""


class DiskFullError(CatalogError, OSError):
    """The disk holding the catalog is full; nothing of the write was saved."""


class ReadOnlyError(CatalogError, PermissionError):
    """The catalog is open read-only for this process (read-only storage or file, a
    read-only opening, or a SELECT-only Postgres role) and the operation writes."""


class SchemaVersionError(CatalogError):
    """The catalog schema is older or newer than this lakecat understands."""


class InstanceError(LakecatError, RuntimeError):
    """No instance is connected, or an instance cannot be created or found."""


def did_you_mean(word: str, choices: Iterable[str], n: int = 3) -> str:
    """Return a ``" Did you mean …?"`` suffix naming the closest choices.

    Examples:
        >>> did_you_mean("nmae", ["name", "uid", "description"])
        " Did you mean 'name'?"
        >>> did_you_mean("zzz", ["name"])
        ''
    """
    close = difflib.get_close_matches(word, list(choices), n=n, cutoff=0.6)
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"
