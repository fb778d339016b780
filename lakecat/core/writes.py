"""Writing records: single saves, bulk saves through Arrow, and deletes.

Every write runs in one transaction. A failure rolls the catalog back and restores
the Python records to their state before the call.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, TypeVar

from catalog_sql import statements
from catalog_sql.backends.base import translate
from catalog_sql.errors import ConflictError, DuplicateError, IntegrityError, ValidationError

from ..instance import Instance, current
from .lifecycle import restore, snapshot, state
from .uid import uids

#: A :class:`lakecat.core.record.Record` (not imported here: record imports this module).
Record = Any


logger = logging.getLogger("lakecat")
T = TypeVar("T")
CHUNK = 1000
_DIGITS = re.compile(r"[0-9]+")
RETRY_SECONDS = 120.0
ARROW_TYPES = {
    "str": "string",
    "int": "int64",
    "float": "float64",
    "bool": "bool_",
    "json": "string",
    "date": "date32",
}


def _now() -> datetime:
    return datetime.now(timezone.utc)


@contextmanager
def _write(records: list[Record]) -> Iterator[Instance]:
    """A transaction that restores ``records`` and maps DB errors on failure."""
    import duckdb

    instance = current()
    for cls in {type(r) for r in records}:
        instance.require(cls)
    snapshots = [snapshot(r) for r in records]
    try:
        with instance.backend.transaction():
            yield instance
    except BaseException as err:
        for record, saved in zip(records, snapshots):
            restore(record, saved)
        if isinstance(err, duckdb.Error):  # e.g. from an Arrow insert
            raise translate(err) from err
        raise


def _row(record: Record) -> dict[str, Any]:
    row = record.to_dict()
    for column in record._json_columns():
        if row[column] is not None:
            row[column] = json.dumps(row[column])
    return row


def _check_required(record: Record) -> None:
    for field in record._meta.fields.values():
        required = not field.null and field.name not in ("id", "uid", "created_at")
        if required and record.__dict__.get(field.column) is None:
            raise ValidationError(
                f"{type(record).__name__}.{field.name} is required; pass {field.name}=…"
            )


def _stamp(record: Record, instance: Instance, row_id: int, uid: str, now: datetime) -> None:
    data = record.__dict__
    data["id"] = row_id
    if data.get("uid") is None:
        data["uid"] = uid
    data["created_at"] = now
    if "updated_at" in record._meta.fields:
        data["updated_at"] = now
    if "created_by" in record._meta.fields and data.get("created_by_id") is None:
        data["created_by_id"] = instance.user_id


def _mark_saved(record: Record) -> None:
    data = record.__dict__
    data["_saved"] = record._meta.getter(data)
    record._remember_json()


# -- single records ------------------------------------------------------------------
def save_one(record: Record) -> Record:
    """Insert or update one record (see :meth:`Record.save`).

    What can be read before the write turn is: the near-duplicate warning, whether the
    unique values exist already and (for registries without versions) the new id. The
    transaction then only inserts; if another writer stored the same unique value in
    between, the unique index refuses the insert and the retry adopts that record.
    """
    _check_required(record)
    current().require(type(record))
    current().require_writable()
    new = record.id is None
    try:
        prepared: list = []
        if new:
            record._before_save(current())
            prepared.append(_prepare(record))
        retrying(lambda: _save_one_transaction(record, new, prepared))
    except BaseException:
        if new:
            record._undo_save()
        raise
    _mark_saved(record)
    return record


def _prepare(record: Record) -> tuple[Record | None, int | None]:
    """(the existing record with the same identity, a reserved id), read before the write
    turn, with the near-duplicate warning. A registry identified by its name answers both
    with one query. The id only for registries without versions (version families are
    numbered in id order, so their ids are taken in turn); it comes from this process's
    small pool of reserved ids, as a Postgres sequence with CACHE does."""
    cls = type(record)
    name_field = cls._meta.name_field
    exact, near = _near_names(record)
    _warn(record, near)
    if record._identity_columns() == [name_field]:
        existing = cls.filter(id=exact).one() if exact is not None else None
    else:
        existing = _existing_for(record)
    if existing is not None or record._versioned:
        return existing, None
    return None, current().backend.reserve_ids(cls._meta.table, 1, pooled=True)[0]


def _save_one_transaction(record: Record, new: bool, prepared: list) -> None:
    with _write([record]) as instance:
        if not new:
            _update_one(record, instance)
            return
        if record._versioned:  # first, so the snapshot that decides versions is fresh
            instance.backend.lock_table(record._meta.table)
        # the first attempt uses what was read before the turn; a retry reads again
        existing, row_id = prepared.pop() if prepared else (_existing_for(record), None)
        _insert_one(record, instance, existing, row_id)


def retrying(write: Callable[[], T]) -> T:
    """Run ``write`` (one whole transaction) again when another writer got in the way.

    A :class:`ConflictError` (a version lock held elsewhere, a serialization failure)
    waits for the other writer outside any transaction and starts over; a
    :class:`DuplicateError` (another writer stored the same unique value first) is
    retried once, and the retry finds and returns that record (insert-or-get). Nested
    writes leave retrying to the outermost one.
    """
    backend = current().backend
    if backend.in_transaction:
        return write()
    deadline = time.monotonic() + RETRY_SECONDS
    adopted = False
    while True:
        try:
            return write()
        except ConflictError as err:
            if time.monotonic() > deadline:
                raise
            backend.wait_for_turn(err.table)
            time.sleep(random.uniform(0, 0.02))  # de-synchronise writers that collided
        except DuplicateError:
            if adopted:
                raise
            adopted = True


def _insert_one(
    record: Record, instance: Instance, existing: Record | None, row_id: int | None
) -> None:
    if existing is not None:
        record._on_adopt(existing)
        _adopt(record, existing, instance)
        return
    meta = record._meta
    if row_id is None:
        row_id = instance.backend.reserve_ids(meta.table, 1)[0]
    _stamp(record, instance, row_id, uids(1, meta.uid_length)[0], _now())
    if record._versioned:
        from .versions import assign

        assign(type(record), [record], instance)
    target = instance.backend.target
    instance.backend.execute(statements.insert_row(target, meta.table, _row(record)))
    record._after_insert(instance)


def _update_one(record: Record, instance: Instance) -> None:
    changes = record._changes()
    changes.pop("id", None)
    if not changes:
        return
    if "updated_at" in record._meta.fields:
        record.__dict__["updated_at"] = changes["updated_at"] = _now()
    for column in record._json_columns():
        if changes.get(column) is not None:
            changes[column] = json.dumps(changes[column])
    stmt = statements.update_by_id(instance.backend.target, record._meta.table, record.id, changes)
    instance.backend.execute(stmt)


def _existing_for(record: Record) -> Record | None:
    for column in record._identity_columns():
        value = record.__dict__.get(column)
        if value is not None:
            found = type(record).filter(**{column: value}).one_or_none()
            if found is not None:
                return found
    return None


def _adopt(record: Record, existing: Record, instance: Instance, *, quiet: bool = False) -> None:
    """Turn ``record`` into ``existing``, applying the values the caller supplied
    (``quiet`` in bulk saves, which report one summary line instead)."""
    supplied = {c: v for c, v in record.to_dict().items() if v is not None}
    record.__dict__.update({k: v for k, v in existing.__dict__.items() if k != "_state"})
    state(record).adopted = True
    changes = {
        c: v
        for c, v in supplied.items()
        if c not in ("uid", "created_by_id") and v != existing.__dict__.get(c)
    }
    name = record._meta.name_field or "uid"
    key = record.__dict__.get("key")
    (logger.debug if quiet else logger.info)(
        "returning existing %s %r%s%s",
        type(record).__name__,
        record.__dict__.get(name),
        f" (key {key!r})" if key else "",
        f" (updating {', '.join(changes)})" if changes else "",
    )
    if changes:
        record.__dict__.update(changes)
        _update_one(record, instance)


def _near_names(record: Record) -> tuple[int | None, list[str]]:
    """(the id of the record with exactly this name, the names it nearly duplicates):
    one narrow query, before the write transaction (see compile_near)."""
    name_field = record._meta.name_field
    value = record.__dict__.get(name_field) if name_field else None
    if not isinstance(value, str):
        return None, []
    from catalog_sql.search import compile_near

    from .._settings import settings
    from .search import near_through_index

    instance = current()
    table = instance.compiler.table(record._meta.table)
    search = settings.search_names and len(value.strip()) >= 4  # else only the exact one
    found = None
    if search and not record._versioned:  # version families take their ids in turn
        found = near_through_index(instance, table, value, name_field)
    if found is None:
        compiled = compile_near(table, instance.backend.target, value, name_field, near=search)
        found = instance.backend.fetch(compiled)[1]
    rows = sorted(found, key=lambda row: (len(row[1]), row[1]))
    exact = next((row_id for row_id, name in rows if name == value), None)
    if not search:
        return exact, []
    digits, low = _DIGITS.sub("#", value.lower()), value.lower()
    near = [n for _, n in rows if n != value
            and (_DIGITS.sub("#", n.lower()) != digits or n.lower() == low)]  # fmt: skip
    return exact, near


def _warn(record: Record, near: list[str]) -> None:
    """Warn when a new name nearly duplicates existing ones (case, spacing, a typo);
    names that differ only in their digits (``sample 1`` / ``sample 2``) are not typos."""
    if near:
        logger.warning(
            "creating %s %r; similar records exist: %s",
            type(record).__name__,
            record.__dict__.get(record._meta.name_field),
            ", ".join(repr(n) for n in near[:3]),
        )


# -- bulk ---------------------------------------------------------------------------
def save(records: Iterable[Record]) -> list[Record]:
    """Save many records in one transaction, inserting new ones through Arrow.

    Records whose unique name exists already become that record (idempotent);
    names differing from existing ones only by case are reported in one warning.
    A failure leaves no partial rows and restores the records.

    Examples:
        >>> import lakecat as lc
        >>> saved = lc.save([lc.ULabel(name=f"bulk-{i}") for i in range(3)])
        >>> all(r.id is not None for r in saved)
        True
    """
    from .lifecycle import require_local

    records = list(records)
    groups: dict[type, list[Record]] = defaultdict(list)
    for record in records:
        if not hasattr(type(record), "_meta"):
            raise ValidationError(f"lakecat.save() takes records, got {type(record).__name__}.")
        require_local(record, "lakecat.save()")
        groups[type(record)].append(record)
    for cls, group in groups.items():
        for column in cls._meta.required:
            if any(r.__dict__.get(column) is None for r in group):
                raise ValidationError(f"{cls.__name__}.{column} is required; pass {column}=…")
    instance = current()
    instance.require_writable()
    for cls in groups:
        instance.require(cls)
    hooked = [r for r in records if r.id is None and type(r)._has_hook("_before_save")]
    try:
        for record in hooked:
            record._before_save(instance)
        inserted = retrying(lambda: _save_groups(records, groups))
    except BaseException:
        for record in hooked:
            record._undo_save()
        raise
    for record in records:
        if id(record) not in inserted:  # inserted rows were marked by _insert_batch
            _mark_saved(record)
    return records


def _save_groups(records: list[Record], groups: dict[type, list[Record]]) -> set[int]:
    """One transaction for every group; returns ``id()`` of the records inserted."""
    inserted: set[int] = set()
    with _write(records) as instance:
        for cls in groups:
            if cls._versioned:
                instance.backend.lock_table(cls._meta.table)
        for cls, group in groups.items():
            inserted.update(map(id, _save_group(cls, group, instance)))
    return inserted


def _save_group(cls: type[Record], group: list[Record], instance: Instance) -> list[Record]:
    """Update existing records, adopt duplicates, insert the rest; returns the inserted."""
    new = [r for r in group if r.id is None]
    for record in group:
        if record.id is not None:
            _update_one(record, instance)
    if not new:
        return []
    new, duplicates = _split_batch_duplicates(cls, new)
    new = _adopt_existing(cls, new, instance)
    if new:
        _insert_batch(cls, new, instance)
    for record, original in duplicates:  # the same unique value twice in one batch
        record._on_adopt(original)
        copied = {k: v for k, v in original.__dict__.items() if k not in ("_related", "_state")}
        record.__dict__.update(copied)
        state(record).adopted = True
    return new


def _split_batch_duplicates(cls: type[Record], new: list[Record]):
    """Records of one batch that are the same record as an earlier one: they share a value
    of one of their identity columns (one column at a time, as unique indexes judge; NULL
    never collides; a bio term without an ontology id is identified by its name)."""
    if not cls._meta.unique_columns:
        return new, []
    shared = None if cls._has_hook("_identity_columns") else cls._meta.unique_columns
    firsts: dict = {}
    keep, duplicates = [], []
    for record in new:  # plain loops: 1.5 -> 0.7 µs a record in a batch of 1e6
        data = record.__dict__
        columns = shared if shared is not None else record._identity_columns()
        first = None
        for column in columns:
            value = data.get(column)
            if value is not None and (first := firsts.get((column, value))) is not None:
                break
        if first is None:
            for column in columns:
                value = data.get(column)
                if value is not None:
                    firsts.setdefault((column, value), record)
            keep.append(record)
        else:
            duplicates.append((record, first))
    return keep, duplicates


def _adopt_existing(cls: type[Record], new: list[Record], instance: Instance) -> list[Record]:
    """Existing records are adopted, found by one join per identity field: the name (or
    dedupe field) for most registries; a bio term by its ontology id, or by its name when
    it has none (``_identity_columns``)."""
    name_field = cls._meta.name_field
    if name_field is None or name_field not in cls._meta.unique_columns:
        name_field = cls._meta.dedupe_field
    if not cls._has_hook("_identity_columns"):  # every record is found by name_field
        return new if name_field is None else _adopt_by(cls, new, name_field, instance)
    groups: dict[str, list[Record]] = defaultdict(list)
    for record in new:
        own = record._identity_columns()
        field = own[0] if own and own != cls._meta.unique_columns else name_field
        if field is not None:
            groups[field].append(record)
    kept = {id(r) for field, group in groups.items()
            for r in _adopt_by(cls, group, field, instance)}  # fmt: skip
    grouped = {id(r) for group in groups.values() for r in group}
    return [r for r in new if id(r) in kept or id(r) not in grouped]


def _adopt_by(cls: type[Record], new: list[Record], name_field: str, instance: Instance):
    """One join finds existing values of ``name_field`` (adopted) and case variants
    (warned about); returns the records still to insert."""
    import pyarrow as pa

    names = pa.table({"_v": [r.__dict__.get(name_field) for r in new]})
    target = instance.backend.duck_target
    sql = statements.match_batch(
        target, cls._meta.table, cls._meta.columns, name_field, "_lc_names"
    )
    found = instance.backend.duck_sql(sql, _lc_names=names)
    if found.num_rows == 0:
        return new
    existing, variants = {}, []
    columns = cls._meta.columns
    for row in zip(*(found.column(i).to_pylist() for i in range(found.num_columns))):
        record = cls._from_row(columns, row[:-1])
        if record.__dict__[name_field] == row[-1]:
            existing[row[-1]] = record
        else:
            variants.append(f"{row[-1]!r}~{record.__dict__[name_field]!r}")
    if variants:
        shown = ", ".join(variants[:10])
        logger.warning("new %s names similar to existing ones: %s", cls.__name__, shown)
    if existing:
        logger.info("%d %s records existed already; returning them", len(existing), cls.__name__)
    remaining = []
    for record in new:
        match = existing.get(record.__dict__.get(name_field))
        if match is None:
            remaining.append(record)
        else:
            record._on_adopt(match)
            _adopt(record, match, instance, quiet=True)
    return remaining


def _insert_batch(cls: type[Record], new: list[Record], instance: Instance) -> None:
    meta = cls._meta
    backend = instance.backend
    ids = backend.reserve_ids(meta.table, len(new))
    fresh = uids(len(new), meta.uid_length)
    now = _now()
    fields = meta.fields
    updated, created_by = "updated_at" in fields, "created_by" in fields
    user = instance.user_id
    for record, row_id, uid in zip(new, ids, fresh):  # _stamp, inlined for 100k-row batches
        data = record.__dict__
        data["id"] = row_id
        if data["uid"] is None:
            data["uid"] = uid
        data["created_at"] = now
        if updated:
            data["updated_at"] = now
        if created_by and data["created_by_id"] is None:
            data["created_by_id"] = user
    if cls._versioned:
        from .versions import assign

        assign(cls, new, instance)
    getter = meta.getter
    rows = [getter(r.__dict__) for r in new]
    backend.insert_arrow(meta.table, _arrow(cls, rows))
    for record, row in zip(new, rows):
        record.__dict__["_saved"] = row
    if cls._json_columns():
        for record in new:
            record._remember_json()
    if cls._has_hook("_after_insert"):
        for record in new:
            record._after_insert(instance)


def _arrow(cls: type[Record], rows: list[tuple]):
    """Column-wise Arrow table from row tuples in ``cls._meta.columns`` order."""
    import pyarrow as pa

    arrays, names = [], []
    json_columns = set(cls._json_columns())
    columns = list(zip(*rows)) if rows else [() for _ in cls._meta.columns]
    for field, values in zip(cls._meta.fields.values(), columns):
        column = field.column
        if column in json_columns:
            values = [None if v is None else json.dumps(v) for v in values]
        if field.type == "datetime":
            kind = pa.timestamp("us", tz="UTC")
        else:
            kind = getattr(pa, ARROW_TYPES[field.type])()
        arrays.append(_column(pa, values, kind))
        names.append(column)
    return pa.Table.from_arrays(arrays, names=names)


def _column(pa, values, kind):
    """An Arrow array; a column holding one value (timestamps, created_by) is repeated."""
    first = values[0] if values else None
    try:
        if values and all(v is first for v in values):
            return pa.repeat(pa.scalar(first, type=kind), len(values))
        return pa.array(values, type=kind)
    except (OverflowError, TypeError, pa.ArrowException) as err:
        raise ValidationError(f"A value does not fit its column ({kind}): {err}") from None


# -- deletes ----------------------------------------------------------------------------
def delete_ids(cls: type[Record], ids: list[int]) -> None:
    """Delete records of ``cls`` by id, with their link rows, in one transaction."""
    if not ids:
        return
    instance = current()
    instance.require_writable()
    _refuse_if_referenced(cls, ids)
    doomed = []
    if cls._has_hook("_after_delete"):
        for chunk in _chunks(ids):
            doomed += cls.filter(id__in=chunk).list()
    retrying(lambda: _delete_transaction(cls, ids, instance))
    for record in doomed:
        record._after_delete()


def _delete_transaction(cls: type[Record], ids: list[int], instance: Instance) -> None:
    target = instance.backend.target
    with _write([]):
        families = _version_families(cls, ids, instance)
        for chunk in _chunks(ids):
            for table, column in _link_columns(cls):
                instance.backend.execute(statements.delete_where_in(target, table, column, chunk))
            stmt = statements.delete_where_in(target, cls._meta.table, "id", chunk)
            instance.backend.execute(stmt)
        if families:
            from .versions import repair_after_delete

            repair_after_delete(cls, families, instance)


def _version_families(cls: type[Record], ids: list[int], instance: Instance) -> set[int]:
    """The version families losing members (locked, so promotion cannot race)."""
    if not cls._versioned:
        return set()
    from .versions import families_of

    instance.backend.lock_table(cls._meta.table)
    return families_of(cls, ids)


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _link_columns(cls: type[Record]) -> list[tuple[str, str]]:
    found = set()
    for other in current().registries().values():
        for m2m in other._meta.m2m.values():
            if other is cls:
                found.add((m2m.through, m2m.source))
            if m2m.target_class() is cls:
                found.add((m2m.through, m2m.target))
    return sorted(found)


def _refuse_if_referenced(cls: type[Record], ids: list[int]) -> None:
    for other in current().registries().values():
        for name, fk in other._meta.fks.items():
            if fk.target_class() is not cls:
                continue
            if other is cls and cls._versioned and name == "initial_version":
                continue  # the version rule re-roots the family (lakecat.core.versions)
            for chunk in _chunks(ids):
                query = other.filter(**{f"{fk.column}__in": chunk})
                if other is cls:
                    query = query.exclude(id__in=chunk)
                count = query.count()
                if count:
                    raise IntegrityError(
                        f"Cannot delete {cls.__name__} record(s): {count} {other.__name__} "
                        f"record(s) still point at them through '{name}'. Delete those or "
                        f"set their {name} to None first."
                    )
