"""Queries across catalogs: one in-memory DuckDB with several catalogs attached
read-only, each under its own name (``lab_a.file JOIN lab_b.file``).

Embedded catalogs lend their file for the block (the backend lets it go and holds the
turn lock); Postgres catalogs are attached through DuckDB's postgres extension with the
instance's schema. The statement is DuckDB SQL and runs at DuckDB's own speed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from .errors import CatalogError
from .extensions import NO_DOWNLOADS

READ_ONLY = {"SELECT", "EXPLAIN", "PRAGMA"}


def is_unicode(text: str) -> bool:
    """Whether ``text`` can be encoded (DuckDB refuses lone surrogates with a TypeError).

    Examples:
        >>> is_unicode("SELECT 1"), is_unicode(chr(0xD800))
        (True, False)
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_statement(statement: str, *, write: bool) -> None:
    """One statement, and a read-only one unless ``write`` (DuckDB's parser decides).

    Examples:
        >>> check_statement("SELECT 1", write=False)
        >>> check_statement("SELECT 1; DELETE FROM ulabel", write=True)
        Traceback (most recent call last):
        ...
        catalog_sql.errors.ValidationError: lakecat sql runs one statement at a time; got 2 (SELECT, DELETE). Run them one by one.
    """  # noqa: E501
    import duckdb

    from .errors import ValidationError

    if not is_unicode(statement):
        raise ValidationError("SQL text must be valid Unicode (it has a lone surrogate).")
    try:
        kinds = [st.type.name for st in duckdb.extract_statements(statement)]
    except duckdb.Error as err:
        raise ValidationError(f"SQL error: {' '.join(str(err).split())}") from None
    if len(kinds) != 1:
        raise ValidationError(
            f"lakecat sql runs one statement at a time; got {len(kinds)} "
            f"({', '.join(kinds) or 'none'}). Run them one by one."
        )
    if not write and kinds[0] not in READ_ONLY:
        raise ValidationError(
            f"{kinds[0]} changes the catalog; lakecat sql is read-only unless you pass "
            f"--write (prefer lakecat's own commands, which keep versions and links intact)."
        )


@contextmanager
def attached(catalogs: list[tuple[str, Any]], default: str | None = None) -> Iterator[Any]:
    """A DuckDB connection with every ``(alias, backend)`` attached read-only; unqualified
    tables resolve in ``default`` (an alias)."""
    import duckdb
    from sqlglot import exp

    with ExitStack() as stack:
        con = duckdb.connect(config=dict(NO_DOWNLOADS))
        try:
            con.execute("SET TimeZone = 'UTC'")
            # catalogs are lent in one global order (their paths/URLs), so two processes
            # attaching the same two instances never wait for each other crosswise
            lent = sorted(catalogs, key=lambda item: str(getattr(item[1], "path", None) or
                                                         getattr(item[1], "url", "")))  # fmt: skip
            attaches = {alias: stack.enter_context(backend.attachable(alias))
                        for alias, backend in lent}  # fmt: skip
            for alias, _ in catalogs:
                attaches[alias](con)
            if default is not None:
                con.execute(f"USE {exp.to_identifier(default, quoted=True).sql('duckdb')}")
            yield con
        finally:
            con.close()  # the files are let go before the catalogs are handed back


def run(con: Any, statement: str):
    """One statement on an :func:`attached` connection, as a pyarrow Table."""
    import duckdb

    try:
        result = con.execute(statement)
    except duckdb.Error as err:
        raise CatalogError(f"SQL error: {' '.join(str(err).split())}") from None
    if result.description is None:
        import pyarrow as pa

        return pa.table({"ok": [True]})
    return result.to_arrow_table()


def qualifiers(statement: str) -> set[str]:
    """The catalog or schema names a statement qualifies its tables with.

    Examples:
        >>> sorted(qualifiers("SELECT * FROM lab_a.file JOIN lab_b.main.file USING (hash)"))
        ['lab_a', 'lab_b']
        >>> qualifiers("SELECT 1")
        set()
    """
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(statement, read="duckdb")
    except sqlglot.errors.SqlglotError:  # DuckDB's parser judges the statement itself
        return set()
    found = set()
    for table in tree.find_all(exp.Table):
        name = table.catalog or table.db
        if name:
            found.add(name.lower())  # DuckDB identifiers are case-insensitive
    return found
