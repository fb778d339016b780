"""The registry of Record classes: every registry by class and table name, and the table
model the compiler traverses. The lowest module of the record machinery: it imports no
other lakecat module.

Core registries are a schema module like any plug-in: they are imported by name
(:data:`CORE_MODULE`) the first time a registry is looked up, so nothing here depends on
the modules that define them.
"""

from __future__ import annotations

import importlib
from typing import Any

from catalog_sql.errors import FieldError, did_you_mean
from catalog_sql.model import Column, Relation, Schema, TableModel

CORE_MODULE = "lakecat.registries"
_CLASSES: dict[str, Any] = {}
_SCHEMA: list[Schema | None] = [None]


def register(cls: Any) -> None:
    """Make ``cls`` (a Record subclass being defined) known by class and table name."""
    _CLASSES[cls.__name__] = cls
    _CLASSES[cls._meta.table] = cls
    _SCHEMA[0] = None


def unregister(cls: Any) -> None:
    """Forget ``cls`` (tests and plug-ins that define throwaway registries)."""
    for key in (cls.__name__, cls._meta.table):
        if _CLASSES.get(key) is cls:
            del _CLASSES[key]
    _SCHEMA[0] = None


def registry_class(ref: str | type) -> Any:
    """The Record class for a class, class name or table name."""
    if isinstance(ref, type):
        return ref
    _load_core()
    cls = _CLASSES.get(ref)
    if cls is None:
        raise FieldError(f"Unknown registry {ref!r}.{did_you_mean(ref, _CLASSES)}")
    return cls


def registries() -> dict[str, Any]:
    """Every registered Record class by class name."""
    _load_core()
    return {name: cls for name, cls in _CLASSES.items() if name == cls.__name__}


def _load_core() -> None:
    """Make sure the core registries are defined (they live in lakecat.registries)."""
    if "ULabel" not in _CLASSES:
        importlib.import_module(CORE_MODULE)


def schema() -> Schema:
    """The table model of every registered registry (rebuilt when one is added)."""
    if _SCHEMA[0] is None:
        _SCHEMA[0] = _build_schema()
    return _SCHEMA[0]


def _build_schema() -> Schema:
    result = Schema()
    models = {cls._meta.table: _table_model(cls) for cls in registries().values()}
    for cls in registries().values():
        _add_reverse(cls, models)
    for model in models.values():
        result.add(model)
    return result


def table_model(cls: Any) -> TableModel:
    """The table model of one Record class (without reverse relations)."""
    return _table_model(cls)


def _table_model(cls: Any) -> TableModel:
    meta = cls._meta
    columns = {
        f.column: Column(f.column, f.type, nullable=f.null, unique=f.unique, index=f.index)
        for f in meta.fields.values()
    }
    relations = {}
    for name, fk in meta.fks.items():
        relations[name] = Relation(name, "fk", fk.target_class()._meta.table, column=fk.column)
    for name, m2m in meta.m2m.items():
        target = m2m.target_class()._meta.table
        relations[name] = Relation(
            name, "m2m", target, link_table=m2m.through, link_source=m2m.source,
            link_target=m2m.target,
        )  # fmt: skip
    values = getattr(cls, "_feature_value_link", None)  # (link table, column): File, Dataset
    if values is not None:
        relations["features"] = Relation(
            "features", "values", "feature_value", link_table=values[0], link_source=values[1],
            link_target="feature_value_id",
        )  # fmt: skip
    return TableModel(meta.table, columns, relations, meta.search_fields, meta.name_field)


def _add_reverse(cls: Any, models: dict[str, TableModel]) -> None:
    meta = cls._meta
    for fk in meta.fks.values():
        if fk.related_name:
            target = models[fk.target_class()._meta.table]
            rel = Relation(fk.related_name, "reverse_fk", meta.table, column=fk.column)
            target.relations[fk.related_name] = rel
    for m2m in meta.m2m.values():
        if m2m.related_name:
            target = models[m2m.target_class()._meta.table]
            target.relations[m2m.related_name] = Relation(
                m2m.related_name, "m2m", meta.table, link_table=m2m.through,
                link_source=m2m.target, link_target=m2m.source,
            )  # fmt: skip
