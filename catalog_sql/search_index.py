"""A search index for the embedded back end: sorted keys whose row groups DuckDB prunes.

DuckDB's ART indexes answer ``=`` and ``IN`` only; a range, ``LIKE 'ab%'`` or an index on
an expression plans as a scan (decisions §19). What DuckDB does prune is row groups whose
min/max (zonemap) cannot meet a range filter, and a table sorted by one column has narrow
row groups. The index is such a table, one per registry (``lakecat_search_<table>``):

- ``key``: one row per character position of each search field, ``lower(value)`` from
  there on, behind a marker of what the position is: ``\\x01`` the start of the value
  (64 characters, the longest query: tiers 0-1 and typo scores are exact), ``\\x02``
  the start of a word (after a space; 32 characters), ``\\x03`` inside a word (12).
  Every match of a query starts at one of them, so a range of keys finds every row of
  each tier (0-1 prefix, 2 word, 3 substring) and nothing scans.
- ``k8``: the key's first 8 bytes as an integer (big-endian, so it sorts like the key):
  DuckDB filters a row group by an integer ~4x faster than by a string, and a range
  of keys is a range of ``k8`` (plus ``starts_with`` past 8 bytes).
- ``id``, ``o0``: the row, and its place in the order ranked search uses within a tier
  (length of the first field, the field, id), so the best rows of a tier come out of a
  range already ordered; ``n``: the length of the lowered value (capped at 255).
- ``b8``, ``b9``, ``b10`` (value-start keys whose first 18 characters are ASCII, else
  NULL): the key's bytes from 8, 9 and 10 on, 8 each, as integers. The one-edit test of
  a long query's typos compares them instead of substrings. ``sp`` (value-start keys):
  the value has surrounding space that ``trim`` removes. Layout 2; an index built
  before has neither, and search uses the string tests there (the near-duplicate check
  of a save, which needs ``sp``, the registry).

The index is a snapshot, not maintained on each write. Rows written after it
(``updated_at`` later than its stamp) are ranked from the registry itself, a scan of the
few row groups they live in; rows deleted since leave keys that find nothing, and a
search that comes up short for that reason asks the index for more. ``build`` rebuilds
it (``lakecat gc`` does, as does ``Registry.build_search_index()``).

Ranking is exactly that of :func:`catalog_sql.search.compile_search` (both back ends):
the index only chooses the candidate ids, and the same statement ranks them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from .compiler import Compiled, Target
from .model import TableModel
from .query import Q
from .search import (
    FUZZY_PREFIX,
    MAX_QUERY,
    NEAR_LIMIT,
    ONE_EDIT_SCORE,
    Fetch,
    compile_near_among,
    compile_search,
    compile_typo_keys,
    normalized,
)

START, WORD, INNER = "\x01", "\x02", "\x03"
START_WIDTH = MAX_QUERY  # the whole (lowered) query fits: tiers 0-1 exact, typo scores too
WORD_WIDTH = 32
WIDTH = 12
SETTING = "search_index."  # + table: the index's state in lakecat_setting (JSON)
LAYOUT = 2  # what build writes: 1 = no b8-b10 words (indexes built before them)
#: indexes of registries this large (by their largest id) take the integer tests of a long
#: query's typos; on smaller ones the string tests are as fast (one statement, not ten
#: branches): 27 ms either way at 1e5 labels, 30 against 36 ms at 1e6, 65 against 105 at 1e7
WORDS_FROM = 500_000


def index_table(table: str) -> str:
    """The index table of registry ``table``.

    Examples:
        >>> index_table("ulabel")
        'lakecat_search_ulabel'
    """
    return f"lakecat_search_{table}"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def fingerprint(table: TableModel, fields: Sequence[str]) -> str:
    """What the index was built from: a changed registry or field list invalidates it."""
    return json.dumps(
        [table.name, list(fields), sorted((c, v.type) for c, v in table.columns.items())]
    )


@dataclass(frozen=True)
class IndexState:
    """An index as recorded in ``lakecat_setting``."""

    table: str
    fields: tuple[str, ...]
    #: rows written after this (``updated_at``) are ranked from the registry
    stamp: datetime
    #: the largest id in the index (ids are never reused)
    max_id: int
    fingerprint: str
    #: the columns the index has (see LAYOUT)
    layout: int = LAYOUT
    #: keys at value starts only (prefix filters and a save's near check; not search)
    prefix_only: bool = False
    #: the setting's text this state was read from (empty: not read): the index's
    #: statements check that it is still the recorded one (see :class:`IndexChanged`)
    text: str = field(default="", compare=False)

    def to_json(self) -> str:
        return json.dumps({"fields": list(self.fields), "stamp": self.stamp.isoformat(),
                           "max_id": self.max_id, "fingerprint": self.fingerprint,
                           "layout": self.layout, "prefix_only": self.prefix_only})  # fmt: skip

    @classmethod
    def from_json(cls, table: str, text: str) -> IndexState | None:
        try:
            data = json.loads(text)
            return cls(table, tuple(data["fields"]), datetime.fromisoformat(data["stamp"]),
                       int(data["max_id"]), data["fingerprint"],
                       int(data.get("layout", 1)), bool(data.get("prefix_only", False)),
                       text)  # fmt: skip
        except (ValueError, KeyError, TypeError):
            return None  # a state that cannot be read: as if there were no index


class IndexChanged(Exception):
    """The index was rebuilt or dropped since its state was read (a caller that keeps a
    state between calls reads it again); raised by the statements that check it."""


def state_query(table: str) -> Compiled:
    """The recorded state of ``table``'s index (``value`` of its setting), if any."""
    sql = "SELECT value FROM lakecat_setting WHERE key = $k"
    return Compiled(sql, {"k": SETTING + table}, "duckdb")


