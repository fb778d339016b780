"""``lakecat.settings``: what the current instance is and how it is stored."""

from __future__ import annotations

from typing import Any


class Settings:
    """A live view of the current instance's settings."""

    @property
    def instance(self) -> str:
        """The instance name."""
        from .instance import current

        return current().name

    @property
    def storage(self) -> str:
        """The storage root."""
        from .instance import current

        return current().config.storage

    @property
    def backend(self) -> str:
        """``duckdb`` or ``postgres``."""
        from .instance import current

        return current().config.backend_name

    @property
    def schema_version(self) -> str | None:
        """The newest applied migration."""
        from .instance import current

        return current().schema_version()

    @property
    def verbosity(self) -> str:
        """What lakecat prints on stderr: ``info`` (default), ``warning``, ``error``.

        Examples:
            >>> import lakecat as lc
            >>> lc.settings.verbosity = "warning"; lc.settings.verbosity
            'warning'
            >>> lc.settings.verbosity = "info"
        """
        import logging

        from ._log import LEVELS

        level = logging.getLogger("lakecat").level
        return next((n for n, v in LEVELS.items() if v == level), "info")

    @verbosity.setter
    def verbosity(self, name: str) -> None:
        import logging

        from ._log import level_of

        logging.getLogger("lakecat").setLevel(level_of(name))

    def info(self) -> dict[str, Any]:
        """Everything ``lakecat info`` prints."""
        from .instance import current

        return current().info()

    def __repr__(self) -> str:
        try:
            lines = [f"  {k}: {v}" for k, v in self.info().items()]
        except Exception as err:  # noqa: BLE001 - repr must not raise
            return f"lakecat settings (no instance: {err})"
        return "lakecat settings\n" + "\n".join(lines)


settings = Settings()
