"""DDL for registries described by table models: what a schema module's migration holds.

Core migrations are written by hand; a schema module's (``lakecat.bio``, a user's
plug-in) are written by :func:`plan`, which compares the tables a module declares with
the tables the catalog has and returns the statements that bring the catalog there.
Statements are PostgreSQL syntax, like every migration file, and rendered per dialect
by sqlglot when applied (see :mod:`catalog_sql.migrations`).

Renaming or dropping columns and renaming tables takes two forms in one file: plain
``ALTER TABLE`` for back ends that can alter a table with indexes (Postgres), and a
rebuild of the table for DuckDB, which refuses any ``ALTER TABLE`` of a table that has
an index and any ``DROP COLUMN`` of a ``UNIQUE`` column (decisions §17). Each statement
is marked ``-- requires: alter_indexed`` or ``-- requires: !alter_indexed``.

Examples:
    >>> from catalog_sql.model import Column, TableModel
    >>> t = TableModel("tag", {"id": Column("id", "int"), "uid": Column("uid", "str",
    ...     nullable=False, unique=True), "name": Column("name", "str", unique=True)})
    >>> print("\\n".join(plan([t], [], {})))
    CREATE SEQUENCE "tag_id_seq";
    CREATE TABLE "tag" (
        id BIGINT PRIMARY KEY DEFAULT nextval('tag_id_seq'),
        uid VARCHAR NOT NULL UNIQUE,
        name VARCHAR UNIQUE
    );
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from .errors import SchemaVersionError
from .model import Column, TableModel

#: How each logical type is stored (PostgreSQL names; sqlglot renders DuckDB's).
SQL_TYPES = {
    "str": "VARCHAR", "int": "BIGINT", "float": "DOUBLE PRECISION", "bool": "BOOLEAN",
    "datetime": "TIMESTAMPTZ", "date": "DATE", "json": "JSON",
}  # fmt: skip

#: The logical type of a column type as the catalogs report it (DuckDB, Postgres).
_LOGICAL = {
    "varchar": "str", "text": "str", "character varying": "str", "bigint": "int",
    "integer": "int", "double": "float", "double precision": "float", "boolean": "bool",
    "timestamp with time zone": "datetime", "date": "date", "json": "json",
}  # fmt: skip

#: The capability of a back end whose ``ALTER TABLE`` works on a table with indexes.
ALTER_INDEXED = "alter_indexed"
_ALTER = f"-- requires: {ALTER_INDEXED}\n"
_REBUILD = f"-- requires: !{ALTER_INDEXED}\n"


@dataclass(frozen=True)
class LinkTable:
    """A many-to-many link table: two id columns (its key) and optional extra columns."""

    name: str
    source: str
    target: str
    extra: tuple[tuple[str, str], ...] = field(default=())

    def column_names(self) -> list[str]:
        """Its columns in order: the two ids, then the extra columns."""
        return [self.source, self.target, *(name for name, _ in self.extra)]


@dataclass(frozen=True)
class Renames:
    """Explicit rename hints for :func:`plan`: what was renamed, so data is kept.

    Attributes:
        tables: old table name → new table name.
        columns: table (its new name) → {old column: new column}.

    Examples:
        >>> Renames(tables={"experiment": "assay"}).old_name("assay")
        'experiment'
    """

    tables: Mapping[str, str] = field(default_factory=dict)
    columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def old_name(self, table: str) -> str:
        """The name ``table`` has in the catalog before this migration."""
        return next((old for old, new in self.tables.items() if new == table), table)


def logical_type(sql_type: str | None) -> str | None:
    """The logical type of a column type as a catalog reports it (None: unknown).

    Examples:
        >>> logical_type("TIMESTAMP WITH TIME ZONE"), logical_type("character varying")
        ('datetime', 'str')
    """
    return _LOGICAL.get((sql_type or "").lower())


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _column_sql(column: Column, table: str) -> str:
    if column.name == "id":
        return f"id BIGINT PRIMARY KEY DEFAULT nextval('{table}_id_seq')"
    parts = [column.name, SQL_TYPES[column.type]]
    if not column.nullable:
        parts.append("NOT NULL")
    if column.unique:
        parts.append("UNIQUE")
    return " ".join(parts)


def _table_sql(table: TableModel, name: str) -> str:
    """``CREATE TABLE name`` with ``table``'s columns (its ids from ``<table>_id_seq``)."""
    body = ",\n".join(f"    {_column_sql(c, table.name)}" for c in table.columns.values())
    return f"CREATE TABLE {_quote(name)} (\n{body}\n);"


