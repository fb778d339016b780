"""The embedded back end: one DuckDB file, shared between processes by taking turns."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .. import sharing
from ..compiler import Compiled, Target
from ..ddl import logical_type
from ..errors import CatalogError, CatalogLockedError, ConflictError
from ..extensions import NO_DOWNLOADS
from ..locking import FileTurnLock
from .base import Backend, translated

logger = logging.getLogger("lakecat")
_BACKENDS: weakref.WeakSet = weakref.WeakSet()
#: Connections a forked child inherited: kept referenced so that their destructor never
#: runs (closing would checkpoint a file the parent still holds).
_INHERITED: list = []


class HolderLost(ConflictError):
    """The process serving the catalog let it go (``safe``: before running the request)
    or died; retried where that is safe (see :meth:`DuckDBBackend.run`)."""

    def __init__(self, message: str, *, safe: bool) -> None:
        super().__init__(message)
        self.safe = safe


class DuckDBBackend(Backend):
    """A catalog in one ``.duckdb`` file.

    The connection is opened on first use and kept while the process is busy; the
    process holding it serves other lakecat processes of the same user over a Unix
    socket (``share``, see :mod:`catalog_sql.sharing`), who then run their statements in
    it instead of waiting for the file. It is closed (letting other programs in) when
    nobody used it for ``idle_release`` seconds, or, when a process that cannot be
    served waits, as soon as this one is idle (checked every 50 ms) or at the end of an
    operation once it has held the file for ``min_hold`` seconds.
    """

    name = "duckdb"
    #: Datasets are visible as views (``ds_<name>``) inside the catalog file itself.
    capabilities = frozenset({"catalog_views"})

    def __init__(
        self,
        path: str | Path,
        *,
        create: bool = False,
        lock_timeout: float = 60.0,
        idle_release: float = 2.0,
        min_hold: float = 0.05,
        share: bool = True,
        read_only: bool | None = None,
    ) -> None:
        super().__init__()
        self.path = Path(path)
        #: Open the file read-only (no lock files, no writes): asked for, or because the
        #: file or its folder cannot be written (read-only storage, another user's files).
        self.read_only = _unwritable(self.path) if read_only is None else read_only
        if not create and not self.path.exists():
            raise CatalogError(
                f"Catalog file {self.path} does not exist. Create the instance with "
                f"lakecat.init(...) / `lakecat init`, or connect to the right path."
            )
        self.target = Target("duckdb")
        self.duck_target = Target("duckdb")
        self.idle_release = idle_release
        self.min_hold = min_hold
        self._lock = FileTurnLock(self.path, timeout=lock_timeout)
        self._rlock = threading.RLock()
        self._con = None
        self._depth = 0
        self._opened_at = 0.0
        self._last_used = 0.0
        self._yielded = False
        self._closed = False
        self._reaper: threading.Thread | None = None
        self.share = share and sharing.supported()
        self._server: sharing.Server | None = None
        self._remote = False  # whether _con is a RemoteConnection to another holder
        self._turn = threading.Lock()  # write transactions, ours and our clients', in turn
        self._tx_con = None  # the connection the open transaction runs on
        self._lent = 0  # blocks this catalog is attached to a query across catalogs in
        self._lend_turn = False  # whether lending it took the turn lock
        _BACKENDS.add(self)
        atexit.register(self.close)

    @property
    def mode(self) -> str:
        """``holder`` (this process has the file open), ``client`` (another process
        holding it runs our statements) or ``closed``."""
        if self._con is None:
            return "closed"
        return "client" if self._remote else "holder"

    # -- holding and releasing the file ----------------------------------------------
    @contextmanager
    def session(self) -> Iterator:
        with self._rlock:
            if self._tx_depth and self._con is not self._tx_con:
                raise HolderLost(
                    f"The process holding the catalog {self.path} let it go during this "
                    f"transaction; nothing of it was written. Retry.",
                    safe=True,
                )
            if self._con is None:
                self._open()
            self._depth += 1
            try:
                with self._lost_holder():
                    yield self._con
            finally:
                self._depth -= 1
                self._last_used = time.monotonic()
                if self._depth == 0 and self._should_yield():
                    self._release(yielded=True)

    def _should_yield(self) -> bool:
        if self._remote or self.read_only:
            return False
        held = time.monotonic() - self._opened_at
        return held >= self.min_hold and self._lock.others_waiting()

    def _open(self) -> None:
        if self._closed:
            raise CatalogError(f"The connection to {self.path} was closed; connect again.")
        if self._lent:
            raise CatalogLockedError(
                f"The catalog {self.path} is attached read-only to a query across instances "
                f"(lc.attach / lc.sql) in this process; use it after that block ends."
            )
        if self._yielded:
            self._lock.let_others_in()
            self._yielded = False
        deadline = time.monotonic() + self._lock.timeout
        join = self._join if self.share and self.path.exists() else None
        if self.read_only:  # no lock files to write: DuckDB's own lock keeps writers out
            remote = join() if join else None
        else:
            remote = self._lock.acquire(deadline, alternative=join)
        if remote is not None:
            self._con, self._remote = remote, True
        else:
            try:
                self._con = self._connect(deadline)
            except BaseException:
                self._lock.release()
                raise
            if self.share and not self.read_only:
                self._server = sharing.Server.start(
                    self._con, self.path, self._turn, self._lock.timeout
                )
        self._opened_at = time.monotonic()
        self.touch()  # others may have written while we did not hold the file
        self._start_reaper()

    def _join(self):
        """A connection to the process holding the file, if it serves us."""
        return sharing.connect(self.path)

    def _connect(self, deadline: float):
        import duckdb

        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=self.read_only,
                                     config=dict(NO_DOWNLOADS))  # fmt: skip
                con.execute("SET TimeZone = 'UTC'")
                return con
            except duckdb.IOException as err:
                text = str(err)
                if "lock" in text.lower() and time.monotonic() < deadline:
                    time.sleep(0.01)
                    continue
                raise self._open_error(text) from None
            except duckdb.Error as err:
                if "Failure while replaying WAL" not in str(err) or self.read_only:
                    raise self._open_error(str(err)) from None
                self._set_wal_aside(str(err))

    def _set_wal_aside(self, text: str) -> None:
        """DuckDB 1.5 cannot replay some WAL records (an ALTER TABLE of a table whose
        columns default to ``nextval``, committed just before a crash): rather than a
        catalog that never opens again, move the WAL aside (kept, named in the warning)
        and open the file as of its last checkpoint. Migrations checkpoint right after
        their DDL, so what is set aside is at most the migration that was cut off, which
        is applied again."""
        wal = self.path.with_name(self.path.name + ".wal")
        aside = wal.with_name(f"{wal.name}.unreplayable-{time.strftime('%Y%m%dT%H%M%S')}")
        os.replace(wal, aside)
        logger.warning(
            "the catalog's write-ahead log could not be replayed (%s); it was moved to %s "
            "and the catalog opened as of its last checkpoint", " ".join(text.split())[:200],
            aside,
        )  # fmt: skip

    def _open_error(self, text: str) -> CatalogError:
        if "lock" in text.lower():
            return CatalogLockedError(
                f"The catalog {self.path} is open in another program (a DuckDB shell?). "
                f"Close it and retry. ({text})"
            )
        if "not a valid DuckDB database" in text:
            return CatalogError(
                f"The catalog file {self.path} is corrupt or not a DuckDB database. "
                f"Restore it from a backup, or create a new instance with lakecat.init()."
            )
        return CatalogError(f"Cannot open the catalog {self.path}: {text}")

    def _release(self, *, yielded: bool = False) -> None:
        self.touch()  # from now on another process may write: epoch-keyed caches end here
        if self._con is None:
            return
        remote = self._remote
        try:
            if self._server is not None:
                self._server.stop()
            self._con.close()
        finally:
            self._con, self._server, self._remote = None, None, False
            if not remote and not self.read_only:
                self._lock.release()
            self._yielded = yielded and not remote

    def _forget_after_fork(self) -> None:
        """In a forked child: the parent's connection, server and lock are not ours."""
        if self._con is not None:
            _INHERITED.append(self._con)
        self._con, self._server, self._remote, self._depth = None, None, False, 0
        self._tx_depth = 0
        self._rlock = threading.RLock()
        self._tx_lock = threading.RLock()
        self._turn = threading.Lock()
        self._reaper = None
        self._pools = {}  # the parent reserved these ids: never reuse them here
        self._lock.forget()

    def _start_reaper(self) -> None:
        if self._reaper is None or not self._reaper.is_alive():
            self._reaper = threading.Thread(target=self._reap, name="lakecat-idle", daemon=True)
            self._reaper.start()

    def _reap(self) -> None:
        """Close the connection once it is idle, so other processes can get in."""
        while True:
            time.sleep(min(self.idle_release, 0.05))
            if not self._rlock.acquire(blocking=False):
                continue
            try:
                if self._con is None:
                    return
                idle = time.monotonic() - self._last_used
                if self._server is not None:
                    idle = min(idle, self._server.idle_for)
                if self._depth or self._tx_depth:
                    continue
                waiting = not (self._remote or self.read_only) and self._lock.others_waiting()
                if idle >= self.idle_release or (idle >= 0.005 and waiting):
                    self._release(yielded=idle < self.idle_release)
                    return
            finally:
                self._rlock.release()

    def close(self) -> None:
        with self._rlock:
            self._release()
            self._closed = True

    # -- lending the file to a query across catalogs ---------------------------------
    @contextmanager
    def attachable(self, alias: str) -> Iterator:
        """``attach(con)`` that ATTACHes this catalog read-only to another DuckDB
        connection as ``alias``, for the block: this backend lets the file go and, where
        it may write lock files, holds the turn lock, so no lakecat process opens the file
        meanwhile (holders yield as to any waiter). Using this backend inside the block
        raises :class:`CatalogLockedError` instead of waiting for itself."""
        from sqlglot import exp

        with self._rlock:  # only while handing the file over: other threads then see _lent
            if not self._lent:
                if self._tx_depth:
                    raise CatalogError(f"{self.path} is in a transaction; attach it after it ends.")
                self._release()
                self._lend_turn = not _unwritable(self.path) and os.access(self.path.parent,
                                                                           os.W_OK)  # fmt: skip
                if self._lend_turn:
                    self._lock.acquire(time.monotonic() + self._lock.timeout)
            self._lent += 1  # nested blocks (lc.sql inside lc.attach) lend it once
        try:
            path = exp.Literal.string(str(self.path)).sql("duckdb")
            name = exp.to_identifier(alias, quoted=True).sql("duckdb")
            statement = f"ATTACH {path} AS {name} (READ_ONLY)"
            deadline = time.monotonic() + self._lock.timeout
            yield lambda con: _attach_when_free(con, statement, deadline)
        finally:
            with self._rlock:
                self._lent -= 1
                if not self._lent and self._lend_turn:
                    self._lock.release()

    # -- transactions: ours and our clients' take turns ----------------------------
    def _begin(self, con) -> None:
        if isinstance(con, sharing.RemoteConnection):
            con.begin(self._lock.timeout)
            self._tx_con = con
            return
        if not self._turn.acquire(timeout=self._lock.timeout):
            raise CatalogLockedError(
                f"Another process kept a transaction open on {self.path} for more than "
                f"{self._lock.timeout:g} s. Let it finish, or raise LAKECAT_LOCK_TIMEOUT."
            )
        try:
            con.execute("BEGIN TRANSACTION")
        except BaseException:
            self._turn.release()
            raise
        self._tx_con = con

    def _rollback(self, con) -> None:
        self._tx_con = None
        if isinstance(con, sharing.RemoteConnection):
            with contextlib.suppress(sharing.ConnectionLost):  # gone, with the transaction
                con.rollback()
            return
        try:
            con.execute("ROLLBACK")
        finally:
            self._turn.release()

    def _commit(self, con) -> None:
        self._tx_con = None
        if not isinstance(con, sharing.RemoteConnection):
            try:
                super()._commit(con)
            finally:
                self._turn.release()
            return
        token = uuid.uuid4().hex
        try:
            con.commit(token)
        except sharing.ConnectionLost:
            self._drop_remote()
            self._settle(token)
        except BaseException:
            with contextlib.suppress(Exception):  # never leave the holder's turn taken
                con.rollback()
            raise

    def _settle(self, token: str) -> None:
        """The holder died during COMMIT: ask the catalog (now held by someone else, or
        by us) whether the commit landed; if not, the transaction is retried."""
        sql = sharing.committed_sql(token)
        try:
            landed = self._query(sql, "rows", lambda r: r.fetchall()[0][0])
        except Exception as err:  # noqa: BLE001 - say what is known, keep the cause
            raise CatalogError(
                f"The process holding the catalog {self.path} went away while committing, "
                f"and whether the write landed could not be checked ({err}). Check, then "
                f"retry."
            ) from err
        if not landed:
            raise HolderLost(
                f"The process holding the catalog {self.path} went away before committing "
                f"this transaction; nothing of it was written. Retry.",
                safe=True,
            )

    def _drop_remote(self) -> None:
        with self._rlock:
            if self._remote and self._con is not None:
                self._con.close()
                self._con, self._remote = None, False

    @contextmanager
    def _lost_holder(self) -> Iterator[None]:
        """A holder that let go mid-operation: a retryable ConflictError."""
        try:
            yield
        except sharing.ConnectionLost as lost:
            holder = getattr(self._con, "holder_pid", "?")
            self._drop_remote()
            what = "transaction; nothing of it was written" if self._tx_depth else "operation"
            raise HolderLost(
                f"The process holding the catalog (pid {holder}) let it go during this "
                f"{what}. Retry.",
                safe=lost.safe,
            ) from None

    def run(self, fn, *, idempotent: bool = False):
        """``fn(connection)`` in one session. Outside a transaction, a holder that let the
        catalog go before running it (or, for ``idempotent`` work, at any moment) is
        replaced by the next one and ``fn`` runs again there."""
        for attempt in range(4):
            with self._rlock:
                try:
                    with self.session() as con, translated():
                        return fn(con)
                except HolderLost as lost:
                    again = not self.in_transaction and (lost.safe or idempotent)
                    if not again or attempt == 3:
                        raise
        raise AssertionError("unreachable")

    # -- statements --------------------------------------------------------------
    def _sql(self, compiled: Compiled) -> str:
        # Values go in as literals rendered by sqlglot, not as bound parameters: DuckDB's
        # Python client imports pandas (~0.5 s) the first time it binds any parameter,
        # which would dominate every short-lived process (CLI, scripts). See decisions.md.
        return compiled.inline() if compiled.params else compiled.sql

    def _run(self, con, compiled: Compiled):
        return con.execute(self._sql(compiled))

    def write(self, fn):
        """``fn(connection)`` in a transaction of its own, so that it takes the write turn
        (two processes' autocommit DDL would otherwise meet DuckDB's write-write conflict);
        a holder lost before the commit means nothing was written, so it runs again."""
        if self.in_transaction:
            return self.run(fn)
        for attempt in range(4):
            try:
                with self.transaction():
                    return self.run(fn)
            except HolderLost:
                if attempt == 3:
                    raise
        raise AssertionError("unreachable")

    def execute(self, compiled: Compiled) -> None:
        self.touch()
        if self._tx_depth and isinstance(self._tx_con, sharing.RemoteConnection):
            with self.session() as con:  # inside a served transaction: sent with the next
                con.queue(self._sql(compiled))  # request (the commit, for a plain insert)
            return
        self.write(lambda con: self._run(con, compiled))

    def _query(self, sql: str, want: str, take):
        """``take(result)`` of a SELECT: one round trip when another process holds the
        file, and sent again to the next holder if that one let go meanwhile."""

        def select(con):
            if isinstance(con, sharing.RemoteConnection):
                return take(con.query(sql, want))
            return take(con.execute(sql))

        return self.run(select, idempotent=True)

    def fetch(self, compiled: Compiled) -> tuple[list[str], list[tuple]]:
        return self._query(
            self._sql(compiled), "rows", lambda r: ([d[0] for d in r.description], r.fetchall())
        )

    def fetch_arrow(self, compiled: Compiled):
        return self._query(self._sql(compiled), "arrow", lambda r: r.to_arrow_table())

    def _reserve(self, table: str, n: int) -> list[int]:
        sql = f"SELECT nextval('{table}_id_seq') FROM range({int(n)})"
        if n <= 1000:  # rows avoid importing pyarrow for small reservations
            return self._query(sql, "rows", lambda r: [row[0] for row in r.fetchall()])
        return self._query(sql, "arrow", lambda r: r.to_arrow_table().column(0).to_pylist())

    def run_script(self, statements: list[str]) -> None:
        def script(con):
            for statement in statements:
                con.execute(statement)

        self.run(script)

    def table_names(self) -> set[str]:
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        rows = self._query(sql, "rows", lambda r: r.fetchall())
        return {r[0] for r in rows if r[0] != sharing.RECEIPTS}

    def columns(self) -> dict[str, set[str]]:
        sql = ("SELECT table_name, column_name FROM information_schema.columns "
               "WHERE table_schema = 'main'")  # fmt: skip
        return _by_table(self._query(sql, "rows", lambda r: r.fetchall()))

    def column_types(self) -> dict[str, dict[str, str | None]]:
        sql = ("SELECT table_name, column_name, data_type FROM information_schema.columns "
               "WHERE table_schema = 'main'")  # fmt: skip
        return _types_by_table(self._query(sql, "rows", lambda r: r.fetchall()))

    def checkpoint(self) -> None:
        """Write the WAL into the file now (after DDL: DuckDB 1.5 cannot replay an
        ``ALTER TABLE`` of a table with a ``nextval`` default from the WAL)."""
        self.run(lambda con: con.execute("CHECKPOINT"), idempotent=True)

    def shell_args(self) -> list[str]:
        return ["duckdb", str(self.path)]

    def describe(self) -> dict[str, str]:
        info = {"backend": "duckdb", "catalog": str(self.path)}
        if self.read_only:
            info["access"] = "read-only"
        return info