def read_state(fetch: Fetch, table: str) -> IndexState | None:
    """The recorded state of ``table``'s index, None without a (readable) one."""
    rows = fetch(state_query(table))[1]
    return IndexState.from_json(table, rows[0][0]) if rows else None


def indexed_tables(fetch: Fetch) -> list[str]:
    """The tables that have a search index."""
    sql = "SELECT key FROM lakecat_setting WHERE starts_with(key, $p) ORDER BY key"
    rows = fetch(Compiled(sql, {"p": SETTING}, "duckdb"))[1]
    return [key.removeprefix(SETTING) for (key,) in rows]


def largest_id(fetch: Fetch, table: str) -> int:
    """The largest id of ``table`` (0 when empty): what an index built now covers."""
    return int(fetch(Compiled(f"SELECT coalesce(max(id), 0) FROM {_ident(table)}", {},
                              "duckdb"))[1][0][0])  # fmt: skip


def count_keys(fetch: Fetch, table: str) -> int:
    """The number of keys in ``table``'s index."""
    sql = f"SELECT count(*) FROM {_ident(index_table(table))}"
    return int(fetch(Compiled(sql, {}, "duckdb"))[1][0][0])


def rows_behind(fetch: Fetch, state: IndexState) -> int:
    """Rows of the registry written since its index was built."""
    sql = f"SELECT count(*) FROM {_ident(state.table)} WHERE updated_at > $s"
    return int(fetch(Compiled(sql, {"s": state.stamp}, "duckdb"))[1][0][0])


def build_statements(table: TableModel, fields: Sequence[str], state: IndexState) -> list[Compiled]:
    """Statements that (re)build the index of ``table`` over ``fields`` and record ``state``.

    Run them in one transaction: readers see the old index or the new one.
    """
    t, ix = _ident(table.name), _ident(index_table(table.name))
    first = _ident(fields[0])
    lows = ", ".join(f"lower(coalesce({_ident(f)}, ''))" for f in fields)
    # a prefix index: value starts only, and none of what search alone reads (its order,
    # the integer words of a long query's typos): ~1 key a value instead of ~25
    order = (
        "NULL::UINTEGER"
        if state.prefix_only
        else f"(row_number() OVER (ORDER BY length("
        f"{first}) NULLS LAST, {first} NULLS LAST, id))::UINTEGER"
    )
    p = "1" if state.prefix_only else "unnest(range(1, length(low) + 1))"
    words = _words(state.prefix_only)
    build = f"""CREATE OR REPLACE TABLE {ix} AS
WITH ordered AS (SELECT id, {order} AS o0, [{lows}] AS lows FROM {t}),
fields AS (SELECT id, o0, unnest(lows) AS low FROM ordered),
positions AS (
    SELECT id, o0, low, least(length(low), 255)::SMALLINT AS n, {p} AS p
    FROM fields WHERE low <> ''
)
, keys AS (
    SELECT CASE WHEN p = 1 THEN chr(1) || left(low, {START_WIDTH})
                WHEN substr(low, p - 1, 1) = ' ' THEN chr(2) || substr(low, p, {WORD_WIDTH})
                ELSE chr(3) || substr(low, p, {WIDTH}) END AS key, id, o0, n,
           CASE WHEN p = 1 THEN trim(low) <> low END AS sp
    FROM positions
)
SELECT ('0x' || rpad(left(hex(encode(key)), 16), 16, '0'))::UBIGINT AS k8, key, id, o0, n,
       {words}, sp
FROM keys ORDER BY key"""
    record = ("INSERT INTO lakecat_setting (key, value) VALUES ($k, $v) "
              "ON CONFLICT (key) DO UPDATE SET value = excluded.value")  # fmt: skip
    params = {"k": SETTING + table.name, "v": state.to_json()}
    return [Compiled(build, {}, "duckdb"), Compiled(record, params, "duckdb")]


