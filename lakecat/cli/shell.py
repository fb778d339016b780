"""SQL access to the catalog: one statement from Python/CLI, or the DuckDB shell."""

from __future__ import annotations

from typing import Any

from catalog_sql.mesh import check_statement

__all__ = ["check_statement", "run_statement", "shell_command"]


def run_statement(instance: Any, statement: str, *, write: bool = False):
    """Run one SQL statement on the catalog through DuckDB; returns a pyarrow Table."""
    from catalog_sql.mesh import run

    check_statement(statement, write=write)
    backend = instance.backend
    backend.touch()  # the statement may write

    def session(con):
        for setup in backend.session_setup():
            con.execute(setup)
        _load_for_views(con)
        result = run(con, statement)
        if write and backend.target.dialect == "duckdb":
            # the statement may have changed searched text without updated_at: the search
            # indexes (a snapshot, see catalog_sql.search_index) are set aside until rebuilt
            from catalog_sql.search_index import forget_all

            from ..core.search import forget_index_states

            con.execute(forget_all())
            forget_index_states(instance)
        return result

    return backend.write(session) if write else backend.run(session, idempotent=True)


def _load_for_views(con) -> None:
    """Dataset views read Delta tables: make sure the extension is loaded."""
    from catalog_sql.extensions import load_extension

    load_extension(con, "delta")


def shell_command(instance: Any) -> list[str]:
    """The ``duckdb`` command line that opens this instance's catalog."""
    return instance.backend.shell_args()
