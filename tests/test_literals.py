"""The fast literal renderer agrees with sqlglot and round-trips through DuckDB."""

from __future__ import annotations

import datetime as dt

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from catalog_sql.literals import render_literal

# Text DuckDB can store: no NUL, no lone surrogates (not encodable; lakecat rejects both).
TEXT = st.text(
    alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
    max_size=40,
)
TIMES = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1))
VALUES = st.one_of(
    TEXT,
    st.integers(min_value=-(2**62), max_value=2**62),
    st.floats(allow_nan=False, allow_infinity=False),  # NaN/inf: see the test below
    st.booleans(),
    st.none(),
    TIMES,
    TIMES.map(lambda t: t.replace(tzinfo=dt.timezone.utc)),
    st.dates(min_value=dt.date(1000, 1, 1)),  # sqlglot drops the leading zero before 1000
)


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_same_text_as_sqlglot(value):
    for dialect in ("duckdb", "postgres"):
        assert render_literal(value, dialect) == exp.convert(value).sql(dialect)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_strings_round_trip_through_duckdb(text):
    con = duckdb.connect()
    assert con.execute(f"SELECT {render_literal(text, 'duckdb')}").fetchone()[0] == text


def test_non_finite_floats_round_trip():
    import math

    con = duckdb.connect()
    for value in (float("nan"), float("inf"), float("-inf")):
        got = con.execute(f"SELECT {render_literal(value, 'duckdb')}").fetchone()[0]
        assert (math.isnan(got) and math.isnan(value)) or got == value
    assert render_literal(float("inf"), "postgres") == "CAST('Infinity' AS DOUBLE PRECISION)"
