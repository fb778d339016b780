"""Schema modules: importable Python modules whose Record classes become registries.

The core registries are one (``core``, hand-written migrations in catalog_sql); the
``lakecat.bio`` ontology registries are another; a user's ``mylab.schema`` is a third,
built the same way. A module's tables are created and changed by its migrations: SQL
files in a ``migrations/`` folder next to the module, or, while a module has none yet,
one generated from its classes (:func:`catalog_sql.ddl.plan`). Which modules an instance
uses is recorded in the catalog itself (the modules with applied migrations), so every
process and every collaborator sees the same list.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

from catalog_sql import ddl
from catalog_sql.errors import InstanceError
from catalog_sql.migrations import Migration, discover

from . import catalog

#: Short names for the modules that ship with lakecat.
ALIASES = {"bio": "lakecat.bio"}


def canonical(name: str) -> str:
    """The import path a module is known by (``bio`` → ``lakecat.bio``).

    Examples:
        >>> canonical("bio"), canonical("mylab.schema")
        ('lakecat.bio', 'mylab.schema')
    """
    return ALIASES.get(name, name)


@dataclass
class SchemaModule:
    """One schema module: its Python module and the Record classes it defines."""

    name: str
    module: ModuleType
    classes: list[Any]

    def tables(self) -> list[Any]:
        """The table models of its registries."""
        return [catalog.table_model(cls) for cls in self.classes]

    def links(self) -> list[ddl.LinkTable]:
        """The link tables its registries declare."""
        found: dict[str, ddl.LinkTable] = {}
        for cls in self.classes:
            for m2m in cls._meta.m2m.values():
                extra = tuple(sorted(m2m.link_extra.items()))
                found[m2m.through] = ddl.LinkTable(m2m.through, m2m.source, m2m.target, extra)
        return list(found.values())

    def changes(self, backend: Any, *, drop: bool = False) -> list[str]:
        """The DDL that would bring the catalog to what the classes declare now (empty
        when they agree): what ``lakecat migrate create`` writes."""
        return ddl.plan(self.tables(), self.links(), backend.columns(), drop=drop)

    def migrations(self) -> list[Migration]:
        """Its migration files, or one generated from its classes while it has none."""
        folder = _migrations_folder(self.module)
        shipped = discover(self.name, folder) if folder is not None else []
        if shipped:
            return shipped
        sql = "\n".join(ddl.plan(self.tables(), self.links(), {}))
        return [Migration(self.name, "0001_initial", _HEADER.format(self.name) + sql + "\n")]

    def pin(self) -> Path | None:
        """Write the generated initial migration into the module's migrations folder (so
        later changes of the classes are new migrations, not an edited first one); None
        when it has files already or the folder cannot be written (an installed package)."""
        folder = migrations_path(self.module)
        if folder is None or _migrations_folder(self.module) is not None:
            return None
        (first,) = self.migrations()
        try:
            path = Path(str(folder))
            path.mkdir(parents=True, exist_ok=True)
            target = path / f"{first.name}.sql"
            target.write_text(first.sql)
        except OSError:
            return None
        return target

    def create_migration(
        self, backend: Any, *, drop: bool = False, name: str = "auto"
    ) -> Path | None:
        """Write the next migration file: the DDL that brings the catalog to what the
        classes declare now. None when there is nothing to change.

        Raises:
            SchemaVersionError: columns would be dropped and ``drop`` is not set.
        """
        statements = self.changes(backend, drop=drop)
        if not statements:
            return None
        folder = migrations_path(self.module)
        if folder is None:
            raise InstanceError(f"{self.name} has no folder for migration files.")
        path = Path(str(folder))
        path.mkdir(parents=True, exist_ok=True)
        numbers = [int(f.name[:4]) for f in path.glob("[0-9][0-9][0-9][0-9]_*.sql")]
        slug = "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_") or "auto"
        target = path / f"{max(numbers, default=0) + 1:04d}_{slug}.sql"
        header = f"-- {self.name}: {slug}, written by lakecat migrate create.\n"
        target.write_text(header + "\n".join(statements) + "\n")
        return target


_HEADER = "-- {} schema, generated from its Record classes by lakecat.\n"


def load(name: str) -> SchemaModule:
    """Import a schema module and collect its registries.

    Raises:
        InstanceError: the module cannot be imported, or defines no registry.
    """
    path = canonical(name)
    try:
        module = importlib.import_module(path)
    except ImportError as err:
        hint = " Install it with: pip install 'lakecat[bio]'." if path == "lakecat.bio" else ""
        raise InstanceError(
            f"Schema module {path!r} cannot be imported ({err}).{hint} Check the name and "
            f"that it is installed in this environment."
        ) from None
    classes = [
        cls for cls in catalog.registries().values()
        if cls.__module__ == path or cls.__module__.startswith(path + ".")
    ]  # fmt: skip
    if not classes:
        raise InstanceError(
            f"Schema module {path!r} defines no registry: declare classes such as "
            f"`class Experiment(lc.Record): name = lc.CharField(unique=True)` in it."
        )
    return SchemaModule(path, module, classes)


def _migrations_folder(module: ModuleType):
    """Where a module keeps its migration files, if it has any: ``migrations/`` inside a
    package (``lakecat/bio/migrations``), ``<name>_migrations/`` next to a plain module
    (``mylab/schema.py`` → ``mylab/schema_migrations``)."""
    folder = migrations_path(module)
    return folder if folder is not None and folder.is_dir() else None


def migrations_path(module: ModuleType):
    """The folder a module's migration files belong in (it may not exist yet)."""
    if hasattr(module, "__path__"):  # a package
        return resources.files(module.__name__) / "migrations"
    origin = getattr(module, "__file__", None)
    if not origin:
        return None
    path = Path(origin)
    return path.with_name(f"{path.stem}_migrations")


def module_of(cls: Any) -> str | None:
    """The Python module that defines ``cls``, or None for a core registry."""
    name = cls.__module__
    return None if name == catalog.CORE_MODULE else name


def belongs(cls: Any, module: str) -> bool:
    """Whether ``cls`` is defined in schema module ``module`` (or one of its submodules)."""
    name = cls.__module__
    return name == module or name.startswith(module + ".")
