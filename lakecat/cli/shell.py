"""SQL access to the catalog: one statement from Python/CLI, or the DuckDB shell."""

from __future__ import annotations

from typing import Any

READ_ONLY = {"SELECT", "EXPLAIN", "PRAGMA"}


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

    from ..errors import ValidationError

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


def run_statement(instance: Any, statement: str, *, write: bool = False):
    """Run one SQL statement on the catalog through DuckDB; returns a pyarrow Table."""
    import duckdb

    from catalog_sql.errors import CatalogError

    check_statement(statement, write=write)
    backend = instance.backend
    backend.touch()  # the statement may write

    def run(con):
        for setup in backend.session_setup():
            con.execute(setup)
        _load_for_views(con)
        try:
            result = con.execute(statement)
        except duckdb.Error as err:
            raise CatalogError(f"SQL error: {' '.join(str(err).split())}") from None
        if result.description is None:
            import pyarrow as pa

            return pa.table({"ok": [True]})
        return result.to_arrow_table()

    return backend.write(run) if write else backend.run(run, idempotent=True)


def _load_for_views(con) -> None:
    """Dataset views read Delta tables: make sure the extension is loaded."""
    from catalog_sql.extensions import load_extension

    load_extension(con, "delta")


def shell_command(instance: Any) -> list[str]:
    """The ``duckdb`` command line that opens this instance's catalog."""
    return instance.backend.shell_args()
