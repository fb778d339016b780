"""Catalog back ends: embedded DuckDB file and PostgreSQL attached through DuckDB."""

from .base import Backend
from .duckdb_file import DuckDBBackend
from .postgres import PostgresBackend

__all__ = ["Backend", "DuckDBBackend", "PostgresBackend"]
