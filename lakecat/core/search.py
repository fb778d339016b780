"""``Registry.search``: ranked matches computed in SQL."""

from __future__ import annotations

from typing import Any

from catalog_sql.search import compile_search

#: A :class:`lakecat.core.record.Record` (not imported here: record imports this module).
Record = Any


class SearchResults(list):
    """Records best-first; ``.ranks`` holds each one's (tier, score).

    ``.df()`` / ``.to_arrow()`` add the ``_tier`` and ``_score`` columns.
    """

    def __init__(self, records: list, columns: list[str], rows: list[tuple]) -> None:
        super().__init__(records)
        self._columns = columns
        self._rows = rows
        tier, score = columns.index("_tier"), columns.index("_score")
        self.ranks = [(row[tier], row[score]) for row in rows]

    def to_arrow(self):
        """The results as a pyarrow Table, ranked."""
        import pyarrow as pa

        return pa.Table.from_pylist([dict(zip(self._columns, row)) for row in self._rows])

    def df(self):
        """The results as a pandas DataFrame, ranked."""
        import pandas as pd

        return pd.DataFrame(self._rows, columns=self._columns)

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
    from ..instance import current

    fields = [field] if isinstance(field, str) else list(field or cls._meta.search_fields)
    instance = current()
    table = instance.compiler.table(cls._meta.table)
    compiled = compile_search(table, instance.backend.target, query, fields, limit=limit)
    columns, rows = instance.backend.fetch(compiled)
    build = cls._from_row
    width = len(cls._meta.columns)
    records = [build(columns[:width], row[:width]) for row in rows]
    return SearchResults(records, columns, rows)
