"""The record machinery every registry is built with.

A registry is a subclass of :class:`Record` with field declarations. Defining the
class registers it: its table model joins the schema the compiler traverses, and it
gets the whole API (``filter``, ``get``, ``search``, ``lookup``, ``save``, ``delete``).
Core registries are built with this machinery, and so are user schema plug-ins.
"""

from __future__ import annotations

import gc
import inspect
import json
import logging
import operator
import weakref
from datetime import datetime, timezone
from typing import Any, ClassVar

from catalog_sql.errors import FieldError, NotFoundError, ValidationError, did_you_mean
from catalog_sql.model import Column
from catalog_sql.values import coerce

from . import catalog
from .fields import CharField, DateTimeField, Field, ForeignKey, IntegerField, ManyToMany
from .pending import Pending, Shape, dumps_json, fill

_UTC = timezone.utc

logger = logging.getLogger("lakecat")


class Meta:
    """What one Record class declares, collected when the class is defined."""

    def __init__(self, cls: type[Record], table: str, uid_length: int) -> None:
        self.cls = cls
        self.table = table
        self.uid_length = uid_length
        self.fields: dict[str, Field] = {}
        self.m2m: dict[str, ManyToMany] = {}
        self.name_field: str | None = None
        self.dedupe_field: str | None = None
        self.search_fields: tuple[str, ...] = ()
        self.columns: list[str] = []
        self.required: list[str] = []
        self.unique_columns: list[str] = []

    def freeze(self) -> None:
        """Compute the column lists once the fields are complete."""
        fields = self.fields.values()
        self.columns = [f.column for f in fields]
        self.required = [
            f.column for f in fields if not f.null and f.name not in ("id", "uid", "created_at")
        ]
        self.unique_columns = [f.column for f in fields if f.unique and f.name != "uid"]
        if self.dedupe_field and self.dedupe_field not in self.unique_columns:
            self.unique_columns.append(self.dedupe_field)
        self.getter = operator.itemgetter(*self.columns)

    @property
    def fks(self) -> dict[str, ForeignKey]:
        """The to-one relations by field name."""
        return {n: f for n, f in self.fields.items() if isinstance(f, ForeignKey)}

    def column_field(self, column: str) -> Field:
        """The field stored in ``column``."""
        for field in self.fields.values():
            if field.column == column:
                return field
        raise KeyError(column)


