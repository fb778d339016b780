"""Ranked search compiled to one SQL statement.

Tiers: 0 exact (case-insensitive), 1 prefix, 2 a word starts with the query,
3 substring, 4 typo-tolerant (normalised Levenshtein distance against the whole
value or its prefix). Within a tier, higher similarity, then shorter values first.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime

from . import sqlcache
from ._lazy import exp
from .compiler import Compiled, Target, _quoted
from .errors import FieldError, ValidationError, did_you_mean
from .model import TableModel

MAX_QUERY = 64
FUZZY_PREFIX = 16  # typo tolerance compares at most this many leading characters
FUZZY_TIER = 4
#: the score of a typo one edit away from the query's first FUZZY_PREFIX characters (the
#: best a typo of a long query can have, bar an exact prefix); a float's slack below
ONE_EDIT_SCORE = 1.0 - 1.0 / FUZZY_PREFIX - 1e-9

Fetch = Callable[[Compiled], tuple[list[str], list[tuple]]]


def normalized(query: str) -> str:
    """The query as search compares it: stripped, lowercased, at most MAX_QUERY characters.

    Examples:
        >>> normalized("  T Cell ")
        't cell'
    """
    return query.strip().lower()[:MAX_QUERY]


def _ph(name: str) -> exp.Placeholder:
    return exp.Placeholder(this=name)


def _num(value: float | int) -> exp.Literal:
    return exp.Literal.number(value)


def _fn(name: str, *args: exp.Expression) -> exp.Expression:
    return args[0] if len(args) == 1 else exp.Anonymous(this=name, expressions=list(args))


def _contains(low: exp.Expression, param: str, like: bool = False) -> exp.Expression:
    # STRPOS, not LIKE … ESCAPE: DuckDB runs it ~2.5x faster and needs no escaping.
    # Postgres: LIKE '%q%' (the same rows), which its trigram index can answer.
    if like:
        return exp.Like(this=low.copy(), expression=_ph(f"{param}_like"))
    position = exp.StrPosition(this=low.copy(), substr=_ph(param))
    return exp.GT(this=position, expression=_num(0))


def _starts(low: exp.Expression, param: str, like: bool = False) -> exp.Expression:
    if like:  # Postgres: LIKE 'q%', answered by the trigram index as well
        return exp.Like(this=low.copy(), expression=_ph(f"{param}_like"))
    return exp.StartsWith(this=low.copy(), expression=_ph(param))


def _like_escaped(text: str) -> str:
    r"""``text`` as a literal part of a LIKE pattern (backslash is the escape character).

    Examples:
        >>> _like_escaped("50%_a\\b")
        '50\\%\\_a\\\\b'
    """
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _tier(low: exp.Expression) -> exp.Expression:
    case = exp.Case().when(exp.EQ(this=low, expression=_ph("q")), _num(0))
    case = case.when(exp.StartsWith(this=low.copy(), expression=_ph("q")), _num(1))
    case = case.when(_contains(low, "word"), _num(2))
    return case.else_(_num(3))


def _close_length(low: exp.Expression, n: int, slack: int, length=None) -> exp.Expression:
    size = length.copy() if length is not None else exp.Length(this=low.copy())
    difference = exp.Abs(this=exp.Sub(this=size, expression=_num(n)))
    return exp.LTE(this=difference, expression=_num(slack))


def _candidate(low: exp.Expression, n: int, slack: int, like: bool = False,
               length=None) -> exp.Expression:  # fmt: skip
    """Cheap test for "could be within ``slack`` edits": the first three letters match
    (a typo further on), or the first letter matches and the lengths are close (a typo in
    letters 2-3). Typos in the first letter are not found; this keeps edit distances off
    almost every row."""
    head = _starts(low, "head", like)
    if like:  # Postgres: the same rows, as the btree of migration 0009 reads them
        return exp.or_(head, _first_and_length(low, n, slack))
    first = _starts(low, "first", like)
    return exp.or_(head, exp.and_(first, _close_length(low, n, slack, length)))


def _first_and_length(low: exp.Expression, n: int, slack: int) -> exp.Expression:
    """``starts_with(low, first) AND abs(length(low) - n) <= slack`` (``first`` is one
    character) spelled as the expressions of a ``(left(low, 1), length(low))`` index."""
    first = exp.EQ(this=exp.Left(this=low.copy(), expression=_num(1)), expression=_ph("first"))
    size = exp.Between(this=exp.Length(this=low.copy()), low=_num(n - slack),
                       high=_num(n + slack))  # fmt: skip
    return exp.paren(exp.and_(first, size))


def _similarity(low: exp.Expression, n: int, threshold: float, length=None) -> exp.Expression:
    """1 - edit distance / query length, against the value's prefix (and whole value).

    The whole-value distance is computed only when the lengths are close enough to pass
    ``threshold`` (a length difference is a lower bound of the distance). ``length``: an
    expression for the length of the whole value, when ``low`` is only its beginning (the
    search index keeps 24 characters; lengths close to ``n`` fit in them).
    """
    slack = int((1.0 - threshold) * n)
    prefix = exp.Levenshtein(
        this=exp.Left(this=low.copy(), expression=_num(n + 1)), expression=_ph("qf")
    )
    if n >= FUZZY_PREFIX:  # long queries: only their first FUZZY_PREFIX characters
        distance: exp.Expression = prefix
    else:
        whole = exp.Levenshtein(this=low.copy(), expression=_ph("qf"))
        close = _close_length(low, n, slack, length)
        distance = exp.Case().when(close, _fn("LEAST", whole, prefix.copy())).else_(prefix)
    score = exp.Sub(this=_num(1.0), expression=exp.Div(this=distance, expression=_num(float(n))))
    return exp.Case().when(_candidate(low, n, slack, length=length), score).else_(_num(0.0))


def _candidates(refs: list[exp.Expression], n: int, threshold: float, like: bool) -> exp.Expression:
    slack = int((1.0 - threshold) * n)
    return exp.or_(*[_candidate(r, n, slack, like) for r in refs])


def compile_search(
    table: TableModel,
    target: Target,
    query: str,
    fields: Sequence[str],
    *,
    limit: int = 20,
    threshold: float = 0.7,
    fuzzy: bool = True,
    ids: Sequence[int] | None = None,
    since: datetime | None = None,
    tiers: int | None = None,
    one_edit: bool = False,
) -> Compiled:
    """Compile a ranked search of ``query`` over ``fields`` of ``table``.

    ``fuzzy=False`` keeps only tiers 0-3 (no edit distances); ``tiers=1`` (or 2, 3) only
    rows of tiers up to that one, found by their own test (prefix, word start,
    substring), which an index answers on Postgres: when such a statement fills
    ``limit``, it is the search's answer (tier is the first sort key). ``one_edit`` (queries
    of at least :data:`FUZZY_PREFIX` characters): the typo tier's candidates are only values
    within one edit of the query's first 16 characters (string tests, see
    :func:`_one_edit_test`); when rows of tiers 0-3 and typos scoring at least
    ``1 - 1/16`` fill ``limit``, no value left out (two edits or more) could enter.
    ``ids`` ranks only those
    rows (found through the search index); ``since`` only rows with a later ``updated_at``;
    both: those rows and these.

    Examples:
        >>> from catalog_sql.model import Column, TableModel
        >>> t = TableModel("ulabel", {"id": Column("id", "int"), "name": Column("name", "str")})
        >>> c = compile_search(t, Target("duckdb"), "Exp", ["name"])
        >>> c.params
        {'q': 'exp', 'word': ' exp', 'first': 'e', 'head': 'exp', 'qf': 'exp'}
    """
    if not isinstance(query, str) or not query.strip():
        raise ValidationError("search() needs a non-empty query string.")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 < limit < 2**31:
        raise ValidationError(f"limit must be a positive integer below 2**31, got {limit!r}.")
    if "\x00" in query:
        raise ValidationError("The search query contains a NUL byte; remove it.")
    try:
        query.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("The search query is not valid Unicode text.") from None
    _check_fields(table, fields)
    q = normalized(query)
    params = {"q": q, "word": f" {q}", "first": q[0], "head": q[:3], "qf": q[:FUZZY_PREFIX]}
    if tiers not in (None, 1, 2, 3):
        raise ValidationError(f"tiers must be 1, 2, 3 or None, got {tiers!r}.")
    if one_edit and (len(q) < FUZZY_PREFIX or tiers is not None or not fuzzy):
        raise ValidationError("one_edit needs a fuzzy search of a query of at least "
                              f"{FUZZY_PREFIX} characters and no tiers.")  # fmt: skip
    if one_edit:
        half = FUZZY_PREFIX // 2
        params.update({"half_a": q[:half], "half_b": q[half:FUZZY_PREFIX]})
    if not fuzzy or tiers is not None:
        threshold = 2.0  # leaves the typo tier out
        del params["first"], params["head"], params["qf"]
    if target.dialect == "postgres":  # the candidate tests as LIKE patterns (_contains)
        params["q_like"] = f"%{_like_escaped(q)}%"
        if tiers is not None and tiers < 3:
            params["q_start_like"] = f"{_like_escaped(q)}%"
            params["word_like"] = f"% {_like_escaped(q)}%"
        if "head" in params:  # the first letter is compared by left() (_first_and_length)
            params["head_like"] = f"{_like_escaped(params['head'])}%"
        if one_edit:
            params["half_a_like"] = f"{_like_escaped(params['half_a'])}%"
            params["half_b_like"] = f"%{_like_escaped(params['half_b'])}%"
    restrict = {(True, True): "index", (True, False): "ids", (False, True): "since"}.get(
        (ids is not None, since is not None))  # fmt: skip
    if since is not None:
        params["since"] = since
    key = (table.name, tuple(table.columns), target, tuple(fields), len(q), limit, threshold,
           restrict, tiers, one_edit)  # fmt: skip
    render = lambda: _statement(table, target, fields, len(q), limit, threshold, restrict,  # noqa: E731
                                tiers, one_edit)  # fmt: skip
    sql = sqlcache.get(("search", *key), render)
    if ids is not None:  # integers only: spelled into the statement, each one checked
        sql = sql.replace("$ids", ", ".join(str(int(i)) for i in ids) or "NULL")
    return Compiled(sql, params, target.dialect)


def ranked_by_tiers(
    fetch: Fetch, table: TableModel, target: Target, query: str, fields: Sequence[str],
    limit: int, by_length: bool = False,
) -> tuple[list[str], list[tuple]] | None:  # fmt: skip
    """``compile_search``'s columns and rows from statements an index answers (Postgres),
    or None when the whole statement (the typo tier) is needed.

    A short query: the rows of tiers 0-1, then up to 2, then up to 3, each found by its own
    test (a trigram or pattern index reads only those rows); the first that fills
    ``limit`` is the answer, since tier orders first. A prefix that 1e7 labels share costs
    its prefix rows, not the edit distances of every value with the same first letters. A
    long query (few values contain it, and each trigram test of a long query costs ~15 ms
    at 1e6) takes tiers 0-3 and the typos within one edit in one statement
    (``one_edit``): if they fill the limit, typos further away cannot enter.
    ``by_length``: the one field has the index of :func:`by_length_index`, so tiers 0-1
    are read in ranking order first (:func:`compile_prefix_by_length`).
    """  # fmt: skip
    steps: tuple[int, ...] = (1, 2, 3)
    if by_length and len(fields) == 1:
        columns, rows = fetch(compile_prefix_by_length(table, target, query, fields[0],
                                                       limit=limit))  # fmt: skip
        if len(rows) >= limit:
            return columns, rows
        steps = (2, 3)
    if len(normalized(query)) < FUZZY_PREFIX:
        for tiers in steps:
            compiled = compile_search(table, target, query, fields, limit=limit, tiers=tiers)
            columns, rows = fetch(compiled)
            if len(rows) >= limit:
                return columns, rows
        return None
    columns, rows = fetch(compile_search(table, target, query, fields, limit=limit,
                                         one_edit=True))  # fmt: skip
    tier, score = columns.index("_tier"), columns.index("_score")
    if sum(row[tier] < FUZZY_TIER or row[score] >= ONE_EDIT_SCORE for row in rows) >= limit:
        return columns, rows
    return None


def by_length_index(table: str, field: str) -> str:
    """The btree ``(length(field), lower(coalesce(field, '')) COLLATE "C") INCLUDE (field,
    id)`` that serves tiers 0-1 of a one-field search on Postgres (core migration 0010),
    read without the table. Its "C" collation lets Postgres answer ``LIKE 'q%'`` from it
    whatever the database's collation.

    Examples:
        >>> by_length_index("ulabel", "name")
        'ulabel_name_by_length'
    """
    return f"{table}_{field}_by_length"


def compile_prefix_by_length(
    table: TableModel, target: Target, query: str, field: str, *, limit: int = 20
) -> Compiled:
    """Tiers 0-1 of a search of one ``field`` on Postgres, read one length at a time.

    Every row of tiers 0-1 starts with the query and scores 1, so within them the ranking
    is the field's length, then its value, then id (a tier-0 row is the query itself,
    the shortest value that starts with it). The btree of :func:`by_length_index` holds
    each length's prefix rows as one range: for the lengths in order, the best ``limit``
    rows of each, until ``limit`` rows are found. A prefix that 60,000 of 1e7 labels share
    costs a probe per length, not a sort of those rows. The rows returned are
    :func:`compile_search`'s with ``tiers=1`` (same columns, tiers, scores, order): a
    property test compares them. (Postgres returns a nested loop's rows in the order its
    outer side produces them; the inner ``LIMIT`` relies on it, the last ``ORDER BY``
    does not.)
    """
    if target.dialect != "postgres":
        raise ValidationError("compile_prefix_by_length is Postgres's spelling of tiers 0-1.")
    base = compile_search(table, target, query, [field], limit=limit, tiers=1)
    key = ("search_by_length", table.name, tuple(table.columns), target, field, limit)
    return Compiled(sqlcache.get(key, lambda: _by_length_sql(table, target, field, limit)),
                    {k: base.params[k] for k in ("q", "q_start_like")}, "postgres")  # fmt: skip


def _by_length_sql(table: TableModel, target: Target, field: str, limit: int) -> str:
    ident = lambda name: exp.to_identifier(name, quoted=True).sql("postgres")  # noqa: E731
    t, f, alias = target.table(table.name).sql("postgres"), ident(field), ident(table.name)
    low = f"lower(coalesce({f}, ''))"
    cols = ", ".join(_quoted(c, table.name).sql("postgres") for c in table.columns)
    q, like = _ph("q").sql("postgres"), _ph("q_start_like").sql("postgres")
    ranking = _ranking(_quoted(field, table.name), _quoted("id", table.name), bytewise=True)
    order = ", ".join(key.sql("postgres") for key in ranking)
    # the inner statement reads only the index (its columns, and name and id it includes)
    return (
        f'SELECT {cols}, "ranked"."_tier", "ranked"."_score" FROM (SELECT "hit"."id", '
        f'CASE WHEN lower(coalesce("hit".{f}, \'\')) = {q} THEN 0 ELSE 1 END AS "_tier", '
        f'1.0 AS "_score" FROM generate_series(0, (SELECT max(length({f})) FROM {t})) '
        f'AS "_len"("n") CROSS JOIN LATERAL (SELECT "id", {f} FROM {t} '
        f'WHERE length({f}) = "_len"."n" AND ({low} COLLATE "C") LIKE {like} '
        f'ORDER BY {f} COLLATE "C", "id" LIMIT {int(limit)}) AS "hit" LIMIT {int(limit)}) '
        f'AS "ranked" JOIN {t} AS {alias} ON {alias}."id" = "ranked"."id" ORDER BY {order}'
    )


def _check_fields(table: TableModel, fields: Sequence[str]) -> None:
    text_fields = [c for c, col in table.columns.items() if col.type == "str"]
    for name in fields:
        if name not in text_fields:
            hint = did_you_mean(name, text_fields) or " Text fields: " + ", ".join(text_fields)
            raise FieldError(f"Cannot search field '{name}' of {table.name}.{hint}")
    if not fields:
        raise FieldError(f"search() needs at least one field of {table.name}.")


def _ranking(field: exp.Expression, ident: exp.Expression, bytewise: bool = False
             ) -> list[exp.Expression]:  # fmt: skip
    """Tier, score (best first), the first field's length and value, then id: a total
    order, the same on both back ends and in :mod:`catalog_sql.search_index`.

    ``bytewise`` (Postgres): values compare ``COLLATE "C"``, as DuckDB compares them; a
    database with a linguistic collation (en_US) would otherwise break ties differently.
    """
    score = exp.column("_score", quoted=True)
    value = field.copy()
    if bytewise:
        value = exp.Collate(this=value, expression=exp.Identifier(this="C", quoted=True))
    return [
        exp.column("_tier", quoted=True),
        exp.Ordered(this=score, desc=True, nulls_first=False),
        exp.Ordered(this=exp.Length(this=field.copy()), nulls_first=False),
        exp.Ordered(this=value, nulls_first=False),
        ident.copy(),
    ]


def _within(refs: list[exp.Expression], tiers: int | None, like: bool) -> exp.Expression | None:
    """The test of the rows of tiers up to ``tiers`` (1: prefix, 2: or a word starts with
    the query), None for 3 and all (the substring test then)."""
    if tiers is None or tiers >= 3:
        return None
    tests = []
    for ref in refs:
        tests.append(_starts(ref, "q_start" if like else "q", like))
        if tiers == 2:
            tests.append(_contains(ref, "word", like))
    return exp.or_(*tests)


def _half_b_test(low: exp.Expression, skip: int = 0) -> exp.Expression:
    """Half B of :func:`_one_edit_test`: ``low`` has it at offset 7, 8 or 9."""
    half = FUZZY_PREFIX // 2
    pieces = [
        exp.EQ(this=exp.Substring(this=low.copy(), start=_num(offset + 1 + skip),
                                  length=_num(FUZZY_PREFIX - half)), expression=_ph("half_b"))
        for offset in (half - 1, half, half + 1)
    ]  # fmt: skip
    return exp.paren(exp.or_(*pieces))


def _one_edit_test(low: exp.Expression, like: bool = False, skip: int = 0) -> exp.Expression:
    """Could ``low``'s first 17 characters be within one edit of the query's first 16?
    Split those into halves A and B: the value starts with A (the edit is in B), or has B
    at offset 7, 8 or 9 (a deletion, substitution or insertion in A). Postgres: B found
    first by ``LIKE '%B%'``, which the trigram index answers. ``skip``: characters before
    the value in ``low`` (a search index key's marker; ``half_a`` then starts with it)."""
    inside = _half_b_test(low, skip)
    if like:
        inside = exp.and_(_contains(low, "half_b", like=True), inside)
    return exp.paren(exp.or_(_starts(low, "half_a", like), exp.paren(inside)))


def _one_edit_words(key: exp.Expression) -> list[exp.Expression]:
    """:func:`_one_edit_test` on a search index's value-start key as integer comparisons:
    alternatives, each a conjunction DuckDB pushes into the scan (an OR of them is not, and
    the scan would then read every key's text).

    The key's first 8 bytes are ``k8``; ``b8``, ``b9``, ``b10`` are its bytes from 8, 9
    and 10 on (8 each), set where the key's first 18 characters are ASCII, so that bytes
    are characters. Half A (9 bytes behind the marker): ``k8`` and ``b8``'s first byte;
    half B at offset 7, 8 or 9 of the value: one of the three. A key whose words are NULL
    takes the string tests. At 1e7 labels a long query's one-edit candidates cost ~90 ms
    with the string tests, ~38 ms this way (decisions §22).
    """
    b8, b9, b10 = (exp.column(f"b{i}") for i in (8, 9, 10))
    half_a = exp.and_(exp.EQ(this=exp.column("k8"), expression=_ph("a8")),
                      exp.Between(this=b8.copy(), low=_ph("a_lo"), high=_ph("a_hi")))  # fmt: skip
    half_b = [exp.EQ(this=b, expression=_ph("hb")) for b in (b8, b9, b10)]
    unset = exp.Is(this=b8.copy(), expression=exp.Null())
    return [half_a, *half_b, exp.and_(unset, _one_edit_test(key, skip=1))]


def _statement(table, target, fields, n, limit, threshold, restrict=None, tiers=None,
               one_edit=False) -> str:  # fmt: skip
    """One scan: candidates contain the query (tiers 0-3) or share its first letter.

    The tier CASE and the edit distances run only on candidates, so the cost stays close
    to one filtered scan of the table. ``threshold > 1`` leaves the typo tier out.
    """
    alias = table.name
    narrow = ["id", *dict.fromkeys(fields)]  # rank on a narrow scan; fetch full rows last
    if restrict is not None:  # a few rows: rank them whole, no join back to the table
        narrow = list(table.columns)
    columns = [_quoted(c, alias) for c in narrow]
    lows = [
        exp.Lower(this=exp.Coalesce(this=_quoted(f, alias), expressions=[exp.Literal.string("")]))
        for f in fields
    ]
    named = [exp.alias_(low, f"_f{i}", quoted=True) for i, low in enumerate(lows)]
    refs = [exp.column(f"_f{i}", quoted=True) for i in range(len(fields))]
    like = target.dialect == "postgres"
    contains = exp.or_(*[_contains(r, "q", like) for r in refs])
    fuzzy = threshold <= 1.0
    base = exp.select(*columns, *named).from_(target.table(table.name, alias))
    if restrict is not None:
        since = base.copy().where(
            exp.GT(this=_quoted("updated_at", alias), expression=_ph("since")))  # fmt: skip
        base = base.where(exp.In(this=_quoted("id", alias), expressions=[_ph("ids")]))
        base = exp.union(base, since, distinct=False) if restrict == "index" else base
        base = since if restrict == "since" else base
    nf = min(n, FUZZY_PREFIX)
    within = _within(refs, tiers, like)
    if one_edit:
        keep = exp.or_(contains, *[_one_edit_test(r, like) for r in refs])
    elif within is not None:
        keep = within
    else:
        keep = exp.or_(contains, _candidates(refs, nf, threshold, like)) if fuzzy else contains
    base = exp.select(exp.Star()).from_(base.subquery("base")).where(keep)
    rank = exp.Case().when(contains.copy(), _fn("LEAST", *[_tier(r) for r in refs]))
    rank = rank.else_(_num(FUZZY_TIER))
    tiered = exp.select(exp.Star(), exp.alias_(rank, "_tier", quoted=True)).from_(
        base.subquery("candidates")
    )
    tier_col = exp.column("_tier", quoted=True)
    score = exp.Case().when(exp.LT(this=tier_col, expression=_num(FUZZY_TIER)), _num(1.0))
    if fuzzy:
        score = score.else_(
            _fn("GREATEST", *[_similarity(r.copy(), min(n, FUZZY_PREFIX), threshold) for r in refs])
        )
    else:
        score = score.else_(_num(0.0))
    scored = exp.select(exp.Star(), exp.alias_(score, "_score", quoted=True)).from_(
        tiered.subquery("tiered")
    )
    first_field = exp.column(fields[0], quoted=True)
    ranked = (
        exp.select(*[exp.column(c, quoted=True) for c in narrow], tier_col.copy(),
                   exp.column("_score", quoted=True))
        .from_(scored.subquery("scored"))
        .where(
            exp.or_(
                exp.LT(this=tier_col.copy(), expression=_num(FUZZY_TIER)),
                exp.GTE(this=exp.column("_score", quoted=True), expression=_num(threshold)),
            )
        )
        .order_by(*_ranking(first_field, exp.column("id", quoted=True), like))
        .limit(limit)
    )  # fmt: skip
    if restrict is not None:
        return ranked.sql(target.dialect)
    outer = (
        exp.select(*[_quoted(c, alias) for c in table.columns], _quoted("_tier", "ranked"),
                   _quoted("_score", "ranked"))
        .from_(ranked.subquery("ranked"))
        .join(target.table(table.name, alias), on=exp.EQ(
            this=_quoted("id", alias), expression=_quoted("id", "ranked")))
        .order_by(*_ranking(_quoted(fields[0], alias), _quoted("id", alias), like))
    )  # fmt: skip
    return outer.sql(target.dialect)


def compile_typo_keys(
    index: str, q: str, limit: int, bounds: tuple[int, int, int, int],
    threshold: float = 0.7, one_edit: bool = False, words: bool = False,
) -> Compiled | None:  # fmt: skip
    """The typo tier from a search index's value-start keys (``id, o0, score``, best first).

    ``bounds``: the ``k8`` ranges of the values that start with the query's first letter
    and with its first three (see :func:`catalog_sql.search_index.key_range`).

    The key holds the lowered value's first 24 characters and ``n`` its length: the score
    is the one :func:`compile_search` computes from the whole value (the whole-value
    distance is needed only when the lengths are close, and then the value fits the key).
    None when no typo can pass ``threshold`` (short queries).

    ``one_edit`` (queries of at least :data:`FUZZY_PREFIX` characters): only values within
    one edit of the query's first 16 characters (the best scores a typo can have), found
    with the string tests of :func:`_one_edit_test` instead of edit distances; ``words``:
    the index has the key's bytes 8-17 as integers (``b8``-``b10``), and those tests
    compare integers (:func:`_one_edit_words`; an ASCII query without NUL only).
    """
    nf = min(len(q), FUZZY_PREFIX)
    if one_edit and nf < FUZZY_PREFIX:
        raise ValidationError(f"one_edit needs a query of at least {FUZZY_PREFIX} characters.")
    if 1.0 - 1.0 / nf < threshold:  # one edit already scores below the threshold
        return None
    low, high, low_head, high_head = bounds
    qf = q[:FUZZY_PREFIX]
    words = words and one_edit and qf.isascii() and "\x00" not in qf  # bytes = characters
    key = ("typo-keys", index, nf, threshold, limit, one_edit, words)
    render = lambda: _typo_keys_statement(index, nf, threshold, limit, one_edit, words)  # noqa: E731
    params = {"lo": low, "hi": high, "lo_head": low_head, "hi_head": high_head, "first": q[0],
              "head": q[:3], "qf": qf, "head_key": "\x01" + q[:3]}  # fmt: skip
    if one_edit:  # the halves of _one_edit_test, A behind the key's marker
        half = FUZZY_PREFIX // 2
        params.update({"half_a": "\x01" + qf[:half], "half_b": qf[half:]})
        if words:
            params.update(_half_words("\x01" + qf[:half], qf[half:]))
    return Compiled(sqlcache.get(key, render), params, "duckdb")


def _half_words(half_a: str, half_b: str) -> dict[str, int]:
    """The integers :func:`_one_edit_words` compares: ``half_a``'s first 8 bytes (``k8``),
    the range of ``b8`` whose first byte is its 9th, and ``half_b``'s 8 bytes.

    Examples:
        >>> w = _half_words("\x01abcdefgh", "ijklmnop")
        >>> hex(w["a8"]), hex(w["a_lo"]), hex(w["a_hi"]), hex(w["hb"])
        ('0x161626364656667', '0x6800000000000000', '0x68ffffffffffffff', '0x696a6b6c6d6e6f70')
    """
    a, b = half_a.encode("ascii"), half_b.encode("ascii")
    ninth = a[8] << 56
    return {"a8": int.from_bytes(a[:8], "big"), "a_lo": ninth, "a_hi": ninth | (1 << 56) - 1,
            "hb": int.from_bytes(b, "big")}  # fmt: skip


def _typo_keys_statement(index: str, nf: int, threshold: float, limit: int,
                         one_edit: bool = False, words: bool = False) -> str:  # fmt: skip
    """Keys of values starting with the query's first letter that pass the candidate test
    (its length part as a filter DuckDB pushes into the scan), read into a MATERIALIZED
    CTE (no late materialization, see search_index), then scored."""
    slack = int((1.0 - threshold) * nf)
    low = exp.column("low", quoted=True)
    length = exp.column("n", quoted=True)
    score = _similarity(low, nf, threshold, length=length)
    k8 = exp.column("k8")
    key = exp.column("key", quoted=True)
    in_range = exp.Between(this=k8.copy(), low=_ph("lo"), high=_ph("hi"))
    close = exp.Between(this=exp.column("n"), low=_num(nf - slack), high=_num(nf + slack))
    # an ASCII head fits k8 (words): its range alone is the head test
    head = [] if words else [exp.StartsWith(this=key.copy(), expression=_ph("head_key"))]
    picked = [
        exp.column("id"),
        exp.column("o0"),
        exp.column("n"),
        exp.alias_(exp.Substring(this=key.copy(), start=_num(2)), "low", quoted=True),
    ]
    table = exp.to_identifier(index, quoted=True)
    if words:
        tests: list[exp.Expression | None] = list(_one_edit_words(key))
    else:
        tests = [_one_edit_test(key, skip=1) if one_edit else None]
    head_range = exp.Between(this=k8.copy(), low=_ph("lo_head"), high=_ph("hi_head"))
    wheres = [[in_range, close], [head_range, exp.not_(close.copy()), *head]]
    selects = [
        exp.select(*[c.copy() for c in picked]).from_(table.copy())
        .where(exp.and_(*[c.copy() for c in where], *([test.copy()] if test else [])))
        for where in wheres for test in tests
    ]  # fmt: skip
    # the two lengths' sets are disjoint; a key may pass two of the words' alternatives
    candidates = functools.reduce(lambda a, b: exp.union(a, b, distinct=words), selects)
    scored = exp.select(exp.column("id"), exp.column("o0"), exp.alias_(score, "s", quoted=True))
    scored = scored.from_("k")
    s = exp.column("s", quoted=True)
    query = (
        exp.select(exp.column("id"), exp.column("o0"), s.copy())
        .from_(scored.subquery("scored"))
        .where(exp.GTE(this=s.copy(), expression=_num(threshold)))
        .order_by(exp.Ordered(this=s.copy(), desc=True), exp.column("o0"))
        .limit(limit)
    )
    sql = query.sql("duckdb")
    return f"WITH k AS MATERIALIZED ({candidates.sql('duckdb')}) {sql}"


#: at most this many rows come back from :func:`compile_near`
NEAR_LIMIT = 20


def compile_near(
    table: TableModel, target: Target, value: str, field: str, *, near: bool = True
) -> Compiled:
    """``(id, value)`` of existing values of ``field`` equal to ``value`` or nearly so.

    Near means: equal ignoring case and surrounding space, or within a small edit distance
    (1 for values up to 10 characters, 2 beyond) of a value that shares the first two
    characters; at most :data:`NEAR_LIMIT` rows, in no order. One narrow statement (no
    ranking, no sort), cheap to plan: a single save runs it
    before its transaction, both to find the record it would duplicate (insert-or-get)
    and to warn about ``"T cel"`` next to ``"T cell"``. ``near=False``: the exact value
    only (an index lookup; what a save runs when the warning is turned off).

    Examples:
        >>> from catalog_sql.model import Column, TableModel
        >>> t = TableModel("ulabel", {"id": Column("id", "int"), "name": Column("name", "str")})
        >>> compile_near(t, Target("duckdb"), "T cel", "name").params
        {'q': 't cel', 'head': 't ', 'n': 5, 'k': 1, 'v': 'T cel', 'head_like': 't %'}
    """
    _check_fields(table, [field])
    if not near:
        key = ("exact", table.name, target, field)
        render = lambda: _exact_statement(table, target, field)  # noqa: E731
        return Compiled(sqlcache.get(key, render), {"v": value}, target.dialect)
    params = near_params(value, target)
    prefilter = "head_like" in params
    key = ("near", table.name, target, field, prefilter)
    render = lambda: _near_statement(table, target, field, prefilter)  # noqa: E731
    return Compiled(sqlcache.get(key, render), params, target.dialect)


def near_params(value: str, target: Target) -> dict:
    """The values :func:`compile_near`'s test compares with: the lowered query ``q``, its
    ``head`` (first two letters), length ``n``, edit budget ``k``, the value itself ``v``,
    and on DuckDB ``head_like``, the prefilter's pattern.

    Examples:
        >>> near_params("Cell  line", Target("postgres"))
        {'q': 'cell line', 'head': 'ce', 'n': 9, 'k': 1, 'v': 'Cell  line'}
    """
    q = " ".join(value.split()).lower()[:MAX_QUERY]
    k = 1 if len(q) <= 10 else 2
    params = {"q": q, "head": q[:2], "n": len(q), "k": k, "v": value}
    # DuckDB scans: trim() and lower() of every row cost ~200 ms at 1e6 rows, so a cheap
    # necessary condition goes first (the trimmed value starts with the head, so the raw
    # value does, case aside, or starts with a space); a head with LIKE wildcards skips it
    # (escaping them makes ILIKE slow). Postgres answers the plain form from its indexes.
    if target.dialect == "duckdb" and not any(c in q[:2] for c in "%_\\"):
        params["head_like"] = f"{q[:2]}%"
    return params


def _exact_statement(table: TableModel, target: Target, field: str) -> str:
    col = _quoted(field, table.name)
    query = (
        exp.select(_quoted("id", table.name), col.copy())
        .from_(target.table(table.name, table.name))
        .where(exp.EQ(this=col.copy(), expression=_ph("v")))
        .limit(1)
    )
    return query.sql(target.dialect)


def _near_test(table: TableModel, field: str, prefilter: bool) -> exp.Expression:
    """Equal to ``$q`` ignoring case and surrounding space, or a typo of it (see
    :func:`compile_near`); ``prefilter``: a cheap necessary condition first (DuckDB)."""
    col = _quoted(field, table.name)
    low = exp.Lower(this=exp.Trim(this=col.copy()))
    same = exp.EQ(this=low.copy(), expression=_ph("q"))
    length = exp.Abs(this=exp.Sub(this=exp.Length(this=low.copy()), expression=_ph("n")))
    typo = exp.and_(
        exp.StartsWith(this=low.copy(), expression=_ph("head")),
        exp.LTE(this=length, expression=_ph("k")),
        exp.LTE(this=exp.Levenshtein(this=low.copy(), expression=_ph("q")), expression=_ph("k")),
    )
    near = exp.or_(same, typo)
    if prefilter:
        cheap = exp.or_(exp.ILike(this=col.copy(), expression=_ph("head_like")),
                        exp.Like(this=col.copy(), expression=exp.Literal.string(" %")))  # fmt: skip
        near = exp.and_(exp.paren(cheap), exp.paren(near))
    return near


def _near_statement(table: TableModel, target: Target, field: str, prefilter: bool) -> str:
    col = _quoted(field, table.name)
    exact = exp.EQ(this=col.copy(), expression=_ph("v"))
    # no ORDER BY: DuckDB's top-N costs ~0.5 ms of a ~1 ms statement on a small table;
    # the caller orders the few rows (a missed exact row is met by the unique index)
    query = (
        exp.select(_quoted("id", table.name), col.copy())
        .from_(target.table(table.name, table.name))
        .where(exp.or_(exact, _near_test(table, field, prefilter)))
        .limit(NEAR_LIMIT)
    )
    return query.sql(target.dialect)


def compile_near_among(
    table: TableModel, target: Target, value: str, field: str, ids: Sequence[int],
    since: datetime,
) -> Compiled:  # fmt: skip
    """:func:`compile_near`'s rows, looked for among ``ids`` and the rows written after
    ``since`` only: a search index's candidates (catalog_sql.search_index.near), and what
    the index does not hold. The exact value is looked up as well (an index lookup).

    Examples:
        >>> from catalog_sql.model import Column, TableModel
        >>> t = TableModel("ulabel", {"id": Column("id", "int"), "name": Column("name", "str"),
        ...                           "updated_at": Column("updated_at", "datetime")})
        >>> c = compile_near_among(t, Target("duckdb"), "T cel", "name", [3, 5],
        ...                        datetime(2026, 1, 1))
        >>> '"ulabel"."id" IN (3, 5) AND' in c.sql, c.params["q"]
        (True, 't cel')
    """
    _check_fields(table, [field])
    params = near_params(value, target)
    prefilter = "head_like" in params
    with_ids = bool(ids)  # without: no branch for them (binding its test costs ~0.14 ms)
    key = ("near-among", table.name, target, field, prefilter, with_ids)
    template = sqlcache.get(
        key, lambda: _near_among_statement(table, target, field, prefilter, with_ids)
    )
    listed = ", ".join(str(int(i)) for i in ids)  # ints: nothing to escape
    among = f"{_quoted('id', table.name).sql(target.dialect)} IN ({listed})"
    return Compiled(template.replace("__IDS__", among), {**params, "s": since}, target.dialect)


def _near_among_statement(table: TableModel, target: Target, field: str, prefilter: bool,
                          with_ids: bool = True) -> str:  # fmt: skip
    """One branch per way in (each answered alone: the exact value and the ids by the
    indexes, the rows written since by the row groups they are in); ``__IDS__`` is
    replaced by the test of the candidate ids (no such branch without ``with_ids``)."""
    col = _quoted(field, table.name)

    def branch(where: exp.Expression) -> exp.Select:
        return (exp.select(_quoted("id", table.name), col.copy())
                .from_(target.table(table.name, table.name)).where(where))  # fmt: skip

    exact = branch(exp.EQ(this=col.copy(), expression=_ph("v")))
    # the candidate ids (none: no branch; ``id IN (NULL)`` would make DuckDB scan)
    among = branch(exp.and_(exp.column("__IDS__"), _near_test(table, field, prefilter)))
    later = exp.GT(this=_quoted("updated_at", table.name), expression=_ph("s"))
    since = branch(exp.and_(later, _near_test(table, field, prefilter)))
    first = exp.union(exact, among, distinct=False) if with_ids else exact
    union = exp.union(first, since, distinct=False)
    sql = exp.select("*").from_(union.subquery("near")).limit(NEAR_LIMIT).sql(target.dialect)
    return sql.replace('"__IDS__"', "__IDS__")
