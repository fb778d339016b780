"""Plumbing shared by the format modules: URLs, remote files, safe writes, typed errors.

Every format module defines raw ``write``/``load``/``backed`` functions and builds its
:class:`~formats.base.Format` with :func:`define`, which wraps them so that all formats
behave alike:

- ``write`` refuses to replace an existing path, writes to a hidden sibling and renames
  it into place, so a crash never leaves a half-written artifact under the final name;
- a missing local path raises :class:`FileNotFoundError`;
- any other library error becomes a :class:`~formats.base.FormatError` naming the format
  and the path (the original error is chained), and an ``ImportError`` becomes a
  :class:`~formats.base.MissingDependencyError` naming the extra to install.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from formats.base import (
    Format,
    FormatError,
    MissingDependencyError,
    TargetExistsError,
    require,
)

#: Remote HDF5 files (h5ad, h5mu, h5) are read in blocks of this size, on demand.
REMOTE_BLOCK_SIZE = 2 * 2**20

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_PASS_THROUGH = (FormatError, FileNotFoundError, MemoryError)
#: OSErrors about where bytes go rather than what they are: passed on unchanged.
_STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.EIO}

StorageOptions = dict[str, Any] | None


def is_url(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a remote URL (``s3://…``); ``file://`` counts as local.

    Examples:
        >>> is_url("s3://bucket/key.h5ad"), is_url("/data/x.h5ad"), is_url("file:///x")
        (True, False, False)
    """
    text = os.fspath(path)
    return bool(_URL.match(text)) and not text.startswith("file://")


def local_path(path: str | os.PathLike[str]) -> str:
    """``path`` as a plain local path string (drops ``file://`` and a trailing slash).

    Examples:
        >>> local_path("file:///data/x.zarr/")
        '/data/x.zarr'
    """
    text = os.fspath(path)
    text = text.removeprefix("file://")
    return text.rstrip("/") or text


def filesystem(url: str, storage_options: StorageOptions = None) -> tuple[Any, str]:
    """The fsspec filesystem and in-filesystem path for a URL.

    ``s3://`` URLs use ``s3fs.S3FileSystem(**storage_options)``; other protocols go
    through ``fsspec.core.url_to_fs``.
    """
    options = dict(storage_options or {})
    protocol, _, rest = url.partition("://")
    if protocol in ("s3", "s3a"):
        s3fs = require("s3fs", "s3")
        # A fresh client per handle: a cached instance shares one aiohttp session (and its
        # pooled connections) with every other handle in the process.
        options.setdefault("skip_instance_cache", True)
        return s3fs.S3FileSystem(**options), rest
    fsspec = require("fsspec", "s3")
    return fsspec.core.url_to_fs(url, **options)


def open_remote(url: str, storage_options: StorageOptions = None) -> Any:
    """A read-only, block-cached fsspec file object for ``url`` (never read whole)."""
    fs, path = filesystem(url, storage_options)
    return fs.open(path, "rb", block_size=REMOTE_BLOCK_SIZE, cache_type="blockcache")


@contextmanager
def typed_errors(message: str, extra: str) -> Iterator[None]:
    """Re-raise library errors as FormatError (or MissingDependencyError) with ``message``."""
    try:
        yield
    except _PASS_THROUGH:
        raise
    except OSError as exc:
        if exc.errno in _STORAGE_ERRNOS:  # the disk, not the format: full, read-only…
            raise
        raise FormatError(f"{message}: {exc}") from exc
    except ImportError as exc:
        target = f"'lakecat[{extra}]'" if extra else "lakecat"
        raise MissingDependencyError(
            f"{message}: {exc}. Install it with: pip install {target}"
        ) from exc
    except Exception as exc:  # noqa: BLE001 - any library error becomes a typed one
        raise FormatError(f"{message}: {exc}") from exc


def _missing(path: str) -> FileNotFoundError:
    return FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.unlink(path)


def _exists_error(target: str) -> TargetExistsError:
    return TargetExistsError(
        f"{target!r} already exists and formats never overwrite; "
        "choose a new path or delete the old one first"
    )


def _checked_target(path: str | os.PathLike[str], name: str) -> str:
    if is_url(path):
        raise FormatError(
            f"The {name} format writes to local paths, not {os.fspath(path)!r}; "
            "write locally, then upload"
        )
    target = os.path.abspath(local_path(path))
    if os.path.lexists(target):
        raise _exists_error(target)
    return target


def safe_write(write: Callable[[Any, str], None], name: str, extra: str) -> Callable:
    """Wrap ``write(obj, path)``: no overwrite, atomic rename into place, typed errors."""

    @functools.wraps(write)
    def wrapper(obj: Any, path: str | os.PathLike[str]) -> None:
        target = _checked_target(path, name)
        parent, base = os.path.split(target)
        os.makedirs(parent, exist_ok=True)
        tmp = os.path.join(parent, f".lakecat-tmp-{uuid.uuid4().hex[:12]}-{base}")
        message = f"Cannot write {type(obj).__name__} as {name} to {target!r}"
        try:
            with typed_errors(message, extra):
                write(obj, tmp)
            if os.path.lexists(target):
                raise _exists_error(target)
            os.rename(tmp, target)
        finally:
            _remove(tmp)

    return wrapper


def safe_load(load: Callable[[str], Any], name: str, extra: str) -> Callable:
    """Wrap ``load(path)``: FileNotFoundError for a missing path, typed errors otherwise."""

    @functools.wraps(load)
    def wrapper(path: str | os.PathLike[str]) -> Any:
        text = os.fspath(path) if is_url(path) else local_path(path)
        if not is_url(text) and not os.path.exists(text):
            raise _missing(text)
        with typed_errors(f"Cannot load {text!r} as {name}", extra):
            return load(text)

    return wrapper


def safe_backed(backed: Callable[[str, dict], Any], name: str, extra: str) -> Callable:
    """Wrap ``backed(path_or_url, storage_options)`` like :func:`safe_load`."""

    @functools.wraps(backed)
    def wrapper(path: str | os.PathLike[str], storage_options: StorageOptions = None) -> Any:
        text = os.fspath(path) if is_url(path) else local_path(path)
        if not is_url(text) and not os.path.exists(text):
            raise _missing(text)
        with typed_errors(f"Cannot open {text!r} as {name}", extra):
            return backed(text, dict(storage_options or {}))

    return wrapper


def define(
    name: str,
    accessor: str,
    suffixes: tuple[str, ...],
    *,
    accepts: Callable[[Any], bool],
    write: Callable[[Any, str], None],
    load: Callable[[str], Any],
    backed: Callable[[str, dict], Any] | None = None,
    extra: str = "",
    is_folder: bool = False,
    types: tuple[str, ...] = (),
) -> Format:
    """Build a Format whose operations are wrapped by :func:`safe_write` and friends."""
    return Format(
        name=name,
        accessor=accessor,
        suffixes=suffixes,
        accepts=accepts,
        write=safe_write(write, name, extra),
        load=safe_load(load, name, extra),
        backed=None if backed is None else safe_backed(backed, name, extra),
        is_folder=is_folder,
        extra=extra,
        types=types,
    )