def _words(none: bool = False) -> str:
    """``b8, b9, b10`` of a key (see the module): set on value-start keys whose first 18
    characters are ASCII (a byte is a character there), NULL on every other key (on
    every key with ``none``)."""
    if none:
        return ", ".join(f"NULL::UBIGINT AS b{8 + i}" for i in range(3))
    ascii_start = ("starts_with(key, chr(1)) "
                   "AND octet_length(encode(left(key, 18))) = length(left(key, 18))")  # fmt: skip
    words = [f"CASE WHEN {ascii_start} THEN "
             f"('0x' || rpad(substr(hex(encode(key)), {17 + 2 * i}, 16), 16, '0'))::UBIGINT "
             f"END AS b{8 + i}" for i in range(3)]  # fmt: skip
    return ", ".join(words)


#: an amount of memory as DuckDB's ``memory_limit`` reads it ("6GB", "512 MiB", "1.5GB")
MEMORY = re.compile(r"\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*", re.IGNORECASE)


def current_memory_limit() -> Compiled:
    """DuckDB's ``memory_limit`` now."""
    return Compiled("SELECT current_setting('memory_limit')", {}, "duckdb")


def reset_memory_limit() -> Compiled:
    """DuckDB's default ``memory_limit`` again."""
    return Compiled("RESET memory_limit", {}, "duckdb")


def set_memory_limit(limit: str) -> Compiled:
    """``SET memory_limit`` to ``limit`` (an amount :data:`MEMORY` matches, or a value
    :func:`current_memory_limit` returned).

    Examples:
        >>> set_memory_limit("6GB").sql
        "SET memory_limit = '6GB'"
    """
    if "'" in limit:
        raise ValueError(f"not a memory limit: {limit!r}")
    return Compiled(f"SET memory_limit = '{limit}'", {}, "duckdb")


def drop_statements(table: str) -> list[Compiled]:
    """Statements that drop ``table``'s index and its state."""
    return [
        Compiled("DELETE FROM lakecat_setting WHERE key = $k", {"k": SETTING + table}, "duckdb"),
        Compiled(f"DROP TABLE IF EXISTS {_ident(index_table(table))}", {}, "duckdb"),
    ]


def forget_all() -> str:
    """SQL that sets every search index aside (search scans until ``build`` runs again):
    for writes lakecat cannot see into, such as a user's UPDATE through ``lakecat sql``."""
    return f"DELETE FROM lakecat_setting WHERE starts_with(key, '{SETTING}')"


def key_range(marker: str, text: str) -> tuple[int, int, str | None]:
    """The ``k8`` range holding every key that starts with ``marker + text``, and the
    prefix to check as well when it is longer than ``k8`` holds (else None).

    Examples:
        >>> key_range("\\x02", "ab") == (0x0261620000000000, 0x026162FFFFFFFFFF, None)
        True
        >>> key_range("\\x02", "abcdefgh")[2]
        '\\x02abcdefgh'
    """
    prefix = (marker + text).encode("utf-8")
    head = prefix[:8]
    low = int.from_bytes(head.ljust(8, b"\x00"), "big")
    high = int.from_bytes(head.ljust(8, b"\xff"), "big")
    return low, high, (marker + text) if len(prefix) > 8 else None


