"""Where an installed package lies and which version it is, without importing it (some
data packages parse their data at import: ``simple_icd_10_cm`` takes 2 s)."""

from __future__ import annotations

from importlib import util
from pathlib import Path


def package_dir(module: str) -> Path | None:
    """The folder of the installed top-level package ``module``, or ``None``.

    Examples:
        >>> package_dir("json").name
        'json'
        >>> package_dir("no_such_package_here") is None
        True
    """
    try:
        spec = util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def package_version(distribution: str) -> str:
    """The installed version of ``distribution`` ("" when its metadata is missing)."""
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return ""
