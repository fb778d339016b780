"""Write statements (insert, update, delete) built as sqlglot trees with placeholders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import sqlcache
from ._lazy import exp
from .compiler import Compiled, Target


def _cached(builder):
    """Cache a statement builder's SQL by its shape (values are always placeholders)."""

    def sql_for(target: Target, *shape) -> str:
        render = lambda: builder(target, *shape).sql(target.dialect)  # noqa: E731
        return sqlcache.get((builder.__name__, target, *shape), render)

    return sql_for


def _ph(i: int) -> exp.Placeholder:
    return exp.Placeholder(this=f"p{i}")


def _ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def insert_row(target: Target, table: str, row: dict[str, Any]) -> Compiled:
    """``INSERT INTO table (cols) VALUES (…)`` with one placeholder per value.

    Examples:
        >>> insert_row(Target("duckdb"), "ulabel", {"id": 1, "name": "a"}).sql
        'INSERT INTO "ulabel" ("id", "name") VALUES ($p0, $p1)'
    """
    sql = _insert_sql(target, table, tuple(row))
    return Compiled(sql, _params(row.values()), target.dialect)


@_cached
def _insert_sql(target: Target, table: str, columns: tuple[str, ...]) -> exp.Expression:
    cols = [_ident(c) for c in columns]
    values = exp.Tuple(expressions=[_ph(i) for i in range(len(columns))])
    return exp.insert(
        exp.Values(expressions=[values]), exp.Schema(this=target.table(table), expressions=cols)
    )


def update_by_id(target: Target, table: str, row_id: int, changes: dict[str, Any]) -> Compiled:
    """``UPDATE table SET … WHERE id = …``.

    Examples:
        >>> update_by_id(Target("postgres", db="s"), "ulabel", 3, {"name": "b"}).inline()
        'UPDATE "s"."ulabel" SET "name" = \\'b\\' WHERE "id" = 3'
    """
    sql = _update_sql(target, table, tuple(changes))
    return Compiled(sql, _params([*changes.values(), row_id]), target.dialect)


@_cached
def _update_sql(target: Target, table: str, columns: tuple[str, ...]) -> exp.Expression:
    sets = [exp.EQ(this=exp.column(_ident(c)), expression=_ph(i)) for i, c in enumerate(columns)]
    where = exp.EQ(this=exp.column(_ident("id")), expression=_ph(len(columns)))
    tree = exp.update(target.table(table), where=where)
    tree.set("expressions", sets)
    return tree


def delete_where_in(target: Target, table: str, column: str, ids: Sequence[int]) -> Compiled:
    """``DELETE FROM table WHERE column IN (…)``.

    Examples:
        >>> delete_where_in(Target("duckdb"), "file_ulabel", "file_id", [1, 2]).sql
        'DELETE FROM "file_ulabel" WHERE "file_id" IN ($p0, $p1)'
    """
    sql = _delete_in_sql(target, table, column, len(ids))
    return Compiled(sql, _params(ids), target.dialect)


@_cached
def _delete_in_sql(target: Target, table: str, column: str, n: int) -> exp.Expression:
    cond = exp.In(this=exp.column(_ident(column)), expressions=[_ph(i) for i in range(n)])
    return exp.delete(target.table(table), where=cond)


def select_where_in(
    target: Target, table: str, columns: Sequence[str], column: str, values: Sequence[Any]
) -> Compiled:
    """``SELECT columns FROM table WHERE column IN (…)``."""
    cond = exp.In(this=exp.column(_ident(column)), expressions=[_ph(i) for i in range(len(values))])
    tree = exp.select(*[exp.column(_ident(c)) for c in columns]).from_(target.table(table))
    tree = tree.where(cond if values else exp.false())
    return Compiled(tree.sql(target.dialect), _params(values), target.dialect)