def _range_query(table: str, marker: str, text: str, limit: int, extra: dict,
                 tag: str = "") -> Compiled:  # fmt: skip
    """The best ``limit`` keys of the range ``marker + text``, in ranking order (``tag``
    suffixes its parameters' names, so that two ranges can share one statement).

    The range is read into a MATERIALIZED CTE and ordered there: a plain ``ORDER BY …
    LIMIT`` makes DuckDB 1.5 fetch the winners back by row id with a scan of the whole
    table (late materialization: 114 ms instead of 3.6 ms at 1e7 labels).
    """
    low, high, check = key_range(marker, text)
    columns = "id, o0, n" if marker == START else "id, o0"
    where = f"k8 BETWEEN $lo{tag} AND $hi{tag}" + (
        f" AND starts_with(key, $pre{tag})" if check else "")  # fmt: skip
    order = "(n <> $m), o0" if marker == START else "o0"
    sql = (f"WITH r AS MATERIALIZED (SELECT {columns} FROM {_ident(index_table(table))} "
           f"WHERE {where}) SELECT * FROM r ORDER BY {order} LIMIT {int(limit)}")  # fmt: skip
    params = {f"lo{tag}": low, f"hi{tag}": high, f"pre{tag}": check, **extra}
    return Compiled(sql, params, "duckdb")


def _best(fetch: Fetch, table: str, marker: str, text: str, take: int, m: int) -> list[tuple]:
    """The best ``take`` keys of a range in ranking order (all of them if fewer)."""
    extra = {"m": min(m, 255)} if marker == START else {}
    return fetch(_range_query(table, marker, text, max(take, 1), extra))[1]


#: a query this long reads the ranges of tiers 2 and 3 in one statement when tier 1 does
#: not fill the list: few keys start a word with it or hold it inside one, so reading
#: tier 3's range when tier 2 would have filled costs little (one round trip less: ~0.7 ms
#: of the 10 ms a whole-name query took at 1e5 labels); a shorter one can start millions
#: of keys at 1e7, so its tiers are read one by one
BOTH_RANGES_FROM = 6


def _word_and_inner(fetch: Fetch, table: str, q: str, take: int) -> dict[int, list[tuple]]:
    """Tier 2's and tier 3's best ``take`` keys (as :func:`_best` reads them), one
    statement: ``{2: rows, 3: rows}``."""
    parts, params = [], {}
    for tier, marker, text in ((2, WORD, q[:WORD_WIDTH]), (3, INNER, q[:WIDTH])):
        one = _range_query(table, marker, text, max(take, 1), {}, tag=str(tier))
        parts.append(f"SELECT {tier} AS tier, * FROM ({one.sql})")
        params.update(one.params)
    rows = fetch(Compiled(" UNION ALL ".join(parts), params, "duckdb"))[1]
    out: dict[int, list[tuple]] = {2: [], 3: []}
    for row in sorted(rows, key=lambda r: (r[0], r[2], r[1])):  # tier, o0, id
        out[row[0]].append(row[1:])
    return out


def _distinct(rows: list[tuple], skip: set[int]) -> dict[int, tuple]:
    """The first (best) row of each id, in order, leaving out ``skip``."""
    out: dict[int, tuple] = {}
    for row in rows:
        if row[0] not in skip and row[0] not in out:
            out[row[0]] = row
    return out


