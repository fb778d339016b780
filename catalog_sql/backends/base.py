"""What every catalog back end provides.

Back ends differ by a few attributes (dialect, how tables are named, how a native
statement is sent) and small overrides; nothing else branches on the back end.
"""

from __future__ import annotations

import os
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..compiler import Compiled, Target

BATCH = "_lakecat_batch"
POOL = 32


#: How RE2 (DuckDB) and Postgres say that a regular expression is not theirs.
_REGEX_ERRORS = (
    "invalid perl operator", "invalid repetition size", "invalid escape sequence",
    "missing argument to repetition", "bad repetition operator", "invalid named capture",
    "invalid character class", "invalid regular expression", "missing ): ", "missing ]: ",
)  # fmt: skip


#: How a lost or refused connection to the catalog database reads.
_UNREACHABLE = (
    "Unable to connect to Postgres", "server closed the connection unexpectedly",
    "terminating connection due to administrator command", "could not receive data from server",
    "no connection to the server", "connection to server at",
)  # fmt: skip


def redact(text: str) -> str:
    """Hide passwords of connection URLs inside ``text``.

    Examples:
        >>> redact("postgresql://me:secret@localhost:5432/db")
        'postgresql://me:***@localhost:5432/db'
    """
    return re.sub(r"(://[^:/@\s]+):[^@\s]*@", r"\1:***@", text)


def translate(err: Exception) -> Exception:
    """The lakecat error for a database error (message kept, on one line)."""
    from ..errors import (
        CatalogError,
        ConflictError,
        DiskFullError,
        DuplicateError,
        IntegrityError,
        ReadOnlyError,
        ValidationError,
    )

    text = redact(" ".join(str(err).split()))
    if any(word in text for word in _UNREACHABLE):
        return CatalogError(
            f"The catalog database cannot be reached ({text[:300]}). Nothing of this operation "
            f"was written; start the server or check the URL, then retry."
        )
    if any(word in text for word in _REGEX_ERRORS):
        return ValidationError(
            f"The database cannot use this regular expression ({text}). DuckDB uses RE2 "
            f"syntax: no look-around, no back-references."
        )
    if "Duplicate key" in text or "duplicate key" in text or "violates unique" in text:
        return DuplicateError(f"A record with the same unique value exists: {text}")
    if "could not serialize access" in text or "deadlock detected" in text:
        return ConflictError(f"Another writer changed the same records; retry: {text}")
    if "No space left on device" in text or "could not extend file" in text:
        return DiskFullError(
            f"The catalog could not write: the disk is full. Free space and retry; nothing "
            f"of this write was saved. ({text})"
        )
    if "read-only mode" in text:
        return ReadOnlyError(
            f"The catalog is read-only for this process, and this operation writes: {text}"
        )
    if "permission denied" in text:
        return ReadOnlyError(
            f"The database role this process connects with is not allowed to do this "
            f"({text}). A read-only role (a 'read' collaborator) "
            f"can only read: the instance's owner grants more (lakecat collaborator add)."
        )
    if "NOT NULL constraint" in text or "null value in column" in text:
        return IntegrityError(f"A required field is missing: {text}")
    return CatalogError(f"The catalog rejected the statement: {text}")


@contextmanager
def translated() -> Iterator[None]:
    """Raise database errors as lakecat's typed errors."""
    import duckdb

    try:
        yield
    except duckdb.Error as err:
        raise translate(err) from err


