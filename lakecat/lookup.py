"""``Registry.lookup()``: records as attributes, for tab completion."""

from __future__ import annotations

import keyword
import re
from typing import TYPE_CHECKING, Any

from catalog_sql.errors import FieldError

if TYPE_CHECKING:
    from .record import Record

_INVALID = re.compile(r"\W+")


def sanitize(name: str) -> str:
    """Turn a record name into a Python identifier.

    Examples:
        >>> sanitize("CD8+ T cell")
        'cd8_t_cell'
        >>> sanitize("1st batch")
        'x1st_batch'
    """
    text = _INVALID.sub("_", name.strip().lower()).strip("_") or "x"
    if text[0].isdigit() or keyword.iskeyword(text):
        text = "x" + text
    return text


class Lookup:
    """One attribute per record; ``dict(lookup)`` gives name → record."""

    def __init__(self, items: dict[str, Any]) -> None:
        self.__dict__.update(items)

    def __iter__(self):
        return iter(self.__dict__.items())

    def __getitem__(self, name: str) -> Any:
        return self.__dict__[name]

    def __len__(self) -> int:
        return len(self.__dict__)

    def __repr__(self) -> str:
        names = sorted(self.__dict__)
        shown = ", ".join(names[:10]) + (", …" if len(names) > 10 else "")
        return f"Lookup({len(names)} records: {shown})"


def lookup(cls: type[Record], field: str | None = None) -> Lookup:
    """Build the lookup object for ``cls`` keyed by ``field`` (default: its name field)."""
    field = field or cls._meta.name_field or cls._meta.search_fields[0]
    if field not in cls._meta.columns:
        raise FieldError(f"{cls.__name__} has no field '{field}' to build a lookup from.")
    items: dict[str, Any] = {}
    for record in cls.all().order_by("id").list():
        value = record.__dict__.get(field)
        if value is None:
            continue
        key = sanitize(str(value))
        while key in items:
            key += "_"
        items[key] = record
    return Lookup(items)