#: Per registry class, its JSON columns (asked for every row a query returns).
_JSON_COLUMNS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class Record:
    """Base class of every registry.

    Subclasses declare fields as class attributes and pass class keywords:
    ``table`` (defaults to the snake-cased class name), ``uid_length``,
    ``name_field`` (the unique human name, used by ``get``/``lookup``/duplicate checks),
    ``search_fields``, ``updated_at`` and ``created_by`` (whether those columns exist).
    """

    _meta: ClassVar[Meta]
    #: Whether records form version families (see :mod:`lakecat.core.versions`).
    _versioned: ClassVar[bool] = False
    #: The field whose value names a family (File ``key``, Dataset ``name``), or None.
    _family_field: ClassVar[str | None] = None
    #: Free-form version strings (Transform) rather than counting integers.
    _free_versions: ClassVar[bool] = False
    id = IntegerField()
    uid = CharField(unique=True, null=False)

    def __init_subclass__(
        cls,
        *,
        table: str | None = None,
        uid_length: int = 12,
        name_field: str | None = None,
        search_fields: tuple[str, ...] | None = None,
        updated_at: bool = True,
        created_by: bool = True,
        dedupe_field: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        meta = Meta(cls, table or _snake(cls.__name__), uid_length)
        meta.fields = {"id": Record.id, "uid": Record.uid}
        for name, value in list(vars(cls).items()):
            if isinstance(value, Field):
                meta.fields[name] = value
            elif isinstance(value, ManyToMany):
                meta.m2m[name] = value
        _add_audit_fields(cls, meta, updated_at, created_by)
        named = meta.fields.get("name")
        if name_field is None and isinstance(named, CharField) and named.unique:
            name_field = "name"  # a unique name identifies, validates and searches records
        meta.name_field = name_field
        meta.dedupe_field = dedupe_field
        meta.search_fields = search_fields or ((name_field,) if name_field else ("uid",))
        meta.freeze()
        cls._meta = meta
        catalog.register(cls)

    # -- construction ----------------------------------------------------------
    def __init__(self, **values: Any) -> None:
        meta = self._meta
        data = self.__dict__
        for field in meta.fields.values():
            data[field.column] = field.default
        for key, value in values.items():
            field = meta.fields.get(key)
            if field is None or key in ("id", "created_at", "updated_at"):
                raise _unknown_field(type(self), key)
            if isinstance(field, ForeignKey):
                setattr(self, key, value)
            else:
                data[key] = _check(field, value)
        data["_saved"] = None

    @classmethod
    def _from_row(cls, columns: list[str], row: tuple) -> Record:
        obj = cls.__new__(cls)
        data = obj.__dict__
        data.update(zip(columns, row))
        json_columns = cls._json_columns()
        if not json_columns:  # the row is what was saved (the usual case: no copies)
            data["_saved"] = tuple(row)
            return obj
        for name in json_columns:
            if isinstance(data.get(name), str):
                data[name] = json.loads(data[name])
        data["_saved"] = tuple(data[c] for c in columns)
        obj._remember_json()
        return obj

    @classmethod
    def _from_rows(cls, columns: list[str], rows: list, naive_utc: bool = False) -> list:
        """Records of many rows, each filled from its row when first read (see
        :mod:`lakecat.core.pending`). ``naive_utc``: the timestamps came back without a
        time zone (DuckDB) and get UTC then, each distinct value once (rows saved together
        share their timestamps). The garbage collector is paused while the objects are
        made: they are all new and alive, and its passes over them cost ~40% of the time."""
        if not rows:
            return []
        names = tuple(columns)
        naive = _datetime_positions(cls, names) if naive_utc else ()
        shape = Shape(names, naive, tuple(cls._json_columns()))
        new, pending, set_dict = cls.__new__, Pending.of, _SET_DICT
        out = []
        append = out.append
        paused = gc.isenabled()
        gc.disable()
        try:
            for row in rows:
                obj = new(cls)
                set_dict(obj, pending(row, shape))
                append(obj)
        finally:
            if paused:
                gc.enable()
        return out

    def _remember_json(self) -> None:
        """Snapshot JSON fields as text: an in-place edit (``run.params["x"] = 1``) is a change."""
        columns = self._json_columns()
        if columns:
            data = self.__dict__
            data["_saved_json"] = {c: _dumps(data.get(c)) for c in columns}

    @classmethod
    def _json_columns(cls) -> list[str]:
        found = _JSON_COLUMNS.get(cls)
        if found is None:
            found = _JSON_COLUMNS[cls] = [
                f.column for f in cls._meta.fields.values() if f.type == "json"
            ]
        return found

    # -- class API -------------------------------------------------------------
    @classmethod
    def filter(cls, *queries: Any, **lookups: Any):
        """A lazy QuerySet of the records matching every lookup.

        Examples:
            >>> import lakecat as lc
            >>> lc.ULabel.filter(name__startswith="exp").sql()[:35]
            'SELECT "ulabel"."id", "ulabel"."uid'
        """
        from .queryset import QuerySet

        return QuerySet(cls).filter(*queries, **lookups)

    @classmethod
    def exclude(cls, *queries: Any, **lookups: Any):
        """A lazy QuerySet of the records matching none of the lookups."""
        from .queryset import QuerySet

        return QuerySet(cls).exclude(*queries, **lookups)

    @classmethod
    def all(cls):
        """A QuerySet of every record."""
        from .queryset import QuerySet

        return QuerySet(cls)

    @classmethod
    def df(cls, limit: int | None = 100):
        """The registry as a pandas DataFrame (first ``limit`` rows by id)."""
        return cls.all().order_by("id").limit(limit).df()

    @classmethod
    def get(cls, uid: str | None = None, /, **lookups: Any) -> Record:
        """The one record with this uid (or matching ``lookups``), or NotFoundError."""
        if uid is not None:
            if not isinstance(uid, str):
                raise ValidationError(f"{cls.__name__}.get() takes a uid string, got {uid!r}.")
            lookups = {"uid": uid, **lookups}
        if not lookups:
            raise ValidationError(f"{cls.__name__}.get() needs a uid or a lookup such as name=.")
        if cls._versioned:
            from .versions import latest_lookups

            lookups = latest_lookups(cls, lookups)
        record = cls.filter(**lookups).one_or_none()
        if record is None:
            raise NotFoundError(_not_found_message(cls, lookups))
        return record

    @classmethod
    def search(cls, query: str, *, field: str | list[str] | None = None, limit: int = 20):
        """Records ranked by how well ``field`` matches ``query`` (see lakecat.core.search)."""
        from .search import search

        return search(cls, query, field=field, limit=limit)

    @classmethod
    def build_search_index(
        cls, *, prefix_only: bool = False, memory_limit: str | None = None
    ) -> int:
        """Build the search index of this registry (embedded back end); see
        :func:`lakecat.core.search.build_search_index`."""
        from .search import build_search_index

        return build_search_index(cls, prefix_only=prefix_only, memory_limit=memory_limit)

    @classmethod
    def drop_search_index(cls) -> None:
        """Drop the search index of this registry (search scans again)."""
        from .search import drop_search_index

        drop_search_index(cls)

    @classmethod
    def validate(cls, values: Any, field: Any = None, **kwargs: Any):
        """One boolean per value: is it in the registry (``field``, default the name)?
        See :func:`lakecat.core.validation.validate`."""
        from .validation import validate

        return validate(cls, values, field, **kwargs)

    @classmethod
    def inspect(cls, values: Any, field: Any = None, **kwargs: Any):
        """Validated values and, for the others, synonyms, case variants, public terms and
        suggestions. See :func:`lakecat.core.validation.inspect`."""
        from .validation import inspect as inspect_values

        return inspect_values(cls, values, field, **kwargs)

    @classmethod
    def standardize(cls, values: Any, field: Any = None, **kwargs: Any):
        """Values mapped to canonical ones through synonyms and case; unknown ones kept.
        See :func:`lakecat.core.validation.standardize`."""
        from .validation import standardize

        return standardize(cls, values, field, **kwargs)

    def add_synonym(self, synonym: str | list[str]) -> Record:
        """Add synonyms (registries with a ``synonyms`` field) and save."""
        from .validation import add_synonym

        return add_synonym(self, synonym)

    def set_abbr(self, abbr: str) -> Record:
        """Set the abbreviation (registries with an ``abbr`` field) and save."""
        from .validation import set_abbr

        return set_abbr(self, abbr)

    @classmethod
    def lookup(cls, field: str | None = None):
        """An object with one attribute per record, named after ``field``."""
        from .lookup import lookup

        return lookup(cls, field)

    @classmethod
    def using(cls, instance: Any):
        """This registry in another instance (a name or path), read-only:
        ``lc.File.using("lab_b").filter(...)``; a record read there is copied here by
        ``.save()`` / ``.transfer()`` (see :mod:`lakecat.mesh`)."""
        from ..mesh import RegistryView, open_instance

        return RegistryView(cls, open_instance(instance))

    # -- instance API ------------------------------------------------------------
    def save(self) -> Record:
        """Insert the record, or update it if it exists; returns the saved record.

        A record read from another instance (``Registry.using``) is copied into the
        current one instead (:meth:`transfer`)."""
        from .lifecycle import state

        if state(self).origin is not None:
            return self.transfer()
        from .writes import save_one

        return save_one(self)

    def transfer(self) -> Record:
        """Copy this record, read from another instance, into the current instance with
        its uid, provenance, labels and feature sets; returns the copy (see
        :mod:`lakecat.core.transfer`). Repeating it copies nothing twice."""
        from .transfer import transfer

        return transfer(self)

    def delete(self, *, permanent: bool = False) -> None:
        """Delete the record and its links (refuses while other records point at it).

        A record that lineage uses (a File or Dataset that runs read, a File inside a
        Dataset) is kept, with an error naming the uses, unless ``permanent=True``, which
        deletes it and those links (and logs what was cut).
        """
        from .writes import delete_ids

        if self.id is None:
            raise ValidationError(f"This {type(self).__name__} was never saved.")
        self._check_lineage_uses(permanent)
        delete_ids(type(self), [self.id])
        self.__dict__["id"] = None
        self.__dict__["_saved"] = None

    def __setattr__(self, name: str, value: Any) -> None:
        """Assigning a field validates the value like the constructor does."""
        field = self._meta.fields.get(name)
        if field is not None and not isinstance(field, ForeignKey):
            value = _check(field, value)
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        """Reverse relations: ``transform.runs``, ``ulabel.files``; and the attributes of
        a record read by a query, filled from its row on the first read."""
        if fill(self.__dict__):
            return getattr(self, name)
        if name.startswith("_"):
            raise AttributeError(name)
        declared = inspect.getattr_static(type(self), name, None)
        if isinstance(declared, property):  # its getter raised an AttributeError (e.g. a
            return declared.__get__(self, type(self))  # FieldError): let that one surface
        found = _reverse_accessor(self, name)
        if found is None:
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")
        return found

    def __delattr__(self, name: str) -> None:
        fill(self.__dict__)  # CPython deletes from the dict directly: fill it first
        object.__delattr__(self, name)

    def __dir__(self):
        fill(self.__dict__)
        return object.__dir__(self)

    def __getstate__(self) -> dict[str, Any]:
        """What pickle and copy take: the attributes, filled from the row if unread
        (CPython asks an instance's dict for its size before its methods)."""
        fill(self.__dict__)
        return self.__dict__

    def lineage_uses(self) -> list[str]:
        """What lineage would lose if this record were deleted (empty: nothing)."""
        return []

    def _check_lineage_uses(self, permanent: bool) -> None:
        uses = self.lineage_uses()
        if not uses:
            return
        what = f"{type(self).__name__} {self.uid}"
        listed = "; ".join(uses[:10]) + (f"; and {len(uses) - 10} more" if len(uses) > 10 else "")
        if not permanent:
            from catalog_sql.errors import IntegrityError

            raise IntegrityError(
                f"{what} is part of the lineage: {listed}. Deleting it would cut that. "
                f"Keep it, or delete it anyway with .delete(permanent=True) "
                f"(CLI: lakecat delete {self.uid} --permanent)."
            )
        logger.warning("deleting %s cuts lineage: %s", what, listed)

    # -- hooks for registries with side effects (File writes a blob) -------------------
    def _before_save(self, instance: Any) -> None:
        """Called before the row is written, outside the transaction."""

    def _after_insert(self, instance: Any) -> None:
        """Called inside the transaction, after the row was inserted."""

    def _on_adopt(self, existing: Record) -> None:
        """Called when saving found an existing record with the same unique values."""

    def _undo_save(self) -> None:
        """Called when the save transaction failed."""

    def _after_delete(self) -> None:
        """Called after the record's row was deleted and committed."""

    def _identity_columns(self) -> list[str]:
        """The columns whose values make two records the same record (insert-or-get);
        registries where identity depends on which values are set override this."""
        return self._meta.unique_columns

    @classmethod
    def _has_hook(cls, name: str) -> bool:
        return getattr(cls, name) is not getattr(Record, name)

    def to_dict(self) -> dict[str, Any]:
        """The record's column values."""
        return {c: self.__dict__.get(c) for c in self._meta.columns}

    def _changes(self) -> dict[str, Any]:
        saved = self.__dict__.get("_saved")
        columns = self._meta.columns
        if saved is None:
            return {c: self.__dict__.get(c) for c in columns}
        changes = {c: v for c, old in zip(columns, saved) if (v := self.__dict__.get(c)) != old}
        for column, text in self.__dict__.get("_saved_json", {}).items():
            if _dumps(self.__dict__.get(column)) != text:
                changes[column] = self.__dict__.get(column)
        return changes

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self) or self.id is None:
            return other is self
        return other.id == self.id  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.id if self.id is not None else id(self)))

    def _repr_html_(self) -> str:
        """The record as a small table in Jupyter."""
        from .html import record_html

        return record_html(self)

    def __repr__(self) -> str:
        shown = []
        for column in self._meta.columns:
            value = self.__dict__.get(column)
            if value is not None and column not in ("created_at", "updated_at"):
                shown.append(f"{column}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"


_dumps = dumps_json


def _reverse_accessor(record: Record, name: str) -> Any:
    cls = type(record)
    for other in catalog.registries().values():
        for m2m in other._meta.m2m.values():
            if m2m.related_name == name and m2m.target_class() is cls:
                from .related import RelatedManager

                return RelatedManager(record, m2m, reverse=True)
        for fk in other._meta.fks.values():
            if fk.related_name == name and fk.target_class() is cls:
                return other.filter(**{fk.column: record.id})
    return None


def _add_audit_fields(cls: type, meta: Meta, updated_at: bool, created_by: bool) -> None:
    audit: list[tuple[str, Field]] = [("created_at", DateTimeField(null=False))]
    if updated_at:
        audit.append(("updated_at", DateTimeField()))
    if created_by:
        audit.append(("created_by", ForeignKey("User")))
    for name, field in audit:
        field.__set_name__(cls, name)
        setattr(cls, name, field)
        meta.fields[name] = field


def _snake(name: str) -> str:
    out = [f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name)]
    return "".join(out)