def create_table(table: TableModel) -> list[str]:
    """``CREATE SEQUENCE`` + ``CREATE TABLE`` (+ indexes) for a registry table."""
    sequence = f"CREATE SEQUENCE {_quote(table.name + '_id_seq')};"
    return [sequence, _table_sql(table, table.name), *_indexes(table)]


def _indexes(table: TableModel) -> list[str]:
    return [_index(table.name, c) for c in table.columns.values() if _indexed(c)]


def _indexed(column: Column) -> bool:
    return column.index and not column.unique and column.name != "id"


def _index(table: str, column: Column) -> str:
    return f"CREATE INDEX {_quote(f'{table}_{column.name}')} ON {_quote(table)} ({column.name});"


def create_link(link: LinkTable, name: str | None = None) -> str:
    """``CREATE TABLE`` for a link table (named ``name``, default its own), keyed by its
    two id columns."""
    lines = [f"    {link.source} BIGINT NOT NULL", f"    {link.target} BIGINT NOT NULL"]
    lines += [f"    {column} {SQL_TYPES[kind]}" for column, kind in link.extra]
    lines.append(f"    PRIMARY KEY ({link.source}, {link.target})")
    return f"CREATE TABLE {_quote(name or link.name)} (\n" + ",\n".join(lines) + "\n);"


def _check_addable(table: str, column: Column) -> None:
    if not column.nullable:
        raise SchemaVersionError(
            f"New column {table}.{column.name} is NOT NULL, but the table may have rows: "
            f"declare it with null=True (or give it a value in a data migration)."
        )


def add_column(table: str, column: Column) -> list[str]:
    """``ALTER TABLE … ADD COLUMN`` (a new column must allow NULL: rows exist)."""
    _check_addable(table, column)
    kind = SQL_TYPES[column.type]
    statements = [f"ALTER TABLE {_quote(table)} ADD COLUMN {column.name} {kind};"]
    if column.unique:
        name = _quote(f"{table}_{column.name}_key")
        statements.append(f"CREATE UNIQUE INDEX {name} ON {_quote(table)} ({column.name});")
    elif _indexed(column):
        statements.append(_index(table, column))
    return statements


@dataclass
class _Change:
    """How one existing table becomes what the module declares."""

    name: str  # its name after the migration
    old: str  # its name before
    sources: dict[str, str | None]  # new column → the column it comes from (None: new)
    gone: list[str]  # columns dropped

    @property
    def added(self) -> list[str]:
        return [c for c, source in self.sources.items() if source is None]

    @property
    def moves(self) -> bool:
        """Whether anything is renamed or dropped (beyond ``ADD COLUMN``)."""
        renamed = any(s not in (None, c) for c, s in self.sources.items())
        return renamed or bool(self.gone) or self.old != self.name

    def alter(self, extra: list[str]) -> list[str]:
        """The plain ``ALTER TABLE`` form (Postgres); ``extra``: its ``ADD COLUMN``s."""
        q = _quote(self.name)
        out = []
        if self.old != self.name:
            out.append(f"ALTER TABLE {_quote(self.old)} RENAME TO {q};")
        out += [f"ALTER TABLE {q} RENAME COLUMN {s} TO {c};"
                for c, s in self.sources.items() if s not in (None, c)]  # fmt: skip
        out += extra
        out += [f"ALTER TABLE {q} DROP COLUMN {c};" for c in self.gone]
        return out

    def rebuild(self, create: str, after: list[str]) -> list[str]:
        """The rebuild form (DuckDB): ``create`` makes the new table under a temporary
        name, the rows are copied, the old table dropped, the new one renamed, then
        ``after`` (its indexes) runs."""
        temporary = _quote(f"{self.name}__rebuild")
        kept = [(c, s) for c, s in self.sources.items() if s is not None]
        columns, selected = ", ".join(c for c, _ in kept), ", ".join(s for _, s in kept)
        return [
            create,
            f"INSERT INTO {temporary} ({columns}) SELECT {selected} FROM {_quote(self.old)};",
            f"DROP TABLE {_quote(self.old)};",
            f"ALTER TABLE {temporary} RENAME TO {_quote(self.name)};",
            *after,
        ]


