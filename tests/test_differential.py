"""Differential test of the query compiler: random ULabels, random filters over every
lookup of catalog_sql/lookups.py combined with ``&``, ``|``, ``~`` and ``exclude()``, and
the same predicate evaluated in plain Python — on both back ends.

Where the databases and Python legitimately differ, the generated data is restricted
(each restriction says why, next to it):

* case-insensitive lookups (iexact, i*with, icontains): values use only ASCII and
  caseless characters, and the data leaves out the two characters whose lowercase is
  ASCII in one implementation but not another (Python lowers U+0130 to "i" + U+0307, the
  databases to "i"; U+212A KELVIN SIGN becomes an ASCII "k");
* regex: patterns come from a grammar that means the same in RE2 (DuckDB), POSIX ARE
  (Postgres) and Python; the Python oracle reads ``$`` as end of text and lets ``.``
  match a newline on Postgres only (ARE's default), not on DuckDB (RE2's default);
* gt/gte/lt/lte/range on text: Python orders by code point, as DuckDB does; Postgres
  follows the database collation, so ordering lookups on text run on Postgres only when
  the test database's collation is code-point order (C, POSIX, C.UTF-8).

A comparison with NULL is unknown and ``&`` / ``|`` combine unknowns as SQL does, but
``~`` (and ``exclude()``) keep every row for which the condition is not true, NULL
included (as Django's exclude does): ``_not`` below is the complement, never SQL's NOT.

The default suite draws 50 examples per back end; a long run:
``LAKECAT_DIFF_EXAMPLES=1000 python -m pytest tests/test_differential.py``.
"""

from __future__ import annotations

import os
import re
import string

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import lakecat as lc
from catalog_sql.lookups import LOOKUPS

TEXT_LOOKUPS = sorted(LOOKUPS)  # every lookup applies to text
INT_LOOKUPS = ["exact", "in", "gt", "gte", "lt", "lte", "range", "isnull"]
ORDERING = {"gt", "gte", "lt", "lte", "range"}
CASE_INSENSITIVE = {"iexact", "icontains", "istartswith", "iendswith"}
CODE_POINT_COLLATIONS = {"c", "posix", "c.utf-8", "c.utf8"}

# A small alphabet, so that random values often hit stored strings: characters that stress
# quoting and LIKE escaping, and non-ASCII ones (accented, cased, caseless, combining,
# astral); one character in four is any other code point.
SPECIAL = list("aAbB'\"%_\\ \n") + ["é", "É", "ß", "ẞ", "Σ", "漢", "🦆", "\u0301"]
# See the module docstring: their lowercase is ASCII in one implementation only.
NOT_IN_DATA = "\x00\u0130\u212a"
_ANY = st.characters(codec="utf-8", exclude_characters=NOT_IN_DATA)
CHARS = st.integers(0, 3).flatmap(lambda i: _ANY if i == 0 else st.sampled_from(SPECIAL))
TEXT = st.text(CHARS, max_size=5)
# Case-insensitive values: lowercase is the same in Python, DuckDB and Postgres for these.
CASELESS = set(string.printable) | {"漢", "🦆", "\u0301", "€", "1"}


def _caseless(text: str) -> str:
    return "".join(c for c in text if c in CASELESS)


# --- regex grammar --------------------------------------------------------------------

_ATOMS = ["a", "A", "b", "1", "'", '"', "%", "_", " ", "é", "漢", "🦆", r"\\", r"\.", r"\(",
          ".", "[ab]", "[^a]", "[a-c]", "[%_]"]  # fmt: skip
_QUANTIFIERS = ["", "", "", "*", "+", "?", "{1,2}"]


@st.composite
def regexes(draw, depth: int = 0) -> str:
    """A pattern with the same meaning in RE2, POSIX ARE and Python (bar the two newline
    rules the oracle handles: ``$`` and ``.``)."""
    pieces = []
    for _ in range(draw(st.integers(1, 3))):
        if depth < 1 and draw(st.integers(0, 4)) == 0:
            branches = draw(st.lists(regexes(depth + 1), min_size=1, max_size=2))
            atom = "(" + "|".join(branches) + ")"
        else:
            atom = draw(st.sampled_from(_ATOMS))
        pieces.append(atom + draw(st.sampled_from(_QUANTIFIERS)))
    body = "".join(pieces)
    if depth == 0:
        body = draw(st.sampled_from(["", "^"])) + body + draw(st.sampled_from(["", "$"]))
    return body


