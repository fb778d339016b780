"""Storage roots (local directories or fsspec URLs), keys, and one-pass hash + copy.

Content hashes are BLAKE3 (256 bit, hex): a full-content hash, faster than sha256 or
md5 on this hardware, so hashing every byte costs less than LaminDB's partial md5 of
the first and last 50 MB. The copy runs in a writer thread while the reader hashes,
so a copy costs about as much as the hash alone (see benchmarks/RESULTS.md).
"""

from __future__ import annotations

import errno
import os
import posixpath
import queue
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from .. import hashing
from ..errors import InvalidKeyError
from ..hashing import HASH_TYPE

DIR_HASH_TYPE = "blake3-dir"
CHUNK = 8 * 1024 * 1024
OBJECTS = ".lakecat/objects"
TMP = ".lakecat/tmp"
_DRIVE = re.compile(r"^[A-Za-z]:")


def normalize_key(key: str) -> str:
    """Validate and normalise a storage key (a relative POSIX path inside the root).

    Examples:
        >>> normalize_key("tables/./cells.parquet")
        'tables/cells.parquet'
        >>> normalize_key("../etc/passwd")
        Traceback (most recent call last):
        ...
        lakecat.errors.InvalidKeyError: Key '../etc/passwd' may not contain '..'. Use a path inside the storage root, e.g. 'tables/cells.parquet'.
    """  # noqa: E501
    if not isinstance(key, str):
        raise InvalidKeyError(f"A key must be a string, got {type(key).__name__}.")
    hint = "Use a path inside the storage root, e.g. 'tables/cells.parquet'."
    if not key.strip():
        raise InvalidKeyError(f"A key may not be empty. {hint}")
    if "\x00" in key:
        raise InvalidKeyError(f"Key {key!r} contains a NUL byte. {hint}")
    if "\\" in key:
        raise InvalidKeyError(f"Key {key!r} contains a backslash; use '/'. {hint}")
    if key.startswith("/") or _DRIVE.match(key) or "://" in key:
        raise InvalidKeyError(f"Key {key!r} is absolute. {hint}")
    parts = key.split("/")
    if ".." in parts:
        raise InvalidKeyError(f"Key {key!r} may not contain '..'. {hint}")
    if any(p == "" for p in parts[:-1]) or key.endswith("/"):
        raise InvalidKeyError(f"Key {key!r} has an empty path segment. {hint}")
    clean = "/".join(p for p in parts if p != ".")
    if clean == ".lakecat" or clean.startswith(".lakecat/"):
        raise InvalidKeyError(f"Key {key!r} is inside lakecat's reserved '.lakecat/' folder.")
    return clean


@dataclass(frozen=True)
class Digest:
    """What one hash + copy pass measured."""

    hash: str
    size: int
    n_objects: int | None = None
    hash_type: str = HASH_TYPE


def copy_and_hash(src: BinaryIO, dst: BinaryIO | None, progress: Callable | None = None) -> Digest:
    """Read ``src`` once, hashing every byte and writing it to ``dst`` in a second thread."""
    hasher = hashing.hasher()
    size = 0
    if dst is None:
        while chunk := src.read(CHUNK):
            hasher.update(chunk)
            size += len(chunk)
            progress and progress(len(chunk))
        return Digest(hasher.hexdigest(), size)
    first = src.read(CHUNK)
    if len(first) < CHUNK:  # small file: no writer thread, one read, one write
        hasher.update(first)
        dst.write(first)
        progress and progress(len(first))
        return Digest(hasher.hexdigest(), len(first))
    pending: queue.Queue = queue.Queue(maxsize=4)
    failure: list[BaseException] = []
    writer = threading.Thread(target=_drain, args=(pending, dst, failure), daemon=True)
    writer.start()
    try:
        chunk = first
        while chunk:
            if failure:
                break
            pending.put(chunk)
            hasher.update(chunk)
            size += len(chunk)
            progress and progress(len(chunk))
            chunk = src.read(CHUNK)
    finally:
        pending.put(None)
        writer.join()
    if failure:
        raise failure[0]
    return Digest(hasher.hexdigest(), size)


