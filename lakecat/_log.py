"""lakecat's messages on stderr, as LaminDB prints them: what happened (INFO: a record
existed and is returned, a run started, a new version was made) and what looks wrong
(WARNING). Shown by default; ``LAKECAT_VERBOSITY=warning`` (or
``lc.settings.verbosity = "warning"``) keeps only warnings, ``error`` silences both.

When the application configured logging itself (the root logger has handlers), the
messages go there instead and nothing is printed twice.
"""

from __future__ import annotations

import logging
import sys

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}  # fmt: skip


class _StderrHandler(logging.Handler):
    """Prints ``• message`` (info) or ``! message`` (warnings) on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        if logging.getLogger().handlers:  # the application's logging setup shows it
            return
        try:
            mark = "!" if record.levelno >= logging.WARNING else "•"
            sys.stderr.write(f"{mark} {record.getMessage()}\n")
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


def level_of(name: str) -> int:
    """The logging level for a verbosity name.

    Examples:
        >>> level_of("warning") == logging.WARNING
        True
    """
    from catalog_sql.errors import ValidationError

    try:
        return LEVELS[name.lower()]
    except (KeyError, AttributeError):
        raise ValidationError(
            f"verbosity must be one of {', '.join(LEVELS)}, got {name!r}."
        ) from None


def configure() -> logging.Logger:
    """Attach the stderr handler once and set the level from ``LAKECAT_VERBOSITY``."""
    logger = logging.getLogger("lakecat")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        logger.addHandler(_StderrHandler())
        from .config import config

        logger.setLevel(LEVELS.get(config().verbosity, logging.INFO))
    return logger
