"""SQL access to the catalog: one statement from Python/CLI, or the DuckDB shell."""

from __future__ import annotations

from typing import Any

from sqlglot import exp


def run_statement(instance: Any, statement: str):
    """Run one SQL statement on the catalog through DuckDB; returns a pyarrow Table."""
    import duckdb

    from catalog_sql.errors import CatalogError

    backend = instance.backend
    backend.touch()  # the statement may write
    with backend.session() as con:
        if backend.name == "postgres":
            con.execute(f"USE {backend.duck_target.catalog}.{backend.schema}")
        _load_for_views(con)
        try:
            result = con.execute(statement)
        except duckdb.Error as err:
            raise CatalogError(f"SQL error: {' '.join(str(err).split())}") from None
        if result.description is None:
            import pyarrow as pa

            return pa.table({"ok": [True]})
        return result.to_arrow_table()


def _load_for_views(con) -> None:
    """Dataset views read Delta tables: make sure the extension is loaded."""
    from catalog_sql.extensions import load_extension

    load_extension(con, "delta")


def shell_command(instance: Any) -> list[str]:
    """The ``duckdb`` command line that opens this instance's catalog."""
    backend = instance.backend
    if backend.name == "duckdb":
        return ["duckdb", str(backend.path)]
    url = exp.Literal.string(backend.url).sql("duckdb")
    setup = f"ATTACH {url} AS lakecat (TYPE postgres); USE lakecat.{backend.schema};"
    return ["duckdb", "-cmd", setup]
