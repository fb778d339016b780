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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from catalog_sql import ddl
from catalog_sql.errors import InstanceError, SchemaVersionError, ValidationError
from catalog_sql.migrations import Migration, discover, pending
from catalog_sql.migrations import applied as migrations_applied

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

    def changes(
        self, backend: Any, *, drop: bool = False, renames: ddl.Renames | None = None
    ) -> list[str]:
        """The DDL that would bring the catalog to what the classes declare now (empty
        when they agree): what ``lakecat migrate create`` writes.

        Args:
            backend: the catalog's back end.
            drop: also drop columns the classes no longer declare.
            renames: renamed tables and fields (field or column names; see
                :func:`parse_renames`).

        Raises:
            SchemaVersionError: a column would be dropped without ``drop``, a change looks
                like a rename without its hint, or a hint does not fit.
        """
        types = backend.column_types()
        existing = {table: set(columns) for table, columns in types.items()}
        return ddl.plan(
            self.tables(), self.links(), existing, drop=drop,
            renames=self._columns_of(renames, existing), types=types,
            owned=ddl.owned_tables(m.sql for m in self.migrations()), module=self.name,
        )  # fmt: skip

    def _columns_of(
        self, renames: ddl.Renames | None, existing: dict[str, set[str]]
    ) -> ddl.Renames | None:
        """``renames`` with field names turned into columns (``experiment`` →
        ``experiment_id`` for a ForeignKey) and tables named by their new name."""
        if renames is None:
            return None
        by_table = {cls._meta.table: cls for cls in self.classes}
        columns: dict[str, dict[str, str]] = {}
        for table, pairs in renames.columns.items():
            table = renames.tables.get(table, table)  # given by its old name
            cls = by_table.get(table)
            have = existing.get(renames.old_name(table), set())
            for old, new in pairs.items():
                field = cls._meta.fields.get(new) if cls is not None else None
                column = field.column if field is not None else new
                was = old if old in have or column == new else f"{old}_id"
                columns.setdefault(table, {})[was] = column
        return ddl.Renames(dict(renames.tables), columns)

    def missing(self, existing: dict[str, set[str]]) -> dict[str, list[str]]:
        """What the classes declare that the catalog lacks, by registry table:
        ``{"experiment": ["experiment.scientist", "link table experiment_files"]}``
        (link tables count for the registry declaring them). Empty when the code is
        not ahead of the catalog."""
        found: dict[str, list[str]] = {}
        for table in self.tables():
            have = existing.get(table.name)
            if have is None:
                found[table.name] = [f"table {table.name}"]
                continue
            lacks = [f"{table.name}.{c}" for c in table.columns if c not in have]
            if lacks:
                found[table.name] = lacks
        for cls in self.classes:
            for m2m in cls._meta.m2m.values():
                if m2m.through not in existing:
                    found.setdefault(cls._meta.table, []).append(f"link table {m2m.through}")
        return found

    def behind_error(self, backend: Any, table: str, lacks: list[str]) -> SchemaVersionError:
        """The error for using registry ``table`` while the catalog lacks ``lacks`` (from
        :meth:`missing`): the classes are ahead of the catalog. It names the migrations
        applied and written, and the command to run."""
        done = migrations_applied(backend, self.name)
        waiting = [m.name for m in self.migrations() if m.name not in done]
        cls = next(c for c in self.classes if c._meta.table == table)
        what = ", ".join(lacks)
        at = f"{self.name}/{done[-1]}" if done else "nothing applied"
        if waiting:
            todo = (
                f"migration(s) {', '.join(waiting)} are written but not deployed: run "
                f"lakecat migrate deploy"
            )
        else:
            todo = (
                f"no migration adds them: run lakecat migrate create {self.name}, then "
                f"lakecat migrate deploy"
            )
        return SchemaVersionError(
            f"{cls.__name__} (schema module {self.name}) declares {what}, which the catalog "
            f"lacks: the classes are ahead of the catalog (at {at}); {todo}."
        )

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
        self,
        backend: Any,
        *,
        drop: bool = False,
        name: str = "auto",
        renames: ddl.Renames | None = None,
    ) -> Path | None:
        """Write the next migration file: the DDL that brings the catalog to what the
        classes declare now. None when there is nothing to change.

        Args:
            backend: the catalog's back end.
            drop: also drop columns the classes no longer declare (destructive).
            name: the name part of the file (``NNNN_<name>.sql``).
            renames: renamed registries and fields, so their data is kept
                (:func:`parse_renames`).

        Raises:
            SchemaVersionError: the catalog is ahead of this code or has migrations not
                deployed yet; columns would be dropped and ``drop`` is not set; a change
                looks like a rename and no hint says what it is.
        """
        waiting = pending(backend, self.name, self.migrations())  # raises if ahead
        if waiting:
            raise SchemaVersionError(
                f"{self.name} has migration(s) {', '.join(m.name for m in waiting)} written "
                f"but not deployed: run lakecat migrate deploy first (a new migration is "
                f"planned against the catalog as it is)."
            )
        statements = self.changes(backend, drop=drop, renames=renames)
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
        if any(s.startswith("-- requires:") for s in statements):
            header += _TWO_FORMS
        target.write_text(header + "\n".join(statements) + "\n")
        return target


_TWO_FORMS = (
    "-- Renames and drops come in two forms: ALTER TABLE where the back end can alter a\n"
    "-- table with indexes (Postgres), a rebuild of the table where it cannot (DuckDB).\n"
)


def parse_renames(columns: Iterable[str] = (), tables: Iterable[str] = ()) -> ddl.Renames:
    """Rename hints as ``lakecat migrate create`` takes them: ``TABLE.OLD:NEW`` for a
    field (``experiment.date:started_on``), ``OLD:NEW`` for a registry table.

    Examples:
        >>> r = parse_renames(["experiment.date:started_on"], ["experiment:assay"])
        >>> dict(r.columns), dict(r.tables)
        ({'experiment': {'date': 'started_on'}}, {'experiment': 'assay'})

    Raises:
        ValidationError: a hint is not of that form.
    """
    found: dict[str, dict[str, str]] = {}
    for hint in columns:
        table, _, pair = hint.partition(".")
        old, _, new = pair.partition(":")
        if not (table and old and new) or ":" in new:
            raise ValidationError(
                f"--rename expects TABLE.OLD:NEW (e.g. experiment.date:started_on), got {hint!r}."
            )
        found.setdefault(table.strip(), {})[old.strip()] = new.strip()
    renamed: dict[str, str] = {}
    for hint in tables:
        old, _, new = hint.partition(":")
        if not (old and new) or ":" in new or "." in hint:
            raise ValidationError(
                f"--rename-table expects OLD:NEW table names (e.g. experiment:assay), got {hint!r}."
            )
        renamed[old.strip()] = new.strip()
    return ddl.Renames(renamed, found)


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
        from importlib import resources  # here: ~5 ms of import a plain CLI call skips

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
