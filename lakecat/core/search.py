"""``Registry.search``: ranked matches computed in SQL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from time import monotonic
from typing import Any
from weakref import WeakKeyDictionary

from catalog_sql import search_index
from catalog_sql.compiler import Among
from catalog_sql.search import by_length_index, compile_search, ranked_by_tiers

logger = logging.getLogger("lakecat")

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
    found = None
    state = _index_state(instance, table, fields)
    if state is not None:
        found = _ranked(instance, table, query, fields, limit, state)
    elif instance.backend.target.dialect == "postgres":
        backend = instance.backend
        by_length = by_length_index(table.name, fields[0]) in backend.index_names()
        found = ranked_by_tiers(backend.fetch, table, backend.target, query, fields, limit,
                                by_length)  # fmt: skip
    columns, rows = found if found is not None else instance.backend.fetch(compiled)
    build = cls._from_row
    width = len(cls._meta.columns)
    records = [build(columns[:width], row[:width]) for row in rows]
    return SearchResults(records, columns, rows)


# -- the search index (embedded back end) -----------------------------------------------
def _embedded(instance: Any) -> bool:
    target = instance.backend.target
    return target.dialect == "duckdb" and target.catalog is None and target.db is None


#: the index states this process read, by back end and table, with the table model they
#: were checked against; each use checks in its first statement that the state is still
#: the recorded one (search_index.IndexChanged), so another process's rebuild is seen
_STATES: WeakKeyDictionary[Any, dict[str, tuple[Any, Any]]] = WeakKeyDictionary()


def _usable_state(instance: Any, table: Any):
    """The state of ``table``'s search index if search may use it, else None."""
    if not _embedded(instance):
        return None
    known = _STATES.setdefault(instance.backend, {})
    hit = known.get(table.name)
    if hit is not None and hit[0] is table:
        return hit[1]
    state = search_index.read_state(instance.backend.fetch, table.name)
    if state is None or state.fingerprint != search_index.fingerprint(table, list(state.fields)):
        known.pop(table.name, None)
        return None  # none, or the registry changed since: build it again
    known[table.name] = (table, state)
    return state


def _forget_state(instance: Any, table_name: str) -> None:
    """Read the index's state again next time (it was rebuilt or dropped)."""
    _STATES.get(instance.backend, {}).pop(table_name, None)
    _NO_INDEX.get(instance.backend, {}).pop(table_name, None)


def forget_index_states(instance: Any) -> None:
    """Read every index's state again next time (a raw write set the indexes aside)."""
    _STATES.pop(instance.backend, None)
    _NO_INDEX.pop(instance.backend, None)


#: an index built over fewer rows (by its largest id) leaves search to the scan, which
#: is faster there: the slowest query kind took 11.3 / 12.7 / 10.3 ms through the index at
#: 1e4 / 3e4 / 1e5 labels and 4.2 / 7.4 / 17.2 ms by the scan (decisions §23)
SEARCH_INDEX_FROM = 50_000


def _index_state(instance: Any, table: Any, fields: list[str]):
    """The usable search index of ``table`` for ``fields``, or None (then search scans)."""
    state = _usable_state(instance, table)
    if state is None or state.prefix_only or list(state.fields) != fields \
            or state.max_id < SEARCH_INDEX_FROM:  # fmt: skip
        return None
    return state


def _through_index(instance: Any, table: Any, read: Any):
    """``read(fetch)`` against the index; None (the scan) if its table went missing
    behind lakecat's back (dropped in a DuckDB shell, say)."""
    from ..errors import LakecatError

    backend = instance.backend
    try:
        return read(backend.fetch)
    except search_index.IndexChanged:
        _forget_state(instance, table.name)
        return None  # this once by the scan; the next call reads the new state
    except LakecatError:
        _forget_state(instance, table.name)
        if search_index.index_table(table.name) in backend.table_names():
            raise
        if search_index.read_state(backend.fetch, table.name) is None:
            return None  # dropped by lakecat (another process) since this one read its state
        logger.warning("the search index of %s is missing; searching the registry (run "
                       "lakecat search-index %s)", table.name, table.name)  # fmt: skip
        return None


def _ranked(instance: Any, table: Any, query: str, fields: list[str], limit: int, state: Any):
    """Search through the index (None: the scan)."""
    target = instance.backend.target
    return _through_index(instance, table, lambda fetch: search_index.ranked(
        fetch, table, target, query, fields, limit, state))  # fmt: skip


