"""Lazy query sets: each terminal method compiles one SQL statement and runs it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from catalog_sql.compiler import Among, Compiled
from catalog_sql.errors import MultipleResultsError, NotFoundError, ValidationError
from catalog_sql.query import Q

#: A :class:`lakecat.core.record.Record` (not imported here: record imports this module).
Record = Any


def record_id(value: Any) -> Any:
    """Replace a record by its id for relation lookups (``run=my_run``)."""
    if hasattr(type(value), "_meta"):  # a Record (not imported: record imports this module)
        if value.id is None:
            raise ValidationError(f"{type(value).__name__} {value!r} is not saved yet.")
        return value.id
    if isinstance(value, (list, tuple, set, frozenset)):
        return [record_id(v) for v in value]
    return value


class QuerySet:
    """Records of one registry matching a filter; nothing runs until you ask.

    Examples:
        >>> import lakecat as lc
        >>> _ = lc.save([lc.ULabel(name=n) for n in ("a", "b", "c")])
        >>> qs = lc.ULabel.filter(name__in=["a", "b"]).order_by("-name").limit(5)
        >>> qs.count(), [r.name for r in qs]
        (2, ['b', 'a'])
    """

    def __init__(
        self,
        model: type[Record],
        where: Q | None = None,
        order: tuple[str, ...] = (),
        limit: int | None = None,
        offset: int | None = None,
        instance: Any = None,
    ) -> None:
        self.model = model
        self._where = where
        self._order = order
        self._limit = limit
        self._offset = offset
        #: Another instance this set reads (``Registry.using(other)``), None: the current.
        self._instance = instance

    def _clone(self, **changes: Any) -> QuerySet:
        state = {
            "where": self._where,
            "order": self._order,
            "limit": self._limit,
            "offset": self._offset,
            "instance": self._instance,
        }
        state.update(changes)
        return QuerySet(self.model, **state)

    def _scope(self):
        """Where this set runs: inside ``using(other)`` for another instance's set."""
        from contextlib import nullcontext

        from ..instance import using_instance

        return nullcontext() if self._instance is None else using_instance(self._instance)

    # -- building ------------------------------------------------------------------
    def filter(self, *queries: Q, **lookups: Any) -> QuerySet:
        """Narrow the set: every lookup must hold (``Q`` objects for or/not)."""
        if not queries and not lookups:
            return self
        q = Q(*queries, **lookups)
        return self._clone(where=q if self._where is None else self._where & q)

    def exclude(self, *queries: Q, **lookups: Any) -> QuerySet:
        """Drop the records for which all the lookups hold."""
        q = ~Q(*queries, **lookups)
        return self._clone(where=q if self._where is None else self._where & q)

    def order_by(self, *fields: str) -> QuerySet:
        """Sort by fields (``-`` for descending); relations with ``__`` allowed."""
        return self._clone(order=tuple(fields))

    def limit(self, n: int | None) -> QuerySet:
        """At most ``n`` records."""
        return self._clone(limit=n)

    def offset(self, n: int) -> QuerySet:
        """Skip the first ``n`` records."""
        return self._clone(offset=n)

    # -- compiling -----------------------------------------------------------------
    def _compile(
        self,
        mode: str = "rows",
        limit: int | None = None,
        ordered: bool = False,
        among: Among | None = None,
        columns: tuple[str, ...] = (),
    ) -> Compiled:
        from ..instance import current

        compiler = current().compiler
        order = self._order
        if ordered and not order:
            order = ("id",)
        return compiler.select(
            self.model._meta.table,
            self._where,
            order_by=order,
            limit=self._limit if limit is None else _min(limit, self._limit),
            offset=self._offset,
            mode=mode,
            adapt=record_id,
            columns=columns,
            among=among,
        )

    def _run(
        self,
        mode: str,
        limit: int | None = None,
        ordered: bool = False,
        columns: tuple[str, ...] = (),
    ) -> Compiled:
        """The statement a terminal method runs: :meth:`_compile`'s, reading only the
        rows a search index names as candidates when it can name few enough (a text
        lookup on a large registry; see lakecat.core.search.filter_candidates)."""
        from .search import filter_candidates

        among = filter_candidates(self.model, self._where)
        return self._compile(mode, limit=limit, ordered=ordered, among=among, columns=columns)

    def sql(self) -> str:
        """The SQL this set runs, with values inlined, to paste into a SQL shell."""
        with self._scope():
            return self._compile().inline()

    # -- running -------------------------------------------------------------------
    def _repr_html_(self) -> str:
        """The first rows in Jupyter, with how many match."""
        from .html import queryset_html

        return queryset_html(self)

    def _backend(self):
        from ..instance import current

        instance = current()
        instance.require(self.model)
        return instance.backend

    def to_arrow(self):
        """The records as a ``pyarrow.Table``."""
        with self._scope():
            return self._backend().fetch_arrow(self._run("rows"))

    def df(self):
        """The records as a pandas DataFrame."""
        return self.to_arrow().to_pandas()

    def to_polars(self):
        """The records as a polars DataFrame."""
        try:
            import polars as pl
        except ImportError:
            msg = "to_polars() needs polars: pip install 'lakecat[polars]'."
            raise ValidationError(msg) from None
        return pl.from_arrow(self.to_arrow())

    def _records(self, limit: int | None = None, ordered: bool = False) -> list[Record]:
        with self._scope():
            compiled = self._run("records", limit=limit, ordered=ordered)
            columns, rows = self._backend().fetch(compiled)
        # DuckDB's timestamps come back naive UTC ("records" mode: see _compile)
        records = self.model._from_rows(columns, rows, naive_utc=compiled.dialect == "duckdb")
        from ..instance import _USING

        where = self._instance or _USING.get()
        if where is not None and where.foreign:  # read from another instance: say so
            from .lifecycle import state

            for record in records:
                state(record).origin = where
        return records

    def list(self) -> list[Record]:
        """The records as a list."""
        return self._records()

    def __iter__(self) -> Iterator[Record]:
        return iter(self._records())

    def first(self) -> Record | None:
        """The first record (by id unless ordered), or None."""
        records = self._records(limit=1, ordered=True)
        return records[0] if records else None

    def one(self) -> Record:
        """Exactly one record, else NotFoundError / MultipleResultsError."""
        records = self._records(limit=2)
        if not records:
            raise NotFoundError(f"No {self.model.__name__} matches {self._describe()}.")
        if len(records) > 1:
            raise MultipleResultsError(
                f"More than one {self.model.__name__} matches {self._describe()}; "
                f"narrow the filter or use .first()."
            )
        return records[0]

    def one_or_none(self) -> Record | None:
        """The one matching record, None if none; MultipleResultsError if several."""
        try:
            return self.one()
        except NotFoundError:
            return None

    def count(self) -> int:
        """How many records match."""
        with self._scope():
            return self._backend().fetch(self._run("count"))[1][0][0]

    def __len__(self) -> int:
        return self.count()

    def exists(self) -> bool:
        """Whether any record matches."""
        with self._scope():
            return bool(self._backend().fetch(self._run("exists"))[1])

    def values_list(self, *fields: str, flat: bool = False) -> list:
        """Only these columns of the matching records, as tuples (one narrow query);
        ``flat=True`` with one field gives the values themselves.

        Examples:
            >>> import lakecat as lc
            >>> _ = lc.ULabel(name="flat-a").save()
            >>> lc.ULabel.filter(name="flat-a").values_list("name", flat=True)
            ['flat-a']
        """
        if flat and len(fields) != 1:
            raise ValidationError(f"values_list(flat=True) takes one field, got {len(fields)}.")
        with self._scope():
            rows = self._backend().fetch(self._run("values", columns=fields))[1]
        return [row[0] for row in rows] if flat else rows

    def ids(self) -> list[int]:
        """The ids of the matching records."""
        with self._scope():
            return [r[0] for r in self._backend().fetch(self._run("ids"))[1]]

    def delete(self, *, permanent: bool = False) -> int:
        """Delete every matching record (and its links); returns how many.

        Records that lineage uses are refused unless ``permanent=True`` (see
        :meth:`lakecat.core.record.Record.delete`).
        """
        from .writes import delete_ids

        if self._instance is not None:
            from ..errors import ReadOnlyError

            raise ReadOnlyError(
                f"{self.model.__name__}.using({self._instance.name!r}) reads another instance; "
                f"to delete there, lc.connect({self._instance.name!r})."
            )
        if self.model._has_hook("lineage_uses"):
            for record in self.list():
                record._check_lineage_uses(permanent)
        ids = self.ids()
        delete_ids(self.model, ids)
        return len(ids)

    def _describe(self) -> str:
        return repr(self._where) if self._where is not None else "the query"

    def __repr__(self) -> str:
        return f"<QuerySet {self.model.__name__} {self._describe()}>"


def _min(a: int, b: int | None) -> int:
    return a if b is None else min(a, b)