def plan(
    tables: Iterable[TableModel],
    links: Iterable[LinkTable],
    existing: Mapping[str, Collection[str]],
    *,
    drop: bool = False,
    renames: Renames | None = None,
    types: Mapping[str, Mapping[str, str | None]] | None = None,
    owned: Collection[str] = (),
    module: str = "MODULE",
) -> list[str]:
    """The statements that bring the catalog to what a module declares: new tables, link
    tables and columns; renamed tables and columns (given as ``renames``); dropped columns.

    Args:
        tables: the registry tables a module declares.
        links: its link tables.
        existing: the catalog's tables and their columns (``{table: {column, …}}``).
        drop: also drop columns the catalog has and the module no longer declares
            (destructive: refused unless asked).
        renames: explicit rename hints; without one, a column that disappears while one
            of the same type appears (or a registry table replaced by a similar new one)
            is refused with the hint to give, rather than planned as drop + add.
        types: the catalog's column types (``{table: {column: logical type}}``), for
            telling likely renames apart.
        owned: the tables the module's migrations created (registries that vanished
            from its classes are looked for there).
        module: the module's name, for messages.

    Raises:
        SchemaVersionError: a destructive or ambiguous change without its flag or hint,
            a new NOT NULL column, or a rename hint that does not fit the catalog.
    """
    tables, links = list(tables), list(links)
    renames = renames or Renames()
    _check_renames(tables, links, existing, renames)
    declared = {t.name for t in tables} | {link.name for link in links}
    orphans = [t for t in owned
               if t in existing and t not in declared and t not in renames.tables]  # fmt: skip
    statements: list[str] = []
    for table in tables:
        statements += _plan_table(table, existing, renames, drop, types or {}, orphans, module)
    for link in links:
        statements += _plan_link(link, existing, renames, drop)
    return statements


def _plan_table(
    table: TableModel,
    existing: Mapping[str, Collection[str]],
    renames: Renames,
    drop: bool,
    types: Mapping[str, Mapping[str, str | None]],
    orphans: list[str],
    module: str,
) -> list[str]:
    old = renames.old_name(table.name)
    have = existing.get(old)
    if have is None:
        if not drop:
            _refuse_new_table(table, orphans, existing, module)
        return create_table(table)
    explicit = renames.columns.get(table.name, {})
    change = _change(table.name, old, table.column_names(), set(have), explicit)
    if change.gone and not drop:
        _refuse_drop(table, change, types.get(old, {}), module)
    if not change.moves:
        return [s for c in change.added for s in add_column(table.name, table.columns[c])]
    for column in change.added:
        _check_addable(table.name, table.columns[column])
    adds = [s for c in change.added for s in add_column(table.name, table.columns[c])]
    postgres, duck = change.alter(adds), _rebuild_table(table, change)
    if old != table.name:  # Postgres: ALTER TABLE renames a sequence too
        seq = _quote(f"{table.name}_id_seq")
        postgres.insert(1, f"ALTER TABLE {_quote(old + '_id_seq')} RENAME TO {seq};")
    return [_ALTER + s for s in postgres] + [_REBUILD + s for s in duck]