def select_where(
    target: Target, table: str, columns: Sequence[str], where: dict[str, Any]
) -> Compiled:
    """``SELECT columns FROM table WHERE c1 = … AND c2 = …``.

    Examples:
        >>> select_where(Target("duckdb"), "file_feature_value", ["file_id"],
        ...              {"file_id": 1, "feature_value_id": 2}).sql
        'SELECT "file_id" FROM "file_feature_value" WHERE "file_id" = $p0 AND "feature_value_id" = $p1'
    """  # noqa: E501
    conds = [exp.EQ(this=exp.column(_ident(c)), expression=_ph(i)) for i, c in enumerate(where)]
    tree = exp.select(*[exp.column(_ident(c)) for c in columns]).from_(target.table(table))
    tree = tree.where(exp.and_(*conds))
    return Compiled(tree.sql(target.dialect), _params(where.values()), target.dialect)


def feature_values(target: Target, link: str, column: str, owner_id: int) -> Compiled:
    """Feature name and typed value columns of every value linked to one record."""
    v, f, lk = "fv", "f", "l"
    cols = ["value_str", "value_float", "value_bool", "value_datetime", "value_json"]
    tree = (
        exp.select(exp.column("name", table=f, quoted=True),
                   *[exp.column(c, table=v, quoted=True) for c in cols])
        .from_(target.table(link, lk))
        .join(target.table("feature_value", v), on=exp.EQ(
            this=exp.column("id", table=v, quoted=True),
            expression=exp.column("feature_value_id", table=lk, quoted=True)))
        .join(target.table("feature", f), on=exp.EQ(
            this=exp.column("id", table=f, quoted=True),
            expression=exp.column("feature_id", table=v, quoted=True)))
        .where(exp.EQ(this=exp.column(column, table=lk, quoted=True), expression=_ph(0)))
        .order_by(exp.column("name", table=f, quoted=True), exp.column("id", table=v, quoted=True))
    )  # fmt: skip
    return Compiled(tree.sql(target.dialect), {"p0": owner_id}, target.dialect)


def link_by_keys(
    target: Target, link: str, source: str, dest: str, table: str, key: str, batch: str
) -> str:
    """DuckDB SQL inserting link rows (``source`` → ``dest`` ids of ``table``) for an Arrow
    batch of (``child``, ``parent``) keys of ``table``'s ``key`` column; existing links and
    keys not in the table are skipped.

    Examples:
        >>> sql = link_by_keys(Target("duckdb"), "t_parent", "child_id", "parent_id", "t",
        ...                    "ontology_id", "_pairs")
        >>> sql.startswith('INSERT INTO "t_parent" ("child_id", "parent_id") SELECT DISTINCT')
        True
    """

    def render() -> str:
        col = lambda name, alias: exp.column(_ident(name), table=_ident(alias))  # noqa: E731
        exists = (
            exp.select(exp.Literal.number(1)).from_(target.table(link, "l"))
            .where(exp.and_(exp.EQ(this=col(source, "l"), expression=col("id", "c")),
                            exp.EQ(this=col(dest, "l"), expression=col("id", "p"))))
        )  # fmt: skip
        select = (
            exp.select(col("id", "c"), col("id", "p")).distinct()
            .from_(exp.Table(this=_ident(batch), alias=exp.TableAlias(this=_ident("x"))))
            .join(target.table(table, "c"), on=exp.EQ(this=col(key, "c"),
                                                      expression=col("child", "x")))
            .join(target.table(table, "p"), on=exp.EQ(this=col(key, "p"),
                                                      expression=col("parent", "x")))
            .where(exp.Not(this=exp.Exists(this=exists)))
        )  # fmt: skip
        columns = [exp.column(_ident(source)), exp.column(_ident(dest))]
        return exp.insert(select, exp.Schema(this=target.table(link), expressions=columns)).sql(
            "duckdb")  # fmt: skip

    return sqlcache.get(("link_by_keys", target, link, source, dest, table, key, batch), render)


def _params(values) -> dict[str, Any]:
    return {f"p{i}": v for i, v in enumerate(values)}


