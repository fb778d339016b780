"""The lookup table: each filter lookup is a small pair of functions.

``prepare(value, column)`` validates the user's value and returns the list of bound
parameters; ``build(col, placeholders)`` returns the sqlglot condition. The shape of
the SQL depends only on ``variant(value)``, so compiled SQL can be cached by shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass
from typing import Any

from ._lazy import exp
from .errors import ValidationError
from .model import Column
from .values import _type_name, coerce

Build = Callable[[Any, list[Any]], Any]  # (column, placeholders) -> sqlglot condition
Prepare = Callable[[Any, Column], list[Any]]

TEXT = frozenset({"str"})
ORDERED = frozenset({"str", "int", "float", "datetime", "date"})
SCALAR = frozenset({"str", "int", "float", "bool", "datetime", "date"})


@dataclass(frozen=True)
class Lookup:
    """One entry of the lookup table."""

    name: str
    prepare: Prepare
    build: Build
    types: frozenset[str] = SCALAR
    variant: Callable[[Any], Any] = lambda value: None
    negated: Callable[[Any], bool] = lambda value: False


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(kind: str, pattern: Callable[[str], str]) -> tuple[Prepare, Build]:
    """``kind`` names the sqlglot class ("Like", "ILike"), looked up when SQL is built."""

    def prepare(value: Any, column: Column) -> list[Any]:
        return [pattern(_escape_like(coerce(value, column)))]

    def build(col: exp.Expression, ph: list[exp.Expression]) -> exp.Expression:
        cls = getattr(exp, kind)
        return exp.Escape(this=cls(this=col, expression=ph[0]), expression=exp.Literal.string("\\"))

    return prepare, build


def _text_function(name: str, lower: bool) -> tuple[Prepare, Build]:
    """DuckDB's string functions instead of LIKE ... ESCAPE, which DuckDB runs 2-3x slower
    (``contains(lower(name), lower(q))`` 6.4 ms vs ``ILIKE '%q%' ESCAPE`` 16.8 ms at 1e5);
    the value is used as it is, no wildcards to escape."""

    def build(col: exp.Expression, ph: list[exp.Expression]) -> exp.Expression:
        left, right = (exp.Lower(this=col), exp.Lower(this=ph[0])) if lower else (col, ph[0])
        return exp.Anonymous(this=name, expressions=[left, right])

    return _one, build


def _one(value: Any, column: Column) -> list[Any]:
    return [coerce(value, column)]


def _exact_prepare(value: Any, column: Column) -> list[Any]:
    return [] if value is None else _one(value, column)


def _exact_build(col: exp.Expression, ph: list[exp.Expression]) -> exp.Expression:
    return exp.Is(this=col, expression=exp.Null()) if not ph else exp.EQ(this=col, expression=ph[0])


def _iexact_build(col: exp.Expression, ph: list[exp.Expression]) -> exp.Expression:
    return exp.EQ(this=exp.Lower(this=col), expression=exp.Lower(this=ph[0]))


def _in_prepare(value: Any, column: Column) -> list[Any]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ValidationError(
            f"Lookup '{column.name}__in' expects a list, tuple or set, got {_type_name(value)}. "
            f"Wrap the value in a list: {column.name}__in=[{value!r}]."
        )
    return [coerce(v, column) for v in value]


def _in_build(col: exp.Expression, ph: list[exp.Expression]) -> exp.Expression:
    if not ph:
        return exp.false()
    return exp.In(this=col, expressions=ph)


def _range_prepare(value: Any, column: Column) -> list[Any]:
    unordered = isinstance(value, (Mapping, Set))  # a length, but no first and second
    if isinstance(value, (str, bytes)) or unordered or not hasattr(value, "__len__") \
            or len(value) != 2:  # fmt: skip
        raise ValidationError(
            f"Lookup '{column.name}__range' expects a pair (low, high), got {value!r}."
        )
    return [coerce(value[0], column), coerce(value[1], column)]


def _range_build(col: exp.Expression, ph: list[exp.Expression]) -> exp.Expression:
    return exp.Between(this=col, low=ph[0], high=ph[1])


def _isnull_prepare(value: Any, column: Column) -> list[Any]:
    if not isinstance(value, bool):
        raise ValidationError(f"Lookup '{column.name}__isnull' expects True or False.")
    return []


def _regex_prepare(value: Any, column: Column) -> list[Any]:
    import re

    pattern = coerce(value, column)
    try:
        re.compile(pattern)
    except re.error as err:
        raise ValidationError(f"Invalid regular expression {pattern!r}: {err}.") from None
    return [pattern]


def _compare(kind: str) -> Build:
    return lambda col, ph: getattr(exp, kind)(this=col, expression=ph[0])


def _build_lookups() -> dict[str, Lookup]:
    like = {
        "contains": ("Like", lambda s: f"%{s}%"),
        "icontains": ("ILike", lambda s: f"%{s}%"),
        "startswith": ("Like", lambda s: f"{s}%"),
        "istartswith": ("ILike", lambda s: f"{s}%"),
        "endswith": ("Like", lambda s: f"%{s}"),
        "iendswith": ("ILike", lambda s: f"%{s}"),
    }
    table = {name: Lookup(name, *_like(cls, pat), types=TEXT) for name, (cls, pat) in like.items()}
    compare = {"gt": "GT", "gte": "GTE", "lt": "LT", "lte": "LTE"}
    for name, cls in compare.items():
        table[name] = Lookup(name, _one, _compare(cls), types=ORDERED)
    table["exact"] = Lookup("exact", _exact_prepare, _exact_build, variant=lambda v: v is None)
    table["iexact"] = Lookup("iexact", _one, _iexact_build, types=TEXT)
    table["in"] = Lookup("in", _in_prepare, _in_build, variant=lambda v: len(list(v)))
    table["range"] = Lookup("range", _range_prepare, _range_build, types=ORDERED)
    table["isnull"] = Lookup(
        "isnull",
        _isnull_prepare,
        lambda col, ph: exp.Is(this=col, expression=exp.Null()),
        types=frozenset({"str", "int", "float", "bool", "datetime", "date", "json"}),
        variant=lambda v: v,
        negated=lambda v: not v,
    )
    table["regex"] = Lookup(
        "regex", _regex_prepare, lambda c, ph: exp.RegexpLike(this=c, expression=ph[0]), TEXT
    )
    return table


LOOKUPS: dict[str, Lookup] = _build_lookups()


def _duckdb_lookups() -> dict[str, Lookup]:
    functions = {
        "contains": ("contains", False), "icontains": ("contains", True),
        "startswith": ("starts_with", False), "istartswith": ("starts_with", True),
        "endswith": ("suffix", False), "iendswith": ("suffix", True),
    }  # fmt: skip
    return {name: Lookup(name, *_text_function(fn, lower), types=TEXT)
            for name, (fn, lower) in functions.items()}  # fmt: skip


#: The text lookups as DuckDB runs them fastest (Postgres keeps LIKE: its indexes serve it).
DUCKDB_LOOKUPS = _duckdb_lookups()


def _lowered(col: exp.Expression) -> exp.Expression:
    """``lower(coalesce(col, ''))``: the expression Postgres's text indexes are built on
    (trigram, migration 0007; text_pattern_ops btree, migration 0011)."""
    return exp.Lower(this=exp.Coalesce(this=col.copy(), expressions=[exp.Literal.string("")]))


def _trigram_guarded(kind: str, pattern: Callable[[str], str]):
    """Postgres: ``lower(coalesce(col, '')) LIKE lower(pattern)`` first, a condition the
    column's trigram index (migration 0007, the search fields) answers, and for a prefix its
    btree (0011), then the lookup itself. The first is implied by the second (lower() maps
    character by character), so the rows are the same; without such an index it is one more
    test per row."""
    prepare, like = _like(kind, pattern)

    def build(col: exp.Expression, ph: list[exp.Expression]) -> exp.Expression:
        guard = exp.Escape(
            this=exp.Like(this=_lowered(col), expression=exp.Lower(this=ph[0].copy())),
            expression=exp.Literal.string("\\"),
        )
        return exp.and_(guard, like(col, ph))

    return prepare, build


def _iexact_guarded(col: exp.Expression, ph: list[exp.Expression]) -> exp.Expression:
    """Postgres: ``lower(coalesce(col, '')) = lower(value)``, a point of the btree of
    migration 0011, then the lookup itself (a NULL field passes the first only for '')."""
    guard = exp.EQ(this=_lowered(col), expression=exp.Lower(this=ph[0].copy()))
    return exp.and_(guard, _iexact_build(col, ph))


def _postgres_lookups() -> dict[str, Lookup]:
    like = {
        "contains": ("Like", lambda s: f"%{s}%"),
        "icontains": ("ILike", lambda s: f"%{s}%"),
        "istartswith": ("ILike", lambda s: f"{s}%"),  # startswith: the pattern btree
        "endswith": ("Like", lambda s: f"%{s}"),
        "iendswith": ("ILike", lambda s: f"%{s}"),
    }
    table = {name: Lookup(name, *_trigram_guarded(cls, pat), types=TEXT)
             for name, (cls, pat) in like.items()}  # fmt: skip
    table["iexact"] = Lookup("iexact", _one, _iexact_guarded, types=TEXT)
    return table


#: The text lookups as Postgres answers them from its text indexes.
POSTGRES_LOOKUPS = _postgres_lookups()
