"""HTML for Jupyter: a record as a small table, a QuerySet as its first rows."""

from __future__ import annotations

import html
from typing import Any

ROWS = 20


def record_html(record: Any) -> str:
    """A record's fields as a small HTML table (``Record._repr_html_``)."""
    rows = "".join(
        f"<tr><th style='text-align:left'>{html.escape(c)}</th><td>{html.escape(str(v))}</td></tr>"
        for c, v in record.to_dict().items() if v is not None
    )  # fmt: skip
    title = html.escape(type(record).__name__)
    return f"<table class='lakecat-record'><caption>{title}</caption>{rows}</table>"


def queryset_html(queryset: Any) -> str:
    """The first rows of a QuerySet as an HTML table, with how many there are."""
    total = queryset.count()
    frame = queryset.limit(ROWS).df() if queryset._limit is None else queryset.df().head(ROWS)
    shown = min(total, ROWS)
    caption = f"{queryset.model.__name__}: rows 1–{shown} of {total}" if total else (
        f"{queryset.model.__name__}: no rows")  # fmt: skip
    return f"<div><i>{html.escape(caption)}</i>{frame._repr_html_()}</div>"