def delete_matching(target: Target, table: str, values: dict[str, Any]) -> Compiled:
    """``DELETE FROM table WHERE c1 = … AND c2 = …``.

    Examples:
        >>> delete_matching(Target("duckdb"), "file_ulabel", {"file_id": 1, "ulabel_id": 2}).sql
        'DELETE FROM "file_ulabel" WHERE "file_id" = $p0 AND "ulabel_id" = $p1'
    """
    conds = [exp.EQ(this=exp.column(_ident(c)), expression=_ph(i)) for i, c in enumerate(values)]
    tree = exp.delete(target.table(table), where=exp.and_(*conds))
    return Compiled(tree.sql(target.dialect), _params(values.values()), target.dialect)


def update_where(
    target: Target, table: str, changes: dict[str, Any], where: dict[str, Any]
) -> Compiled:
    """``UPDATE table SET … WHERE …``: a list value means ``IN``, any other ``=``.

    Examples:
        >>> update_where(Target("duckdb"), "file", {"is_latest": False},
        ...              {"id": [1, 2], "is_latest": True}).sql
        'UPDATE "file" SET "is_latest" = $p0 WHERE "id" IN ($p1, $p2) AND "is_latest" = $p3'
    """
    shape = tuple((c, len(v) if isinstance(v, (list, tuple)) else -1) for c, v in where.items())
    sql = _update_where_sql(target, table, tuple(changes), shape)
    values = list(changes.values())
    for value in where.values():
        values.extend(value if isinstance(value, (list, tuple)) else [value])
    return Compiled(sql, _params(values), target.dialect)


@_cached
def _update_where_sql(
    target: Target, table: str, columns: tuple[str, ...], shape: tuple[tuple[str, int], ...]
) -> exp.Expression:
    sets = [exp.EQ(this=exp.column(_ident(c)), expression=_ph(i)) for i, c in enumerate(columns)]
    conds, i = [], len(columns)
    for column, n in shape:
        if n < 0:
            conds.append(exp.EQ(this=exp.column(_ident(column)), expression=_ph(i)))
            i += 1
        else:
            items = [_ph(i + k) for k in range(n)]
            conds.append(exp.In(this=exp.column(_ident(column)), expressions=items) if n else
                         exp.false())  # fmt: skip
            i += n
    tree = exp.update(target.table(table), where=exp.and_(*conds))
    tree.set("expressions", sets)
    return tree


def match_batch(target: Target, table: str, columns: Sequence[str], column: str, batch: str) -> str:
    """DuckDB SQL joining ``table`` with an Arrow batch registered as ``batch`` (one column
    ``_v``) case-insensitively on ``column``: the rows whose value matches, plus ``_v``.

    Examples:
        >>> print(match_batch(Target("duckdb"), "ulabel", ["id", "name"], "name", "_b"))
        SELECT "t"."id", "t"."name", "b"."_v" FROM "ulabel" AS "t" JOIN "_b" AS "b" ON LOWER("t"."name") = LOWER("b"."_v")
    """  # noqa: E501
    return _match_batch_sql(target, table, tuple(columns), column, batch)


def _match_batch_sql(target, table, columns, column, batch) -> str:
    key = ("match_batch", target, table, columns, column, batch)

    def render() -> str:
        cols = [exp.column(_ident(c), table=_ident("t")) for c in columns]
        on = exp.EQ(
            this=exp.Lower(this=exp.column(_ident(column), table=_ident("t"))),
            expression=exp.Lower(this=exp.column(_ident("_v"), table=_ident("b"))),
        )
        source = target.table(table, "t")
        joined = exp.Table(this=_ident(batch), alias=exp.TableAlias(this=_ident("b")))
        tree = exp.select(*cols, exp.column(_ident("_v"), table=_ident("b"))).from_(source)
        return tree.join(joined, on=on).sql("duckdb")

    return sqlcache.get(key, render)
