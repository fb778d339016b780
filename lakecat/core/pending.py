"""Records whose attributes are filled from their row when first read.

A query that returns many records (``QuerySet.list()``, iteration) makes each one an
object holding its row; the row becomes the record's attributes (timestamps with UTC,
JSON parsed, the saved snapshot) the first time anything of the record is read. Making
1e5 records so costs ~0.2 µs each instead of ~1 µs, and ``list()`` stays within 1.5× of
DuckDB's own ``fetchall`` (decisions §24).

The record's ``__dict__`` is a :class:`Pending` dict. Every dict method fills it first,
so ``record.__dict__.get(column)`` and friends see the values; attribute reads that miss
the empty dict reach :meth:`lakecat.core.fields.Field.__get__` or
``Record.__getattr__``, which fill it. CPython's own attribute *writes* bypass the
methods (``record.name = x`` stores into the dict directly): filling keeps those values;
``Record.__delattr__`` and ``__dir__`` fill first. C code that reads a dict's items
without its methods sees an unread record's ``__dict__`` empty: ``json.dumps(vars(r))``
gives ``{}`` (``r.to_dict()`` is the record's columns, read or not).

Examples:
    >>> shape = Shape(("id", "name"), (), ())
    >>> data = Pending.of((7, "T cell"), shape)
    >>> dict.__len__(data), data["name"], data["_saved"]
    (0, 'T cell', (7, 'T cell'))
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

_UTC = timezone.utc


def dumps_json(value: Any) -> str:
    """A JSON field's value as canonical text (the snapshot an in-place edit is seen by)."""
    return json.dumps(value, sort_keys=True, default=str)


class AwareUTC(dict):
    """Naive UTC timestamp → the same instant with UTC attached, each made once (None
    stays None)."""

    def __init__(self) -> None:
        super().__init__({None: None})

    def __missing__(self, value: datetime) -> datetime:
        aware = self[value] = value.replace(tzinfo=_UTC)
        return aware


class Shape:
    """What the rows of one query share: their columns, the positions of timestamps that
    came back naive UTC, the JSON columns, and the timestamps already made aware."""

    __slots__ = ("columns", "naive", "json", "aware", "build")

    def __init__(self, columns: tuple[str, ...], naive: tuple[int, ...], json: tuple[str, ...]):
        self.columns = columns
        self.naive = naive
        self.json = json
        self.aware = AwareUTC()
        self.build = None if json else _builder(columns, naive)

    def data(self, row: tuple) -> dict[str, Any]:
        """The attributes of the record of ``row``: its columns, ``_saved`` (and
        ``_saved_json``), as a record read eagerly has them."""
        if self.build is not None:
            return self.build(row, self.aware)
        if self.naive:
            row = list(row)
            aware = self.aware
            for i in self.naive:
                row[i] = aware[row[i]]
        data = dict(zip(self.columns, row))
        for name in self.json:
            if isinstance(data.get(name), str):
                data[name] = json.loads(data[name])
        data["_saved"] = tuple(data[c] for c in self.columns)
        data["_saved_json"] = {c: dumps_json(data.get(c)) for c in self.json}
        return data


_BUILDERS: dict[tuple, Any] = {}


def _builder(columns: tuple[str, ...], naive: tuple[int, ...]):
    """A function ``(row, aware) -> attributes`` for rows of ``columns`` without JSON: one
    dict display (the dict made at its size at once: ~0.45 µs a 9-column row against
    ~0.9 µs for ``dict(zip(...))`` and the timestamps set after). Generated once per
    shape, as :func:`collections.namedtuple` generates its class; the columns enter the
    source only as ``repr()`` literals."""
    key = (columns, naive)
    if key not in _BUILDERS:
        values = [f"(v{i} := a[r[{i}]])" if i in naive else f"r[{i}]" for i in range(len(columns))]
        saved = ", ".join(f"v{i}" if i in naive else f"r[{i}]" for i in range(len(columns)))
        items = ", ".join(f"{c!r}: {v}" for c, v in zip(columns, values))
        source = f"lambda r, a: {{{items}, '_saved': ({saved},)}}"
        _BUILDERS[key] = eval(source, {"__builtins__": {}})  # noqa: S307 (literals only)
    return _BUILDERS[key]


class Pending(dict):
    """A record's ``__dict__`` that holds its row until something reads it."""

    __slots__ = ("_row", "_shape")

    @classmethod
    def of(cls, row: tuple, shape: Shape) -> Pending:
        """The unread attributes of the record of ``row``."""
        data = dict.__new__(cls)
        data._row, data._shape = row, shape
        return data

    def fill(self) -> None:
        """Turn the row into the attributes; values written before are kept."""
        row, shape = self._row, self._shape
        if row is None:
            return
        data = shape.data(row)
        # dict's own methods (never this class's, which would fill again); the row is let
        # go last, so a thread reading meanwhile fills too (the same items) instead of
        # reading a half-filled dict
        if dict.__len__(self):  # written before: kept, in the order an eager read has
            data.update(dict.items(self))
            dict.clear(self)
        dict.update(self, data)
        self._row = self._shape = None

    def __reduce__(self):
        """Pickled and copied as the plain dict of its attributes."""
        return (dict, (dict(self.items()),))


def _filling(name: str):
    method = getattr(dict, name)

    def call(self: Pending, *args: Any, **kwargs: Any) -> Any:
        if self._row is not None:
            self.fill()
        return method(self, *args, **kwargs)

    def with_other(self: Pending, *args: Any, **kwargs: Any) -> Any:
        if self._row is not None:
            self.fill()
        for other in args:  # the other side of ==, |, update(): C reads its items directly
            if type(other) is Pending and other._row is not None:
                other.fill()
        return method(self, *args, **kwargs)

    if name in _WITH_OTHER:
        call = with_other

    call.__name__ = call.__qualname__ = name
    call.__doc__ = method.__doc__
    return call


_WITH_OTHER = {"__eq__", "__ne__", "__or__", "__ior__", "update"}
for _name in (
    "__getitem__", "__setitem__", "__delitem__", "__contains__", "__iter__", "__len__",
    "__reversed__", "__eq__", "__ne__", "__repr__", "__or__", "__ior__", "get", "keys",
    "values", "items", "setdefault", "pop", "popitem", "copy", "update", "clear",
):  # fmt: skip
    setattr(Pending, _name, _filling(_name))
Pending.__hash__ = None  # type: ignore[assignment]


def fill(data: dict) -> bool:
    """Fill ``data`` if it is an unread :class:`Pending`; whether it was."""
    if type(data) is Pending and data._row is not None:
        data.fill()
        return True
    return False
