"""A registry as a page of a table: the CLI's filter spelling in the query string, sorting,
ranked search, pagination, and the same rows as CSV, JSON lines or Parquet.

Query-string names starting with ``_`` steer the page (``_sort``, ``_offset``, ``_limit``,
``_search``); every other name is a lookup, spelt as for ``lakecat ls --filter``
(``?name__startswith=T``, ``?size__gt=1000``, ``?ulabels__name__in=a,b``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from catalog_sql.errors import did_you_mean

from ..cli.lookups import parse_lookup
from ..cli.output import default_columns, related_labels
from ..errors import FieldError, ValidationError
from .format import Cell, cell, record_url

PAGE = 50
MAX_PAGE = 500
#: Rows per query when a whole listing is downloaded (never held in memory at once).
EXPORT_BATCH = 20_000
CONTROL = ("_sort", "_offset", "_limit", "_search")

#: Columns for registries whose CLI defaults leave out what people look for.
_COLUMNS = {
    "Feature": ("uid", "name", "type", "unit", "description"),
    "FeatureSet": ("uid", "name", "n", "type", "registry", "created_at"),
    "Storage": ("uid", "root", "type", "region", "description"),
    "Run": ("uid", "transform", "status", "started_at", "finished_at"),
}


def columns_for(cls: type) -> list[str]:
    """The columns a registry's page shows (stored columns or to-one relations).

    Examples:
        >>> from lakecat.registries import File, Feature
        >>> columns_for(File)[:3], columns_for(Feature)[:3]
        (['uid', 'key', 'version'], ['uid', 'name', 'type'])
    """
    chosen = _COLUMNS.get(cls.__name__) or default_columns(cls)
    known = set(cls._meta.columns) | set(cls._meta.fks)
    return [c for c in chosen if c in known]


@dataclass
class Request:
    """What the query string asks of a registry page."""

    filters: dict[str, Any] = field(default_factory=dict)
    raw_filters: dict[str, str] = field(default_factory=dict)
    sort: str | None = None
    offset: int = 0
    limit: int = PAGE
    search: str = ""


@dataclass
class Listing:
    """One page of a registry's table, ready for the template."""

    table: str
    name: str
    columns: list[str]
    sortable: set[str]
    rows: list[list[Cell]]
    total: int
    request: Request
    searched: bool = False

    @property
    def first(self) -> int:
        """The number of the first row shown (1-based)."""
        return self.request.offset + 1 if self.rows else 0

    @property
    def last(self) -> int:
        """The number of the last row shown."""
        return self.request.offset + len(self.rows)


def parse_request(cls: type, params: Mapping[str, str]) -> Request:
    """Read filters, sort, offset, limit and search from the query string.

    Raises:
        FieldError: An unknown field, relation or lookup (with "did you mean").
        ValidationError: A value that is not of the field's type, or a bad offset/limit.
    """
    raw = {k: v for k, v in params.items() if not k.startswith("_") and v != ""}
    unknown = [k for k in params if k.startswith("_") and k not in CONTROL]
    if unknown:
        hint = did_you_mean(unknown[0], CONTROL) or f" Known: {', '.join(CONTROL)}."
        raise FieldError(f"Unknown page option {unknown[0]!r}.{hint}")
    filters = dict(parse_lookup(cls, k, v) for k, v in raw.items())
    return Request(
        filters=filters,
        raw_filters=raw,
        sort=_sort(cls, params.get("_sort") or None),
        offset=whole_number(params.get("_offset"), "_offset", 0, 2**62),
        limit=whole_number(params.get("_limit"), "_limit", 1, MAX_PAGE, default=PAGE),
        search=(params.get("_search") or "").strip(),
    )


def whole_number(
    text: str | None, name: str, low: int, high: int, default: int | None = 0
) -> int | None:
    """The query-string option ``name`` as a whole number in ``[low, high]``; ``default``
    when it is absent or empty.

    Raises:
        ValidationError: not a whole number, or out of range (the message names ``name``).
    """
    if text in (None, ""):
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValidationError(f"{name} must be a whole number, got {text!r}.") from None
    if not low <= value <= high:
        raise ValidationError(f"{name} must be between {low} and {high}, got {value}.")
    return value


def sort_key(cls: type, column: str) -> str | None:
    """What ``order_by`` gets for a shown column (a relation sorts by its name field)."""
    fk = cls._meta.fks.get(column)
    if fk is None:
        return column if column in cls._meta.columns else None
    target = fk.target_class()._meta
    label = target.name_field or target.search_fields[0]
    return f"{column}__{label}" if label in target.columns else None


def _sort(cls: type, text: str | None) -> str | None:
    if text is None:
        return None
    name = text.removeprefix("-")
    if sort_key(cls, name) is None:
        choices = [c for c in (*cls._meta.columns, *cls._meta.fks) if sort_key(cls, c)]
        hint = did_you_mean(name, choices) or f" Sortable: {', '.join(choices)}."
        raise FieldError(f"Cannot sort {cls._meta.table} by {name!r}.{hint}")
    return text


def _ordering(cls: type, request: Request) -> tuple[str, ...]:
    """The order of the rows: the asked sort, then id so pages never overlap."""
    if request.sort is None:
        return ("id",)
    desc = request.sort.startswith("-")
    key = sort_key(cls, request.sort.removeprefix("-"))
    return ((f"-{key}" if desc else key), "id")


