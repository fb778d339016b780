"""pyarrow Tables as parquet.

This format shares the ``.parquet`` suffix with the DataFrame format; the two differ by
accessor (``"Table"`` here), and ``.parquet`` files default to the DataFrame format.

Examples:
    >>> import pyarrow as pa
    >>> table = pa.table({"n": [1, 2], "s": ["a", "b"]})
    >>> ARROW.write(table, "table.parquet")
    >>> ARROW.load("table.parquet").equals(table)
    True
"""

from __future__ import annotations

from typing import Any

from formats._io import define
from formats.base import accepts_types, require
from formats.dataframe import open_dataset


def write_table(table: Any, path: str) -> None:
    """Write a ``pyarrow.Table`` to a parquet file."""
    require("pyarrow.parquet", "pandas").write_table(table, path)


def load_table(path: str) -> Any:
    """Load a parquet file (or folder of parquet files) as a ``pyarrow.Table``."""
    return require("pyarrow.parquet", "pandas").read_table(path)


ARROW = define(
    "pyarrow",
    "Table",
    (".parquet",),
    accepts=accepts_types("pyarrow.Table"),
    write=write_table,
    load=load_table,
    backed=open_dataset,
    types=("pyarrow.Table",),
)