def candidates(
    fetch: Fetch, table: TableModel, query: str, fields: Sequence[str], limit: int,
    skip: set[int], threshold: float = 0.7, words: bool = False,
    ahead: tuple[int, list[tuple]] | None = None,
) -> tuple[list[int], int, bool, set[int]]:  # fmt: skip
    """Ids of the best ``limit`` indexed rows for ``query`` (tier by tier, best first), the
    tier the search stopped in, whether rows of that tier were left out, and the ids taken
    from that tier.

    Every row whose tier is below the one returned is among the ids; of that tier, the
    first ones in ranking order. A range of keys is a superset when the query is longer
    than the keys (a row found there may rank lower): :func:`ranked` trusts only what
    these guarantee. ``skip``: ids whose keys may be stale (written since the index was
    built), ranked from the registry instead. ``words``: the index has ``b8``-``b10``.
    ``ahead``: tier 1's best keys read already, and how many were asked for.
    """
    q = normalized(query)
    m, name, per = len(q), table.name, len(fields)
    found: dict[int, None] = {}
    steps = [(1, START, q[:START_WIDTH]), (2, WORD, q[:WORD_WIDTH]), (3, INNER, q[:WIDTH])]
    read: dict[int, list[tuple]] = {}  # ranges read ahead (tiers 2 and 3 together)
    for tier, marker, text in steps:
        need = limit - len(found)
        take = (limit + len(skip)) * per
        if tier == 1 and ahead is not None and ahead[0] >= take:
            # what `LIMIT take` returns: the first `take` of the keys asked for (all if fewer)
            read[1] = ahead[1][:take]
        if tier == 2 and m >= BOTH_RANGES_FROM:
            read = _word_and_inner(fetch, name, q, take)
        while True:  # a row may have several keys in one range ("ab ab"): fetch until enough
            rows = read.pop(tier) if tier in read else _best(fetch, name, marker, text, take, m)
            fresh = _distinct(rows, skip.union(found))
            full = len(rows) >= take
            if len(fresh) >= need or not full:
                break
            take *= 4
        taken = list(fresh)[:need]
        found.update(dict.fromkeys(taken))
        if len(fresh) >= need:  # this tier fills the list: lower tiers cannot enter it
            return list(found), tier, len(fresh) > need or full, set(taken)
    want = (limit + len(skip) + len(found)) * per
    bounds = (*key_range(START, q[0])[:2], *key_range(START, q[:3])[:2])
    typo = compile_typo_keys(index_table(name), q, want, bounds, threshold)
    if typo is None:
        return list(found), 4, False, set()
    room = limit - len(found)
    rows = _one_edit_rows(fetch, name, q, want, bounds, threshold, room, skip.union(found), words)
    partial = rows is not None  # only values within one edit: rows of the tier left out
    if rows is None:
        rows = fetch(typo)[1]
    scored = _distinct(rows, skip.union(found))  # by score, then order: each id's best key
    taken = list(scored)[:room]
    found.update(dict.fromkeys(taken))
    return list(found), 4, partial or len(rows) >= want or len(scored) > room, set(taken)


def _one_edit_rows(fetch: Fetch, name: str, q: str, want: int, bounds: tuple, threshold: float,
                   limit: int, skip: set[int], words: bool) -> list[tuple] | None:  # fmt: skip
    """Typo rows of a long query from its values within one edit, or None.

    Every value sharing a long query's first three letters is a typo candidate (4.75% of
    the benchmark's rows at 1e7); those within one edit of its first 16 characters have
    the best scores a typo can have and are found by string tests
    (:func:`compile_typo_keys`, ``one_edit``). With enough of them, no other can enter.
    """
    if len(q) < FUZZY_PREFIX:
        return None  # few candidates: their edit distances are cheap
    near = compile_typo_keys(
        index_table(name), q, want, bounds, threshold, one_edit=True, words=words
    )
    rows = fetch(near)[1] if near is not None else []
    enough = sum(r[2] >= ONE_EDIT_SCORE for r in _distinct(rows, skip).values()) >= limit
    return rows if enough else None


def ranked(fetch: Fetch, table: TableModel, target: Target, query: str, fields: Sequence[str],
           limit: int, state: IndexState) -> tuple[list[str], list[tuple]] | None:  # fmt: skip
    """``compile_search``'s columns and rows (the same ranking), candidates from the index;
    None when the index cannot answer (the caller runs the scan).

    Rows written since the index was built are ranked from the registry (a scan of the row
    groups they are in); the rest from the index's candidates. A row of the result is
    trusted when nothing left out of the candidates can rank before it: every row of a
    tier the candidates cover completely, and of the tier they were cut in, those up to
    the last one taken from it that is still there and still of that tier. With fewer
    trusted rows than ``limit`` (keys shorter than the query, rows deleted since), the
    index is asked for more.
    """
    ahead_take = (limit + AHEAD) * len(fields)
    changed, ahead = changed_ids(fetch, state, normalized(query), ahead_take)
    width = limit
    while width <= 64 * limit:
        ids, reached, cut, last = candidates(
            fetch, table, query, fields, width, changed, words=_words_for(state),
            ahead=(ahead_take, ahead) if width == limit else None,
        )  # fmt: skip
        search = compile_search(table, target, query, fields, limit=limit, ids=ids or None,
                                since=state.stamp)  # fmt: skip
        columns, rows = fetch(search)
        order, tier_at = _order(columns, fields[0]), columns.index("_tier")
        merged = sorted({r[0]: r for r in rows}.values(), key=order)
        trusted = [r for r in merged if r[tier_at] < reached or (r[tier_at] == reached and not cut)]
        if cut:  # of the cut tier: up to the last candidate taken from it that is left
            mine = [order(r) for r in merged if r[0] in last and r[tier_at] == reached]
            bound = max(mine) if mine else None
            trusted += [r for r in merged if r[tier_at] == reached and bound is not None
                        and order(r) <= bound]  # fmt: skip
            trusted.sort(key=order)
        if len(trusted) >= limit or (reached == 4 and not cut):
            return columns, trusted[:limit]
        width *= 4
    return None