def copy_file_and_hash(src: BinaryIO, dst: BinaryIO, progress: Callable | None = None) -> Digest:
    """Local file to local file: hash every byte while the kernel copies each chunk.

    The source is mapped read-only; the reader hashes a chunk of the map while a second
    thread has the kernel copy the same byte range (``copy_file_range``) from the page
    cache the hashing just touched: one pass over the source, no user-space copy or write.
    Falls back to :func:`copy_and_hash` for small files and non-files.
    """
    try:
        src_fd, dst_fd = src.fileno(), dst.fileno()
    except (AttributeError, OSError):
        return copy_and_hash(src, dst, progress)
    small = os.fstat(src_fd).st_size < CHUNK
    if small or not hasattr(os, "copy_file_range") or src.tell() != 0:
        return copy_and_hash(src, dst, progress)
    import mmap

    hasher = hashing.hasher()
    size = os.fstat(src_fd).st_size
    jobs: queue.Queue = queue.Queue()
    failure: list[BaseException] = []
    copier = threading.Thread(target=_kernel_copy, args=(jobs, src_fd, dst_fd, failure))
    copier.start()
    # Hash straight from the page cache through a read-only map: no copy into a buffer.
    mapped = mmap.mmap(src_fd, size, access=mmap.ACCESS_READ)
    view = memoryview(mapped)
    try:
        for offset in range(0, size, CHUNK):
            if failure:
                break
            n = min(CHUNK, size - offset)
            jobs.put((offset, n))
            hasher.update(view[offset : offset + n])
            progress and progress(n)
    finally:
        jobs.put(None)
        copier.join()
        view.release()
        mapped.close()
    if failure:
        raise failure[0]
    return Digest(hasher.hexdigest(), size)


#: copy_file_range cannot copy between these (another file system, an old kernel).
_NO_KERNEL_COPY = {errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL}


def _kernel_copy(jobs: queue.Queue, src_fd: int, dst_fd: int, failure: list) -> None:
    kernel = True  # until the kernel says it cannot copy between these two files
    while (job := jobs.get()) is not None:
        if failure:
            continue
        offset, remaining = job
        try:
            while remaining:
                if kernel:
                    try:
                        copied = os.copy_file_range(src_fd, dst_fd, remaining, offset, offset)
                    except OSError as err:
                        if err.errno not in _NO_KERNEL_COPY:
                            raise
                        kernel = False  # e.g. source on another file system: copy it here
                        continue
                else:  # the chunk was just hashed, so it is in the page cache
                    copied = os.pwrite(dst_fd, os.pread(src_fd, remaining, offset), offset)
                if copied == 0:
                    raise OSError(f"copying stopped at byte {offset}")
                offset += copied
                remaining -= copied
        except BaseException as err:  # noqa: BLE001 - handed to the reader thread
            failure.append(err)


def _drain(pending: queue.Queue, dst: BinaryIO, failure: list) -> None:
    while (chunk := pending.get()) is not None:
        if failure:
            continue
        try:
            dst.write(chunk)
        except BaseException as err:  # noqa: BLE001 - handed to the reader thread
            failure.append(err)


def hash_local_file(path: str | os.PathLike) -> Digest:
    """Hash a local file with every core (BLAKE3's tree gives the same digest).

    Examples:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile() as fh:
        ...     _ = fh.write(b"abc"); fh.flush()
        ...     hash_local_file(fh.name).hash[:16]
        '6437b3ac38465133'
    """
    digest = hashing.hasher(parallel=True)
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    size = 0
    with open(path, "rb", buffering=0) as src:
        while n := src.readinto(buffer):
            digest.update(view[:n])
            size += n
    return Digest(digest.hexdigest(), size)


def combine_dir_hash(entries: list[tuple[str, int, str]]) -> str:
    """Deterministic hash of a folder from (relative path, size, file hash) entries.

    Examples:
        >>> a = combine_dir_hash([("b.txt", 1, "x"), ("a.txt", 2, "y")])
        >>> a == combine_dir_hash([("a.txt", 2, "y"), ("b.txt", 1, "x")])
        True
    """
    hasher = hashing.hasher()
    for rel, size, digest in sorted(entries):
        hasher.update(f"{rel}\0{size}\0{digest}\n".encode())
    return hasher.hexdigest()


