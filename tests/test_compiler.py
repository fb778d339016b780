"""Golden SQL for both dialects, and the compiler's caching and parameters."""

from __future__ import annotations

from catalog_sql.compiler import Compiler, Target
from catalog_sql.query import Q
from lakecat.core.catalog import schema


def compile_(dialect: str, where: Q, **kw):
    target = Target(dialect, db="lab" if dialect == "postgres" else None)
    import lakecat.registries  # noqa: F401  (registers the core tables)

    return Compiler(schema(), target).select("file", where, **kw)


def test_golden_relation_join_duckdb():
    c = compile_("duckdb", Q(run__transform__name="qc", size__gt=3), order_by=["-created_at"])
    assert c.sql.endswith(
        'FROM "file" AS "file" '
        'LEFT JOIN "run" AS "run" ON "run"."id" = "file"."run_id" '
        'LEFT JOIN "transform" AS "run__transform" '
        'ON "run__transform"."id" = "run"."transform_id" '
        'WHERE ("run__transform"."name" = $p0 AND "file"."size" > $p1) '
        'ORDER BY "file"."created_at" DESC'
    )
    assert c.params == {"p0": "qc", "p1": 3}


def test_golden_many_to_many_postgres():
    c = compile_("postgres", Q(ulabels__name__in=["a", "b'c"]))
    assert c.inline().endswith(
        'FROM "lab"."file" AS "file" WHERE "file"."id" IN ('
        'SELECT "file_ulabel_1"."file_id" FROM "lab"."file_ulabel" AS "file_ulabel_1" '
        'WHERE "file_ulabel_1"."ulabel_id" IN ('
        'SELECT "ulabels_1"."id" FROM "lab"."ulabel" AS "ulabels_1" '
        "WHERE \"ulabels_1\".\"name\" IN ('a', 'b''c')))"
    )


def test_shape_cache_reuses_sql_with_new_values():
    import lakecat.registries  # noqa: F401

    compiler = Compiler(schema(), Target("duckdb"))
    a = compiler.select("ulabel", Q(name="a"))
    b = compiler.select("ulabel", Q(name="b"))
    assert a.sql == b.sql and a.params != b.params
    c = compiler.select("ulabel", Q(name__in=["a", "b"]))
    d = compiler.select("ulabel", Q(name__in=["a", "b", "c"]))
    assert c.sql != d.sql and len(d.params) == 3


def test_negation_and_isnull():
    c = compile_("duckdb", ~Q(key__isnull=False) | Q(suffix=None))
    assert 'NOT COALESCE((NOT "file"."key" IS NULL), FALSE)' in c.sql  # NULL-safe ~Q
    assert '"file"."suffix" IS NULL' in c.sql
    assert c.params == {}
