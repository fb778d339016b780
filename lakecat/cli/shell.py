"""SQL access to the catalog: one statement from Python/CLI, or the DuckDB shell."""

from __future__ import annotations

from typing import Any

from catalog_sql.mesh import check_statement

__all__ = ["check_statement", "run_statement", "shell_command"]


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
