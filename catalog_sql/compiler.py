"""Compile ``filter`` lookups into one SQL statement from one sqlglot tree.

The compiler resolves each lookup key (``run__transform__name__in``) against the
:class:`~catalog_sql.model.Schema`, builds a sqlglot tree with named placeholders for
every user value and renders it for the target dialect. Rendered SQL is cached by the
*shape* of the query (keys, lookups, list lengths), never by values.

Examples:
    >>> from catalog_sql.model import Column, Schema, TableModel
    >>> s = Schema()
    >>> s.add(TableModel("ulabel", {"id": Column("id", "int"), "name": Column("name", "str")}))
    >>> c = Compiler(s, Target("postgres")).select("ulabel", Q(name__startswith="a_"))
    >>> print(c.sql)  # doctest: +NORMALIZE_WHITESPACE
    SELECT "ulabel"."id", "ulabel"."name" FROM "ulabel" AS "ulabel"
    WHERE "ulabel"."name" LIKE %(p0)s ESCAPE '\\'
    >>> c.params
    {'p0': 'a\\\\_%'}
    >>> d = Compiler(s, Target("duckdb")).select("ulabel", Q(name__icontains="a_"))
    >>> print(d.sql)  # doctest: +NORMALIZE_WHITESPACE
    SELECT "ulabel"."id", "ulabel"."name" FROM "ulabel" AS "ulabel"
    WHERE CONTAINS(LOWER("ulabel"."name"), LOWER($p0))
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import sqlcache
from ._lazy import exp
from .errors import FieldError, ValidationError, did_you_mean
from .lookups import DUCKDB_LOOKUPS, LOOKUPS, POSTGRES_LOOKUPS, Lookup
from .model import Column, Relation, Schema, TableModel
from .query import Q

SEP = "__"
#: the CTE a SELECT reads in place of its table when it is given candidates (``among``)
AMONG = "lakecat_among"


@dataclass(frozen=True)
class Among:
    """The rows a SELECT reads in place of its table (a search index's candidates): those
    of ``ids``, and every row whose ``updated_at`` is later than ``since``, read by the
    same statement, so that the rows come from one snapshot."""

    ids: tuple[int, ...]
    since: datetime | None = None


_PLACEHOLDER = {
    "duckdb": re.compile(r"\$([A-Za-z_]\w*)"),
    "postgres": re.compile(r"%\((\w+)\)s"),
}


@dataclass(frozen=True)
class Target:
    """Where the SQL runs: a dialect and how table names are qualified."""

    dialect: str
    catalog: str | None = None
    db: str | None = None

    def table(self, name: str, alias: str | None = None) -> exp.Table:
        """A quoted, qualified table expression."""
        table = exp.table_(name, db=self.db, catalog=self.catalog, quoted=True)
        if alias is not None:
            table.set("alias", exp.TableAlias(this=exp.to_identifier(alias, quoted=True)))
        return table


@dataclass(frozen=True)
class Leaf:
    """A resolved lookup key: relations to follow, then a column and a lookup.

    A feature-value key (``features__temperature__gt``) names the ``feature``; which
    typed value column it compares is chosen by the value (:func:`_value_leaf`).
    """

    key: str
    path: tuple[Relation, ...]
    column: Column
    lookup: Lookup
    is_relation: bool = False
    feature: str | None = None
    #: keys into a JSON column (``meta__organism`` → ("organism",)), compared as text,
    #: or as numbers when the value is one
    json_path: tuple[str, ...] | None = None


#: The typed columns of a feature value, by the Python value compared with them.
_VALUE_COLUMNS = {
    "bool": Column("value_bool", "bool"), "float": Column("value_float", "float"),
    "str": Column("value_str", "str"), "datetime": Column("value_datetime", "datetime"),
}  # fmt: skip


def _value_leaf(leaf: Leaf, value: Any) -> Leaf:
    """The feature-value leaf comparing the column that holds values like ``value``."""
    import datetime as dt
    import numbers

    probe = value
    if leaf.lookup.name in ("in", "range") and isinstance(value, (list, tuple, set)):
        probe = next(iter(value), None)
    if isinstance(probe, bool):
        kind = "bool"
    elif isinstance(probe, numbers.Number):
        kind = "float"
    elif isinstance(probe, (dt.datetime, dt.date)):
        kind = "datetime"
    else:
        kind = "str"
    column = _VALUE_COLUMNS[kind]
    if column.type not in leaf.lookup.types:
        raise FieldError(f"Lookup '{leaf.lookup.name}' does not apply to {kind} feature values.")
    return Leaf(leaf.key, leaf.path, column, leaf.lookup, False, leaf.feature)


@dataclass
class Compiled:
    """A compiled statement: SQL with named placeholders plus the bound values."""

    sql: str
    params: dict[str, Any]
    dialect: str

    def inline(self) -> str:
        """The SQL with every value rendered as an escaped literal by sqlglot."""
        return render_inline(self.sql, self.params, self.dialect)


def literal_sql(value: Any, dialect: str) -> str:
    """Render one Python value as a SQL literal (quotes escaped by sqlglot).

    Examples:
        >>> literal_sql("x'; DROP TABLE ulabel; --", "postgres")
        "'x''; DROP TABLE ulabel; --'"
    """
    from .literals import render_literal

    return render_literal(value, dialect)


def render_inline(sql: str, params: dict[str, Any], dialect: str) -> str:
    """Replace the named placeholders in ``sql`` by literals."""
    pattern = _PLACEHOLDER[dialect]
    return pattern.sub(lambda m: literal_sql(params[m.group(1)], dialect), sql)


def _naive(column: str, alias: str) -> exp.Expression:
    """A TIMESTAMPTZ column as the naive UTC TIMESTAMP (the session is UTC): DuckDB turns
    naive timestamps into Python objects ~5x faster (no pytz per value); the caller puts
    UTC back (``records`` mode, for building records)."""
    cast = exp.Cast(this=_quoted(column, alias), to=exp.DataType.build("TIMESTAMP"))
    return exp.alias_(cast, column, quoted=True)


def _quoted(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


@dataclass
class _Scope:
    """One SELECT: its base table, alias and the to-one joins it needed."""

    compiler: Compiler
    table: TableModel
    alias: str
    joins: dict[str, exp.Join] = field(default_factory=dict)

    def follow(self, path: Sequence[Relation]) -> tuple[str, TableModel]:
        """Left-join along to-one relations; return the last alias and table."""
        alias, table = self.alias, self.table
        for rel in path:
            target = self.compiler.schema[rel.target]
            new_alias = rel.name if alias == self.alias else f"{alias}{SEP}{rel.name}"
            if new_alias not in self.joins:
                on = exp.EQ(this=_quoted("id", new_alias), expression=_quoted(rel.column, alias))
                tbl = self.compiler.target.table(target.name, new_alias)
                self.joins[new_alias] = exp.Join(this=tbl, on=on, kind="LEFT")
            alias, table = new_alias, target
        return alias, table

    def apply(self, select: exp.Select) -> exp.Select:
        for join in self.joins.values():
            select = select.join(join, copy=False)
        return select


class Compiler:
    """Compile filters over one :class:`Schema` for one :class:`Target`."""

    def __init__(self, schema: Schema, target: Target) -> None:
        self.schema = schema
        self.target = target
        self._leaves: dict[tuple[str, str], Leaf] = {}
        self._subqueries = 0
        self._digest: str | None = None

    def _schema_key(self) -> str:
        """A digest of the tables this compiler traverses (part of every cache key)."""
        if self._digest is None:
            import hashlib

            tables = sorted(
                (t.name, tuple(t.columns.items()), tuple(sorted(t.relations.items())))
                for t in self.schema.tables.values()
            )
            self._digest = hashlib.sha256(repr(tables).encode()).hexdigest()[:16]
        return self._digest

    # -- resolution --------------------------------------------------------------
    def table(self, name: str) -> TableModel:
        """The table model called ``name`` or a FieldError."""
        try:
            return self.schema[name]
        except KeyError:
            raise FieldError(f"Unknown registry table '{name}'.") from None

    def resolve(self, table: str, key: str) -> Leaf:
        """Resolve a lookup key such as ``run__transform__name__in`` (cached)."""
        cache_key = (table, key)
        leaf = self._leaves.get(cache_key)
        if leaf is None:
            leaf = self._resolve(self.table(table), key)
            self._leaves[cache_key] = leaf
        return leaf

    def _resolve(self, table: TableModel, key: str) -> Leaf:
        parts = key.split(SEP)
        path: list[Relation] = []
        current = table
        for i, part in enumerate(parts):
            rest = parts[i + 1 :]
            if part in current.columns:
                column = current.columns[part]
                if column.type == "json" and rest and rest[0] not in LOOKUPS:
                    return self._json_leaf(key, path, column, rest)
                return self._leaf(key, path, column, rest)
            rel = current.relations.get(part)
            if rel is None:
                raise self._unknown(current, part, key)
            if rel.kind == "values":
                return self._feature_leaf(key, [*path, rel], rest)
            if rel.kind == "fk" and (not rest or rest[0] in LOOKUPS):
                return self._leaf(key, path, current.columns[rel.column], rest, True)
            path.append(rel)
            current = self.schema[rel.target]
            if not rest:
                return self._leaf(key, path, current.columns["id"], rest, True)
        raise FieldError(f"Lookup '{key}' does not end in a field.")  # pragma: no cover

    def _json_leaf(self, key: str, path: list[Relation], column: Column, rest: list[str]) -> Leaf:
        """``meta__organism`` / ``meta__donor__age__gt``: keys into a JSON column."""
        keys = []
        while rest and rest[0] not in LOOKUPS:
            keys.append(rest.pop(0))
        leaf = self._leaf(key, path, Column(column.name, "str"), rest)
        return Leaf(key, leaf.path, leaf.column, leaf.lookup, False, None, tuple(keys))

    def _feature_leaf(self, key: str, path: list[Relation], rest: list[str]) -> Leaf:
        """``features__<feature name>[__<lookup>]``: a condition on a feature's values."""
        if not rest or not rest[0] or (len(rest) == 1 and rest[0] in LOOKUPS):
            raise FieldError(
                f"'{key}' needs a feature name: features__<name>=value, e.g. "
                f"features__temperature__gt=20."
            )
        leaf = self._leaf(key, path, _VALUE_COLUMNS["str"], rest[1:])
        return Leaf(key, leaf.path, leaf.column, leaf.lookup, False, rest[0])

    def _leaf(self, key, path, column, rest, is_relation=False) -> Leaf:
        name = rest[0] if rest else "exact"
        if len(rest) > 1 or name not in LOOKUPS:
            bad = rest[0] if rest else name
            hint = did_you_mean(bad, LOOKUPS) or f" Known lookups: {', '.join(sorted(LOOKUPS))}."
            raise FieldError(f"Unknown lookup '{bad}' in '{key}'.{hint}")
        lookup = LOOKUPS[name]
        if self.target.dialect == "duckdb":
            lookup = DUCKDB_LOOKUPS.get(name, lookup)
        elif self.target.dialect == "postgres":
            lookup = POSTGRES_LOOKUPS.get(name, lookup)
        if column.type not in lookup.types:
            raise FieldError(
                f"Lookup '{name}' does not apply to field '{column.name}' of type {column.type}."
            )
        return Leaf(key, tuple(path), column, lookup, is_relation)

    @staticmethod
    def _unknown(table: TableModel, part: str, key: str) -> FieldError:
        choices = [*table.columns, *table.relations]
        hint = did_you_mean(part, choices)
        if not hint:
            hint = f" Fields of {table.name}: {', '.join(choices)}."
        return FieldError(f"Unknown field '{part}' in '{key}' on {table.name}.{hint}")

    # -- values ------------------------------------------------------------------
    def prepare(self, table: str, where: Q | None, adapt: Callable[[Any], Any]) -> tuple:
        """Resolve every leaf of ``where`` and validate its value."""
        if where is None:
            return (), []
        leaves, prepared = [], []
        for key, value in where.leaves():
            leaf = self.resolve(table, key)
            if leaf.lookup.name == "in" and _one_shot(value):
                value = list(value)  # read a generator once: prepare and shape must agree
            if leaf.feature is not None:
                leaf = _value_leaf(leaf, value)
            elif leaf.json_path is not None:
                leaf = _json_typed(leaf, value)
            if leaf.is_relation:
                value = adapt(value)
            params = leaf.lookup.prepare(value, leaf.column)
            leaves.append((leaf, leaf.lookup.variant(value), leaf.lookup.negated(value)))
            prepared.append(params)
        return tuple(leaves), prepared

    # -- statements --------------------------------------------------------------
    def select(
        self,
        table: str,
        where: Q | None = None,
        *,
        order_by: Sequence[str] = (),
        limit: int | None = None,
        offset: int | None = None,
        mode: str = "rows",
        adapt: Callable[[Any], Any] = lambda v: v,
        columns: Sequence[str] = (),
        among: Among | None = None,
    ) -> Compiled:
        """Compile a SELECT over ``table``; ``mode`` is rows, count, exists, ids or values
        (``columns`` only); ``records`` is rows as the record builder wants them (on
        DuckDB, timestamps naive UTC: see :func:`_naive`). ``among``: rows that hold every
        row the filter matches (a search index's candidates); they are read first, then
        filtered (see :func:`_among`)."""
        for number, label in ((limit, "limit"), (offset, "offset")):
            bad = not isinstance(number, int) or isinstance(number, bool)
            if number is not None and (bad or not 0 <= number < 2**62):
                raise ValidationError(f"{label} must be an integer in [0, 2**62), got {number!r}.")
        if mode == "values" and not columns:
            raise ValidationError("values_list() needs at least one field name.")
        leaves, prepared = self.prepare(table, where, adapt)
        if mode == "values":
            model = self.table(table)
            for name in columns:
                if name not in model.columns:
                    raise self._unknown(model, name, name)
        shape = (table, mode, _shape(where, iter(leaves)), tuple(order_by), limit, offset,
                 tuple(columns), among is not None)  # fmt: skip
        params = {f"p{i}": v for i, v in enumerate(v for ps in prepared for v in ps)}

        def render() -> str:
            tree = self._build(table, where, iter(prepared), order_by, limit, offset, mode,
                               tuple(columns), iter(leaves), among is not None)  # fmt: skip
            return tree.sql(self.target.dialect)

        sql = sqlcache.get(("select", self._schema_key(), self.target, shape), render)
        if among is not None:
            sql = self._among(table, among) + sql
        return Compiled(sql, params, self.target.dialect)

    def _among(self, table: str, among: Among) -> str:
        """``WITH lakecat_among AS MATERIALIZED (the rows of ``among``)``, which the SELECT
        reads in place of ``table``. Materialized, so that DuckDB reads the rows by id
        before it tests the filter: with ``id IN (…)`` next to the filter in one scan, it
        tests the filter over every row group (15 ms for 10 ids at 1e6 labels, the scan's
        time; read first: 2.3 ms). In ``rowid`` order, the order a scan of the table
        reads them in (a transaction's own rows last), so that a set without
        ``order_by`` lists its rows as the scan does."""
        rows = sqlcache.get(("among", self.target, table), lambda: (
            f'SELECT *, rowid AS "{AMONG}_rowid" FROM '
            f"{self.target.table(table).sql(self.target.dialect)}"))  # fmt: skip
        listed = ", ".join(str(int(i)) for i in among.ids)
        parts = [f'{rows} WHERE "id" IN ({listed})' if listed else f"{rows} WHERE FALSE"]
        if among.since is not None:  # the rows written since the candidates' index was built
            # an ISO timestamp holds digits, '-', ':', '.', '+' and 'T' only: no quoting
            later = f"\"updated_at\" > CAST('{among.since.isoformat()}' AS TIMESTAMPTZ)"
            fresh = f' AND "id" NOT IN ({listed})' if listed else ""
            parts.append(f"{rows} WHERE {later}{fresh}")
        union = " UNION ALL ".join(parts)
        return (f'WITH "{AMONG}" AS MATERIALIZED (SELECT * FROM ({union}) '
                f'ORDER BY "{AMONG}_rowid") ')  # fmt: skip

    def _build(self, table, where, prepared, order_by, limit, offset, mode, columns=(),
               leaves=None, among=False):  # fmt: skip
        model = self.table(table)
        scope = _Scope(self, model, model.name)
        counter = iter(range(1_000_000))
        leaves = leaves if leaves is not None else iter(self.prepare(table, where, _same)[0])
        cond = self._condition(scope, where, prepared, counter, leaves) if where else None
        windowed = mode == "count" and (limit is not None or bool(offset))
        projection = self._projection(scope, "exists" if windowed else mode, columns)
        source = self.target.table(model.name, scope.alias)
        if among:  # the rows of the candidate ids (see _among), under the table's alias
            source = exp.table_(AMONG, quoted=True)
            source.set("alias", exp.TableAlias(this=exp.to_identifier(scope.alias, quoted=True)))
        select = exp.select(*projection).from_(source)
        orders = [self._order(scope, item) for item in order_by]
        select = scope.apply(select)
        if cond is not None:
            select = select.where(cond, copy=False)
        if orders and mode in ("rows", "records", "ids", "values"):
            select = select.order_by(*orders, copy=False)
        if mode == "exists":
            limit = 1
        if limit is not None:
            select = select.limit(limit, copy=False)
        if offset:
            select = select.offset(offset, copy=False)
        if windowed:  # count the rows of the window: SELECT count(*) FROM (SELECT 1 … LIMIT)
            inner = select.subquery("counted")
            return exp.select(exp.Count(this=exp.Star())).from_(inner)
        return select

    def _projection(self, scope: _Scope, mode: str, columns=()) -> list[exp.Expression]:
        if mode == "values":
            return [_quoted(c, scope.alias) for c in columns]
        if mode == "count":
            return [exp.Count(this=exp.Star())]
        if mode == "exists":
            return [exp.Literal.number(1)]
        if mode == "ids":
            return [_quoted("id", scope.alias)]
        if mode == "records" and self.target.dialect == "duckdb":
            return [_naive(c, scope.alias) if col.type == "datetime" else _quoted(c, scope.alias)
                    for c, col in scope.table.columns.items()]  # fmt: skip
        return [_quoted(c, scope.alias) for c in scope.table.columns]

    def _order(self, scope: _Scope, item: str) -> exp.Ordered:
        desc = item.startswith("-")
        key = item.lstrip("-")
        leaf = self.resolve(scope.table.name, key)
        if any(rel.to_many for rel in leaf.path) or leaf.lookup.name != "exact":
            raise FieldError(f"Cannot order by '{key}': only fields and to-one relations.")
        alias, _ = scope.follow(leaf.path)
        # Nulls sort last either way (DuckDB's order), which Postgres spells DESC NULLS LAST
        # and cannot serve backwards from a btree index. A NOT NULL column of the table
        # itself (not of a LEFT JOINed one) has no nulls: plain DESC, index-backed.
        no_nulls = not leaf.path and not leaf.column.nullable and self.target.dialect != "duckdb"
        return exp.Ordered(this=_quoted(leaf.column.name, alias), desc=desc,
                           nulls_first=True if desc and no_nulls else None)  # fmt: skip

    def _condition(self, scope, q: Q, prepared, counter, leaves) -> exp.Expression:
        parts = []
        for child in q.children:
            if isinstance(child, Q):
                parts.append(self._condition(scope, child, prepared, counter, leaves))
            else:
                leaf = next(leaves)[0]
                values = next(prepared)
                holders = [exp.Placeholder(this=f"p{next(counter)}") for _ in values]
                negated = leaf.lookup.negated(child[1])
                parts.append(self._leaf_condition(scope, leaf, leaf.path, holders, negated))
        if not parts:
            cond: exp.Expression = exp.true()
        elif len(parts) == 1:
            cond = parts[0]
        else:
            join = exp.and_ if q.connector == Q.AND else exp.or_
            cond = exp.Paren(this=join(*parts, copy=False))
        if not q.negated:
            return cond
        # ~Q keeps rows for which the condition is not true, NULL included (as Django's
        # exclude does): NOT COALESCE(cond, FALSE), never SQL's three-valued NOT.
        return exp.Not(this=exp.Coalesce(this=exp.Paren(this=cond), expressions=[exp.false()]))

    def _leaf_condition(self, scope, leaf: Leaf, path, holders, negated) -> exp.Expression:
        split = next((i for i, rel in enumerate(path) if rel.to_many), None)
        if split is None:
            alias, _ = scope.follow(path)
            cond = leaf.lookup.build(self._column(leaf, alias), holders)
            return exp.Not(this=cond) if negated else cond
        alias, _ = scope.follow(path[:split])
        sub = self._subquery(path[split], leaf, path[split + 1 :], holders, negated)
        return exp.In(this=_quoted("id", alias), query=exp.Subquery(this=sub))

    def _subquery(self, rel: Relation, leaf, rest, holders, negated) -> exp.Select:
        self._subqueries += 1
        if rel.kind == "values":
            return self._values_subquery(rel, leaf, holders, negated)
        target = self.schema[rel.target]
        sub_alias = f"{rel.name}_{self._subqueries}"
        sub = _Scope(self, target, sub_alias)
        if rel.kind == "reverse_fk":
            cond = self._leaf_condition(sub, leaf, rest, holders, negated)
            select = exp.select(_quoted(rel.column, sub_alias))
            select = select.from_(self.target.table(target.name, sub_alias))
            return sub.apply(select).where(cond, copy=False)
        link_alias = f"{rel.link_table}_{self._subqueries}"
        select = exp.select(_quoted(rel.link_source, link_alias))
        select = select.from_(self.target.table(rel.link_table, link_alias))
        if not rest and leaf.column.name == "id":
            cond = leaf.lookup.build(_quoted(rel.link_target, link_alias), holders)
            return select.where(exp.Not(this=cond) if negated else cond, copy=False)
        # the targets as a nested IN, not a join: DuckDB then finds them through the
        # target's index (a unique name) and filters the link table's scan by their ids;
        # joined, it scanned the whole target table (199 -> 59 ms at 1e7 links)
        cond = self._leaf_condition(sub, leaf, rest, holders, negated)
        targets = sub.apply(
            exp.select(_quoted("id", sub_alias)).from_(self.target.table(target.name, sub_alias))
        ).where(cond, copy=False)
        inner = exp.In(this=_quoted(rel.link_target, link_alias), query=exp.Subquery(this=targets))
        return select.where(inner, copy=False)

    def _column(self, leaf: Leaf, alias: str) -> exp.Expression:
        """The column a leaf compares: the column itself, or a value inside a JSON one."""
        column = _quoted(leaf.column.name, alias)
        if leaf.json_path is None:
            return column
        keys = [exp.JSONPathKey(this=k) for k in leaf.json_path]
        text = exp.JSONExtractScalar(
            this=column, expression=exp.JSONPath(expressions=[exp.JSONPathRoot(), *keys])
        )
        if leaf.column.type != "float":
            return text
        return _JSON_NUMBER[self.target.dialect](column, leaf.json_path, text)

    def _values_subquery(self, rel: Relation, leaf: Leaf, holders, negated) -> exp.Select:
        """Ids of records with a value of feature ``leaf.feature`` matching the lookup:
        link → feature_value → feature (the feature name is a literal of the shape)."""
        n = self._subqueries
        link, value, feature = f"fv_link_{n}", f"fv_{n}", f"fv_feature_{n}"
        cond = leaf.lookup.build(_quoted(leaf.column.name, value), holders)
        cond = exp.Not(this=cond) if negated else cond
        named = exp.EQ(this=_quoted("name", feature), expression=exp.Literal.string(leaf.feature))
        return (
            exp.select(_quoted(rel.link_source, link))
            .from_(self.target.table(rel.link_table, link))
            .join(self.target.table(rel.target, value), on=exp.EQ(
                this=_quoted("id", value), expression=_quoted(rel.link_target, link)))
            .join(self.target.table("feature", feature), on=exp.EQ(
                this=_quoted("id", feature), expression=_quoted("feature_id", value)))
            .where(exp.and_(named, cond))
        )  # fmt: skip


def _json_typed(leaf: Leaf, value: Any) -> Leaf:
    """A JSON-path leaf compares numbers as numbers, everything else as JSON text."""
    import numbers

    probe = value
    if leaf.lookup.name in ("in", "range") and isinstance(value, (list, tuple, set)):
        probe = next(iter(value), None)
    number = isinstance(probe, numbers.Number) and not isinstance(probe, bool)
    column = Column(leaf.column.name, "float" if number else "str")
    if column.type not in leaf.lookup.types:
        raise FieldError(f"Lookup '{leaf.lookup.name}' does not apply to values in JSON.")
    return Leaf(leaf.key, leaf.path, column, leaf.lookup, False, None, leaf.json_path)


def _duck_json_number(column, keys, text) -> exp.Expression:
    return exp.TryCast(this=text, to=exp.DataType.build("DOUBLE"))


def _pg_json_number(column, keys, text) -> exp.Expression:
    """Postgres has no TRY_CAST: cast only values that are JSON numbers."""
    path = [exp.Literal.string(k) for k in keys]
    kind = exp.Anonymous(this="json_typeof", expressions=[
        exp.Anonymous(this="json_extract_path", expressions=[column.copy(), *path])])  # fmt: skip
    cast = exp.Cast(this=text, to=exp.DataType.build("DOUBLE PRECISION"))
    return exp.Case().when(exp.EQ(this=kind, expression=exp.Literal.string("number")), cast)


#: How each dialect reads a number out of JSON text without failing on other values.
_JSON_NUMBER = {"duckdb": _duck_json_number, "postgres": _pg_json_number}


def _same(value: Any) -> Any:
    return value


def _one_shot(value: Any) -> bool:
    """An iterable that would be exhausted by reading it (generator, iterator, view)."""
    return hasattr(value, "__iter__") and not isinstance(
        value, (list, tuple, set, frozenset, str, bytes, dict)
    )


def _shape(q: Q | None, leaves) -> tuple:
    if q is None:
        return ()
    parts = []
    for child in q.children:
        if isinstance(child, Q):
            parts.append(_shape(child, leaves))
        else:
            leaf, variant, negated = next(leaves)
            parts.append((leaf.key, variant, negated, leaf.column.name, leaf.column.type))
    return (q.connector, q.negated, tuple(parts))