def _rebuild_table(table: TableModel, change: _Change) -> list[str]:
    """DuckDB's form: the table rebuilt under its new shape (and name), its declared
    indexes created again. A renamed table gets a new id sequence, moved past its ids
    (DuckDB cannot rename a sequence)."""
    create = _table_sql(table, f"{table.name}__rebuild")
    if change.old == table.name:
        return change.rebuild(create, _indexes(table))
    seq, old = f"{table.name}_id_seq", change.old
    return [
        f"CREATE SEQUENCE {_quote(seq)};",
        f"SELECT max(nextval('{seq}')) FROM generate_series(1, "
        f"(SELECT coalesce(max(id), 0) FROM {_quote(old)}));",
        *change.rebuild(create, [f"DROP SEQUENCE {_quote(old + '_id_seq')};", *_indexes(table)]),
    ]


def _plan_link(
    link: LinkTable, existing: Mapping[str, Collection[str]], renames: Renames, drop: bool
) -> list[str]:
    old = link.name if link.name in existing else _renamed_link(link, existing, renames)
    if old is None:
        return [create_link(link)]
    explicit = dict(renames.columns.get(link.name, {}))
    have = set(existing[old])
    for was, now in renames.tables.items():  # <table>_id columns follow their table
        if f"{now}_id" in link.column_names() and f"{was}_id" in have:
            explicit.setdefault(f"{was}_id", f"{now}_id")
    change = _change(link.name, old, link.column_names(), have, explicit)
    if not drop:
        change.gone = []  # a link table's unknown columns stay unless asked
    if not change.moves:
        return []  # (columns a link table lacks are not added: none is ever nullable)
    duck = change.rebuild(create_link(link, f"{link.name}__rebuild"), [])
    return [_ALTER + s for s in change.alter([])] + [_REBUILD + s for s in duck]


def _renamed_link(
    link: LinkTable, existing: Mapping[str, Collection[str]], renames: Renames
) -> str | None:
    """The existing link table a declared one was called before its registry was renamed
    (``experiment_files`` for ``assay_files``), or None."""
    for was, now in renames.tables.items():
        if link.name.startswith(now + "_"):
            candidate = was + link.name[len(now) :]
            if candidate in existing and link.name not in existing:
                return candidate
    return None


def _change(
    name: str, old: str, declared: list[str], have: set[str], explicit: Mapping[str, str]
) -> _Change:
    by_new = {new: was for was, new in explicit.items()}
    sources: dict[str, str | None] = {
        column: by_new.get(column, column if column in have else None) for column in declared
    }
    used = {s for s in sources.values() if s is not None}
    return _Change(name, old, sources, sorted(have - used))


def _check_renames(
    tables: list[TableModel],
    links: list[LinkTable],
    existing: Mapping[str, Collection[str]],
    renames: Renames,
) -> None:
    """Refuse hints that do not fit the classes and the catalog, naming what is wrong."""
    models = {t.name: t.column_names() for t in tables}
    models.update({link.name: link.column_names() for link in links})
    for old, new in renames.tables.items():
        if new not in models:
            raise SchemaVersionError(
                f"--rename-table {old}:{new}: the module declares no registry table {new!r}"
                f"{_choices(models)}."
            )
        if old not in existing:
            done = " (already renamed?)" if new in existing else ""
            raise SchemaVersionError(
                f"--rename-table {old}:{new}: the catalog has no table {old!r}{done}."
            )
        if new in existing:
            raise SchemaVersionError(
                f"--rename-table {old}:{new}: the catalog has both tables; rename into a "
                f"name that is free."
            )
    for table, columns in renames.columns.items():
        if table not in models:
            raise SchemaVersionError(
                f"--rename {table}.…: the module declares no table {table!r}{_choices(models)}."
            )
        have = existing.get(renames.old_name(table), ())
        for old, new in columns.items():
            if old not in have:
                raise SchemaVersionError(
                    f"--rename {table}.{old}:{new}: the catalog's {renames.old_name(table)} "
                    f"has no column {old!r}{_choices(have)}."
                )
            if new not in models[table] or new in have:
                why = "already has it" if new in have else "is not declared by the classes"
                raise SchemaVersionError(f"--rename {table}.{old}:{new}: column {new!r} {why}.")


