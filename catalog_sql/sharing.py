"""Share one embedded DuckDB catalog between processes: the holder serves the others.

DuckDB lets one process open a database file at a time. Taking turns on the file costs
an open (~13 ms) and a close (a checkpoint, 20-70 ms) per turn, so eight processes saving
one record at a time spent most of their time handing the file over (docs/decisions.md
§14). Instead, the process that holds the file also listens on a Unix socket, and other
lakecat processes of the same user send it their statements: each client gets its own
DuckDB cursor (its own transaction) in the holder's database, and write transactions
take turns on one lock, so the catalog still sees one writer at a time.

The socket lives in Linux's abstract namespace, named after the catalog file's device
and inode; both ends check the peer's user id (``SO_PEERCRED``), so only the same user's
processes talk to each other. Messages are length-prefixed pickles read by an unpickler
that knows only plain values (no code runs on load); Arrow tables travel as IPC bytes.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import pickle
import select
import socket
import struct
import threading
import time
from pathlib import Path
from typing import Any

logger = logging.getLogger("lakecat")

PROTOCOL = 1
#: Receipts of commits made for clients (token, time), so that a client whose holder died
#: during COMMIT learns whether it landed. Pruned after a day.
RECEIPTS = "lakecat_commit_receipt"
_HEADER = struct.Struct("!Q")
_CRED = struct.Struct("3i")
#: Values a reply or request may hold besides builtins (what DuckDB returns).
_ALLOWED = {
    ("datetime", "datetime"), ("datetime", "date"), ("datetime", "time"),
    ("datetime", "timedelta"), ("datetime", "timezone"), ("decimal", "Decimal"),
    ("uuid", "UUID"), ("pytz", "_UTC"), ("pytz", "_p"), ("zoneinfo", "ZoneInfo"),
    ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "complex"),
    ("builtins", "bytearray"),
}  # fmt: skip


class ConnectionLost(ConnectionError):
    """The holder went away. ``safe``: it said so before running the request (it let the
    catalog go), so the request can go to the next holder; otherwise it may have died
    while running it."""

    def __init__(self, message: str, *, safe: bool) -> None:
        super().__init__(message)
        self.safe = safe


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing {module}.{name} in a catalog message")


def address(path: str | Path) -> bytes:
    """The abstract socket name for the catalog file at ``path``."""
    st = os.stat(path)
    return f"\0lakecat-{PROTOCOL}-{st.st_dev}-{st.st_ino}".encode()


def supported() -> bool:
    """Whether this platform has abstract Unix sockets and peer credentials (Linux)."""
    return hasattr(socket, "AF_UNIX") and hasattr(socket, "SO_PEERCRED")


def _send(sock: socket.socket, message: Any) -> None:
    data = pickle.dumps(message, protocol=5)
    sock.sendall(_HEADER.pack(len(data)) + data)


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _recv(sock: socket.socket) -> Any:
    """The next message, or None when the peer closed the connection."""
    header = _recv_exact(sock, _HEADER.size)
    if header is None:
        return None
    body = _recv_exact(sock, _HEADER.unpack(header)[0])
    if body is None:
        return None
    return _PlainUnpickler(io.BytesIO(body)).load()


def _peer_uid(sock: socket.socket) -> int:
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CRED.size)
    return _CRED.unpack(creds)[1]


def _ipc(table) -> bytes:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _from_ipc(data: bytes):
    import pyarrow as pa

    return pa.ipc.open_stream(data).read_all()


# -- the holder's side ------------------------------------------------------------------
class Server:
    """Serve the holder's open catalog to other processes of the same user.

    Args:
        database: the holder's DuckDB connection (each client gets a cursor of it).
        path: the catalog file (its device and inode name the socket).
        turn: the lock that write transactions take, shared with the holder's own.
        lock_timeout: how long a client waits for the write turn.
    """

    def __init__(self, database, path: Path, turn: threading.Lock, lock_timeout: float) -> None:
        self.database = database
        self.path = Path(path)
        self.turn = turn
        self.lock_timeout = lock_timeout
        self.last_used = time.monotonic()
        self.busy = 0  # clients inside a request or a transaction
        self.writes = 0  # commits served (the holder bumps its epoch on them)
        self._state = threading.Lock()
        self._clients: dict[socket.socket, bool] = {}  # socket -> in a transaction
        self._closing = False
        database.execute(
            f"CREATE TABLE IF NOT EXISTS {RECEIPTS} (token VARCHAR, committed_at TIMESTAMPTZ)"
        )
        database.execute(f"DELETE FROM {RECEIPTS} WHERE committed_at < now() - INTERVAL 1 DAY")
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        try:
            self._sock.bind(address(self.path))
        except OSError:
            self._sock.close()
            raise
        self._sock.listen(64)
        self._thread = threading.Thread(target=self._accept, name="lakecat-share", daemon=True)
        self._thread.start()

    @classmethod
    def start(cls, database, path: Path, turn: threading.Lock, lock_timeout: float):
        """A running server, or None when another process serves this file already."""
        try:
            return cls(database, path, turn, lock_timeout)
        except Exception as err:  # noqa: BLE001 - serving is an optimisation: carry on
            logger.debug("not serving %s to other processes: %s", path, err)
            return None

    @property
    def idle_for(self) -> float:
        """Seconds since the last client request ended (0 while one is running)."""
        with self._state:
            return 0.0 if self.busy else time.monotonic() - self.last_used

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return  # the listening socket was closed: stop
            if self._closing or _peer_uid(conn) != os.getuid():
                conn.close()
                continue
            with self._state:
                self._clients[conn] = False
            worker = threading.Thread(target=self._serve, args=(conn,), daemon=True,
                                      name="lakecat-client")  # fmt: skip
            worker.start()

    def _serve(self, conn: socket.socket) -> None:
        session = _ClientSession(self, conn)
        try:
            session.run()
        finally:
            session.close()
            with self._state:
                self._clients.pop(conn, None)
            conn.close()

    def stop(self, drain: float = 30.0) -> None:
        """Stop serving: refuse new clients; each client not inside a transaction is told
        "bye" (its next request goes to the next holder, nothing of it was run); clients
        inside one finish it first (up to ``drain`` seconds, then they are cut off and
        their transaction is rolled back)."""
        self._closing = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        if self._wait_for_clients(drain):
            return
        with self._state:
            clients = list(self._clients)
        for conn in clients:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._wait_for_clients(5.0)

    def _wait_for_clients(self, seconds: float) -> bool:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            with self._state:
                if not self._clients:
                    return True
            time.sleep(0.002)
        return False

    def _enter(self) -> None:
        with self._state:
            self.busy += 1

    def _leave(self) -> None:
        with self._state:
            self.busy -= 1
            self.last_used = time.monotonic()


class _ClientSession:
    """One client's cursor, its transaction and its registered Arrow tables."""

    def __init__(self, server: Server, conn: socket.socket) -> None:
        self.server = server
        self.conn = conn
        self.cursor = None
        self.result = None
        self.in_tx = False

    def run(self) -> None:
        while self._next_request():
            try:
                message = _recv(self.conn)
            except (OSError, pickle.UnpicklingError, EOFError):
                return
            if message is None:
                return
            if self.server._closing and not self.in_tx:
                self._bye()  # not run: the client sends it to the next holder
                return
            reply = self._answer(message)
            try:
                _send(self.conn, reply)
            except OSError:
                return

    def _next_request(self) -> bool:
        """Wait for the client's next request; False once it was told "bye" (we are
        closing and it has no open transaction)."""
        while not select.select([self.conn], [], [], 0.05)[0]:
            if self.server._closing and not self.in_tx:
                self._bye()
                return False
        return True

    def _bye(self) -> None:
        with contextlib.suppress(OSError):
            _send(self.conn, ("bye",))

    def _answer(self, message: tuple) -> tuple:
        import duckdb

        self.server._enter()
        try:
            return self.handle(message)
        except duckdb.Error as err:
            return ("error", type(err).__name__, str(err))
        except Exception as err:  # noqa: BLE001 - the client gets every failure as a reply
            return ("error", "Error", f"{type(err).__name__}: {err}")
        finally:
            self.server._leave()

    def handle(self, message: tuple) -> tuple:
        op, *args = message
        if self.cursor is None:
            self.cursor = self.server.database.cursor()
            self.cursor.execute("SET TimeZone = 'UTC'")
        return getattr(self, f"op_{op}")(*args)

    def op_hello(self, protocol: int, path: str) -> tuple:
        if protocol != PROTOCOL or address(path) != address(self.server.path):
            return ("error", "Error", "protocol or catalog mismatch")
        return ("ok", os.getpid())

    def op_exec(self, sql: str, params: Any, want: str | None) -> tuple:
        self.result = (
            self.cursor.execute(sql) if params is None else self.cursor.execute(sql, params)
        )
        if want is None:
            names = None if self.result.description is None else _names(self.result)
            return ("desc", names)
        return self.op_fetch(want)

    def op_fetch(self, want: str) -> tuple:
        result = self.result
        if result is None or result.description is None:
            return ("rows", None, [])
        if want == "arrow":
            return ("arrow", _ipc(result.to_arrow_table()))
        if want == "one":
            return ("rows", _names(result), [result.fetchone()])
        return ("rows", _names(result), result.fetchall())

    def op_pipeline(self, timeout: float | None, statements: list[str], message: tuple) -> tuple:
        """What a client queued (a BEGIN, statements whose results it never reads), then
        its request: one round trip for a whole small transaction."""
        if timeout is not None:
            reply = self.op_begin(timeout)
            if reply[0] == "error":
                return reply
        try:
            for sql in statements:
                self.cursor.execute(sql)
        except BaseException:
            if message[0] == "commit":  # the commit will not happen: end the transaction
                self.op_rollback()
            raise
        return self.handle(message)

    def op_register(self, name: str, data: bytes) -> tuple:
        self.cursor.register(name, _from_ipc(data))
        return ("ok",)

    def op_unregister(self, name: str) -> tuple:
        self.cursor.unregister(name)
        return ("ok",)

    def op_begin(self, timeout: float) -> tuple:
        if self.in_tx:  # a client that lost track of its transaction: start clean
            self.op_rollback()
        if not self.server.turn.acquire(timeout=timeout):
            holder = f"pid {os.getpid()} or one of the processes it serves"
            return ("error", "CatalogLocked", f"{holder} kept a transaction open for more than "
                    f"{timeout:g} s")  # fmt: skip
        try:
            self.cursor.execute("BEGIN TRANSACTION")
        except BaseException:
            self.server.turn.release()
            raise
        self.in_tx = True
        self.server._enter()  # an open transaction keeps the server busy until it ends
        return ("ok",)

    def op_commit(self, token: str) -> tuple:
        """Commit, recording ``token`` in the same transaction: a client that loses us
        before hearing the answer can look it up (see :func:`committed`)."""
        try:
            if not token.isalnum():
                self.cursor.execute("ROLLBACK")
                return ("error", "Error", "a commit receipt token is hexadecimal")
            try:  # also the probe of Backend._commit: fails if the transaction aborted
                self.cursor.execute(f"INSERT INTO {RECEIPTS} VALUES ('{token}', now())")
            except Exception as err:  # noqa: BLE001 - reported as a failed transaction
                self.cursor.execute("ROLLBACK")
                return ("error", "Aborted", str(err))
            self.cursor.execute("COMMIT")
            self.server.writes += 1
            return ("ok",)
        finally:
            self._end_tx()

    def op_rollback(self) -> tuple:
        if not self.in_tx:  # the BEGIN itself failed (no write turn): nothing to undo
            return ("ok",)
        try:
            self.cursor.execute("ROLLBACK")
            return ("ok",)
        finally:
            self._end_tx()

    def _end_tx(self) -> None:
        if self.in_tx:
            self.in_tx = False
            self.server.turn.release()
            self.server._leave()

    def close(self) -> None:
        if self.in_tx:
            with contextlib.suppress(Exception):  # the client is gone; its work is undone
                self.cursor.execute("ROLLBACK")
            self._end_tx()
        if self.cursor is not None:
            self.cursor.close()


