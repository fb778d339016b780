"""Rendered SQL, cached by statement shape — in memory and, once configured, on disk.

Rendering a sqlglot tree for a dialect costs ~50 ms the first time in a process (the
dialect's generator is imported) and ~0.1 ms after. Shapes never contain user values, so
their SQL can be kept between processes: a short-lived process (the CLI, a tracked
script) then renders nothing. The file is keyed by lakecat's version and the schema, so a
changed registry or release never reads stale SQL.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

_MEMORY: dict[str, str] = {}
_STATE: dict[str, object] = {"path": None, "dirty": False}


def configure(directory: str | os.PathLike | None, fingerprint: str) -> None:
    """Persist rendered SQL under ``directory`` for this ``fingerprint`` (None: memory only).

    A new fingerprint (another schema or release) starts from an empty cache.
    """
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
    if _STATE.get("fingerprint") != digest:
        _MEMORY.clear()
        _STATE["fingerprint"] = digest
    if directory is None:
        _STATE["path"] = None
        return
    path = Path(directory) / f"sql-{digest}.json"
    if _STATE["path"] != path:
        _STATE["path"] = path
        with contextlib.suppress(OSError, ValueError):  # no cache yet, or a broken one
            _MEMORY.update(json.loads(path.read_text()))


def get(key: tuple, render: Callable[[], str]) -> str:
    """The SQL for ``key``, rendering (and remembering) it on a miss."""
    text = repr(key)
    sql = _MEMORY.get(text)
    if sql is None:
        sql = _MEMORY[text] = render()
        _save()
    return sql


def _save() -> None:
    path = _STATE["path"]
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(_MEMORY))
        os.replace(tmp, path)
    except OSError:  # a cache that cannot be written is only slower
        pass