#: Sets an object's ``__dict__`` without ``Record.__setattr__`` (which checks fields).
_SET_DICT = Record.__dict__["__dict__"].__set__

_POSITIONS: dict[tuple, tuple[int, ...]] = {}


def _datetime_positions(cls: type, columns: tuple[str, ...]) -> tuple[int, ...]:
    """Where ``cls``'s datetime columns are among ``columns`` (looked up once per shape)."""
    found = _POSITIONS.get((cls, columns))
    if found is None:
        kinds = {f.column: f.type for f in cls._meta.fields.values()}
        found = tuple(i for i, c in enumerate(columns) if kinds.get(c) == "datetime")
        _POSITIONS[(cls, columns)] = found
    return found


def _unknown_field(cls: type[Record], key: str) -> FieldError:
    fields = [f for f in cls._meta.fields if f not in ("id", "created_at", "updated_at")]
    hint = did_you_mean(key, fields) or f" Fields: {', '.join(fields)}."
    return FieldError(f"{cls.__name__} has no field '{key}'.{hint}")


def _check(field: Field, value: Any) -> Any:
    if value is None:
        return None
    if field.type == "json":
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            raise ValidationError(f"Field '{field.name}' needs JSON-serialisable data.") from None
        return value
    column = Column(field.column, field.type)
    value = coerce(value, column)
    if field.type == "datetime" and isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    if field.max_length and isinstance(value, str) and len(value) > field.max_length:
        raise ValidationError(
            f"Field '{field.name}' is limited to {field.max_length} characters, got {len(value)}."
        )
    return value


def _not_found_message(cls: type[Record], lookups: dict[str, Any]) -> str:
    shown = ", ".join(f"{k}={v!r}" for k, v in lookups.items())
    message = f"No {cls.__name__} with {shown}."
    name_field = cls._meta.name_field
    probe = lookups.get(name_field) if name_field else None
    if isinstance(probe, str) and probe:
        near = [getattr(r, name_field) for r in cls.search(probe, limit=3)]
        if near:
            message += " Did you mean " + " or ".join(repr(n) for n in near) + "?"
    return message
