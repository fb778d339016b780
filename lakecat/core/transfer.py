"""Copying records from another instance into the current one (``record.transfer()``).

A record keeps its uid and its fields; the records its foreign keys point at (storage,
creator, run, transform…) are copied first, then its labels, feature sets and — for a
dataset of files — its files, with the link tables' extra columns (the feature of a
label). Identity decides what is copied: a record whose uid is here already is that
record (if its content differs: :class:`TransferConflictError`); a File whose bytes are
here under another uid is that File; a unique name here is adopted as a save adopts it.
So a transfer can be repeated: nothing is copied twice. A blob is referenced where it
lies (the other instance's storage), never copied; the whole transfer is one transaction.
"""

from __future__ import annotations

from typing import Any

from ..errors import IntegrityError, ValidationError
from .fields import ForeignKey

#: Foreign keys not copied: the version family is decided here, by the version rule.
_NOT_COPIED = {"initial_version"}
#: Columns whose value this instance decides.
_OWN_COLUMNS = {"id", "initial_version_id", "is_latest"}
#: Registries whose records are provenance or content: followed through foreign keys,
#: but not through many-to-many links (a run's inputs are not part of a file).
_NOT_LINKED = {"Run", "Transform", "File", "Dataset"}


class TransferConflictError(IntegrityError):
    """The current instance has a record with the same uid and different content."""


def transfer(record: Any) -> Any:
    """Copy ``record`` (read from another instance) into the current instance."""
    from ..instance import _USING, current
    from .lifecycle import state

    origin = state(record).origin
    if origin is None:
        raise ValidationError(
            f"This {type(record).__name__} was not read from another instance: transfer() "
            f"copies records read with {type(record).__name__}.using('other')."
        )
    if _USING.get() is not None:
        raise ValidationError("transfer() copies into the current instance: call it outside "
                              "lc.using(...).")  # fmt: skip
    here = current()
    if origin.path == here.path:
        return record
    with here.backend.transaction():
        return _Copier(origin).copy(record)