class StorageRoot:
    """A storage root and the filesystem that serves it."""

    def __init__(self, root: str, options: dict[str, Any] | None = None) -> None:
        self.root = root.rstrip("/")
        self.options = _with_timeouts(self.root, _resolved(self.root, dict(options or {})))
        self.is_local = "://" not in root or root.startswith("file://")
        self._fs = None

    @property
    def fs(self):
        """The fsspec filesystem (created on first use)."""
        if self._fs is None:
            import fsspec

            protocol = "file" if self.is_local else self.root.split("://")[0]
            self._fs = fsspec.filesystem(protocol, **self.options)
        return self._fs

    def url(self, relative: str) -> str:
        """Full path or URL of ``relative`` under the root."""
        base = self.root.removeprefix("file://") if self.is_local else self.root
        return posixpath.join(base, relative)

    def contains(self, path: str) -> str | None:
        """The key of ``path`` if it lies inside this root, else None."""
        if self.is_local:
            if "://" in str(path) and not str(path).startswith("file://"):
                return None
            resolved = Path(str(path).removeprefix("file://")).resolve()
            root = Path(self.url("")).resolve()
            try:
                return resolved.relative_to(root).as_posix()
            except ValueError:
                return None
        prefix = self.root + "/"
        return str(path)[len(prefix) :] if str(path).startswith(prefix) else None

    # -- writing ------------------------------------------------------------------
    def put_file(self, src: BinaryIO, relative: str, progress=None) -> Digest:
        """Copy ``src`` to ``relative`` while hashing; visible only once complete."""
        if self.is_local:
            return self._put_local(src, relative, progress)
        return self._put_remote(src, relative, progress)

    def _put_local(self, src: BinaryIO, relative: str, progress) -> Digest:
        final = Path(self.url(relative))
        tmp = Path(self.url(f"{TMP}/{uuid.uuid4().hex}.partial"))
        tmp.parent.mkdir(parents=True, exist_ok=True)
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(tmp, "wb") as dst:
                digest = copy_file_and_hash(src, dst, progress)
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return digest

    def _put_remote(self, src: BinaryIO, relative: str, progress) -> Digest:
        # One multipart upload straight to the final key: S3 makes an object visible only
        # when the upload completes, and a failed upload is discarded.
        dst = self.fs.open(self.url(relative), "wb", autocommit=False)
        try:
            digest = copy_and_hash(src, dst, progress)
            dst.close()
            dst.commit()
        except BaseException:
            dst.discard()
            raise
        return digest

    def put_dir(self, src_dir: Path, relative: str, progress=None) -> Digest:
        """Copy a local folder while hashing each file; return the folder digest."""
        files = sorted(p for p in Path(src_dir).rglob("*") if p.is_file())
        staging = relative if not self.is_local else f"{TMP}/{uuid.uuid4().hex}.dir"
        entries, total = [], 0
        try:
            for path in files:
                rel = path.relative_to(src_dir).as_posix()
                with open(path, "rb") as src:
                    digest = self.put_file(src, f"{staging}/{rel}", progress)
                entries.append((rel, digest.size, digest.hash))
                total += digest.size
            if self.is_local:
                final = Path(self.url(relative))
                final.parent.mkdir(parents=True, exist_ok=True)
                Path(self.url(staging)).mkdir(parents=True, exist_ok=True)
                os.replace(self.url(staging), final)
        except BaseException:
            self.delete(staging)
            raise
        return Digest(combine_dir_hash(entries), total, len(entries), DIR_HASH_TYPE)

    def scratch(self, suffix: str) -> Path | None:
        """A fresh local path inside the root's tmp folder (None for remote roots).

        Writers can produce a file there and :meth:`commit_scratch` hashes it and moves it
        into place with one rename, saving a copy.
        """
        if not self.is_local:
            return None
        path = Path(self.url(f"{TMP}/{uuid.uuid4().hex}{suffix}"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def commit_scratch(self, scratch: Path, relative: str) -> Digest:
        """Hash a scratch file or folder and rename it to ``relative``."""
        key = scratch.relative_to(Path(self.url(""))).as_posix()
        digest = self.digest(key)
        final = Path(self.url(relative))
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(scratch, final)
        return digest

    # -- reading ------------------------------------------------------------------
    def digest(self, relative: str) -> Digest:
        """Hash what is stored at ``relative`` (file or folder) without copying."""
        url = self.url(relative)
        if self.is_local:  # plain os calls: importing fsspec costs ~45 ms per process
            return _digest_local(Path(url))
        if self.fs.isdir(url):
            entries = []
            for path in sorted(self.fs.find(url)):
                rel = posixpath.relpath(_strip(path), _strip(url))
                with self.fs.open(path, "rb") as src:
                    digest = copy_and_hash(src, None)
                entries.append((rel, digest.size, digest.hash))
            total = sum(e[1] for e in entries)
            return Digest(combine_dir_hash(entries), total, len(entries), DIR_HASH_TYPE)
        with self.fs.open(url, "rb") as src:
            return copy_and_hash(src, None)

    def age(self, relative: str) -> float:
        """Seconds since ``relative`` was last modified."""
        import time
        from datetime import datetime, timezone

        if self.is_local:
            return time.time() - Path(self.url(relative)).stat().st_mtime
        info = self.fs.info(self.url(relative))
        stamp = info.get("mtime") or info.get("LastModified") or info.get("created")
        if isinstance(stamp, datetime):
            return (datetime.now(timezone.utc) - stamp).total_seconds()
        return time.time() - float(stamp) if stamp is not None else float("inf")

    def exists(self, relative: str) -> bool:
        """Whether something is stored at ``relative``."""
        if self.is_local:
            return Path(self.url(relative)).exists()
        return self.fs.exists(self.url(relative))

    def delete(self, relative: str) -> None:
        """Remove a file or folder (missing is fine)."""
        url = self.url(relative)
        if self.is_local:
            path = Path(url)
            if path.is_dir():
                import shutil

                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
            return
        if self.fs.exists(url):
            self.fs.rm(url, recursive=True)

    def walk_objects(self) -> Iterator[str]:
        """Relative paths of the top-level entries under lakecat's objects and tmp folders."""
        for folder in (OBJECTS, TMP):
            url = self.url(folder)
            if self.is_local:
                local = Path(url)
                names = sorted(p.name for p in local.iterdir()) if local.is_dir() else []
                yield from (f"{folder}/{name}" for name in names)
                continue
            if not self.fs.exists(url):
                continue
            for entry in self.fs.ls(url, detail=False):
                yield f"{folder}/{posixpath.basename(_strip(entry))}"


def _digest_local(path: Path) -> Digest:
    if not path.is_dir():
        return hash_local_file(path)
    entries = []
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest = hash_local_file(file)
        entries.append((file.relative_to(path).as_posix(), digest.size, digest.hash))
    total = sum(e[1] for e in entries)
    return Digest(combine_dir_hash(entries), total, len(entries), DIR_HASH_TYPE)


@contextmanager
def storage_errors(doing: str) -> Iterator[None]:
    """Raise what storage libraries raise (OSError, botocore, aiohttp, deltalake…) as a
    :class:`StorageError` that says what lakecat was doing, on one line without terminal
    colour codes. lakecat's own errors pass through."""
    from ..errors import LakecatError, StorageError

    try:
        yield
    except LakecatError:
        raise
    except Exception as err:  # noqa: BLE001 - every library has its own error classes
        if not _is_storage_error(err):
            raise
        detail = " ".join(re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", str(err)).split())
        raise StorageError(
            f"Storage failed while {doing}: {type(err).__name__}: {detail[:500]}. {_advice(err)}"
        ) from err


def _advice(err: Exception) -> str:
    """What to do about a storage failure, by its kind."""
    code = getattr(err, "errno", None)
    if code in (errno.ENOSPC, errno.EDQUOT):
        return "The disk is full: free space and retry (nothing was registered)."
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "Permission denied or read-only storage: check who may write there."
    return "Check that the place exists and is reachable, and the credentials (AWS_* variables)."


def _is_storage_error(err: Exception) -> bool:
    """OSError, or an error class from a storage client library."""
    if isinstance(err, (OSError, TimeoutError)):
        return True
    module = type(err).__module__.split(".")[0]
    return module in ("botocore", "aiobotocore", "aiohttp", "s3fs", "fsspec", "deltalake",
                      "_internal", "urllib3", "requests")  # fmt: skip


def _resolved(root: str, options: dict[str, Any]) -> dict[str, Any]:
    """For S3, the options with the region, token and endpoint resolved once (from the
    ``AWS_*`` environment where not given), so every library gets the same ones."""
    if not root.startswith("s3://"):
        return options
    from .s3 import S3Options

    resolved = S3Options.resolve(options).fsspec()
    client = {**resolved.pop("client_kwargs"), **(options.get("client_kwargs") or {})}
    return {**resolved, **options, "client_kwargs": client}


def _with_timeouts(root: str, options: dict[str, Any]) -> dict[str, Any]:
    """For S3, bounded connect/read timeouts with retries: a stalled connection is retried
    instead of hanging the caller (botocore's defaults wait a minute, aiohttp's forever)."""
    if root.startswith("s3://"):
        config = dict(options.get("config_kwargs") or {})
        config.setdefault("connect_timeout", 5)
        config.setdefault("read_timeout", 30)
        config.setdefault("retries", {"max_attempts": 3, "mode": "standard"})
        options["config_kwargs"] = config
    return options


def _strip(path: str) -> str:
    return path.rstrip("/")
