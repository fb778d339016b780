"""The ``lakecat`` command line: ``main`` (the commands), ``data`` (dataset and SQL
commands), ``output`` (tables, CSV, JSON), ``shell`` (the DuckDB shell) and ``demo``."""

from .main import cli, main

__all__ = ["cli", "main"]
