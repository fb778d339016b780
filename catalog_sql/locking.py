"""Take turns on one embedded DuckDB file across processes.

DuckDB lets one process open a database file at a time. lakecat processes coordinate
through two ``flock`` files next to the catalog:

* ``<catalog>.lock`` — held exclusively by the process that has the catalog open;
* ``<catalog>.wait`` — held *shared* by every process waiting for it.

The holder keeps its connection while it is busy (warm queries cost ~0.3 ms, not the
~13 ms of an open) and gives the catalog up when it has been idle for a moment, or at
the end of an operation as soon as it sees a waiter. See ``docs/decisions.md``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path

from .errors import CatalogLockedError


class FileTurnLock:
    """An inter-process lock with a cheap "is anybody waiting?" probe."""

    def __init__(self, path: Path, *, timeout: float = 60.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._fd: int | None = None
        self._token = b""
        self._wait_fd: int | None = None
        self._probe_fd: int | None = None  # kept open: others_waiting() runs on every query

    @property
    def held(self) -> bool:
        """Whether this process holds the lock."""
        return self._fd is not None

    def _open(self, suffix: str) -> int:
        return os.open(f"{self.path}{suffix}", os.O_RDWR | os.O_CREAT, 0o666)

    def acquire(self, deadline: float | None = None, *, alternative=None):
        """Block (polling with back-off) until the lock is ours or the deadline passes.

        ``alternative`` is tried whenever the lock is taken; if it returns something
        (a connection to the holder), waiting stops and that is returned instead of
        taking the lock. Returns None once the lock is ours.
        """
        if self._fd is not None:
            return None
        deadline = deadline or time.monotonic() + self.timeout
        fd = self._open(".lock")
        delay = 0.0005
        try:
            while not _try_lock(fd, fcntl.LOCK_EX):
                other = alternative() if alternative is not None else None
                if other is not None:
                    os.close(fd)
                    self._stop_waiting()
                    return other
                self._announce_waiting()
                if time.monotonic() > deadline:
                    raise CatalogLockedError(self._busy_message(fd))
                time.sleep(delay)
                delay = min(delay * 2, 0.02)
        except BaseException:
            os.close(fd)
            self._stop_waiting()
            raise
        self._stop_waiting()
        self._token = f"{os.getpid()} {time.monotonic_ns()}".encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, self._token, 0)
        self._fd = fd
        return None

    def forget(self) -> None:
        """In a forked child: the descriptors are the parent's; drop them (closing our
        copies does not release the parent's lock)."""
        for fd in (self._fd, self._wait_fd, self._probe_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._fd = self._wait_fd = self._probe_fd = None

    def release(self) -> None:
        """Give the lock up (closing the descriptor releases the flock)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._probe_fd is not None:
            os.close(self._probe_fd)
            self._probe_fd = None

    def others_waiting(self) -> bool:
        """Whether another process is waiting for the lock (two syscalls, on a descriptor
        kept open while the lock is held)."""
        if self._probe_fd is None:
            self._probe_fd = self._open(".wait")
        fd = self._probe_fd
        if _try_lock(fd, fcntl.LOCK_EX):
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        return True

    def let_others_in(self, grace: float = 0.25) -> None:
        """After yielding, wait until a waiter has taken over (or ``grace`` passes)."""
        end = time.monotonic() + grace
        fd = self._open(".lock")
        try:
            while os.pread(fd, 64, 0) == self._token and time.monotonic() < end:
                time.sleep(0.0005)
        finally:
            os.close(fd)

    def _announce_waiting(self) -> None:
        if self._wait_fd is None:
            self._wait_fd = self._open(".wait")
            fcntl.flock(self._wait_fd, fcntl.LOCK_SH)

    def _stop_waiting(self) -> None:
        if self._wait_fd is not None:
            os.close(self._wait_fd)
            self._wait_fd = None

    def _busy_message(self, fd: int) -> str:
        try:
            holder = os.pread(fd, 64, 0).decode().split(" ")[0] or "unknown"
        except OSError:
            holder = "unknown"
        return (
            f"The catalog {self.path} is held by another process (pid {holder}) for more "
            f"than {self.timeout:g} s. Close that process or finish its work, or raise "
            f"LAKECAT_LOCK_TIMEOUT."
        )


def _try_lock(fd: int, kind: int) -> bool:
    try:
        fcntl.flock(fd, kind | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
