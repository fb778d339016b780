"""The string tests that stand in for edit distances in search (catalog_sql/search.py).

``_one_edit_test`` lets a long query's typo tier read only values within one edit of its
first 16 characters: it must hold for every such value (else a search would leave out a
row that ranks first), in both spellings (DuckDB's, and Postgres's with ``LIKE``).
"""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog_sql.search import FUZZY_PREFIX, _one_edit_test
from catalog_sql.search import exp as sql

TEXT = st.text(st.sampled_from("ab c"), min_size=FUZZY_PREFIX, max_size=FUZZY_PREFIX)


@st.composite
def one_edit_away(draw) -> tuple[str, str]:
    """A query's first 16 characters and a value within one edit of them (then anything)."""
    qf = draw(TEXT)
    i = draw(st.integers(0, FUZZY_PREFIX))
    letter = draw(st.sampled_from("abcx "))
    edit = draw(st.sampled_from(["none", "insert", "delete", "substitute"]))
    value = {
        "none": qf,
        "insert": qf[:i] + letter + qf[i:],
        "delete": qf[:i] + qf[i + 1 :],
        "substitute": qf[:i] + letter + qf[i + 1 :],
    }[edit]
    return qf, value + draw(st.text(st.sampled_from("abc "), max_size=5))


@pytest.fixture(scope="module")
def duck():
    con = duckdb.connect()
    yield con
    con.close()


def _holds(con, like: bool, qf: str, value: str) -> bool:
    test = _one_edit_test(sql.column("v"), like).sql("duckdb")
    half = FUZZY_PREFIX // 2
    params = {"v": value, "half_b": qf[half:]}
    if like:  # no LIKE wildcards among the letters drawn: the patterns need no escaping
        params.update({"half_a_like": qf[:half] + "%", "half_b_like": f"%{qf[half:]}%"})
    else:
        params["half_a"] = qf[:half]
    return con.execute(f"SELECT {test} FROM (SELECT $v AS v)", params).fetchone()[0]


@settings(max_examples=300, deadline=None)
@given(pair=one_edit_away(), like=st.booleans())
def test_every_value_within_one_edit_passes(duck, pair, like):
    qf, value = pair
    sql_distance = "SELECT levenshtein(left($v, 17), $q)"
    if duck.execute(sql_distance, {"v": value, "q": qf}).fetchone()[0] <= 1:
        assert _holds(duck, like, qf, value), (qf, value)


def test_values_further_away_can_fail(duck):
    qf = "abcdefgh ijklmno"
    assert not _holds(duck, False, qf, "xbcdefgx ijklmnx")
    assert not _holds(duck, True, qf, "zz" + qf)
    assert _holds(duck, True, qf, "abcdefgh ijklmnoppp")
