"""Lookups written as text (``size__gt=10``): the CLI's ``--filter`` and the web page's
query string, each value read as the type of the field its key names."""

from __future__ import annotations

from typing import Any

from ..errors import ValidationError


def parse_lookup(cls: type | None, key: str, value: str) -> tuple[str, Any]:
    """``key=value`` with the value typed by the field ``key`` names (text without ``cls``).

    Examples:
        >>> from lakecat.registries import File
        >>> parse_lookup(File, "size__gt", "10"), parse_lookup(File, "key__in", "a,b")
        (('size__gt', 10), ('key__in', ['a', 'b']))
    """
    kind = _field_type(cls, key) if cls is not None else "str"
    if key.endswith("__in"):
        return key, [typed(v, kind) for v in value.split(",")]
    if key.endswith("__isnull"):
        return key, typed(value, "bool")
    if key.endswith("__range"):
        return key, [typed(v, kind) for v in value.split(",", 1)]
    return key, typed(value, kind)


def _field_type(cls: type, key: str) -> str:
    from ..instance import current

    return current().compiler.resolve(cls._meta.table, key).column.type


def typed(value: str, kind: str) -> Any:
    """Examples:
    >>> typed("3", "int"), typed("yes", "bool"), typed("x", "str")
    (3, True, 'x')
    """
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
    except ValueError:
        raise ValidationError(f"{value!r} is not a number.") from None
    if kind == "bool":
        if value.lower() not in ("1", "0", "true", "false", "yes", "no"):
            raise ValidationError(f"{value!r} is not true/false.")
        return value.lower() in ("1", "true", "yes")
    return value
