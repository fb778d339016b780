"""``lakecat.settings``: what the current instance is and how it is stored."""

from __future__ import annotations

from typing import Any


class Settings:
    """A live view of the current instance's settings."""

    #: whether a single save looks for similar names to warn about (see ``search_names``)
    _search_names = True

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

    @property
    def search_names(self) -> bool:
        """Whether a single ``save()`` of a record with a name looks for similar names
        (case, spacing, a typo) to warn about, as LaminDB's
        ``settings.creation.search_names`` does. On by default; off, a save only looks up
        the exact name (an index lookup instead of a scan of the registry's names), for
        loops that save many new records one by one into a big registry. Process-wide.

        Examples:
            >>> import lakecat as lc
            >>> lc.settings.search_names = False; lc.settings.search_names
            False
            >>> lc.settings.search_names = True
        """
        return Settings._search_names

    @search_names.setter
    def search_names(self, value: bool) -> None:
        if not isinstance(value, bool):
            from .errors import ValidationError

            raise ValidationError(f"settings.search_names is True or False, got {value!r}.")
        Settings._search_names = value

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
