"""DuckDB statements that read datasets in place: the table expression for a Delta or
Parquet version, the ``self`` wrapper of ``Dataset.query`` and the shell views. Values
are rendered as literals by :mod:`catalog_sql.literals`, identifiers quoted by sqlglot."""

from __future__ import annotations

from typing import Any

from ._lazy import exp
from .literals import render_literal


def scan(where: Any, kind: str, version: int | None = None) -> str:
    """The DuckDB table expression reading a dataset version in place.

    Examples:
        >>> scan("/data/t", "delta", 2)
        "delta_scan('/data/t', version => 2)"
        >>> scan(["/a.parquet", "/b.parquet"], "files")
        "read_parquet(['/a.parquet', '/b.parquet'])"
    """

    def lit(text: str) -> str:
        return render_literal(text, "duckdb")

    if kind == "delta":
        return (
            f"delta_scan({lit(where)}"
            + ("" if version is None else f", version => {int(version)}")
            + ")"
        )
    if kind == "files":
        return f"read_parquet([{', '.join(lit(p) for p in where)}])"
    return f"read_parquet({lit(where.rstrip('/') + '/*.parquet')})"


def select_all(source: str) -> str:
    """``SELECT * FROM source``.

    Examples:
        >>> select_all(scan("/t", "delta", 1))
        "SELECT * FROM delta_scan('/t', version => 1)"
    """
    return f"SELECT * FROM {source}"


def create_view_sql(name: str, source: str) -> str:
    """``CREATE OR REPLACE VIEW "name" AS SELECT * FROM source`` (the name quoted).

    Examples:
        >>> create_view_sql('ds_a"b', "t")
        'CREATE OR REPLACE VIEW "ds_a""b" AS SELECT * FROM t'
    """
    return f"CREATE OR REPLACE VIEW {exp.to_identifier(name, quoted=True).sql('duckdb')} AS " + (
        select_all(source)
    )


def with_self(sql: str, source: str) -> str:
    """Bind the name ``self`` to ``source``; the user's statement becomes a subquery.

    A CTE costs nothing at run time (a view made per call would read the Delta log twice);
    wrapping keeps the user's own comments, CTEs and even a CTE named ``self`` valid.

    Examples:
        >>> print(with_self("SELECT count(*) FROM self;", "t"))
        WITH self AS (SELECT * FROM t) SELECT * FROM (SELECT count(*) FROM self
        ) AS q
    """
    body = sql.strip().rstrip(";").rstrip()
    return f"WITH self AS (SELECT * FROM {source}) SELECT * FROM ({body}\n) AS q"
