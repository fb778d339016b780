"""DDL for registries described by table models: what a schema module's migration holds.

Core migrations are written by hand; a schema module's (``lakecat.bio``, a user's
plug-in) are written by :func:`plan`, which compares the tables a module declares with
the tables the catalog has and returns the statements that bring the catalog there.
Statements are PostgreSQL syntax, like every migration file, and rendered per dialect
by sqlglot when applied (see :mod:`catalog_sql.migrations`).

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

from collections.abc import Iterable
from dataclasses import dataclass, field

from .errors import SchemaVersionError
from .model import Column, TableModel

#: How each logical type is stored (PostgreSQL names; sqlglot renders DuckDB's).
SQL_TYPES = {
    "str": "VARCHAR", "int": "BIGINT", "float": "DOUBLE PRECISION", "bool": "BOOLEAN",
    "datetime": "TIMESTAMPTZ", "date": "DATE", "json": "JSON",
}  # fmt: skip


@dataclass(frozen=True)
class LinkTable:
    """A many-to-many link table: two id columns (its key) and optional extra columns."""

    name: str
    source: str
    target: str
    extra: tuple[tuple[str, str], ...] = field(default=())


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


def create_table(table: TableModel) -> list[str]:
    """``CREATE SEQUENCE`` + ``CREATE TABLE`` (+ indexes) for a registry table."""
    body = ",\n".join(f"    {_column_sql(c, table.name)}" for c in table.columns.values())
    statements = [
        f"CREATE SEQUENCE {_quote(table.name + '_id_seq')};",
        f"CREATE TABLE {_quote(table.name)} (\n{body}\n);",
    ]
    statements += [_index(table.name, c) for c in table.columns.values() if _indexed(c)]
    return statements


def _indexed(column: Column) -> bool:
    return column.index and not column.unique and column.name != "id"


def _index(table: str, column: Column) -> str:
    return f"CREATE INDEX {_quote(f'{table}_{column.name}')} ON {_quote(table)} ({column.name});"


def create_link(link: LinkTable) -> str:
    """``CREATE TABLE`` for a link table, keyed by its two id columns."""
    lines = [f"    {link.source} BIGINT NOT NULL", f"    {link.target} BIGINT NOT NULL"]
    lines += [f"    {name} {SQL_TYPES[kind]}" for name, kind in link.extra]
    lines.append(f"    PRIMARY KEY ({link.source}, {link.target})")
    return f"CREATE TABLE {_quote(link.name)} (\n" + ",\n".join(lines) + "\n);"


def add_column(table: str, column: Column) -> list[str]:
    """``ALTER TABLE … ADD COLUMN`` (a new column must allow NULL: rows exist)."""
    if not column.nullable:
        raise SchemaVersionError(
            f"New column {table}.{column.name} is NOT NULL, but the table may have rows: "
            f"declare it with null=True (or give it a value in a data migration)."
        )
    kind = SQL_TYPES[column.type]
    statements = [f"ALTER TABLE {_quote(table)} ADD COLUMN {column.name} {kind};"]
    if column.unique:
        name = _quote(f"{table}_{column.name}_key")
        statements.append(f"CREATE UNIQUE INDEX {name} ON {_quote(table)} ({column.name});")
    elif _indexed(column):
        statements.append(_index(table, column))
    return statements


def plan(
    tables: Iterable[TableModel],
    links: Iterable[LinkTable],
    existing: dict[str, set[str]],
    *,
    drop: bool = False,
) -> list[str]:
    """The statements that create what is missing: tables, link tables, columns.

    Args:
        tables: the registry tables a module declares.
        links: its link tables.
        existing: the catalog's tables and their columns (``{table: {column, …}}``).
        drop: also drop columns the catalog has and the module no longer declares
            (destructive: refused unless asked).
    """
    statements: list[str] = []
    for table in tables:
        have = existing.get(table.name)
        if have is None:
            statements += create_table(table)
            continue
        for column in table.columns.values():
            if column.name not in have:
                statements += add_column(table.name, column)
        gone = sorted(have - set(table.columns))
        if gone and not drop:
            raise SchemaVersionError(
                f"{table.name} has column(s) {', '.join(gone)} that the module no longer "
                f"declares. Dropping them deletes data: pass drop=True (lakecat migrate "
                f"create --drop) if that is what you want, or declare them again."
            )
        statements += [f"ALTER TABLE {_quote(table.name)} DROP COLUMN {c};" for c in gone]
    for link in links:
        if link.name not in existing:
            statements.append(create_link(link))
    return statements