def committed_sql(token: str) -> str:
    """The query that tells whether the commit with receipt ``token`` landed."""
    return f"SELECT count(*) FROM {RECEIPTS} WHERE token = '{token.replace(chr(39), '')}'"


def _names(result) -> list[str]:
    return [d[0] for d in result.description]


# -- the other processes' side ---------------------------------------------------------
def connect(path: Path, timeout: float = 0.5) -> RemoteConnection | None:
    """A connection to the process serving the catalog at ``path``, or None."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    try:
        sock.settimeout(timeout)
        sock.connect(address(path))
        if _peer_uid(sock) != os.getuid():
            sock.close()
            return None
        sock.settimeout(None)
        remote = RemoteConnection(sock)
        remote.holder_pid = remote._call("hello", PROTOCOL, str(path))[1]
        return remote
    except (OSError, ConnectionLost, RemoteError):
        sock.close()
        return None


class RemoteError(Exception):
    """A failure the holder reported that is not a DuckDB error."""


class RemoteConnection:
    """The part of a DuckDB connection lakecat uses, run by the holder process."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.holder_pid = 0
        self._begin: float | None = None  # a BEGIN not sent yet (sent with the next call)
        self._queued: list[str] = []  # writes whose results nobody reads, sent with it too

    def _call(self, *message: Any) -> tuple:
        if (self._begin is not None or self._queued) and message[0] != "rollback":
            message = ("pipeline", self._begin, self._queued, message)  # one round trip
            self._begin, self._queued = None, []
        try:
            _send(self._sock, message)
        except OSError as err:  # it hung up before reading this: nothing was run
            raise ConnectionLost(f"the catalog's holder is gone ({err})", safe=True) from None
        try:
            reply = _recv(self._sock)
        except OSError as err:
            raise ConnectionLost(str(err), safe=False) from None
        if reply is None:
            raise ConnectionLost("the catalog's holder closed the connection", safe=False)
        if reply[0] == "bye":
            raise ConnectionLost("the catalog's holder let it go", safe=True)
        if reply[0] == "error":
            raise _error(reply[1], reply[2])
        return reply

    def execute(self, sql: str, params: Any = None) -> RemoteResult:
        """Run ``sql``; fetch its rows from the result."""
        names = self._call("exec", sql, params, None)[1]
        return RemoteResult(self, names)

    def query(self, sql: str, want: str = "rows") -> RemoteResult:
        """Run ``sql`` and fetch its result in one round trip (``rows`` or ``arrow``)."""
        return RemoteResult(self, None, self._call("exec", sql, None, want))

    def register(self, name: str, table) -> None:
        """Make an Arrow table visible to SQL under ``name``."""
        self._call("register", name, _ipc(table))

    def unregister(self, name: str) -> None:
        """Forget a registered table."""
        self._call("unregister", name)

    def begin(self, timeout: float) -> None:
        """Open a transaction (waits up to ``timeout`` seconds for the write turn); sent
        with the transaction's first statement."""
        self._begin = timeout

    def queue(self, sql: str) -> None:
        """Run ``sql`` (inside a transaction, a write whose result is not needed) with the
        next request instead of on its own; its error, if any, comes with that request."""
        self._queued.append(sql)

    def commit(self, token: str) -> None:
        """Commit the transaction, under a receipt ``token`` (see :func:`committed`)."""
        if self._begin is not None and not self._queued:  # nothing was sent: nothing to do
            self._begin = None
            return
        self._call("commit", token)

    def rollback(self) -> None:
        """Roll the transaction back (queued statements are dropped unsent)."""
        self._queued = []
        if self._begin is not None:
            self._begin = None
            return
        self._call("rollback")

    def close(self) -> None:
        """Disconnect (an open transaction is rolled back by the holder)."""
        with contextlib.suppress(OSError):
            self._sock.close()