def build(cls: type, request: Request) -> Listing:
    """The page ``request`` asks for (search results when ``_search`` is given)."""
    columns = columns_for(cls)
    sortable = {c for c in columns if sort_key(cls, c)}
    query = cls.filter(**request.filters)
    if request.search:
        ids = [r.id for r in cls.search(request.search, limit=request.limit)]
        kept = set(query.filter(id__in=ids).ids()) if request.filters else set(ids)
        ordered = [i for i in ids if i in kept]
        rows = rows_of(cls, cls.filter(id__in=ordered), columns, order=ordered)
        listing = Listing(cls._meta.table, cls.__name__, columns, sortable, rows,
                          len(ordered), request, searched=True)  # fmt: skip
        return listing
    page = query.order_by(*_ordering(cls, request)).limit(request.limit).offset(request.offset)
    rows = rows_of(cls, page, columns)
    return Listing(cls._meta.table, cls.__name__, columns, sortable, rows, query.count(), request)


def rows_of(cls: type, query: Any, columns: list[str], order: list[int] | None = None):
    """Rows of cells: one narrow query, plus one per relation column for its labels."""
    fks = cls._meta.fks
    needed = list(dict.fromkeys(["id", "uid", *(fks[c].column if c in fks else c
                                                 for c in columns)]))  # fmt: skip
    records = [dict(zip(needed, values)) for values in query.values_list(*needed)]
    if order is not None:
        position = {i: n for n, i in enumerate(order)}
        records.sort(key=lambda r: position[r["id"]])
    labels = {
        c: (fks[c].target_class()._meta.table, related_labels(
            fks[c].target_class(), {r[fks[c].column] for r in records}))
        for c in columns if c in fks
    }  # fmt: skip
    return [[_cell(cls, record, c, labels) for c in columns] for record in records]


def _cell(cls: type, record: dict, column: str, labels: dict) -> Cell:
    if column in labels:
        table, found = labels[column]
        label, uid = found.get(record[cls._meta.fks[column].column], (None, None))
        return cell(label, href=record_url(table, uid) if uid else None)
    if column == "uid":
        return cell(record["uid"], href=record_url(cls._meta.table, record["uid"]))
    return cell(record[column], column=column)


# ------------------------------------------------------------------ links between pages


def page_url(table: str, request: Request, **changes: Any) -> str:
    """This page's address with some options changed (None drops one).

    Examples:
        >>> page_url("ulabel", Request(raw_filters={"name__startswith": "T"}), _offset=50)
        '/r/ulabel?name__startswith=T&_offset=50'
    """
    params: dict[str, Any] = dict(request.raw_filters)
    current = {"_sort": request.sort, "_offset": request.offset or None,
               "_limit": request.limit if request.limit != PAGE else None,
               "_search": request.search or None}  # fmt: skip
    current.update(changes)
    params.update({k: v for k, v in current.items() if v is not None})
    query = urlencode(params)
    return f"/r/{table}" + (f"?{query}" if query else "")


def without_filter(listing: Listing, key: str) -> str:
    """This page without the filter ``key`` (back to the first page)."""
    kept = {k: v for k, v in listing.request.raw_filters.items() if k != key}
    request = Request(raw_filters=kept, sort=listing.request.sort, limit=listing.request.limit,
                      search=listing.request.search)  # fmt: skip
    return page_url(listing.table, request)


def with_filter(table: str, params: Mapping[str, str], text: str) -> str:
    """The page for ``params`` plus the filter ``text``, spelt as ``lakecat ls --filter``
    spells it (``name__startswith=T``).

    Examples:
        >>> with_filter("ulabel", {"_filter": "x", "_offset": "50"}, "name__startswith=T")
        '/r/ulabel?name__startswith=T'

    Raises:
        ValidationError: ``text`` is not KEY=VALUE.
    """
    key, sep, value = text.strip().partition("=")
    if not sep or not key.strip():
        raise ValidationError(f"A filter is KEY=VALUE, e.g. name__startswith=T; got {text!r}.")
    kept = {k: v for k, v in params.items() if k not in ("_filter", "_offset")}
    kept[key.strip()] = value
    return f"/r/{table}?{urlencode(kept)}"


def export_url(table: str, request: Request, fmt: str) -> str:
    """Where the rows of this listing (all pages) download as ``fmt``."""
    params = dict(request.raw_filters)
    if request.sort:
        params["_sort"] = request.sort
    query = urlencode(params)
    return f"/r/{table}.{fmt}" + (f"?{query}" if query else "")


def sort_url(listing: Listing, column: str) -> str:
    """The header link: sort by ``column``, or flip it when already sorted by it."""
    current = listing.request.sort
    target = f"-{column}" if current == column else column
    return page_url(listing.table, listing.request, _sort=target, _offset=None)


# ------------------------------------------------------------------ downloads


def export_batches(cls: type, request: Request) -> Iterator[Any]:
    """Every matching row as pyarrow Tables of at most EXPORT_BATCH rows (stored columns)."""
    query = cls.filter(**request.filters).order_by(*_ordering(cls, request))
    offset = 0
    while True:
        batch = query.limit(EXPORT_BATCH).offset(offset).to_arrow()
        if batch.num_rows or not offset:  # an empty first batch still carries the columns
            yield batch
        if batch.num_rows < EXPORT_BATCH:
            return
        offset += EXPORT_BATCH
