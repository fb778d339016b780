"""How values look on a page: table cells with optional links, sizes, timestamps."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

#: Longest text shown in a table cell before it is cut (the full text is the tooltip).
CELL_MAX = 80


@dataclass(frozen=True)
class Cell:
    """One table cell: the text shown, an optional link and an optional tooltip."""

    text: str
    href: str | None = None
    title: str | None = None
    css: str | None = None


def record_url(table: str, uid: str) -> str:
    """The stable address of a record's page.

    Examples:
        >>> record_url("file", "Ab12")
        '/r/file/Ab12'
    """
    return f"/r/{table}/{uid}"


def human_size(size: int | None) -> str:
    """Bytes as a short human size.

    Examples:
        >>> human_size(512), human_size(2048), human_size(5 * 1024**3), human_size(None)
        ('512 B', '2.0 KiB', '5.0 GiB', '')
    """
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # pragma: no cover - the loop always returns


def text_of(value: Any) -> str:
    """A value as page text: timestamps to the second, JSON compact, None empty.

    Examples:
        >>> text_of(datetime(2026, 1, 2, 3, 4, 5)), text_of({"a": 1}), text_of(None)
        ('2026-01-02 03:04:05', '{"a": 1}', '')
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return str(value)


def cell(value: Any, *, href: str | None = None, column: str = "") -> Cell:
    """A cell for ``value`` of ``column`` (sizes made human, long text cut).

    Examples:
        >>> cell(2048, column="size")
        Cell(text='2.0 KiB', href=None, title='2048 bytes', css='num')
        >>> cell("x" * 100).text[-1]
        '…'
    """
    if column == "size" and isinstance(value, int):
        return Cell(human_size(value), href, f"{value} bytes", "num")
    text = text_of(value)
    css = "num" if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if len(text) > CELL_MAX:
        return Cell(text[: CELL_MAX - 1] + "…", href, text, css)
    return Cell(text, href, None, css)


def pretty_json(value: Any) -> str:
    """JSON indented for a ``<pre>`` block.

    Examples:
        >>> print(pretty_json({"b": 1, "a": [1, 2]}))
        {
          "a": [
            1,
            2
          ],
          "b": 1
        }
    """
    return json.dumps(value, indent=2, sort_keys=True, default=str)


def frame_rows(df: Any, limit: int | None = None) -> tuple[list[str], list[list[Cell]]]:
    """A pandas DataFrame as column names and rows of cells (index dropped)."""
    shown = df if limit is None else df.head(limit)
    columns = [str(c) for c in shown.columns]
    rows = [[cell(_plain(v)) for v in row] for row in shown.itertuples(index=False, name=None)]
    return columns, rows


def _plain(value: Any) -> Any:
    """numpy / pandas scalars as Python values; missing values as None."""
    if value is None:
        return None
    try:
        import pandas as pd

        if not isinstance(value, (list, dict, tuple)) and pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        try:
            return item()
        except (TypeError, ValueError):
            return value
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    return value