def _by_table(rows: list[tuple]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for table, column in rows:
        found.setdefault(table, set()).add(column)
    return found


def _attach_when_free(con, statement: str, deadline: float) -> None:
    """Run an ATTACH, retrying while another program (a writer outside lakecat's turn
    taking, or a read-only holder's in-flight read) holds DuckDB's own file lock."""
    import duckdb

    while True:
        try:
            con.execute(statement)
            return
        except duckdb.IOException as err:
            if "lock" not in str(err).lower() or time.monotonic() > deadline:
                raise CatalogLockedError(
                    f"Cannot attach a catalog read-only: {' '.join(str(err).split())}"
                ) from None
            time.sleep(0.02)
        except duckdb.Error as err:  # e.g. attached already by another query in this process
            raise CatalogLockedError(
                f"Cannot attach a catalog read-only: {' '.join(str(err).split())} (one query "
                f"across instances at a time per process: run it inside the open lc.attach)"
            ) from None


def _types_by_table(rows: list[tuple]) -> dict[str, dict[str, str | None]]:
    found: dict[str, dict[str, str | None]] = {}
    for table, column, kind in rows:
        found.setdefault(table, {})[column] = logical_type(kind)
    return found


def _unwritable(path: Path) -> bool:
    """Whether this process cannot write the catalog file or the folder it lives in."""
    if not path.exists():
        return False
    return not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


def _after_fork_in_child() -> None:
    for backend in list(_BACKENDS):
        backend._forget_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