def _regex_oracle(pattern: str, backend: str):
    python = pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern
    flags = re.DOTALL if backend == "postgres" else 0
    compiled = re.compile(python, flags)
    return lambda text: compiled.search(text) is not None


# --- filters ------------------------------------------------------------------------------


def _pool(rows) -> list[str]:
    return [n for n, _ in rows] + [d for _, d in rows if d is not None]


@st.composite
def text_values(draw, rows, lookup: str):
    """A value for ``lookup`` on a text field: mostly taken from the stored strings (so
    filters match something), sometimes random."""
    pool = _pool(rows)

    def one() -> str:
        if pool and draw(st.booleans()):
            source = draw(st.sampled_from(pool))
            i = draw(st.integers(0, len(source)))
            j = draw(st.integers(i, len(source)))
            value = {"startswith": source[:j], "endswith": source[i:]}.get(
                lookup.removeprefix("i"), source[i:j] if "contains" in lookup else source
            )
        else:
            value = draw(TEXT)
        if lookup in CASE_INSENSITIVE:
            value = _caseless(value)
            value = "".join(c.swapcase() if draw(st.booleans()) else c for c in value)
        return value

    if lookup == "in":
        return [one() for _ in range(draw(st.integers(0, 3)))]
    if lookup == "range":
        return (one(), one())
    if lookup == "exact" and draw(st.integers(0, 5)) == 0:
        return None
    return one()


@st.composite
def int_values(draw, ids, lookup: str):
    near = st.sampled_from(sorted({i + d for i in ids for d in (-1, 0, 1)}) or [0])
    number = st.one_of(near, st.integers(-(2**63), 2**63 - 1))
    if lookup == "in":
        return draw(st.lists(number, max_size=3))
    if lookup == "range":
        return (draw(number), draw(number))
    if lookup == "exact" and draw(st.integers(0, 5)) == 0:
        return None
    return draw(number)


@st.composite
def leaves(draw, rows, ids, text_lookups):
    field = draw(st.sampled_from(["name", "description", "description", "id"]))
    lookup = draw(st.sampled_from(INT_LOOKUPS if field == "id" else text_lookups))
    if lookup == "isnull":
        value = draw(st.booleans())
    elif field == "id":
        value = draw(int_values(ids, lookup))
    elif lookup == "regex":
        value = draw(regexes())
    else:
        value = draw(text_values(rows, lookup))
    return ("leaf", field, lookup, value)


@st.composite
def trees(draw, rows, ids, text_lookups, depth: int = 0):
    if depth >= 2 or draw(st.integers(0, 1 + depth)) != 0:  # mostly one or two levels
        return draw(leaves(rows, ids, text_lookups))
    kind = draw(st.sampled_from(["and", "or", "not"]))
    if kind == "not":
        return ("not", draw(trees(rows, ids, text_lookups, depth + 1)))
    parts = draw(st.lists(trees(rows, ids, text_lookups, depth + 1), min_size=2, max_size=3))
    return (kind, *parts)


def to_q(node) -> lc.Q:
    if node[0] == "leaf":
        _, field, lookup, value = node
        return lc.Q(**{f"{field}__{lookup}": value})
    if node[0] == "not":
        return ~to_q(node[1])
    combined = to_q(node[1])
    for part in node[2:]:
        combined = combined & to_q(part) if node[0] == "and" else combined | to_q(part)
    return combined


# --- the Python oracle: Kleene logic for & and |, None = unknown; ~ is the complement ----


def _not(v):
    return v is not True


def _and(values):
    values = list(values)
    if False in values:
        return False
    return None if None in values else True


def _or(values):
    values = list(values)
    if True in values:
        return True
    return None if None in values else False