class RemoteResult:
    """A statement's result, fetched from the holder on demand."""

    def __init__(self, con: RemoteConnection, names: list[str] | None, reply=None) -> None:
        self._con = con
        self._names = names
        self._reply = reply
        if reply is not None and reply[0] == "rows":
            self._names = reply[1]

    @property
    def description(self) -> list[tuple] | None:
        """Column names in DuckDB's shape (``None`` for statements without rows)."""
        return None if self._names is None else [(n,) for n in self._names]

    def _take(self, want: str) -> tuple:
        reply, self._reply = self._reply, None
        return reply if reply is not None else self._con._call("fetch", want)

    def fetchall(self) -> list[tuple]:
        """Every row, as tuples."""
        return self._take("rows")[2]

    def fetchone(self) -> tuple | None:
        """The first row (or None)."""
        rows = self._take("one")[2]
        return rows[0] if rows else None

    def to_arrow_table(self):
        """The rows as a ``pyarrow.Table``."""
        reply = self._take("arrow")
        if reply[0] == "arrow":
            return _from_ipc(reply[1])
        import pyarrow as pa

        return pa.table({})

    arrow = to_arrow_table


def _error(kind: str, text: str) -> Exception:
    """The client-side exception for an error the holder reported."""
    import duckdb

    if kind == "Aborted":
        from .errors import CatalogError

        return CatalogError(
            f"A statement inside this transaction failed, so nothing of it was written "
            f"({' '.join(text.split())[:300]}). Fix the cause and retry."
        )
    if kind == "CatalogLocked":
        from .errors import CatalogLockedError

        return CatalogLockedError(
            f"The catalog is busy: {text}. Let that work finish, or raise LAKECAT_LOCK_TIMEOUT."
        )
    cls = getattr(duckdb, kind, None)
    if isinstance(cls, type) and issubclass(cls, duckdb.Error):
        return cls(text)
    return RemoteError(text)
