"""``Registry.search``: ranked matches computed in SQL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from catalog_sql.search import compile_search

if TYPE_CHECKING:
    from .record import Record


class SearchResults(list):
    """Records best-first; ``.df()`` adds the ``_tier`` and ``_score`` columns."""

    def __init__(self, records: list, table) -> None:
        super().__init__(records)
        self._table = table

    def df(self):
        """The results as a pandas DataFrame, ranked."""
        return self._table.to_pandas()

    def to_arrow(self):
        """The results as a pyarrow Table, ranked."""
        return self._table

    def first(self):
        """The best match or None."""
        return self[0] if self else None


def search(
    cls: type[Record], query: str, *, field: str | list[str] | None = None, limit: int = 20
) -> SearchResults:
    """Search ``cls`` for ``query``: exact, prefix, word, substring, then typo matches.

    Examples:
        >>> import lakecat as lc
        >>> _ = lc.ULabel(name="experiment").save()
        >>> lc.ULabel.search("experimnt")[0].name
        'experiment'
    """
    from .instance import current

    fields = [field] if isinstance(field, str) else list(field or cls._meta.search_fields)
    instance = current()
    table = instance.compiler.table(cls._meta.table)
    compiled = compile_search(table, instance.backend.target, query, fields, limit=limit)
    result = instance.backend.fetch_arrow(compiled)
    columns = cls._meta.columns
    rows = zip(*(result.column(c).to_pylist() for c in columns)) if result.num_rows else []
    return SearchResults([cls._from_row(columns, row) for row in rows], result)
