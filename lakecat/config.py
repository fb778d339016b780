"""Every ``LAKECAT_*`` environment variable, read in one place.

| variable | default | meaning |
|---|---|---|
| ``LAKECAT_HOME`` | ``~/.lakecat`` | settings: known instances, the current one, caches |
| ``LAKECAT_LOCK_TIMEOUT`` | ``60`` | seconds to wait for the embedded catalog file |
| ``LAKECAT_NO_SQL_CACHE`` | unset | set: keep rendered SQL in memory only (no disk cache) |
| ``LAKECAT_USER`` | the login name | the user handle recorded as ``created_by`` |
| ``LAKECAT_VERBOSITY`` | ``info`` | what lakecat prints on stderr: info, warning, error |
| ``LAKECAT_NOTEBOOK`` | unset | path of the running notebook when Jupyter cannot say |
| ``LAKECAT_BIO_CACHE`` | ``$LAKECAT_HOME/cache/bio`` | ontology sources cached as Parquet |
| ``LAKECAT_SHARE`` | ``1`` | ``0``: take turns on the embedded file (no holder serving others) |
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

VARIABLES = (
    "LAKECAT_HOME",
    "LAKECAT_LOCK_TIMEOUT",
    "LAKECAT_NO_SQL_CACHE",
    "LAKECAT_USER",
    "LAKECAT_VERBOSITY",
    "LAKECAT_NOTEBOOK",
    "LAKECAT_SHARE",
    "LAKECAT_BIO_CACHE",
)


@dataclass(frozen=True)
class Config:
    """lakecat's configuration from the environment."""

    home: Path
    lock_timeout: float
    sql_cache: bool
    user: str
    verbosity: str
    notebook: str | None
    share: bool
    bio_cache: Path | None


def config() -> Config:
    """The configuration for the environment as it is now (parsed once per distinct
    environment, so a test or a notebook that changes a variable is seen).

    Examples:
        >>> import os
        >>> os.environ["LAKECAT_LOCK_TIMEOUT"] = "5"
        >>> config().lock_timeout
        5.0
        >>> del os.environ["LAKECAT_LOCK_TIMEOUT"]
    """
    return _parse(tuple(os.environ.get(name) for name in VARIABLES))


@lru_cache(maxsize=8)
def _parse(values: tuple[str | None, ...]) -> Config:
    from .errors import ValidationError

    raw = dict(zip(VARIABLES, values))
    try:
        timeout = float(raw["LAKECAT_LOCK_TIMEOUT"] or 60)
    except ValueError:
        raise ValidationError(
            f"LAKECAT_LOCK_TIMEOUT must be a number of seconds, got "
            f"{raw['LAKECAT_LOCK_TIMEOUT']!r}."
        ) from None
    return Config(
        home=Path(raw["LAKECAT_HOME"] or Path.home() / ".lakecat"),
        lock_timeout=timeout,
        sql_cache=not raw["LAKECAT_NO_SQL_CACHE"],
        user=raw["LAKECAT_USER"] or getpass.getuser(),
        verbosity=(raw["LAKECAT_VERBOSITY"] or "info").lower(),
        notebook=raw["LAKECAT_NOTEBOOK"],
        share=(raw["LAKECAT_SHARE"] or "1").strip().lower() not in ("0", "false", "no", "off"),
        bio_cache=Path(raw["LAKECAT_BIO_CACHE"]) if raw["LAKECAT_BIO_CACHE"] else None,
    )
