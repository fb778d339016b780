"""The version rule shared by File, Transform and Dataset (one home for it).

A *family* is every record whose ``initial_version_id`` is the family's first record
(the root, whose own ``initial_version_id`` is NULL). What must always hold:

- a family has exactly one record with ``is_latest``;
- version numbers are unique in a family, and a new one is greater than every other
  (File and Dataset: integers; Transform: free-form strings, unique);
- a new version goes after the family's newest, whatever record it was derived from;
- deleting a version promotes the newest remaining one (and re-roots the family when
  the root goes);
- ``Registry.get(<family field>=…)`` means the latest version.

Everything here runs inside the caller's write transaction, after the back end's
``lock_table`` (Postgres: an advisory lock; the embedded catalog already admits one
writer at a time), so concurrent writers take turns instead of both reading "latest".
The database enforces unique ``(family, version)`` on both back ends and one latest per
family where partial indexes exist (Postgres); see migration ``0004_version_rule``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from catalog_sql import statements
from catalog_sql.errors import ValidationError
from catalog_sql.query import Q

from .lifecycle import state

#: A :class:`lakecat.core.record.Record` (not imported here: record imports this module).
Record = Any
#: A :class:`lakecat.instance.Instance`.
Instance = Any


CHUNK = 1000


def root_id(record: Record) -> int | None:
    """The id of the first version of ``record``'s family."""
    return record.__dict__.get("initial_version_id") or record.__dict__.get("id")


def family(cls: type[Record], root: int):
    """Every version of the family rooted at ``root``, oldest first (a QuerySet)."""
    return cls.filter(Q(id=root) | Q(initial_version_id=root)).order_by("id")


def numeric(version: str | None) -> int:
    """Sort key of a version string: its integer value, -1 when it is not one.

    Examples:
        >>> numeric("12"), numeric("v1"), numeric(None)
        (12, -1, -1)
    """
    return int(version) if version and version.isdigit() else -1


def next_version(existing: Sequence[str], requested: str | None, *, free: bool) -> str:
    """The version a new member of a family with ``existing`` versions gets.

    Integer families count up from the greatest version. With ``free`` (Transforms) a
    requested version that is not taken is kept, a taken one gets a ``.1`` suffix.

    Examples:
        >>> next_version([], None, free=False), next_version(["1", "3"], "2", free=False)
        ('1', '4')
        >>> next_version(["1.0"], "1.0", free=True), next_version(["1"], "beta", free=True)
        ('1.0.1', 'beta')
    """
    taken = set(existing)
    if not existing:
        return requested or "1"
    if free and requested and requested not in taken:
        return requested
    if not free or not requested or requested.isdigit():
        top = max((numeric(v) for v in existing), default=0)
        if requested and not free and numeric(requested) > top:
            return requested
        return str(max(top, 0) + 1)
    candidate = f"{requested}.1"
    while candidate in taken:
        candidate += ".1"
    return candidate


# -- new versions -------------------------------------------------------------------------
def assign(cls: type[Record], records: Sequence[Record], instance: Instance) -> None:
    """Give new ``records`` (ids already reserved) their family, version and latest flag.

    Families come from ``is_new_version_of`` (kept in the save state) or, for registries
    with a family field (File ``key``, Dataset ``name``), from the latest record with
    the same value. Earlier latest versions are retired in the same transaction.
    """
    instance.backend.lock_table(cls._meta.table)
    roots = _find_roots(cls, records)
    existing = _family_versions(cls, {r for r in roots.values() if r is not None})
    retire = [root for root in existing if existing[root]]
    last: dict[int, Record] = {}
    started: dict[Any, int] = {}  # family value → root of a family begun in this batch
    field = cls._family_field
    for record in records:
        value = record.__dict__.get(field) if field else None
        root = roots[id(record)] or started.get(value) or record.id
        if roots[id(record)] is None and value is not None:
            started.setdefault(value, root)
        versions = existing.setdefault(root, [])
        requested = record.__dict__.get("version")
        version = next_version(versions, requested, free=cls._free_versions)
        versions.append(version)
        data = record.__dict__
        data["version"] = version
        data["initial_version_id"] = None if root == record.id else root
        data["is_latest"] = True
        if root in last:
            last[root].__dict__["is_latest"] = False
        last[root] = record
        state(record).previous = None
    _retire(cls, retire, instance)


def claim_latest(record: Record, instance: Instance) -> None:
    """Touch ``record``'s row (a no-op update) before work that is expensive to undo.

    On Postgres (REPEATABLE READ) this fails at once with a serialization error if
    another writer changed the row after this transaction's snapshot, so a stale view of
    "latest" is caught before a table is written, not after.
    """
    table = type(record)._meta.table
    where = {"id": [record.id], "is_latest": True}
    stmt = statements.update_where(instance.backend.target, table, {"is_latest": True}, where)
    instance.backend.execute(stmt)


