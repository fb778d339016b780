"""Listening: bind the socket (so a taken port is a clean error and ``--port 0`` works),
say where the page is, and run uvicorn in the foreground or in a background thread."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable
from typing import Any

from ..errors import ServeError

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only.

    Examples:
        >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
        (True, True, False)
    """
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_notice(host: str) -> str | None:
    """The warning printed when the page is reachable from other machines (None on loopback).

    Examples:
        >>> bind_notice("127.0.0.1") is None
        True
        >>> bind_notice("0.0.0.0").split(":")[0]
        'WARNING'
    """
    if is_loopback(host):
        return None
    return (
        f"WARNING: listening on {host}, not on loopback: anyone who can reach this machine "
        f"can read the whole catalog and download its files (there is no login). Serve on "
        f"127.0.0.1 (the default) unless you mean it."
    )


def allowed_hosts(host: str) -> list[str] | None:
    """Host names to answer to: the loopback names when bound to loopback, else any."""
    if not is_loopback(host):
        return None
    return sorted({*LOOPBACK_NAMES, f"[{host.strip('[]')}]" if ":" in host else host})


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one).

    Raises:
        ServeError: The port is taken or the host is not an address of this machine.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM
        )[0]
    except socket.gaierror as err:
        raise ServeError(f"Cannot listen on host {host!r}: {err.strerror}.") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as err:
        sock.close()
        hint = " Choose another with --port." if err.errno in (98, 48) else ""
        raise ServeError(f"Cannot listen on {host}:{port}: {err.strerror}.{hint}") from None
    return sock


def url_of(sock: socket.socket) -> str:
    """The address to open in a browser for a bound socket."""
    host, port = sock.getsockname()[:2]
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    return f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"


def _server(app: Any):
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    return uvicorn.Server(config)


def run(app: Any, sock: socket.socket) -> None:
    """Serve ``app`` on ``sock`` until interrupted (Ctrl+C)."""
    _server(app).run(sockets=[sock])


class BackgroundServer:
    """uvicorn in a daemon thread, for tests and benchmarks: ``with BackgroundServer(app)
    as server:`` serves on a free loopback port at ``server.url`` until the block ends."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sock = bind(host, port)
        self.url = url_of(self.sock)
        self._server = _server(app)
        self._thread = threading.Thread(target=self._serve, name="lakecat-serve", daemon=True)
        self.error: BaseException | None = None

    def _serve(self) -> None:
        try:
            self._server.run(sockets=[self.sock])
        except BaseException as err:  # noqa: BLE001 - reported by start()
            self.error = err

    def start(self, timeout: float = 30.0, ready: Callable[[], bool] | None = None):
        """Start and wait until the server accepts requests."""
        import time

        self._thread.start()
        deadline = time.monotonic() + timeout
        while not (self._server.started and (ready is None or ready())):
            if self.error is not None or not self._thread.is_alive():
                raise ServeError(f"The server did not start: {self.error}")
            if time.monotonic() > deadline:
                raise ServeError(f"The server did not start within {timeout} s.")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Ask the server to finish and wait for its thread."""
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self.sock.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