class _Copier:
    """One transfer: what was copied so far (by registry and id there)."""

    def __init__(self, origin: Any) -> None:
        self.origin = origin
        self.done: dict[tuple[type, int], Any] = {}
        self.active: set[tuple[type, int]] = set()  # being copied (their keys followed)
        self.deferred: list[tuple[Any, str, tuple[type, int]]] = []
        self.columns: dict[str, list[str]] = {}

    def read(self, read):
        from ..instance import using_instance

        with using_instance(self.origin):
            return read()

    def copy(self, record: Any) -> Any:
        cls = type(record)
        key = (cls, record.id)
        if key in self.done:
            return self.done[key]
        _check_transferable(record)
        found = self._existing(record)
        if found is not None:  # that record, as it is here: nothing is added to it
            self.done[key] = found
            return found
        self.active.add(key)
        try:
            found = self._insert(record)
        finally:
            self.active.discard(key)
        self.done[key] = found
        self._resolve_deferred()
        self._links(record, found)
        self._values(record, found)
        return found

    def _resolve_deferred(self) -> None:
        """Foreign keys that closed a cycle (a run's report made by that run) point at
        records copied since: set them now."""
        from .writes import save_one

        waiting, self.deferred = self.deferred, []
        for new, column, key in waiting:
            if key in self.done:
                new.__dict__[column] = self.done[key].id
                save_one(new)
            else:
                self.deferred.append((new, column, key))

    def _values(self, record: Any, copied: Any) -> None:
        """Feature values (``features.add_values``) of a File or Dataset."""
        if getattr(type(record), "_feature_value_link", None) is None:
            return
        values = self.read(lambda: record.features.get_values())
        scalars = {k: v for k, v in values.items() if not _are_records(v)}
        if scalars:
            copied.features.add_values(scalars)

    def _existing(self, record: Any) -> Any:
        cls = type(record)
        same_uid = cls.filter(uid=record.uid).one_or_none()
        if same_uid is not None:
            if _identity(same_uid) != _identity(record):
                raise TransferConflictError(
                    f"{cls.__name__} {record.uid} exists here with different content "
                    f"({_describe(same_uid)} here, {_describe(record)} in "
                    f"{self.origin.name!r}); delete or rename one of them first."
                )
            return same_uid
        columns = [c for c in [cls._meta.dedupe_field, *record._identity_columns()] if c]
        for column in dict.fromkeys(columns):  # the same bytes, the same unique name
            value = record.__dict__.get(column)
            if value is not None and column != "uid":
                found = cls.filter(**{column: value}).order_by("id").first()
                if found is not None:
                    return found
        self._refuse_family_merge(record)
        return None

    def _refuse_family_merge(self, record: Any) -> None:
        """A versioned record whose key (File) or name (Dataset) has a version family
        here would become a version of that family: refused (versions are not merged)."""
        cls = type(record)
        if cls.__name__ not in ("File", "Dataset"):  # content families; provenance joins
            return
        family = cls._family_field if cls._versioned else None
        value = record.__dict__.get(family) if family else None
        if value is None or not cls.filter(**{family: value}).exists():
            return
        raise TransferConflictError(
            f"A {cls.__name__} with {family} {value!r} exists here with other content: "
            f"the transfer would make {cls.__name__} {record.uid} of {self.origin.name!r} a "
            f"version of it. Versions of two instances are not merged; rename one of them "
            f"({family}=...) first."
        )

    def _insert(self, record: Any) -> Any:
        cls = type(record)
        data = {c: record.__dict__.get(c) for c in cls._meta.columns if c not in _OWN_COLUMNS}
        cycle: list[tuple[str, tuple[type, int]]] = []
        for name, field in cls._meta.fields.items():
            if not isinstance(field, ForeignKey):
                continue
            target_id = data.get(field.column)
            data[field.column] = None
            if name in _NOT_COPIED or target_id is None:
                continue
            target_cls = field.target_class()
            if (target_cls, target_id) in self.active:  # a cycle: set once that one exists
                cycle.append((field.column, (target_cls, target_id)))
                continue
            related = self.read(lambda c=target_cls, i=target_id: c.filter(id=i).one_or_none())
            if related is not None:
                data[field.column] = self.copy(related).id
        new = cls.__new__(cls)
        new.__dict__.update(data, id=None, _saved=None, initial_version_id=None, is_latest=None)
        for column in _OWN_COLUMNS - {"id"}:
            if column not in cls._meta.columns:
                new.__dict__.pop(column, None)
        from .writes import save_one

        saved = save_one(new)  # the plain insert-or-get (a Dataset's save writes tables)
        self.deferred += [(saved, column, key) for column, key in cycle]
        return saved

    def _links(self, record: Any, copied: Any) -> None:
        from catalog_sql import statements

        from ..instance import current

        cls = type(record)
        for m2m in cls._meta.m2m.values():
            target_cls = m2m.target_class()
            if target_cls.__name__ in _NOT_LINKED and (cls.__name__, target_cls.__name__) != (
                "Dataset", "File"
            ):  # fmt: skip
                continue
            backend = self.origin.backend
            extra = self._extra_columns(m2m)
            stmt = statements.select_where_in(backend.target, m2m.through, [m2m.target, *extra],
                                              m2m.source, [record.id])  # fmt: skip
            rows = self.read(lambda s=stmt, b=backend: b.fetch(s)[1])
            if not rows:
                continue
            here = current().backend
            have_stmt = statements.select_where_in(here.target, m2m.through, [m2m.target],
                                                   m2m.source, [copied.id])  # fmt: skip
            have = {r[0] for r in here.fetch(have_stmt)[1]}
            for target_id, *values in rows:
                linked = self.read(lambda c=target_cls, i=target_id: c.filter(id=i).one())
                new_id = self.copy(linked).id
                if new_id in have:
                    continue
                row = {m2m.source: copied.id, m2m.target: new_id}
                row.update(self._extra(extra, values))
                here.execute(statements.insert_row(here.target, m2m.through, row))
                have.add(new_id)

    def _extra_columns(self, m2m: Any) -> list[str]:
        """The link table's columns besides the two ends (``feature_id``, ``slot``…), as
        both catalogs have them."""
        from ..instance import current

        if m2m.through not in self.columns:
            there = self.read(lambda: self.origin.backend.columns()).get(m2m.through, set())
            here = current().backend.columns().get(m2m.through, set())
            self.columns[m2m.through] = sorted((there & here) - {m2m.source, m2m.target, "id"})
        return self.columns[m2m.through]

    def _extra(self, names: list[str], values: list) -> dict[str, Any]:
        """Extra link columns; ``feature_id`` points at a Feature, copied too."""
        from .catalog import registry_class

        out = dict(zip(names, values))
        if out.get("feature_id") is not None:
            Feature = registry_class("Feature")
            feature = self.read(lambda: Feature.filter(id=out["feature_id"]).one())
            out["feature_id"] = self.copy(feature).id
        return out


def _are_records(value: Any) -> bool:
    items = value if isinstance(value, (list, tuple)) else [value]
    return bool(items) and all(hasattr(type(v), "_meta") for v in items)


def _check_transferable(record: Any) -> None:
    if type(record).__name__ == "Dataset" and record.format != "files":
        raise ValidationError(
            f"Dataset {record.name!r} is a {record.format} table in the other instance's "
            f"storage; transfer() copies Files and datasets of Files. Copy the data instead: "
            f"lc.Dataset(other.load(), name=...).save()."
        )


def _identity(record: Any) -> tuple:
    """What must agree for two records with one uid to be the same record."""
    meta = type(record)._meta
    if meta.dedupe_field:
        columns = [meta.dedupe_field]
    elif meta.name_field:
        columns = [meta.name_field]
    else:
        skip = _OWN_COLUMNS | {"uid", "created_at", "updated_at"}
        columns = [c for c in meta.columns if c not in skip and not c.endswith("_id")]
    return tuple(record.__dict__.get(c) for c in columns)


def _describe(record: Any) -> str:
    meta = type(record)._meta
    field = meta.dedupe_field or meta.name_field
    return f"{field}={record.__dict__.get(field)!r}" if field else "other values"