def _find_roots(cls: type[Record], records: Sequence[Record]) -> dict[int, int | None]:
    """id(record) → the root of the family it joins (None: it starts a new family)."""
    roots: dict[int, int | None] = {}
    previous = {id(r): state(r).previous for r in records}
    for prev in previous.values():
        if prev is not None and getattr(prev, "id", None) is None:
            raise ValidationError(f"is_new_version_of must be a saved {cls.__name__}.")
    prev_ids = [p.id for p in previous.values() if p is not None]
    fresh = dict(_chunked_values(cls, "id", prev_ids, latest=False))
    field = cls._family_field
    values = [r.__dict__.get(field) for r in records if field and previous[id(r)] is None]
    by_value = dict(_chunked_values(cls, field, [v for v in values if v is not None], latest=True))
    for record in records:
        prev = previous[id(record)]
        if prev is not None:
            roots[id(record)] = fresh.get(prev.id) or prev.id
        else:
            value = record.__dict__.get(field) if field else None
            roots[id(record)] = by_value.get(value) if value is not None else None
    return roots


def _chunked_values(cls, column: str, values: list, *, latest: bool) -> list[tuple[Any, int]]:
    """(value of ``column``, root) pairs for records whose ``column`` is in ``values``."""
    columns = (
        (column, "initial_version_id", "id")
        if column != "id"
        else ("id", "initial_version_id", "uid")
    )
    unique = sorted(set(values), key=str)
    found: list[tuple[Any, int]] = []
    for start in range(0, len(unique), CHUNK):
        query = cls.filter(**{f"{column}__in": unique[start : start + CHUNK]})
        if latest:
            query = query.filter(is_latest=True).order_by("id")
        for row in query.values_list(*columns):
            value, initial = row[0], row[1]
            found.append((value, initial or (row[0] if column == "id" else row[2])))
    return found


def _family_versions(cls: type[Record], roots: set[int]) -> dict[int, list[str]]:
    """root → the version strings its family has now."""
    result: dict[int, list[str]] = defaultdict(list)
    ordered = sorted(roots)
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        query = cls.filter(Q(id__in=chunk) | Q(initial_version_id__in=chunk))
        for row_id, initial, version in query.values_list("id", "initial_version_id", "version"):
            result[initial or row_id].append(version or "1")
    return {root: result.get(root, []) for root in roots}


def _retire(cls: type[Record], roots: Iterable[int], instance: Instance) -> None:
    """Clear ``is_latest`` on every current member of these families."""
    backend = instance.backend
    table = cls._meta.table
    ordered = sorted(roots)
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        for column in ("id", "initial_version_id"):
            where = {column: chunk, "is_latest": True}
            stmt = statements.update_where(backend.target, table, {"is_latest": False}, where)
            backend.execute(stmt)


# -- deletes ---------------------------------------------------------------------------------
def families_of(cls: type[Record], ids: Sequence[int]) -> set[int]:
    """The roots of the families the records ``ids`` belong to (read before deleting)."""
    rows = _chunked_values(cls, "id", list(ids), latest=False)
    return {root for _, root in rows}


def repair_after_delete(cls: type[Record], roots: set[int], instance: Instance) -> None:
    """After deleting members of ``roots``' families: re-root and promote the newest."""
    backend = instance.backend
    table = cls._meta.table
    for old_root in sorted(roots):
        rows = family(cls, old_root).values_list("id", "version", "is_latest")
        if not rows:
            continue
        new_root = rows[0][0]
        if new_root != old_root:
            _reroot(backend, table, old_root, new_root)
        if not any(latest for _, _, latest in rows):
            newest = max(rows, key=lambda r: (numeric(r[1]), r[0]))[0]
            stmt = statements.update_where(backend.target, table, {"is_latest": True},
                                           {"id": [newest]})  # fmt: skip
            backend.execute(stmt)


def _reroot(backend, table: str, old_root: int, new_root: int) -> None:
    target = backend.target
    backend.execute(statements.update_where(target, table, {"initial_version_id": None},
                                            {"id": [new_root]}))  # fmt: skip
    backend.execute(statements.update_where(target, table, {"initial_version_id": new_root},
                                            {"initial_version_id": [old_root]}))  # fmt: skip


def latest_lookups(cls: type[Record], lookups: dict[str, Any]) -> dict[str, Any]:
    """``get(key=…)`` / ``get(name=…)`` mean the latest version unless a version is named.

    Examples:
        >>> from lakecat.registries import File
        >>> latest_lookups(File, {"key": "a.csv"})
        {'key': 'a.csv', 'is_latest': True}
        >>> latest_lookups(File, {"key": "a.csv", "version": "1"})
        {'key': 'a.csv', 'version': '1'}
    """
    field = getattr(cls, "_family_field", None)
    if field is None or field not in lookups:
        return lookups
    if {"is_latest", "version", "id", "uid", "delta_version"} & set(lookups):
        return lookups
    return {**lookups, "is_latest": True}
