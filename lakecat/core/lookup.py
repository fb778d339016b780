"""``Registry.lookup()``: records as attributes, for tab completion."""

from __future__ import annotations

import heapq
import keyword
import re
from collections.abc import Iterator
from typing import Any

from catalog_sql.errors import FieldError, did_you_mean

#: A :class:`lakecat.core.record.Record` (not imported here: record imports this module).
Record = Any


_INVALID = re.compile(r"\W+")
_INVALID_OR_NEWLINE = re.compile(r"[^\w\n]+")
_HINT_LIMIT = 10_000  # more names make "did you mean" slower than 0.1 s: no hint then
_IN_LIMIT = 1000  # beyond this many unbuilt records, read the whole table instead of id IN (…)


def sanitize(name: str) -> str:
    """Turn a record name into a Python identifier.

    Examples:
        >>> sanitize("CD8+ T cell")
        'cd8_t_cell'
        >>> sanitize("1st batch")
        'x1st_batch'
    """
    return _identifier(_INVALID.sub("_", name.strip().lower()))


def sanitize_many(names: list[str]) -> list[str]:
    r""":func:`sanitize` for many names at once (one regex pass over all of them).

    Examples:
        >>> sanitize_many(["CD8+ T cell", "1st batch", "class", "a\nb"])
        ['cd8_t_cell', 'x1st_batch', 'xclass', 'a_b']
    """
    joined = "\n".join(names).lower()
    if joined.count("\n") != len(names) - 1:  # a name contains a newline: one by one
        return [sanitize(n) for n in names]
    return [_identifier(t) for t in _INVALID_OR_NEWLINE.sub("_", joined).split("\n")]


def _identifier(text: str) -> str:
    """Finish a lowered, underscored name: no edge underscores, no leading digit or keyword."""
    text = text.strip("_") or "x"
    if text[0].isdigit() or keyword.iskeyword(text):
        text = "x" + text
    return text


class Lookup:
    """One attribute per record; ``dict(lookup)`` gives name → record.

    Building a lookup fetches only each record's id and name; a record is built when its
    attribute or item is first read, and then kept. ``dir()`` (tab completion) lists the names.
    """

    def __init__(self, model: type[Record], ids: dict[str, Any]) -> None:
        self._model = model
        self._ids = ids
        self._records: dict[str, Record] = {}

    def __getattr__(self, name: str) -> Record:
        if name.startswith("_"):  # internals, and probes such as _repr_html_
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            hint = did_you_mean(name, self._ids) if len(self._ids) <= _HINT_LIMIT else ""
            msg = f"No {self._model.__name__} named {name!r} in this lookup.{hint}"
            raise FieldError(msg) from None

    def __getitem__(self, name: str) -> Record:
        record = self._records.get(name)
        if record is None:
            record = self._records[name] = self._model.filter(id=self._ids[name]).one()
        return record

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self._ids]

    def __iter__(self) -> Iterator[tuple[str, Record]]:
        self._load_all()
        return ((name, self._records[name]) for name in self._ids if name in self._records)

    def __len__(self) -> int:
        return len(self._ids)

    def __repr__(self) -> str:
        names = heapq.nsmallest(10, self._ids)
        shown = ", ".join(names) + (", …" if len(self._ids) > 10 else "")
        return f"Lookup({len(self._ids)} records: {shown})"

    def _load_all(self) -> None:
        """Build every record not built yet, with one query."""
        missing = {i: name for name, i in self._ids.items() if name not in self._records}
        if not missing:
            return
        query = self._model.all()
        if len(missing) <= _IN_LIMIT:
            query = query.filter(id__in=list(missing))
        for record in query.list():
            name = missing.get(record.id)
            if name is not None:
                self._records[name] = record


def lookup(cls: type[Record], field: str | None = None) -> Lookup:
    """Build the lookup object for ``cls`` keyed by ``field`` (default: its name field).

    One narrow query fetches the ids and ``field`` values; records are built on first use.
    Records whose ``field`` is empty are left out; names that collide get a trailing ``_``.

    Raises:
        FieldError: ``cls`` has no column ``field``.
    """
    field = field or cls._meta.name_field or cls._meta.search_fields[0]
    if field not in cls._meta.columns:
        raise FieldError(f"{cls.__name__} has no field '{field}' to build a lookup from.")
    rows = cls.filter().order_by("id").values_list("id", field)
    rows = [(i, v if isinstance(v, str) else str(v)) for i, v in rows if v is not None]
    ids: dict[str, Any] = {}
    for (record_id, _), key in zip(rows, sanitize_many([v for _, v in rows])):
        while key in ids:
            key += "_"
        ids[key] = record_id
    return Lookup(cls, ids)