class Backend(ABC):
    """A connection to one catalog database, shared by one process."""

    name: str = ""
    #: Dialect in which compiled statements are rendered and sent natively.
    target: Target
    #: How the same tables are named from inside DuckDB (shell, joins, bulk inserts).
    duck_target: Target

    #: Whether this connection can only read (known up front; a SELECT-only Postgres role
    #: is found out at its first write, as a ReadOnlyError).
    read_only = False
    #: What the database can do beyond the portable DDL (migrations skip statements
    #: marked ``-- requires: <capability>`` that the back end lacks).
    capabilities: frozenset[str] = frozenset()

    def __init__(self) -> None:
        self._tx_depth = 0
        self._tx_lock = threading.RLock()
        #: Tables whose version lock this transaction holds (taken once per transaction).
        self._locked: set[str] = set()
        #: Ids reserved ahead for records whose id order means nothing (table → ids).
        self._pools: dict[str, list[int]] = {}
        self._pool_pid = os.getpid()
        self.epoch = 0

    def touch(self) -> None:
        """Note a write: caches keyed by ``epoch`` become stale."""
        self.epoch += 1

    # -- connection ------------------------------------------------------------
    @abstractmethod
    @contextmanager
    def session(self) -> Iterator[Any]:
        """Hold the DuckDB connection for the duration of one operation."""

    @abstractmethod
    def close(self) -> None:
        """Release every resource this back end holds."""

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """One transaction; nested calls join the outermost one."""
        with self._tx_lock, self.session() as con:
            if self._tx_depth:
                self._tx_depth += 1
                try:
                    yield con
                finally:
                    self._tx_depth -= 1
                return
            self._begin(con)
            self._locked.clear()
            self.touch()
            self._tx_depth = 1
            try:
                yield con
            except BaseException:
                self._tx_depth = 0
                try:
                    self._rollback(con)
                except Exception:  # noqa: BLE001 - the first error is the one to report
                    self._abandon()  # a connection whose transaction state is unknown
                raise
            self._tx_depth = 0
            self._commit(con)

    def _begin(self, con) -> None:
        con.execute("BEGIN TRANSACTION")

    def _rollback(self, con) -> None:
        con.execute("ROLLBACK")

    def _abandon(self) -> None:  # noqa: B027 - deliberately a no-op by default
        """Forget a connection that failed to roll back (the next use opens a new one)."""
        return None

    def _commit(self, con) -> None:
        """COMMIT, refusing to pass a silent rollback off as a commit.

        DuckDB answers COMMIT on a transaction that an error (caught by someone) aborted
        by rolling back without a word; a probe statement first makes that an error.
        """
        import duckdb

        try:
            con.execute("SELECT 1").fetchall()
        except duckdb.Error as err:
            con.execute("ROLLBACK")
            from ..errors import CatalogError

            raise CatalogError(
                f"A statement inside this transaction failed, so nothing of it was written "
                f"({' '.join(str(err).split())[:300]}). Fix the cause and retry."
            ) from err
        con.execute("COMMIT")

    # -- statements --------------------------------------------------------------
    @abstractmethod
    def _run(self, con, compiled: Compiled):
        """Run ``compiled`` natively and return the DuckDB result."""

    def run(self, fn, *, idempotent: bool = False):
        """``fn(connection)`` in one session (the embedded back end sends it again to the
        next holder when the process serving the catalog let go; see DuckDBBackend)."""
        with self.session() as con, translated():
            return fn(con)

    def write(self, fn):
        """``fn(connection)`` inside a transaction of its own (joining the caller's if one
        is open), so writers take turns (see DuckDBBackend)."""
        with self.transaction():
            return self.run(fn)

    def fetch(self, compiled: Compiled) -> tuple[list[str], list[tuple]]:
        """Column names and rows of a compiled SELECT."""

        def rows(con):
            result = self._run(con, compiled)
            return [d[0] for d in result.description], result.fetchall()

        return self.run(rows, idempotent=True)

    def fetch_arrow(self, compiled: Compiled):
        """A compiled SELECT as a ``pyarrow.Table``."""
        return self.run(lambda con: self._run(con, compiled).to_arrow_table(), idempotent=True)

    def execute(self, compiled: Compiled) -> None:
        """Run a compiled write statement."""
        self.touch()
        self.run(lambda con: self._run(con, compiled))

    def duck_sql(self, sql: str, params: Any = None, **frames: Any):
        """Run DuckDB-dialect ``sql`` with Arrow tables registered under the given names."""

        def query(con):
            for name, frame in frames.items():
                con.register(name, frame)
            try:
                return con.execute(sql, params).to_arrow_table()
            finally:
                for name in frames:
                    con.unregister(name)

        return self.run(query)

    def insert_arrow(self, table: str, data) -> None:
        """Insert every row of a ``pyarrow.Table`` into ``table`` (columns by name)."""
        from sqlglot import exp

        cols = [exp.to_identifier(c, quoted=True) for c in data.column_names]
        insert = exp.insert(
            exp.select(*cols).from_(exp.to_identifier(BATCH, quoted=True)),
            exp.Schema(this=self.duck_target.table(table), expressions=cols),
        )
        self.touch()

        def insert_batch(con):
            con.register(BATCH, data)
            try:
                con.execute(insert.sql("duckdb"))
            finally:
                con.unregister(BATCH)

        self.run(insert_batch)

    def checkpoint(self) -> None:  # noqa: B027 - deliberately a no-op by default
        """Make committed changes durable in the main database file (DuckDB: the WAL)."""
        return None

    def refresh(self) -> None:  # noqa: B027 - deliberately a no-op by default
        """Forget any cached view of the catalog's tables (after DDL; Postgres: DuckDB's
        cache of the attached schema)."""
        return None

    def column_types(self) -> dict[str, dict[str, str | None]]:
        """Every catalog table with its columns and their logical types
        (:func:`catalog_sql.ddl.logical_type`; None where unknown)."""
        return {table: dict.fromkeys(columns) for table, columns in self.columns().items()}

    def lock_table(self, table: str) -> None:
        """Make writers of ``table``'s version families take turns until the transaction
        ends, or raise :class:`ConflictError` when another writer has the turn. The
        embedded catalog admits one writing process at a time already."""
        return None  # noqa: B027 - deliberately a no-op by default

    def prepare(self) -> None:
        """Set up what migrations rely on; ``migrate`` calls it before applying any
        (Postgres: the ``fuzzystrmatch`` and ``pg_trgm`` extensions)."""
        return None  # noqa: B027 - deliberately a no-op by default

    def session_setup(self) -> list[str]:
        """DuckDB statements that make the catalog's tables the default ones in a DuckDB
        session (for user SQL: ``lakecat sql``)."""
        return []

    def shell_args(self) -> list[str]:
        """The ``duckdb`` command line that opens this catalog in the DuckDB shell."""
        raise NotImplementedError

    def attachable(self, alias: str):
        """A context manager giving ``attach(con)``: ATTACH this catalog read-only to
        another DuckDB connection as ``alias`` for the block (see catalog_sql.mesh)."""
        raise NotImplementedError

    def wait_for_turn(self, table: str | None) -> None:
        """Outside any transaction: wait until the writer holding ``table``'s turn is done."""
        return None  # noqa: B027 - deliberately a no-op by default

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open in this process."""
        return self._tx_depth > 0

    def reserve_ids(self, table: str, n: int, *, pooled: bool = False) -> list[int]:
        """Take ``n`` new ids from the table's sequence. ``pooled`` (one id, for records
        whose id order means nothing): from a pool this process reserves 32 at a time, as
        a Postgres sequence with ``CACHE 32`` would (ids of several processes interleave)."""
        if not (pooled and n == 1):
            return self._reserve(table, n)
        return [self._pool(table).pop()]

    def next_pooled_id(self, table: str) -> int:
        """The id the next ``reserve_ids(table, 1, pooled=True)`` gives (reserving a pool
        if there is none): how many rows the table has had, for free."""
        return self._pool(table)[-1]

    def _pool(self, table: str) -> list[int]:
        if self._pool_pid != os.getpid():  # a forked child: the parent owns those ids
            self._pools, self._pool_pid = {}, os.getpid()
        pool = self._pools.setdefault(table, [])
        if not pool:
            pool.extend(reversed(self._reserve(table, POOL)))
        return pool

    @abstractmethod
    def _reserve(self, table: str, n: int) -> list[int]:
        """Take ``n`` new ids from the table's sequence."""

    @abstractmethod
    def run_script(self, statements: list[str]) -> None:
        """Run DDL statements (already rendered for this back end's dialect)."""

    @abstractmethod
    def columns(self) -> dict[str, set[str]]:
        """Every catalog table with its column names."""

    @abstractmethod
    def table_names(self) -> set[str]:
        """Names of the tables in the catalog."""

    def describe(self) -> dict[str, str]:
        """A short description for ``lakecat info``."""
        return {"backend": self.name}
