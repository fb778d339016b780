"""The PostgreSQL back end, reached through DuckDB's postgres extension.

Compiled reads and writes are rendered in the ``postgres`` dialect and sent natively
(``postgres_query`` / ``postgres_execute``) so Postgres uses its indexes; bulk inserts
and the SQL shell go through the attached tables, where DuckDB streams Arrow with COPY.
Values in native SQL are rendered as literals by sqlglot, never pasted by hand.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from .._lazy import exp
from ..compiler import Compiled, Target
from ..ddl import ALTER_INDEXED, logical_type
from ..errors import CatalogError, ConflictError
from ..extensions import NO_DOWNLOADS, load_extension
from ..literals import render_literal
from .base import Backend
from .base import redact as _redact

ALIAS = "lakecat_pg"


def pg_query(sql: str) -> str:
    """DuckDB SQL running ``sql`` natively on the attached Postgres catalog, for rows.

    The statement goes in as a rendered string literal, not a bound parameter: DuckDB's
    Python client imports pandas (~0.5 s) the first time it binds one (decisions §5).

    Examples:
        >>> pg_query("SELECT 1")
        "SELECT * FROM postgres_query('lakecat_pg', 'SELECT 1')"
    """
    return f"SELECT * FROM postgres_query('{ALIAS}', {_string(sql)})"


def pg_execute(sql: str) -> str:
    """DuckDB SQL running ``sql`` natively on the attached Postgres catalog (no rows)."""
    return f"CALL postgres_execute('{ALIAS}', {_string(sql)})"


def _string(text: str) -> str:
    return render_literal(text, "duckdb")


_SAFE_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def session_url(url: str) -> str:
    """``url`` with Postgres's JIT compiler turned off for lakecat's sessions.

    A catalog runs short indexed statements; JIT compiles any plan that *looks* costly
    and took 3.1 of the 15 s of a search over 1e7 labels (decisions §21). A URL that
    sets ``options`` itself is left as it is.

    Examples:
        >>> session_url("postgresql://u:p@h:5432/db")
        'postgresql://u:p@h:5432/db?options=-c%20jit%3Doff'
        >>> session_url("postgresql://h/db?sslmode=disable")
        'postgresql://h/db?sslmode=disable&options=-c%20jit%3Doff'
        >>> session_url("host=h dbname=db")
        "host=h dbname=db options='-c jit=off'"
    """
    if "options=" in url:
        return url
    if url.startswith(("postgresql://", "postgres://")):
        return url + ("&" if "?" in url else "?") + "options=-c%20jit%3Doff"
    return url + " options='-c jit=off'"


class PostgresBackend(Backend):
    """A catalog whose tables live in one schema of a PostgreSQL database."""

    name = "postgres"
    #: ``roles``: collaborators are Postgres roles with GRANTs on the schema.
    capabilities = frozenset(
        {
            "partial_indexes",
            "advisory_locks",
            "pattern_indexes",
            "fk_indexes",
            "roles",
            ALTER_INDEXED,
        }  # fmt: skip
    )

    def __init__(self, url: str, *, schema: str = "public") -> None:
        super().__init__()
        if not _SAFE_SCHEMA.match(schema):
            raise CatalogError(f"Invalid Postgres schema name {schema!r}: use [a-z0-9_].")
        self.url = url
        self.schema = schema
        self.target = Target("postgres", db=schema)
        self.duck_target = Target("duckdb", catalog=ALIAS, db=schema)
        self._rlock = threading.RLock()
        self._con = None
        self._indexes: frozenset[str] | None = None

    def _connect(self):
        import duckdb

        con = duckdb.connect(config=dict(NO_DOWNLOADS))
        con.execute("SET TimeZone = 'UTC'")
        load_extension(con, "postgres")
        try:
            url = _string(session_url(self.url))
            con.execute(f"ATTACH {url} AS {ALIAS} (TYPE postgres)")
        except duckdb.Error as err:
            con.close()
            detail = _redact(" ".join(str(err).split()))
            raise CatalogError(
                f"Cannot reach the Postgres catalog at {_redact(self.url)}: {detail} "
                f"Start the server, or fix the URL (postgresql://user:password@host:port/db)."
            ) from None
        return con

    @contextmanager
    def attachable(self, alias: str) -> Iterator:
        """``attach(con)`` that makes this catalog's tables ``alias.<table>`` in another
        DuckDB connection, read-only: the schema is attached (as ``<alias>__pg``) and
        every table gets a view in an in-memory catalog ``alias`` (the instance name is
        also the Postgres schema's, which a plain ATTACH would make ambiguous).
        The views are read-only: DuckDB cannot write through them."""
        url = exp.Literal.string(session_url(self.url)).sql("duckdb")  # JIT off here too
        hidden = exp.to_identifier(f"{alias}__pg", quoted=True).sql("duckdb")
        name = exp.to_identifier(alias, quoted=True).sql("duckdb")
        schema = exp.to_identifier(self.schema, quoted=True).sql("duckdb")
        only = exp.Literal.string(self.schema).sql("duckdb")
        tables = sorted(self.table_names())

        def attach(con) -> None:
            import duckdb

            load_extension(con, "postgres")
            try:
                con.execute(f"ATTACH {url} AS {hidden} (TYPE postgres, READ_ONLY, SCHEMA {only})")
            except duckdb.Error as err:
                detail = _redact(" ".join(str(err).split()))
                raise CatalogError(f"Cannot attach the Postgres catalog {_redact(self.url)}: "
                                   f"{detail}") from None  # fmt: skip
            con.execute(f"ATTACH ':memory:' AS {name}")  # a catalog: found whatever is USEd
            for table in tables:
                quoted = exp.to_identifier(table, quoted=True).sql("duckdb")
                con.execute(f"CREATE VIEW {name}.main.{quoted} AS "
                            f"SELECT * FROM {hidden}.{schema}.{quoted}")  # fmt: skip

        yield attach

    @contextmanager
    def session(self) -> Iterator:
        with self._rlock:
            if self._con is None:
                self._con = self._connect()
            yield self._con

    def _abandon(self) -> None:
        self.close()

    def close(self) -> None:
        with self._rlock:
            if self._con is not None:
                self._con.close()
                self._con = None

    def _run(self, con, compiled: Compiled):
        sql = compiled.inline()
        if compiled.sql.lstrip().upper().startswith(("SELECT", "WITH")):
            return con.execute(pg_query(sql))
        return con.execute(pg_execute(sql))

    def native(self, sql: str) -> None:
        """Send one statement (already rendered for Postgres) through ``postgres_execute``."""
        with self.session() as con:
            con.execute(pg_execute(sql))

    def lock_table(self, table: str) -> None:
        """Take ``schema.table``'s advisory lock for this transaction, or raise.

        The postgres extension runs transactions at REPEATABLE READ, whose snapshot is
        taken by the first statement: waiting for the lock inside the transaction would
        leave it reading what was true before the previous holder committed. So the lock
        is only *tried*; a writer that does not get it raises ConflictError, and the write
        path waits outside any transaction (``wait_for_turn``) and starts again.
        """
        if not self._tx_depth:
            raise CatalogError("lock_table() needs an open transaction.")
        if table in self._locked:  # held until this transaction ends
            return
        sql = f"SELECT pg_try_advisory_xact_lock(hashtext({self._lock_key(table)})) AS got"
        with self.session() as con:
            got = con.execute(pg_query(sql)).fetchall()
        if not got[0][0]:
            raise ConflictError(f"Another writer is adding versions to {table}.", table=table)
        self._locked.add(table)

    def wait_for_turn(self, table: str | None) -> None:
        """Block until the current holder of ``table``'s lock commits (one statement, so
        the lock and its release run on the same connection)."""
        if table is None or self._tx_depth:
            return
        key = f"hashtext({self._lock_key(table)})"
        sql = f"SELECT pg_advisory_unlock({key}) AS done FROM (SELECT pg_advisory_lock({key})) AS l"
        with self.session() as con:
            con.execute(pg_query(sql)).fetchall()

    def prepare(self) -> None:
        """Search ranks by Levenshtein distance (``fuzzystrmatch``) and finds its candidates
        through trigram indexes (``pg_trgm``): both must exist. Both are trusted extensions,
        so the owner of the database may create them."""
        for name in ("fuzzystrmatch", "pg_trgm"):
            try:
                self.native(f"CREATE EXTENSION IF NOT EXISTS {name} SCHEMA public")
            except Exception as err:  # noqa: BLE001 - any refusal: say what to run
                detail = " ".join(str(err).split())[:300]
                raise CatalogError(
                    f"The Postgres extension {name} is missing and this role cannot create "
                    f"it ({detail}). Ask an administrator to run, in this database: "
                    f"CREATE EXTENSION IF NOT EXISTS {name} SCHEMA public;"
                ) from None

    def session_setup(self) -> list[str]:
        return [f'USE {ALIAS}."{self.schema}"']

    def shell_args(self) -> list[str]:
        url = exp.Literal.string(self.url).sql("duckdb")
        setup = f'ATTACH {url} AS lakecat (TYPE postgres); USE lakecat."{self.schema}";'
        return ["duckdb", "-cmd", setup]

    def _lock_key(self, table: str) -> str:
        return render_literal(f"lakecat:{self.schema}.{table}", "postgres")

    def _reserve(self, table: str, n: int) -> list[int]:
        sql = f"SELECT nextval('{self.schema}.{table}_id_seq') AS id FROM generate_series(1, {n})"
        rows = self.run(lambda con: con.execute(pg_query(sql)).fetchall())
        return [r[0] for r in rows]

    def run_script(self, statements: list[str]) -> None:
        prefix = f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"; SET search_path TO "{self.schema}";'
        self.native(prefix + ";\n".join(statements) + "; SET search_path TO DEFAULT")

    def table_names(self) -> set[str]:
        sql = (
            f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{self.schema}'"
        )
        with self.session() as con:
            rows = con.execute(pg_query(sql)).fetchall()
        return {r[0] for r in rows}

    def columns(self) -> dict[str, set[str]]:
        sql = (
            f"SELECT table_name, column_name FROM information_schema.columns "
            f"WHERE table_schema = '{self.schema}'"
        )
        with self.session() as con:
            rows = con.execute(pg_query(sql)).fetchall()
        found: dict[str, set[str]] = {}
        for table, column in rows:
            found.setdefault(table, set()).add(column)
        return found

    def column_types(self) -> dict[str, dict[str, str | None]]:
        sql = (
            f"SELECT table_name, column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema = '{self.schema}'"
        )
        with self.session() as con:
            rows = con.execute(pg_query(sql)).fetchall()
        found: dict[str, dict[str, str | None]] = {}
        for table, column, kind in rows:
            found.setdefault(table, {})[column] = logical_type(kind)
        return found

    def index_names(self) -> frozenset[str]:
        """The names of this schema's indexes (read once; :meth:`refresh` forgets them)."""
        if self._indexes is None:
            sql = f"SELECT indexname FROM pg_indexes WHERE schemaname = '{self.schema}'"
            with self.session() as con:
                self._indexes = frozenset(r[0] for r in con.execute(pg_query(sql)).fetchall())
        return self._indexes

    def refresh(self) -> None:
        """Forget DuckDB's cached view of the Postgres tables (after DDL)."""
        self._indexes = None
        with self.session() as con:
            con.execute("CALL pg_clear_cache()")

    def describe(self) -> dict[str, str]:
        return {"backend": "postgres", "catalog": f"{_redact(self.url)} schema {self.schema}"}
