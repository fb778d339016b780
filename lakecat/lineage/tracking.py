"""Lineage: ``track()`` a script, notebook, pipeline or function as a Transform and Run.

While a run is active, files and datasets that are loaded become its inputs and records
that are saved become its outputs (``record.run``). ``finish()`` (or normal interpreter
exit) closes the run; an uncaught exception marks it failed with the error text.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import inspect
import json
import logging
import os
import platform
import socket
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..config import config
from ..core.lifecycle import state
from ..errors import LakecatError, TrackingError, ValidationError

logger = logging.getLogger("lakecat")
_STATE = threading.local()
_HOOKED = [False]


class TransformMixin:
    """Versions for Transforms: ``Transform(name=…, is_new_version_of=previous)``.

    Numbering, the latest flag and retiring the previous version follow
    :mod:`lakecat.core.versions`; a version string that is taken in the family gets ``.1``.
    """

    _versioned = True
    _free_versions = True

    def __init__(self, *, is_new_version_of: Any = None, **fields: Any) -> None:
        super().__init__(**fields)
        state(self).previous = is_new_version_of
        if is_new_version_of is not None and not self.__dict__.get("name"):
            self.__dict__["name"] = is_new_version_of.name

    @property
    def versions(self):
        """Every version of this transform, oldest first."""
        from ..core.versions import family, root_id

        return family(type(self), root_id(self))


def current_run():
    """The run being tracked in this thread, or None."""
    stack = getattr(_STATE, "runs", None)
    return stack[-1] if stack else None


def _push(run) -> None:
    if not hasattr(_STATE, "runs"):
        _STATE.runs = []
    _STATE.runs.append(run)


def _pop(run) -> None:
    stack = getattr(_STATE, "runs", [])
    if run in stack:
        stack.remove(run)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _environment() -> dict[str, Any]:
    from .. import __version__

    return {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "lakecat": __version__,
        "argv": sys.argv[:8],
    }


def _source_hash(text: bytes) -> str:
    from ..hashing import hash_bytes

    return hash_bytes(text)


# -- finding what is running -------------------------------------------------------------
def _detect_source() -> tuple[Path, str]:
    """(path, "script" | "notebook") of the code calling track()."""
    notebook = _notebook_path()
    if notebook is not None:
        return notebook, "notebook"
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path and Path(path).exists() and not _is_interactive():
        return Path(path).resolve(), "script"
    raise TrackingError(
        "track() cannot tell which file is running (interactive session?). Name the "
        "transform: lc.track(transform=lc.Transform(name='my analysis', type='notebook'))."
    )


def _is_interactive() -> bool:
    return hasattr(sys, "ps1") or _ipython() is not None


def _ipython():
    """The running IPython shell, without importing IPython (0.4 s) when it is not loaded."""
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    return get_ipython()


def _notebook_path() -> Path | None:
    """The notebook file of an IPython kernel, from what Jupyter/VS Code/nbclient tell it."""
    shell = _ipython()
    if shell is None:
        return None
    candidates = [
        shell.user_ns.get("__session__"),
        shell.user_ns.get("__vsc_ipynb_file__"),
        config().notebook,
        os.environ.get("JPY_SESSION_NAME"),
    ]
    for candidate in candidates:
        if candidate and str(candidate).endswith(".ipynb") and Path(candidate).exists():
            return Path(candidate).resolve()
    return None


def _source_text(path: Path, kind: str) -> bytes:
    """The code to hash: for notebooks only the code cells (outputs change every run)."""
    raw = path.read_bytes()
    if kind != "notebook":
        return raw
    try:
        cells = json.loads(raw).get("cells", [])
    except ValueError:
        return raw
    code = ["".join(c.get("source", [])) for c in cells if c.get("cell_type") == "code"]
    return "\n\n".join(code).encode()


# -- transforms ----------------------------------------------------------------------------
def _transform_for(name: str, kind: str, version: str | None, source_hash: str, source=None):
    """Get or create the Transform; a changed source under the same version is a new one."""
    from ..core.catalog import registry_class

    Transform = registry_class("Transform")

    latest = Transform.filter(name=name, type=kind, is_latest=True).order_by("-id").first()
    if latest is not None and (version is None or latest.version == version):
        if latest.source_hash == source_hash:
            return latest
        if version is not None:
            logger.warning(
                "%s changed but its version %r did not: recording it as a new version. "
                "Pass a new version= to name it.", name, version,
            )  # fmt: skip
        return _new_transform_version(latest, source_hash, source)
    transform = Transform(name=name, type=kind, version=version, source_hash=source_hash,
                          is_new_version_of=latest)  # fmt: skip
    if source is not None:
        transform.source_code = source
    return transform.save()


def _new_transform_version(previous, source_hash: str, source):
    from ..core.catalog import registry_class

    Transform = registry_class("Transform")

    transform = Transform(
        name=previous.name, type=previous.type, source_hash=source_hash,
        description=previous.description, is_new_version_of=previous,
    )  # fmt: skip
    if source is not None:
        transform.source_code = source
    return transform.save()


def _save_source(path: Path, kind: str):
    from ..core.catalog import registry_class

    File = registry_class("File")

    return File(path, description=f"source of {path.name} ({kind})").save()


# -- the public API -------------------------------------------------------------------------
def track(
    transform: Any = None,
    *,
    params: dict[str, Any] | None = None,
    version: str | None = None,
    name: str | None = None,
):
    """Start a Run of this script / notebook (or of ``transform`` for pipelines).

    Args:
        transform: A Transform for pipelines (saved if new); default: the running file.
        params: Parameters recorded on the run (JSON-serialisable).
        version: Version string of the transform; a changed source under the same
            version warns and becomes the next version.
        name: Run name.

    Returns:
        The started Run.
    """
    from ..core.catalog import registry_class
    from ..instance import current

    Run, Transform = registry_class("Run"), registry_class("Transform")

    if transform is not None and not isinstance(transform, Transform):
        raise ValidationError(f"transform must be a lc.Transform, got {type(transform).__name__}.")
    source_path = _detect_source() if transform is None else None

    def start():  # one transaction for source, transform and run, retried as a whole
        chosen = transform
        with current().backend.transaction():
            if source_path is not None:
                path, kind = source_path
                digest = _source_hash(_source_text(path, kind))
                source = _save_source(path, kind)
                chosen = _transform_for(path.name, kind, version, digest, source)
            elif chosen.id is None:
                chosen = _transform_for(chosen.name, chosen.type or "pipeline",
                                        version or chosen.version,
                                        chosen.source_hash or "", None)  # fmt: skip
            started = Run(transform=chosen, name=name, params=params, status="started",
                          environment=_environment())  # fmt: skip
            started.started_at = _now()
            started.save()
        return started, chosen

    from ..core.writes import retrying

    run, transform = retrying(start)
    _push(run)
    _install_hooks()
    logger.info("tracking run %s of %s (%s)", run.uid, transform.name, transform.type)
    return run


def finish(*, status: str = "completed", error: str | None = None):
    """Close the active run (finished_at, status); returns it."""
    run = current_run()
    if run is None:
        raise TrackingError("finish() without track(): call lc.track() first.")
    _close(run, status, error)
    return run


def _close(run, status: str, error: str | None) -> None:
    run.finished_at = _now()
    run.status = status
    if error:
        run.error = error[:4000]
    run.save()
    _pop(run)


def _install_hooks() -> None:
    if _HOOKED[0]:
        return
    _HOOKED[0] = True
    previous = sys.excepthook

    def hook(kind, value, tb):
        run = current_run()
        if run is not None:
            with contextlib.suppress(Exception):  # never hide the user's exception
                _close(run, "failed", f"{kind.__name__}: {value}")
        previous(kind, value, tb)

    sys.excepthook = hook
    atexit.register(_finish_at_exit)


def _finish_at_exit() -> None:
    run = current_run()
    if run is not None and run.status == "started":
        try:
            _close(run, "completed", None)
        except Exception as err:  # noqa: BLE001 - at exit there is nobody to raise to
            logger.warning("could not finish run %s: %s", run.uid, err)


def tracked(*, name: str | None = None, version: str | None = None) -> Callable:
    """Decorate a function: each call is a Run of a ``function`` Transform with its params.

    Examples:
        >>> import lakecat as lc
        >>> @lc.tracked()
        ... def add(a, b=2):
        ...     return a + b
        >>> add(1)
        3
        >>> lc.Run.filter(transform__name__endswith="add").first().params
        {'a': 1, 'b': 2}
    """

    def decorate(fn: Callable) -> Callable:
        label = name or f"{fn.__module__}.{fn.__qualname__}"
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            run = _start_function_run(fn, label, version, _jsonable(bound.arguments))
            try:
                result = fn(*args, **kwargs)
            except BaseException as err:
                _close(run, "failed", f"{type(err).__name__}: {err}")
                raise
            _close(run, "completed", None)
            return result

        return wrapper

    return decorate


def _start_function_run(fn: Callable, label: str, version: str | None, params: dict):
    from ..core.catalog import registry_class

    Run = registry_class("Run")

    try:
        source = inspect.getsource(fn).encode()
    except (OSError, TypeError):
        source = label.encode()
    transform = _transform_for(label, "function", version, _source_hash(source))
    run = Run(transform=transform, params=params, status="started", environment=_environment())
    run.started_at = _now()
    run.save()
    _push(run)
    return run


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in values.items():
        try:
            json.dumps(value)
            out[key] = value
        except (TypeError, ValueError):
            out[key] = repr(value)[:200]
    return out


# -- hooks used by File and Dataset ----------------------------------------------------------
def record_input(record) -> None:
    """Link ``record`` (a File or Dataset) as an input of the active run."""
    run = current_run()
    if run is None or record.id is None or getattr(record, "run_id", None) == run.id:
        return
    from ..core.catalog import registry_class

    Dataset = registry_class("Dataset")

    manager = run.input_datasets if isinstance(record, Dataset) else run.input_files
    try:
        manager.add(record)
    except LakecatError as err:
        logger.warning("could not record input %s: %s", record.uid, err)


def record_recreation(existing) -> None:
    """The active run saved bytes that ``existing`` (a File) already holds.

    The run is recorded as a re-creating producer (``file.recreating_runs``); if the
    original producer failed, this run becomes ``file.run`` and the failed one moves to
    ``recreating_runs``, so lineage shows the last good run.
    """
    run = current_run()
    if run is None or run.id is None or existing.run_id == run.id:
        return
    from ..core.catalog import registry_class

    Run = registry_class("Run")

    original = Run.filter(id=existing.run_id).first() if existing.run_id else None
    if original is not None and original.status == "failed":
        existing.recreating_runs.add(original)
        existing.run_id = run.id
        existing.transform_id = run.transform_id
        existing.save()
    else:
        existing.recreating_runs.add(run)


def stamp_output(record) -> None:
    """Before a new File/Dataset is saved: attribute it to the active run."""
    run = current_run()
    if run is None:
        return
    data = record.__dict__
    if data.get("run_id") is None:
        data["run_id"] = run.id
    if data.get("transform_id") is None:
        data["transform_id"] = run.transform_id
