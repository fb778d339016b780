"""The embedded back end: one DuckDB file, shared between processes by taking turns."""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..compiler import Compiled, Target
from ..errors import CatalogError, CatalogLockedError
from ..extensions import NO_DOWNLOADS
from ..locking import FileTurnLock
from .base import Backend


class DuckDBBackend(Backend):
    """A catalog in one ``.duckdb`` file.

    The connection is opened on first use and kept while the process is busy. It is
    closed (letting other processes in) as soon as another process waits and this one is
    idle (checked every 50 ms) or at the end of an operation once it has held the file
    for ``min_hold`` seconds; and after ``idle_release`` seconds without use anyway.
    """

    name = "duckdb"
    #: While this process keeps its connection open no other process can write the file,
    #: so an unchanged ``epoch`` means an unchanged catalog.
    exclusive = True
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
    ) -> None:
        super().__init__()
        self.path = Path(path)
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
        atexit.register(self.close)

    # -- holding and releasing the file ----------------------------------------------
    @contextmanager
    def session(self) -> Iterator:
        with self._rlock:
            if self._con is None:
                self._open()
            self._depth += 1
            try:
                yield self._con
            finally:
                self._depth -= 1
                self._last_used = time.monotonic()
                if self._depth == 0 and self._should_yield():
                    self._release(yielded=True)

    def _should_yield(self) -> bool:
        held = time.monotonic() - self._opened_at
        return held >= self.min_hold and self._lock.others_waiting()

    def _open(self) -> None:
        if self._closed:
            raise CatalogError(f"The connection to {self.path} was closed; connect again.")
        if self._yielded:
            self._lock.let_others_in()
            self._yielded = False
        deadline = time.monotonic() + self._lock.timeout
        self._lock.acquire(deadline)
        try:
            self._con = self._connect(deadline)
        except BaseException:
            self._lock.release()
            raise
        self._opened_at = time.monotonic()
        self.touch()  # others may have written while we did not hold the file
        self._start_reaper()

    def _connect(self, deadline: float):
        import duckdb

        while True:
            try:
                con = duckdb.connect(str(self.path), config=dict(NO_DOWNLOADS))
                con.execute("SET TimeZone = 'UTC'")
                return con
            except duckdb.IOException as err:
                text = str(err)
                if "lock" in text.lower() and time.monotonic() < deadline:
                    time.sleep(0.01)
                    continue
                raise self._open_error(text) from None

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
        if self._con is not None:
            try:
                self._con.close()
            finally:
                self._con = None
                self._lock.release()
                self._yielded = yielded

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
                if self._depth or self._tx_depth:
                    continue
                if idle >= self.idle_release or (idle >= 0.005 and self._lock.others_waiting()):
                    self._release(yielded=idle < self.idle_release)
                    return
            finally:
                self._rlock.release()

    def close(self) -> None:
        with self._rlock:
            self._release()
            self._closed = True

    # -- statements --------------------------------------------------------------
    def _run(self, con, compiled: Compiled):
        # Values go in as literals rendered by sqlglot, not as bound parameters: DuckDB's
        # Python client imports pandas (~0.5 s) the first time it binds any parameter,
        # which would dominate every short-lived process (CLI, scripts). See decisions.md.
        return con.execute(compiled.inline() if compiled.params else compiled.sql)

    def reserve_ids(self, table: str, n: int) -> list[int]:
        with self.session() as con:
            if n <= 1000:  # fetchall avoids importing pyarrow for small reservations
                rows = con.execute(f"SELECT nextval('{table}_id_seq') FROM range({int(n)})")
                return [row[0] for row in rows.fetchall()]
            result = con.execute(f"SELECT nextval('{table}_id_seq') FROM range({int(n)})")
            return result.to_arrow_table().column(0).to_pylist()

    def run_script(self, statements: list[str]) -> None:
        with self.session() as con:
            for statement in statements:
                con.execute(statement)

    def table_names(self) -> set[str]:
        with self.session() as con:
            rows = con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        return {r[0] for r in rows}

    def shell_args(self) -> list[str]:
        return ["duckdb", str(self.path)]

    def describe(self) -> dict[str, str]:
        return {"backend": "duckdb", "catalog": str(self.path)}
