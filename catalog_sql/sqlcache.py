"""Rendered SQL, cached by statement shape — in memory and, once configured, on disk.

Rendering a sqlglot tree for a dialect costs ~50 ms the first time in a process (the
dialect's generator is imported) and ~0.1 ms after. Shapes never contain user values, so
their SQL can be kept between processes: a short-lived process (the CLI, a tracked
script) then renders nothing. The file is keyed by lakecat's version and the schema, so a
changed registry or release never reads stale SQL; the key also covers a digest of
catalog_sql's own source, so editing the compiler (without a new version) never serves SQL
rendered by the old code. This is the only SQL cache: the compiler, the statement builders
and search all go through :func:`get`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

_MEMORY: dict[tuple, str] = {}  # key → SQL: the hot path, no repr()
_DISK: dict[str, str] = {}  # repr(key) → SQL: what is loaded from and saved to the file
_STATE: dict[str, object] = {"path": None, "dirty": False}


def code_digest() -> str:
    """A digest of catalog_sql's source files (computed once per process).

    Examples:
        >>> len(code_digest())
        16
    """
    digest = _STATE.get("code")
    if digest is None:
        hasher = hashlib.sha256()
        for path in sorted(Path(__file__).parent.rglob("*.py")):
            hasher.update(path.read_bytes())
        digest = _STATE["code"] = hasher.hexdigest()[:16]
    return str(digest)


def sqlglot_version() -> str:
    """sqlglot's version, read from its ``_version.py`` without importing sqlglot (~85 ms).

    Examples:
        >>> import sqlglot
        >>> sqlglot_version() == sqlglot.__version__
        True
    """
    import importlib.util
    import re

    spec = importlib.util.find_spec("sqlglot")
    for location in (spec.submodule_search_locations or []) if spec else []:
        with contextlib.suppress(OSError):
            text = (Path(location) / "_version.py").read_text()
            found = re.search(r"__version__\s*=\s*(?:version\s*=\s*)?['\"]([^'\"]+)", text)
            if found:
                return found.group(1)
    import sqlglot

    return sqlglot.__version__


def configure(directory: str | os.PathLike | None, fingerprint: str) -> None:
    """Persist rendered SQL under ``directory`` for this ``fingerprint`` (None: memory only).

    A new fingerprint (another schema or release), sqlglot version or catalog_sql source
    starts from an empty cache.
    """
    key = f"{fingerprint}|{sqlglot_version()}|{code_digest()}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    if _STATE.get("fingerprint") != digest:
        _MEMORY.clear()
        _DISK.clear()
        _STATE["fingerprint"] = digest
    if directory is None:
        _STATE["path"] = None
        return
    path = Path(directory) / f"sql-{digest}.json"
    if _STATE["path"] != path:
        _STATE["path"] = path
        with contextlib.suppress(OSError, ValueError):  # no cache yet, or a broken one
            _DISK.update(json.loads(path.read_text()))


def get(key: tuple, render: Callable[[], str]) -> str:
    """The SQL for ``key`` (a hashable tuple describing the statement's shape, never user
    values), rendering and remembering it on a miss."""
    sql = _MEMORY.get(key)
    if sql is None:
        text = repr(key)
        sql = _DISK.get(text)
        if sql is None:
            sql = _DISK[text] = render()
            _save()
        _MEMORY[key] = sql
    return sql


def _save() -> None:
    path = _STATE["path"]
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(_DISK))
        os.replace(tmp, path)
    except OSError:  # a cache that cannot be written is only slower
        pass