def holds(lookup: str, x, v, backend: str):
    if lookup == "isnull":
        return (x is None) is v
    if lookup == "exact" and v is None:
        return x is None
    if lookup == "in" and not v:
        return False  # compiled to FALSE, not to a comparison with NULL
    if x is None:
        return None
    if lookup in CASE_INSENSITIVE:
        x, v = x.lower(), v.lower()
        lookup = lookup[1:]
    if lookup == "exact":
        return x == v
    if lookup == "in":
        return x in v
    if lookup == "contains":
        return v in x
    if lookup == "startswith":
        return x.startswith(v)
    if lookup == "endswith":
        return x.endswith(v)
    if lookup == "gt":
        return x > v
    if lookup == "gte":
        return x >= v
    if lookup == "lt":
        return x < v
    if lookup == "lte":
        return x <= v
    if lookup == "range":
        return v[0] <= x <= v[1]
    if lookup == "regex":
        return _regex_oracle(v, backend)(x)
    raise AssertionError(f"no oracle for lookup {lookup!r}")


def evaluate(node, row: dict, backend: str):
    kind = node[0]
    if kind == "leaf":
        _, field, lookup, value = node
        return holds(lookup, row[field], value, backend)
    if kind == "not":
        return _not(evaluate(node[1], row, backend))
    results = (evaluate(part, row, backend) for part in node[1:])
    return _and(results) if kind == "and" else _or(results)


# --- the test -------------------------------------------------------------------------------


def test_the_oracle_covers_every_lookup():
    """A new lookup in catalog_sql/lookups.py must be added to this test."""
    assert set(TEXT_LOOKUPS) == set(LOOKUPS)
    assert set(INT_LOOKUPS) <= set(LOOKUPS)
    special = {"isnull": False, "in": ["a"], "range": ("a", "b"), "gt": "", "lt": "b"}
    for lookup in LOOKUPS:  # the oracle knows each one (it raises on an unknown lookup)
        assert holds(lookup, "a", special.get(lookup, "a"), "duckdb") is True, lookup


def _collation(instance) -> str:
    if instance.backend.name != "postgres":
        return "binary"
    from catalog_sql.backends.postgres import ALIAS

    sql = "SELECT datcollate FROM pg_database WHERE datname = current_database()"
    with instance.backend.session() as con:
        return con.execute("SELECT * FROM postgres_query(?, ?)", [ALIAS, sql]).fetchone()[0]


ROWS = st.lists(
    st.tuples(TEXT, st.none() | TEXT), min_size=1, max_size=10, unique_by=lambda r: r[0]
)


@pytest.fixture
def text_lookups(instance):
    collation = _collation(instance).lower()
    if collation == "binary" or collation in CODE_POINT_COLLATIONS:
        return TEXT_LOOKUPS
    return [lookup for lookup in TEXT_LOOKUPS if lookup not in ORDERING]


@settings(
    max_examples=int(os.environ.get("LAKECAT_DIFF_EXAMPLES", "50")),  # a long run: 1000
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],  # no explain phase: too slow here
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=ROWS, data=st.data())
def test_filters_match_python(instance, text_lookups, rows, data):
    backend = instance.backend.name
    lc.ULabel.filter().delete()
    lc.save([lc.ULabel(name=name, description=description) for name, description in rows])
    stored = lc.ULabel.filter().order_by("id").values_list("id", "name", "description")
    assert [(n, d) for _, n, d in stored] == rows  # every string round-trips unchanged
    table = [{"id": i, "name": n, "description": d} for i, n, d in stored]
    ids = [row["id"] for row in table]
    for _ in range(12):
        tree = data.draw(trees(rows, ids, text_lookups), label="filter")
        expected = sorted(row["id"] for row in table if evaluate(tree, row, backend) is True)
        q = to_q(tree)
        how = data.draw(st.sampled_from(["filter", "exclude", "count"]), label="terminal")
        if how == "exclude":  # exclude(q) is filter(~q): the rows for which q is not true
            got = sorted(r[0] for r in lc.ULabel.filter().exclude(q).values_list("id"))
            negated = [row["id"] for row in table if _not(evaluate(tree, row, backend)) is True]
            assert got == sorted(negated), (tree, rows)
        elif how == "count":
            assert lc.ULabel.filter(q).count() == len(expected), (tree, rows)
        else:
            got = sorted(r[0] for r in lc.ULabel.filter(q).values_list("id"))
            assert got == expected, (tree, rows)