def _words_for(state: IndexState) -> bool:
    """Whether search uses the integer tests (see :data:`WORDS_FROM`)."""
    return state.layout >= 2 and state.max_id >= WORDS_FROM


#: tier 1's range is read ahead with the changed ids for this many of them (more: read again)
AHEAD = 12


def changed_ids(fetch: Fetch, state: IndexState, q: str = "", take: int = 0):
    """Indexed rows written since the index was built (their keys may be stale), read in
    one statement with the recorded state, which must still be ``state``'s text (else
    :class:`IndexChanged`; a state not read from text is not checked). With a query
    ``q``: also tier 1's best ``take`` keys (as :func:`_best` reads them), one statement
    fewer for every search; returns ``(ids, keys)`` then."""
    first = None
    if q:
        first = _range_query(state.table, START, q[:START_WIDTH], max(take, 1),
                             {"m": min(len(q), 255)}, tag="1")  # fmt: skip
    compiled = _changed_ids(state, first)
    rows = fetch(compiled)[1]
    _check(state, rows)
    ids = {row[1] for row in rows if row[0] == 1}
    if not q:
        return ids
    m = min(len(q), 255)
    keys = sorted(((r[1], r[3], r[4]) for r in rows if r[0] == 2), key=lambda r: (r[2] != m, r[1]))
    return ids, keys


#: a ``UNION ALL`` branch that returns the recorded state as ``(0, NULL, value)``
_STATE_BRANCH = "SELECT 0 AS w, NULL::BIGINT AS id, value AS v FROM lakecat_setting WHERE key = $sk"


def _check(state: IndexState, rows: list[tuple]) -> None:
    """Raise :class:`IndexChanged` unless ``rows`` hold ``state``'s text as their 0-row."""
    if state.text and [row[2] for row in rows if row[0] == 0] != [state.text]:
        raise IndexChanged(state.table)


def _changed_ids(state: IndexState, first: Compiled | None = None) -> Compiled:
    """The state, then the changed ids (``(0, NULL, value)``, ``(1, id, NULL)``), and
    ``first``'s keys as ``(2, id, NULL, o0, n)`` (the other rows padded to match)."""
    pad, nulls = (
        (", NULL::UINTEGER AS o0, NULL::SMALLINT AS n", ", NULL, NULL") if first else ("", "")
    )
    sql = (f"SELECT 0 AS w, NULL::BIGINT AS id, value AS v{pad} FROM lakecat_setting "
           f"WHERE key = $sk UNION ALL SELECT 1, id, NULL{nulls} FROM {_ident(state.table)} "
           "WHERE updated_at > $cs AND id <= $cm")  # fmt: skip
    params = {"sk": SETTING + state.table, "cs": state.stamp, "cm": state.max_id}
    if first is not None:
        sql += f" UNION ALL SELECT 2, id, NULL, o0, n FROM ({first.sql})"
        params.update(first.params)
    return Compiled(sql, params, "duckdb")


