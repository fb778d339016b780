"""SQL literals for bound values, rendered without importing a sqlglot generator.

The common types (text, integers, finite floats, booleans, None, timestamps, dates) are
rendered exactly as sqlglot renders them for DuckDB and PostgreSQL — a property test
compares the two on random values — and anything else goes through sqlglot.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any


def render_literal(value: Any, dialect: str) -> str:
    """One value as a SQL literal for ``dialect`` (quotes doubled, nothing else altered).

    Examples:
        >>> render_literal("x'; DROP TABLE ulabel; --", "duckdb")
        "'x''; DROP TABLE ulabel; --'"
        >>> render_literal(None, "postgres"), render_literal(True, "duckdb"), render_literal(-3, "duckdb")
        ('NULL', 'TRUE', '-3')
    """  # noqa: E501
    kind = type(value)
    if kind is str:
        return "'" + value.replace("'", "''") + "'"
    if value is None:
        return "NULL"
    if kind is bool:
        return "TRUE" if value else "FALSE"
    if kind is int:
        return str(value)
    if kind is float:
        if math.isfinite(value):
            if value >= 0:
                return repr(value)
            from sqlglot import exp  # sqlglot spells negative floats its own way

            return exp.convert(value).sql(dialect)
        special = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        double = "DOUBLE PRECISION" if dialect == "postgres" else "DOUBLE"
        return f"CAST('{special}' AS {double})"
    if kind is dt.datetime:
        cast = "TIMESTAMPTZ" if value.tzinfo is not None else "TIMESTAMP"
        return f"CAST('{value}' AS {cast})"
    if kind is dt.date:
        return f"CAST('{value.isoformat()}' AS DATE)"
    from sqlglot import exp

    return exp.convert(value).sql(dialect)
