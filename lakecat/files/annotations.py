"""Annotating Files and Datasets: labels grouped by feature, and feature values.

``file.labels.add(records, feature="cell_type")`` links records of any registry (ULabel,
``bt.CellType`` …) through that registry's link table, each link naming its Feature.
``file.features.add_values({"temperature": 21.5, "donor": "D1"})`` stores one row per
distinct (feature, value) and links it; values are queried with
``lc.File.filter(features__temperature__gt=20)``. Feature types are a small vocabulary
(:data:`TYPES`), so one column is one Feature whatever its pandas / Arrow dtype.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import numbers
from collections.abc import Iterator, Mapping
from typing import Any

from catalog_sql import statements
from catalog_sql.errors import FieldError, ValidationError

from ..core.lifecycle import at_owner_origin

#: The feature types: ``cat`` is categorical (``cat[CellType]`` once labels are linked).
TYPES = ("int", "float", "str", "bool", "datetime", "date", "cat", "dict", "list")


def dtype_type(dtype: Any) -> str:
    """The feature type of a pandas / numpy / Arrow dtype (or its text).

    Examples:
        >>> dtype_type("int64"), dtype_type("category"), dtype_type("dictionary<values=string, indices=int8>")
        ('int', 'cat', 'cat')
        >>> dtype_type("float32"), dtype_type("datetime64[ns]"), dtype_type("object")
        ('float', 'datetime', 'str')
    """  # noqa: E501
    text = str(dtype).lower()
    for prefixes, kind in _DTYPES:
        if text.startswith(prefixes):
            return kind
    return "str"


_DTYPES = (
    (("bool",), "bool"),
    (("int", "uint", "halffloat"), "int"),
    (("float", "double", "decimal"), "float"),
    (("datetime", "timestamp"), "datetime"),
    (("date",), "date"),
    (("category", "dictionary"), "cat"),
    (("list", "large_list"), "list"),
    (("struct", "map"), "dict"),
)


def value_type(value: Any) -> str:
    """The feature type of one Python value.

    Examples:
        >>> value_type(3), value_type(2.5), value_type(True), value_type("x")
        ('int', 'float', 'bool', 'str')
    """
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, numbers.Integral):
        return "int"
    if isinstance(value, numbers.Real):
        return "float"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dict):
        return "dict"
    if isinstance(value, (list, tuple)):
        return "list"
    return "str"


# -- features by name ----------------------------------------------------------------------
def feature(name: Any, kind: str | None = None):
    """The Feature called ``name`` (a Feature record passes through), created with type
    ``kind`` if there is none; several with that name: the one of that type."""
    from ..core.catalog import registry_class

    Feature = registry_class("Feature")
    if isinstance(name, Feature):
        return name
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(f"A feature is a Feature record or a name, got {name!r}.")
    found = Feature.filter(name=name).order_by("id").list()
    if kind is not None:
        typed = [f for f in found if f.type == kind or (f.type or "").startswith(kind)]
        if not typed and kind.startswith("cat["):  # a categorical column gets its registry
            plain = [f for f in found if f.type in (None, "", "cat", "str")]
            if plain:
                plain[0].type = kind
                return plain[0].save()
        found = typed or [f for f in found if f.type in (None, "", kind)]
    if found:
        return found[0]
    if kind is None:
        raise ValidationError(f"No Feature named {name!r}; pass a value to create it.")
    return Feature(name=name, type=kind).save()


# -- labels ----------------------------------------------------------------------------------
def _link_for(owner: Any, label_cls: type):
    """(link table, owner column, label column, has feature_id) from ``owner``'s registry
    to ``label_cls``, whichever side declares the many-to-many."""
    owner_cls = type(owner)
    for m2m in owner_cls._meta.m2m.values():
        if m2m.target_class() is label_cls:
            return m2m.through, m2m.source, m2m.target, m2m
    for m2m in label_cls._meta.m2m.values():
        if m2m.target_class() is owner_cls:
            return m2m.through, m2m.target, m2m.source, m2m
    raise ValidationError(
        f"{label_cls.__name__} records cannot label a {owner_cls.__name__}: no link between "
        f"the two registries."
    )


def _records(items: Any) -> list:
    if hasattr(items, "list") and callable(items.list):  # a QuerySet
        return items.list()
    if isinstance(items, (list, tuple, set)):
        return [r for item in items for r in _records(item)]
    return [items]


class LabelManager:
    """``file.labels`` / ``dataset.labels``: labels of any registry, by feature."""

    def __init__(self, owner: Any) -> None:
        self.owner = owner

    def add(self, records: Any, feature: Any = None) -> None:
        """Link ``records`` (one, a list or a QuerySet, of any label registry) as labels,
        under ``feature`` (a Feature or its name; created as ``cat[Registry]`` if new)."""
        from ..core.lifecycle import require_local
        from ..core.writes import retrying

        owner = self.owner
        if owner.id is None:
            raise ValidationError(f"Save the {type(owner).__name__} before adding labels.")
        items = _records(records)
        for record in [owner, *items]:
            require_local(record, "adding labels")
        for record in items:
            if not hasattr(type(record), "_meta") or record.id is None:
                raise ValidationError(f"Labels are saved records, got {record!r}.")
        groups: dict[type, list] = {}
        for record in items:
            groups.setdefault(type(record), []).append(record)
        for cls, group in groups.items():
            feat = None if feature is None else _label_feature(feature, cls)
            retrying(lambda cls=cls, group=group, feat=feat: self._link(cls, group, feat))

    def _link(self, cls: type, group: list, feat: Any) -> None:
        from ..instance import current

        table, own, other, _ = _link_for(self.owner, cls)
        if feat is not None and not _has_feature_column(table):
            raise ValidationError(
                f"{table} links {cls.__name__} without a feature column: add the labels "
                f"without feature=, or declare the relation with extra={{'feature_id': 'int'}}."
            )
        backend = current().backend
        with backend.transaction():
            have = dict(_linked_rows(backend, table, own, other, self.owner.id))
            for record in dict.fromkeys(group):
                key = {own: self.owner.id, other: record.id}
                if record.id not in have:
                    row = {**key, "feature_id": feat.id} if feat is not None else key
                    backend.execute(statements.insert_row(backend.target, table, row))
                elif feat is not None and have[record.id] is None:  # linked without a feature
                    stmt = statements.update_where(backend.target, table,
                                                   {"feature_id": feat.id}, key)  # fmt: skip
                    backend.execute(stmt)

    @at_owner_origin
    def get(self, feature: Any, registry: Any = None) -> list:
        """The labels linked under ``feature`` (of ``registry``, default: the feature's
        ``cat[…]`` type, else every label registry)."""
        from ..instance import current

        feat = globals()["feature"](feature)
        classes = [registry] if registry is not None else _label_classes(self.owner, feat)
        found: list = []
        backend = current().backend
        for cls in classes:
            table, own, other, _ = _link_for(self.owner, cls)
            ids = _linked(backend, table, own, other, self.owner.id, feature_id=feat.id)
            if ids:
                found += cls.filter(id__in=ids).order_by("id").list()
        return found

    @at_owner_origin
    def by_feature(self) -> dict[str, list]:
        """Feature name (or ``None``) → labels, for every label registry."""
        from ..instance import current

        backend = current().backend
        out: dict[str, list] = {}
        names = {}
        for cls in _label_registries(self.owner):
            table, own, other, m2m = _link_for(self.owner, cls)
            if not _has_feature_column(table):
                continue
            rows = _linked_rows(backend, table, own, other, self.owner.id)
            by_id = {r.id: r for r in cls.filter(id__in=[r for r, _ in rows]).list()}
            for record_id, feature_id in rows:
                names.setdefault(feature_id, _feature_name(feature_id))
                out.setdefault(names[feature_id], []).append(by_id[record_id])
        return out


def _core_feature_link(table: str) -> bool:
    return table in ("file_ulabel", "dataset_ulabel")


def _feature_name(feature_id: int | None) -> str | None:
    if feature_id is None:
        return None
    from ..core.catalog import registry_class

    return registry_class("Feature").get(id=feature_id).name


def _label_feature(feature_ref: Any, cls: type):
    kind = f"cat[{cls.__name__}]"
    return feature(feature_ref, kind)


def _label_registries(owner: Any) -> list[type]:
    from ..instance import current

    owner_cls = type(owner)
    found = []
    for cls in current().registries().values():
        if cls is owner_cls:
            continue
        try:
            _link_for(owner, cls)
        except ValidationError:
            continue
        found.append(cls)
    return found


def _label_classes(owner: Any, feat: Any) -> list[type]:
    from ..core.catalog import registry_class

    kind = feat.type or ""
    if kind.startswith("cat[") and kind.endswith("]"):
        names = [n.strip().split(".")[0] for n in kind[4:-1].split("|")]
        try:
            return [registry_class(n) for n in names]
        except FieldError:
            pass
    return _label_registries(owner)


def _linked(backend, table, own, other, owner_id, *, feature_id=None) -> list[int]:
    rows = _linked_rows(backend, table, own, other, owner_id)
    return [r for r, f in rows if feature_id is None or f == feature_id]


def _linked_rows(backend, table, own, other, owner_id) -> list[tuple[int, int | None]]:
    columns = [other, "feature_id"] if _has_feature_column(table) else [other]
    stmt = statements.select_where_in(backend.target, table, columns, own, [owner_id])
    rows = backend.fetch(stmt)[1]
    return [(row[0], row[1] if len(row) > 1 else None) for row in rows]


def _has_feature_column(table: str) -> bool:
    from ..instance import current

    if _core_feature_link(table):
        return True
    for cls in current().registries().values():
        if cls.__module__ == "lakecat.registries":
            continue  # core link tables: as their migrations made them (above)
        for m2m in cls._meta.m2m.values():
            if m2m.through == table:
                return "feature_id" in m2m.link_extra
    return False


# -- feature values ----------------------------------------------------------------------------
_VALUE_LINKS = {
    "File": ("file_feature_value", "file_id"),
    "Dataset": ("dataset_feature_value", "dataset_id"),
}


def _typed(value: Any) -> dict[str, Any]:
    """The typed columns of a feature_value row for ``value``."""
    kind = value_type(value)
    if kind == "bool":
        return {"value_bool": value}
    if kind in ("int", "float"):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationError(f"A feature value must be a finite number, got {value!r}.")
        return {"value_float": float(value)}
    if kind == "datetime":
        return {"value_datetime": value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)}
    if kind == "date":
        return {
            "value_datetime": dt.datetime(
                value.year, value.month, value.day, tzinfo=dt.timezone.utc
            )
        }
    if kind in ("dict", "list"):
        try:
            return {"value_json": json.dumps(value, sort_keys=True)}
        except (TypeError, ValueError):
            raise ValidationError(f"A feature value must be JSON data, got {value!r}.") from None
    if not isinstance(value, str):
        raise ValidationError(
            f"Feature values are numbers, text, booleans, dates, JSON data or records, got "
            f"{type(value).__name__}."
        )
    return {"value_str": value}


def _value_hash(feature_id: int, typed: dict[str, Any]) -> str:
    from ..hashing import hash_bytes

    column, value = next(iter(typed.items()))
    shown = value.isoformat() if hasattr(value, "isoformat") else repr(value)
    text = f"{feature_id}\t{column}\t{shown}"
    return hash_bytes(text.encode())[:32]


class FeatureManager(Mapping):
    """``file.features``: slot → FeatureSet (columns / var / obs), plus feature values."""

    def __init__(self, owner: Any) -> None:
        self.owner = owner
        self._sets: dict | None = None

    @at_owner_origin
    def _slots(self) -> dict:
        if self._sets is None:
            self._sets = self.owner._feature_sets()
        return self._sets

    @at_owner_origin
    def __getitem__(self, slot: str):
        return self._slots()[slot]

    def __iter__(self) -> Iterator[str]:
        return iter(self._slots())

    def __len__(self) -> int:
        return len(self._slots())

    def __repr__(self) -> str:
        return f"FeatureManager(slots={list(self._slots())})"

    def add_values(self, values: dict[str, Any]) -> None:
        """Annotate with ``{feature name: value}``: numbers, text, booleans, dates, JSON
        data, or records (and lists of records), which become labels of that feature."""
        from ..core.lifecycle import require_local
        from ..core.writes import retrying

        owner = self.owner
        if owner.id is None:
            raise ValidationError(f"Save the {type(owner).__name__} before adding values.")
        require_local(owner, "adding feature values")
        if not isinstance(values, dict):
            raise ValidationError("add_values() takes a dict {feature name: value}.")
        scalars = {}
        for name, value in values.items():
            items = value if isinstance(value, (list, tuple)) else [value]
            if items and all(hasattr(type(v), "_meta") for v in items):
                owner.labels.add(list(items), feature=name)
            elif value is None:
                raise ValidationError(f"Feature {name!r}: None is not a value.")
            else:
                scalars[name] = value
        if scalars:
            typed = [(feature(n, value_type(v)), _typed(v)) for n, v in scalars.items()]
            retrying(lambda: self._store(typed))

    def _store(self, typed: list[tuple[Any, dict[str, Any]]]) -> None:
        from ..instance import current

        backend = current().backend
        link, column = _VALUE_LINKS[type(self.owner).__name__]
        with backend.transaction():
            for feat, columns in typed:
                digest = _value_hash(feat.id, columns)
                value_id = _value_id(backend, digest)
                if value_id is None:
                    value_id = backend.reserve_ids("feature_value", 1)[0]
                    row = {
                        "id": value_id,
                        "feature_id": feat.id,
                        **columns,
                        "hash": digest,
                        "created_at": dt.datetime.now(dt.timezone.utc),
                    }
                    backend.execute(statements.insert_row(backend.target, "feature_value", row))
                key = {column: self.owner.id, "feature_value_id": value_id}
                stmt = statements.select_where(backend.target, link, [column], key)
                if not backend.fetch(stmt)[1]:
                    backend.execute(statements.insert_row(backend.target, link, key))

    @at_owner_origin
    def get_values(self) -> dict[str, Any]:
        """Feature name → value (a list when a feature has several values), labels too."""
        from ..instance import current

        backend = current().backend
        link, column = _VALUE_LINKS[type(self.owner).__name__]
        rows = backend.fetch(
            statements.feature_values(backend.target, link, column, self.owner.id)
        )[1]
        out: dict[str, Any] = {}
        for name, *typed in rows:
            _collect(out, name, _untyped(typed))
        for name, labels in self.owner.labels.by_feature().items():
            if name is not None:
                for label in labels:
                    _collect(out, name, label)
        return out


def _value_id(backend, digest: str) -> int | None:
    stmt = statements.select_where_in(backend.target, "feature_value", ["id"], "hash", [digest])
    rows = backend.fetch(stmt)[1]
    return rows[0][0] if rows else None


def _untyped(typed: list) -> Any:
    text, number, flag, moment, data = typed
    if data is not None:
        return json.loads(data)
    if number is not None:
        return int(number) if float(number).is_integer() else number
    for value in (text, flag, moment):
        if value is not None:
            return value
    return None


def _collect(out: dict[str, Any], name: str, value: Any) -> None:
    if name not in out:
        out[name] = value
    elif isinstance(out[name], list):
        out[name].append(value)
    else:
        out[name] = [out[name], value]