def near(fetch: Fetch, table: TableModel, target: Target, value: str, field: str,
         state: IndexState) -> list[tuple] | None:  # fmt: skip
    """:func:`catalog_sql.search.compile_near`'s rows with the index's help: the rows it
    would find among the indexed ones are candidates from the index, and those written
    since are looked at in the registry. None when the index cannot answer (an older
    layout, or more candidates than a near-duplicate warning needs: the scan then).

    A value the scan finds (``ILIKE 'he%'`` or a leading space, then equal ignoring case
    and surrounding space, or within ``k`` edits of the query sharing its first two
    letters) is, in the index, a value-start key of the head's range, or of a leading
    space; its trimmed length is its key's ``n`` unless it has surrounding space
    (``sp``), and its key's text is the value when ``n`` ≤ 64. The candidates: those
    keys within ``k`` edits by their (trimmed) text, and every key of a longer value.

    One statement asks the index for them, the registry for the exact value and for the
    near values among the rows written since, and checks the state; a new value has no
    candidates, and that is the answer. Candidates (their keys may be stale: rows
    changed since are among them) are tested in the registry by a second statement, the
    way the scan tests.
    """
    if state.layout < 2 or field not in state.fields:
        return None
    statement = compile_near_among(table, target, value, field, [], state.stamp)
    keys = _near_keys(table.name, statement.params, NEAR_CANDIDATES + 1)
    sql = (f"{_STATE_BRANCH} UNION ALL SELECT 1, id, NULL FROM ({keys.sql}) "
           f"UNION ALL SELECT 2, * FROM ({statement.sql})")  # fmt: skip
    params = {**statement.params, **keys.params, "sk": SETTING + table.name}
    rows = fetch(Compiled(sql, params, "duckdb"))[1]
    _check(state, rows)
    keys_found = [row[1] for row in rows if row[0] == 1]
    if len(keys_found) > NEAR_CANDIDATES:  # cut: counted in keys (an id has a key a field)
        return None
    ids = list(dict.fromkeys(keys_found))
    # a row can come back from two branches (the exact value, written since): once here
    if ids:
        found = fetch(compile_near_among(table, target, value, field, ids, state.stamp))[1]
        return list(dict.fromkeys(map(tuple, found)))
    return list(dict.fromkeys((row[1], row[2]) for row in rows if row[0] == 2))


#: more candidate keys than this for a save's near check: the registry is scanned instead
NEAR_CANDIDATES = 4 * NEAR_LIMIT


def _near_keys(table: str, params: dict, limit: int) -> Compiled:
    """Ids of the value-start keys that may be near ``params["q"]`` (see :func:`near`):
    one branch per key range (the head's, a leading space's), each read through its
    zonemaps, its tests ORed (0.89 against 1.12 ms for a branch per test at 1e5 labels)."""
    ix = _ident(index_table(table))
    lo, hi, check = key_range(START, params["head"])
    blank_lo, blank_hi, _ = key_range(START, " ")
    head = f"k8 BETWEEN {lo} AND {hi}" + (" AND starts_with(key, $pre)" if check else "")
    n, k = int(params["n"]), int(params["k"])
    wide = START_WIDTH
    close = "levenshtein(trim(substr(key, 2)), $q) <= $k"  # the key is the whole value
    typo = f"n BETWEEN {n - k} AND {min(n + k, wide)} AND levenshtein(substr(key, 2), $q) <= $k"
    sql = (f"SELECT id FROM {ix} WHERE {head} AND (({typo}) OR (sp AND n <= {wide} AND "
           f"{close}) OR n > {wide}) UNION ALL SELECT id FROM {ix} WHERE k8 BETWEEN "
           f"{blank_lo} AND {blank_hi} AND (n > {wide} OR {close}) LIMIT {int(limit)}")  # fmt: skip
    return Compiled(sql, {"q": params["q"], "k": k, "pre": check}, "duckdb")


def _order(columns: list[str], first_field: str) -> Callable[[tuple], tuple]:
    """The ranking of compile_search in Python: tier, score (desc), length and value of the
    first field (None last), id."""
    tier, score = columns.index("_tier"), columns.index("_score")
    first = columns.index(first_field)
    ident = columns.index("id")

    def key(row: tuple) -> tuple:
        value = row[first]
        return (row[tier], -row[score], value is None, len(value) if value is not None else 0,
                value or "", row[ident])  # fmt: skip

    return key


# -- text filters through the index -------------------------------------------------------
#: the text lookups a range of keys answers, and the kinds of position their matches start
#: at: a prefix or an equal value at the value's start, a substring anywhere
FILTER_MARKERS = {
    "startswith": (START,), "istartswith": (START,), "iexact": (START,),
    "contains": (START, WORD, INNER), "icontains": (START, WORD, INNER),
}  # fmt: skip
_WIDTHS = {START: START_WIDTH, WORD: WORD_WIDTH, INNER: WIDTH}


