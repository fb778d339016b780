"""Ranked search compiled to one SQL statement.

Tiers: 0 exact (case-insensitive), 1 prefix, 2 a word starts with the query,
3 substring, 4 typo-tolerant (normalised Levenshtein distance against the whole
value or its prefix). Within a tier, higher similarity, then shorter values first.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from .compiler import Compiled, Target, _quoted
from .errors import FieldError, ValidationError, did_you_mean
from .lookups import _escape_like
from .model import TableModel

MAX_QUERY = 64
FUZZY_TIER = 4
_CACHE: dict[tuple, str] = {}


def _ph(name: str) -> exp.Placeholder:
    return exp.Placeholder(this=name)


def _num(value: float | int) -> exp.Literal:
    return exp.Literal.number(value)


def _fn(name: str, *args: exp.Expression) -> exp.Expression:
    return args[0] if len(args) == 1 else exp.Anonymous(this=name, expressions=list(args))


def _tier(low: exp.Expression) -> exp.Expression:
    case = exp.Case().when(exp.EQ(this=low, expression=_ph("q")), _num(0))
    for tier, pattern in ((1, "prefix"), (2, "word"), (3, "sub")):
        like = exp.Escape(
            this=exp.Like(this=low.copy(), expression=_ph(pattern)),
            expression=exp.Literal.string("\\"),
        )
        case = case.when(like, _num(tier))
    return case.else_(_num(FUZZY_TIER))


def _similarity(low: exp.Expression, n: int) -> exp.Expression:
    whole = exp.Levenshtein(
        this=exp.Left(this=low, expression=_num(MAX_QUERY)), expression=_ph("q")
    )
    prefix = exp.Levenshtein(
        this=exp.Left(this=low.copy(), expression=_num(n + 1)), expression=_ph("q")
    )
    distance = _fn("LEAST", whole, prefix)
    return exp.Sub(this=_num(1.0), expression=exp.Div(this=distance, expression=_num(float(n))))


def compile_search(
    table: TableModel,
    target: Target,
    query: str,
    fields: Sequence[str],
    *,
    limit: int = 20,
    threshold: float = 0.7,
    fuzzy: bool = True,
) -> Compiled:
    """Compile a ranked search of ``query`` over ``fields`` of ``table``.

    Examples:
        >>> from catalog_sql.model import Column, TableModel
        >>> t = TableModel("ulabel", {"id": Column("id", "int"), "name": Column("name", "str")})
        >>> c = compile_search(t, Target("duckdb"), "Exp", ["name"])
        >>> c.params["prefix"], c.params["word"], c.params["q"]
        ('exp%', '% exp%', 'exp')
    """
    if not isinstance(query, str) or not query.strip():
        raise ValidationError("search() needs a non-empty query string.")
    if not isinstance(limit, int) or limit <= 0:
        raise ValidationError(f"limit must be a positive integer, got {limit!r}.")
    for name in fields:
        if name not in table.columns or table.columns[name].type != "str":
            text_fields = [c for c, col in table.columns.items() if col.type == "str"]
            raise FieldError(
                f"Cannot search field '{name}' of {table.name}."
                f"{did_you_mean(name, text_fields) or ' Text fields: ' + ', '.join(text_fields)}"
            )
    q = query.strip().lower()[:MAX_QUERY]
    escaped = _escape_like(q)
    params = {"q": q, "prefix": f"{escaped}%", "word": f"% {escaped}%", "sub": f"%{escaped}%"}
    if not fuzzy:
        threshold = 2.0  # no similarity reaches it: only tiers 0-3 are kept
    key = (table.name, tuple(table.columns), target, tuple(fields), len(q), limit, threshold)
    sql = _CACHE.get(key)
    if sql is None:
        sql = _CACHE[key] = _statement(table, target, fields, len(q), limit, threshold)
    return Compiled(sql, params, target.dialect)


def _statement(table, target, fields, n, limit, threshold) -> str:
    alias = table.name
    columns = [_quoted(c, alias) for c in table.columns]
    lows = [
        exp.alias_(
            exp.Lower(
                this=exp.Coalesce(this=_quoted(f, alias), expressions=[exp.Literal.string("")])
            ),
            f"_f{i}",
            quoted=True,
        )
        for i, f in enumerate(fields)
    ]
    base = exp.select(*columns, *lows).from_(target.table(table.name, alias))
    refs = [exp.column(f"_f{i}", quoted=True) for i in range(len(fields))]
    tier = _fn("LEAST", *[_tier(r) for r in refs])
    tiered = exp.select(exp.Star(), exp.alias_(tier, "_tier", quoted=True)).from_(
        base.subquery("base")
    )
    tier_col = exp.column("_tier", quoted=True)
    score = exp.Case().when(exp.LT(this=tier_col, expression=_num(FUZZY_TIER)), _num(1.0))
    if threshold <= 1.0:
        score = score.else_(_fn("GREATEST", *[_similarity(r.copy(), n) for r in refs]))
    else:
        score = score.else_(_num(0.0))
    scored = exp.select(exp.Star(), exp.alias_(score, "_score", quoted=True)).from_(
        tiered.subquery("tiered")
    )
    keep = exp.or_(
        exp.LT(this=tier_col.copy(), expression=_num(FUZZY_TIER)),
        exp.GTE(this=exp.column("_score", quoted=True), expression=_num(threshold)),
    )
    first = exp.column(fields[0], quoted=True)
    outer = (
        exp.select(
            *[exp.column(c, quoted=True) for c in table.columns],
            tier_col.copy(),
            exp.column("_score", quoted=True),
        )
        .from_(scored.subquery("scored"))
        .where(keep)
        .order_by(
            tier_col.copy(),
            exp.Ordered(this=exp.column("_score", quoted=True), desc=True, nulls_first=False),
            exp.Length(this=first),
            first.copy(),
        )
        .limit(limit)
    )
    return outer.sql(target.dialect)