def _choices(names: Iterable[str]) -> str:
    names = sorted(names)
    return f" (it has: {', '.join(names)})" if names else ""


def _refuse_drop(
    table: TableModel, change: _Change, types: Mapping[str, str | None], module: str
) -> None:
    """Columns would be dropped: say which, and which look like renames."""
    added = change.added
    guesses = [
        (gone, new) for gone in change.gone for new in added
        if types.get(gone) in (None, table.columns[new].type)
    ]  # fmt: skip
    text = f"{table.name} has column(s) {', '.join(change.gone)} that the module no longer declares"
    if guesses:
        gone, new = guesses[0]
        flags = " ".join(f"--rename {table.name}.{g}:{n}" for g, n in _one_to_one(guesses))
        text += (
            f", and declares new column(s) {', '.join(added)} of the same type: if {gone} "
            f"was renamed to {new}, say so and keep its data: lakecat migrate create "
            f"{module} {flags}. Otherwise, dropping"
        )
    else:
        text += ". Dropping"
    raise SchemaVersionError(
        f"{text} them deletes data: pass drop=True (lakecat migrate create {module} --drop) "
        f"if that is what you want, or declare them again."
    )


def _one_to_one(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The first guess for each old and each new column."""
    seen: set[str] = set()
    out = []
    for gone, new in pairs:
        if gone not in seen and new not in seen:
            seen.update((gone, new))
            out.append((gone, new))
    return out


def _refuse_new_table(
    table: TableModel,
    orphans: list[str],
    existing: Mapping[str, Collection[str]],
    module: str,
) -> None:
    """A new registry table while one the module created vanished with similar columns:
    likely a renamed registry; refuse creating it empty unless told."""
    mine = set(table.column_names())
    for orphan in orphans:
        theirs = set(existing[orphan])
        if len(mine & theirs) / len(mine | theirs) >= 0.6:
            raise SchemaVersionError(
                f"The classes of {module} declare a new registry table {table.name} and no "
                f"longer declare {orphan} (its table and rows are still in the catalog). If "
                f"{orphan} was renamed to {table.name}, say so and keep its rows, ids and "
                f"links: lakecat migrate create {module} --rename-table {orphan}:"
                f"{table.name}. Otherwise pass --drop to create {table.name} empty ("
                f"{orphan} stays in the catalog, unused)."
            )


_CREATED = re.compile(r'\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"?(\w+)"?', re.I)
_RENAMED = re.compile(r'\bALTER\s+TABLE\s+"?(\w+)"?\s+RENAME\s+TO\s+"?(\w+)"?', re.I)
_DROPPED = re.compile(r'\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?"?(\w+)"?', re.I)


def owned_tables(scripts: Iterable[str]) -> set[str]:
    """The tables a module's migration scripts leave behind (created, renamed, dropped).

    Examples:
        >>> scripts = ['CREATE TABLE "a" (id BIGINT);', 'ALTER TABLE "a" RENAME TO "b";']
        >>> sorted(owned_tables(scripts))
        ['b']
    """
    found: set[str] = set()
    pattern = re.compile("|".join(f"(?:{p.pattern})" for p in (_CREATED, _RENAMED, _DROPPED)), re.I)
    for script in scripts:
        for match in pattern.finditer(script):
            created, old, new, dropped = match.groups()
            if created:
                found.add(created)
            elif old:
                if old in found:
                    found.discard(old)
                    found.add(new)
            else:
                found.discard(dropped)
    return found