@dataclass(frozen=True)
class Served:
    """A lookup of a filter that a range of the index answers: ``field__lookup=value``."""

    field: str
    lookup: str
    value: str

    @property
    def text(self) -> str:
        """The value as the keys hold it (ASCII only: Python lowers it as DuckDB does)."""
        return self.value.lower()


def served_lookups(
    where: Q, fields: Sequence[str], markers: Sequence[str] = (START, WORD, INNER)
) -> list[Served]:
    """The lookups of ``where`` every matching row must meet (its AND-ed, not negated
    leaves) that the index over ``fields`` answers, best first: a value start's range
    before a substring's, a longer value before a shorter. ``markers``: the key kinds
    the index has (a prefix index, value starts only).

    Examples:
        >>> from catalog_sql.query import Q
        >>> q = Q(name__icontains="cell") & Q(name__startswith="T c") & Q(uid="x")
        >>> [s.lookup for s in served_lookups(q, ["name"])]
        ['startswith', 'icontains']
        >>> served_lookups(Q(name__startswith="a") | Q(name="b"), ["name"])
        []
    """
    found: list[Served] = []
    _collect(where, fields, set(markers), found)
    return sorted(found, key=lambda s: (len(FILTER_MARKERS[s.lookup]), -len(s.value)))


def _collect(where: Q, fields: Sequence[str], markers: set[str], found: list[Served]) -> None:
    if where.negated or (where.connector != Q.AND and len(where.children) > 1):
        return
    for child in where.children:
        if not isinstance(child, tuple):
            _collect(child, fields, markers, found)
            continue
        field, _, lookup = child[0].rpartition("__")
        value = child[1]
        if (field in fields and set(FILTER_MARKERS.get(lookup, ("-",))) <= markers
                and isinstance(value, str) and value and value.isascii()):  # fmt: skip
            found.append(Served(field, lookup, value))


def compile_filter_ids(state: IndexState, served: Served, cap: int) -> Compiled:
    """One statement: the recorded state ``(0, NULL, value)``, the ids of rows written
    since the index was built ``(1, id, NULL)`` (counted only: too many, and the registry
    is scanned) and the ids of the keys in the ranges that hold every match of ``served``
    ``(2, id, NULL)``, at most ``cap + 1`` of each."""
    branches, params = [_STATE_BRANCH], {"sk": SETTING + state.table, "cs": state.stamp}
    branches.append(f"SELECT 1, id, NULL FROM (SELECT id FROM {_ident(state.table)} "
                    f"WHERE updated_at > $cs LIMIT {int(cap) + 1})")  # fmt: skip
    ix = _ident(index_table(state.table))
    for i, marker in enumerate(FILTER_MARKERS[served.lookup]):
        text = served.text[: _WIDTHS[marker]]
        low, high, check = key_range(marker, text)
        where = f"k8 BETWEEN $lo{i} AND $hi{i}"
        if served.lookup == "iexact" and len(served.text) < START_WIDTH:
            # the key is the whole lowered value (a string test per key of the range,
            # where `key = …` tests every key of its row groups: 0.9 against 2.3 ms)
            where += f" AND n = {len(served.text)}"
        if check or served.lookup == "iexact":
            check = marker + text
            where += f" AND starts_with(key, $pre{i})"
        params.update({f"lo{i}": low, f"hi{i}": high, f"pre{i}": check})
        branches.append(f"SELECT 2, id, NULL FROM (SELECT id FROM {ix} WHERE {where} "
                        f"LIMIT {int(cap) + 1})")  # fmt: skip
    return Compiled(" UNION ALL ".join(branches), params, "duckdb")


def filter_ids(fetch: Fetch, state: IndexState, served: Served, cap: int) -> list[int] | None:
    """Ids of the indexed rows among which is every row meeting ``served`` that was not
    written since the index was built (the keys in its ranges), sorted; None when there
    are more than ``cap`` of them, or of rows written since (then the registry is
    scanned). The caller reads those rows and the ones written since in one statement
    (:class:`catalog_sql.compiler.Among`). Raises :class:`IndexChanged` if the index is
    no longer the one ``state`` describes."""
    rows = fetch(compile_filter_ids(state, served, cap))[1]
    _check(state, rows)
    changed = sum(row[0] == 1 for row in rows)
    keys = [row[1] for row in rows if row[0] == 2]
    if changed > cap or len(keys) > cap:
        return None
    return sorted(set(keys))