#: a registry that has had fewer rows (by its next id) checks a save for near duplicates
#: with a scan: ~1-7 ms up to 1e5 rows, less than the search index's four statements
NEAR_INDEX_FROM = 100_000


def near_through_index(instance: Any, table: Any, value: str, field: str) -> list | None:
    """The near-duplicate check of a save (``compile_near``'s rows) through the search
    index of ``table`` when it is large and has one with ``field``; None: scan the
    registry. The size comes free from the next id this process would give a new row."""
    if not _embedded(instance) or instance.backend.next_pooled_id(table.name) < NEAR_INDEX_FROM:
        return None
    state = _usable_state(instance, table)
    if state is None:
        return None
    target = instance.backend.target  # near() answers None for an index without field
    return _through_index(instance, table, lambda fetch: search_index.near(
        fetch, table, target, value, field, state))  # fmt: skip


#: registries this large (by the next id) answer a text filter through their search index
#: when it narrows the rows enough; below, the scan is as fast (1.5 ms at 1e5 labels)
FILTER_INDEX_FROM = 300_000


def filter_cap(rows: int) -> int:
    """How many candidate ids a text filter reads by id before it scans instead: reading
    a row by id costs ~0.07 ms, a scan ~15 ms a million rows (``starts_with`` at 1e6 labels:
    1 / 10 / 100 / 300 ids 0.8 / 2.3 / 7.2 / 20 ms, the scan 15 ms).

    Examples:
        >>> filter_cap(1_000_000), filter_cap(10**8)
        (200, 4096)
    """
    return min(4096, max(64, rows // 5000))


def filter_candidates(cls: type[Record], where: Any) -> Among | None:
    """Rows that hold every row of ``cls`` matching ``where``, from its search index (a
    text lookup every match must meet: ``startswith``, ``istartswith``, ``iexact``, and
    with a full index ``contains``, ``icontains``), or None: read the registry.

    They are the rows of the index's candidate ids and every row written since it was
    built (their keys may be stale), read by the query's own statement (one snapshot);
    the filter itself still decides which rows match, so the rows are those of the scan.
    """
    if where is None or not search_index.served_lookups(where, cls._meta.search_fields):
        return None  # nothing read for a filter no index could answer
    from ..instance import current

    instance = current()
    if not _embedded(instance):
        return None
    table = instance.compiler.table(cls._meta.table)
    state = _filter_state(instance, table)
    if state is None or state.max_id < FILTER_INDEX_FROM:
        return None
    kinds = (search_index.START,) if state.prefix_only else search_index.FILTER_MARKERS["contains"]
    served = search_index.served_lookups(where, state.fields, kinds)
    if not served:
        return None
    cap = filter_cap(state.max_id)
    ids = _through_index(instance, table, lambda fetch: search_index.filter_ids(
        fetch, state, served[0], cap))  # fmt: skip
    return None if ids is None else Among(tuple(ids), state.stamp)


#: a registry found without a search index is not asked again for this long (seconds) by
#: its text filters: a statement (~0.2 ms) saved on each, where a small registry's whole
#: query takes ~0.7 ms; an index built by another process is used that much later
NO_INDEX_TTL = 5.0
_NO_INDEX: WeakKeyDictionary[Any, dict[str, float]] = WeakKeyDictionary()


def _filter_state(instance: Any, table: Any):
    """:func:`_usable_state` for a text filter, remembering for a while that there is none."""
    seen = _NO_INDEX.setdefault(instance.backend, {})
    if monotonic() - seen.get(table.name, -NO_INDEX_TTL) < NO_INDEX_TTL:
        return None
    state = _usable_state(instance, table)
    if state is None:
        seen[table.name] = monotonic()
    return state


def build_search_index(
    cls: type[Record], *, prefix_only: bool = False, memory_limit: str | None = None
) -> int:
    """Build (or rebuild) the search index of ``cls``; returns the number of keys.

    Search then reads a sorted table of keys instead of scanning the registry (embedded
    back end; see :mod:`catalog_sql.search_index`), and so do large registries' text
    filters (``startswith``, ``istartswith``, ``iexact``, ``contains``, ``icontains``).
    Rows written later are ranked from the registry until the next build (``lakecat gc``
    rebuilds every index). ``prefix_only``: keys at value starts only (~1 a value where
    the full index has ~25): prefix and case-insensitive equality filters and a save's
    near-duplicate check read it; search and substring filters scan. ``memory_limit``
    (``"6GB"``): DuckDB's ``memory_limit`` while the keys are sorted (it spills to disk
    beyond), then the one before; by default DuckDB's own (80% of RAM): a prefix index
    of 1e8 labels peaked at 10.3 GB.

    Examples:
        >>> import lakecat as lc
        >>> _ = lc.ULabel(name="index me").save()
        >>> lc.ULabel.build_search_index() > 0
        True
        >>> lc.ULabel.search("index")[0].name
        'index me'
        >>> lc.ULabel.drop_search_index()
    """
    from datetime import datetime, timezone

    from ..errors import ValidationError
    from ..instance import current

    instance = current()
    instance.require_writable()
    name = cls.__name__
    if not _embedded(instance):
        raise ValidationError(
            f"{name}.build_search_index() is for the embedded back end; on Postgres, search "
            f"is answered by the trigram indexes of migration 0007. Nothing to build."
        )
    if "updated_at" not in cls._meta.fields:
        raise ValidationError(
            f"{name} has no updated_at, so a search index could not tell which rows changed "
            f"after it was built; {name}.search() scans the registry instead."
        )
    if memory_limit is not None and not search_index.MEMORY.fullmatch(str(memory_limit)):
        raise ValidationError(
            f"memory_limit={memory_limit!r} is not an amount of memory DuckDB reads; "
            f"write it as a number and a unit, e.g. '6GB' or '512MB'. Nothing was built."
        )
    fields = list(cls._meta.search_fields)
    table = instance.compiler.table(cls._meta.table)
    backend = instance.backend
    _forget_state(instance, table.name)
    with backend.transaction():  # the write turn: later writes carry a later updated_at
        stamp = datetime.now(timezone.utc)
        top = search_index.largest_id(backend.fetch, table.name)
        state = search_index.IndexState(table.name, tuple(fields), stamp, top,
                                        search_index.fingerprint(table, fields),
                                        prefix_only=prefix_only)  # fmt: skip
        with _memory_limit(backend, memory_limit):
            for statement in search_index.build_statements(table, fields, state):
                backend.execute(statement)
        keys = search_index.count_keys(backend.fetch, table.name)
    backend.touch()
    return keys


@contextmanager
def _memory_limit(backend: Any, limit: str | None) -> Iterator[None]:
    """DuckDB's memory_limit set to ``limit`` (validated) inside, the one before after."""
    if limit is None:
        yield
        return
    before = backend.fetch(search_index.current_memory_limit())[1][0][0]
    backend.execute(search_index.set_memory_limit(limit))
    try:
        yield
    finally:  # DuckDB's default back exactly (the setting reads rounded: '18.7 GiB'), or
        backend.execute(search_index.reset_memory_limit())  # one set before, as it reads
        if backend.fetch(search_index.current_memory_limit())[1][0][0] != before:
            backend.execute(search_index.set_memory_limit(before))


def drop_search_index(cls: type[Record]) -> None:
    """Drop the search index of ``cls`` (search scans the registry again)."""
    from ..instance import current

    instance = current()
    instance.require_writable()
    if not _embedded(instance):
        return
    _forget_state(instance, cls._meta.table)
    with instance.backend.transaction():
        for statement in search_index.drop_statements(cls._meta.table):
            instance.backend.execute(statement)


def rebuild_search_indexes(*, dry_run: bool = True) -> list[tuple[str, int]]:
    """Every search index of the current instance and how many rows were written since it
    was built; rebuilt unless ``dry_run``."""
    from ..instance import current
    from .catalog import registries

    instance = current()
    if not _embedded(instance):
        return []
    fetch = instance.backend.fetch
    by_table = {cls._meta.table: cls for cls in registries().values()}
    out = []
    for table in search_index.indexed_tables(fetch):
        cls = by_table.get(table)
        state = search_index.read_state(fetch, table)
        out.append((table, search_index.rows_behind(fetch, state) if state else 0))
        if not dry_run and cls is not None:
            build_search_index(cls, prefix_only=bool(state and state.prefix_only))
    return out
