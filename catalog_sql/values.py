"""Checking a user's value against a column's type, before it reaches any SQL.

Kept apart from the lookup table (which builds sqlglot trees) so that record classes can
validate field values without importing sqlglot.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from .errors import ValidationError
from .model import Column


def _type_name(value: Any) -> str:
    return type(value).__name__


def _bad(column: Column, value: Any, expected: str) -> ValidationError:
    return ValidationError(
        f"Field '{column.name}' expects {expected}, got {_type_name(value)} {value!r}. "
        f"Pass a value of the field's type."
    )


def _coerce_datetime(value: Any, column: Column) -> Any:
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value
    if isinstance(value, str):
        try:
            return _dt.datetime.fromisoformat(value)
        except ValueError:
            raise _bad(column, value, "a datetime or an ISO 8601 string") from None
    raise _bad(column, value, "a datetime")


def _coerce_date(value: Any, column: Column) -> Any:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            raise _bad(column, value, "a date or an ISO 8601 string (YYYY-MM-DD)") from None
    raise _bad(column, value, "a date")


def coerce(value: Any, column: Column) -> Any:
    """Validate one scalar ``value`` for ``column`` and return the value to bind.

    Examples:
        >>> coerce(3, Column("size", "int"))
        3
        >>> coerce("3", Column("size", "int"))
        Traceback (most recent call last):
        ...
        catalog_sql.errors.ValidationError: Field 'size' expects an integer, got str '3'. Pass a value of the field's type.
    """  # noqa: E501
    kind = column.type
    if kind == "str":
        if not isinstance(value, str):
            raise _bad(column, value, "a string")
        if "\x00" in value:
            raise ValidationError(f"Field '{column.name}' value contains a NUL byte; remove it.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError(
                f"Field '{column.name}' value is not valid Unicode text (a lone surrogate)."
            ) from None
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(column, value, "an integer")
        if not -(2**63) <= value < 2**63:
            raise ValidationError(f"Field '{column.name}' value {value} does not fit in 64 bits.")
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _bad(column, value, "a number")
        return float(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise _bad(column, value, "True or False")
        return value
    if kind == "date":
        return _coerce_date(value, column)
    if kind == "datetime":
        return _coerce_datetime(value, column)
    raise ValidationError(f"Field '{column.name}' of type {kind} cannot be filtered this way.")
