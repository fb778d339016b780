"""The search index (embedded back end): the same ranked results as the scan, whatever
was written, renamed or deleted since the index was built, and across processes.

The invariant: for any sequence of saves, renames, deletes and index builds, and any
query, ``Registry.search`` through the index returns the same records with the same
(tier, score) in the same order as the ranking statement run over the whole registry.
The default suite draws 15 examples; a long run:
``LAKECAT_SEARCH_EXAMPLES=500 python -m pytest tests/test_search_index.py -k rank_the_same``.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lakecat as lc
from catalog_sql.search import compile_search
from catalog_sql.search_index import SETTING, index_table
from lakecat.errors import ValidationError

from .search_helpers import NAME, OPS, UNIQUE, apply_ops


def _scan(query: str, limit: int = 20) -> list[tuple]:
    """The ranking statement over the whole registry: (id, tier, score) best first."""
    from lakecat.instance import current

    instance = current()
    table = instance.compiler.table("ulabel")
    compiled = compile_search(table, instance.backend.target, query, ["name"], limit=limit)
    columns, rows = instance.backend.fetch(compiled)
    at = [columns.index(c) for c in ("id", "_tier", "_score")]
    return [tuple(row[i] for i in at) for row in rows]


def _indexed(query: str, limit: int = 20) -> list[tuple]:
    found = lc.ULabel.search(query, limit=limit)
    return [(r.id, *rank) for r, rank in zip(found, found.ranks)]


def _queries(names: list[str], draw) -> list[str]:
    """Queries that hit every tier: whole names, prefixes, words, inner substrings, long
    ones (past the 12 characters an inner key holds), typos and random text."""
    out = []
    for name in names[:6]:
        i = draw(st.integers(0, len(name) - 1))
        j = draw(st.integers(i + 1, len(name)))
        out += [name, name[:j], name[i:j], name[i:]]
        k = draw(st.integers(0, len(name) - 1))
        out.append(name[:k] + name[k + 1 :])  # a deletion: the typo tier
    out += [draw(NAME) for _ in range(3)]
    return [q for q in out if q.strip()]


@pytest.fixture(autouse=True)
def _index_for_small_registries(monkeypatch):
    """These registries are small: search would leave an index under SEARCH_INDEX_FROM
    rows to the scan, and the index would go untested."""
    from lakecat.core import search

    monkeypatch.setattr(search, "SEARCH_INDEX_FROM", 0)


def test_a_small_registry_is_searched_by_the_scan_even_with_an_index(duck_instance, monkeypatch):
    from lakecat.core import search

    for name in ("alpha beta", "alphabet", "gamma"):
        lc.ULabel(name=name).save()
    lc.ULabel.build_search_index()
    expected = _scan("alpha")
    read = []
    monkeypatch.setattr(search, "_ranked", lambda *a: read.append(a) or None)
    monkeypatch.setattr(search, "SEARCH_INDEX_FROM", 50_000)
    assert _indexed("alpha") == expected and read == []  # the scan answered
    monkeypatch.setattr(search, "SEARCH_INDEX_FROM", 0)
    assert _indexed("alpha") == expected and len(read) == 1  # the index was asked


@settings(
    max_examples=int(os.environ.get("LAKECAT_SEARCH_EXAMPLES", "15")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(first=st.lists(NAME, min_size=1, max_size=30), ops=OPS, data=st.data())
def test_index_and_scan_rank_the_same(duck_instance, monkeypatch, first, ops, data):
    from catalog_sql import search_index

    # a long query's typos: the integer tests (large registries) or the string tests
    monkeypatch.setattr(search_index, "WORDS_FROM", data.draw(st.sampled_from([0, 10**9])))
    # tiers 2 and 3 read in one statement, or one by one
    monkeypatch.setattr(search_index, "BOTH_RANGES_FROM", data.draw(st.sampled_from([1, 10**9])))
    lc.settings.search_names = False  # the near check is not under test here
    try:
        ids = [lc.ULabel(name=f"{name} {next(UNIQUE)}").save().id for name in first]
        lc.ULabel.build_search_index()
        apply_ops(ops, ids)
    finally:
        lc.settings.search_names = True
    # queries from this example's names (the instance, shared by the examples, is not)
    names = list(first) + [op[-1] for op in ops if op[0] in ("add", "rename")]
    for query in _queries(names, data.draw):
        for limit in (1, 3, 20):
            assert _indexed(query, limit) == _scan(query, limit), (query, limit)


def test_the_index_is_used_and_set_aside_when_stale(duck_instance, monkeypatch):
    from catalog_sql import search_index

    for i in range(300):
        lc.ULabel(name=f"cell type {i}").save()
    assert lc.ULabel.build_search_index() > 300 * 10  # a key per character
    used = []
    real = search_index.ranked
    monkeypatch.setattr(search_index, "ranked", lambda *a: used.append(a[3]) or real(*a))
    assert [r.name for r in lc.ULabel.search("cell type 12", limit=3)] == [
        "cell type 12", "cell type 120", "cell type 121"]  # fmt: skip
    assert used == ["cell type 12"]
    # another field list than the index's: the scan
    assert lc.ULabel.search("cell", field="description") == []
    assert len(used) == 1
    # a raw write through `lakecat sql --write` sets every index aside
    from lakecat.cli.shell import run_statement
    from lakecat.instance import current

    run_statement(current(), "UPDATE ulabel SET name = 'renamed' WHERE name = 'cell type 12'",
                  write=True)  # fmt: skip
    assert [r.name for r in lc.ULabel.search("renamed")] == ["renamed"]
    assert len(used) == 1, "a stale index was used"
    rows = current().backend.fetch(search_index.state_query("ulabel"))[1]
    assert rows == []


def test_drop_removes_the_table_and_its_state(duck_instance):
    from catalog_sql.compiler import Compiled
    from lakecat.instance import current

    lc.ULabel(name="x").save()
    lc.ULabel.build_search_index()
    backend = current().backend
    assert index_table("ulabel") in backend.table_names()
    lc.ULabel.drop_search_index()
    assert index_table("ulabel") not in backend.table_names()
    sql = "SELECT count(*) FROM lakecat_setting WHERE starts_with(key, $p)"
    assert backend.fetch(Compiled(sql, {"p": SETTING}, "duckdb"))[1] == [(0,)]
    assert [r.name for r in lc.ULabel.search("x")] == ["x"]


def test_registries_without_updated_at_and_postgres_refuse_with_a_reason(make_instance):
    make_instance()
    if make_instance.db is not None:  # Postgres: its trigram indexes answer search
        with pytest.raises(ValidationError, match="embedded back end"):
            lc.ULabel.build_search_index()
        return
    with pytest.raises(ValidationError, match="no updated_at"):
        lc.Run.build_search_index()
    from lakecat.instance import current

    assert index_table("run") not in current().backend.table_names()


def test_gc_rebuilds_the_index_and_says_how_far_behind_it_was(duck_instance):
    from click.testing import CliRunner

    from lakecat.cli.main import cli

    lc.ULabel(name="before").save()
    runner = CliRunner()
    built = runner.invoke(cli, ["search-index", "ulabel"])
    assert built.exit_code == 0 and "built the search index of ULabel" in built.output
    lc.ULabel(name="after one").save()
    lc.ULabel(name="after two").save()
    dry = runner.invoke(cli, ["gc"])
    assert (
        "search index of ulabel (2 row(s) written since it was built) would rebuild" in dry.output
    )
    done = runner.invoke(cli, ["gc", "--yes"])
    assert "search index of ulabel (2 row(s) written since it was built) rebuilt" in done.output
    again = runner.invoke(cli, ["gc"])
    assert "(0 row(s) written since it was built)" in again.output


WRITER = """
import sys, lakecat as lc
lc.connect(sys.argv[1])
lc.settings.search_names = False
for i in range(100):
    lc.ULabel(name=f"writer {sys.argv[2]} label {i}").save()
"""


def test_builds_while_other_processes_write_stay_exact(duck_instance, tmp_path):
    """Writers in other processes save while this one builds the index twice: afterwards
    the index (a snapshot plus the rows written after it) ranks as the scan does."""
    root = str(tmp_path / "storage")  # where duck_instance lives
    for i in range(100):
        lc.ULabel(name=f"label {i}").save()
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    writers = [subprocess.Popen([sys.executable, str(script), root, str(k)]) for k in range(2)]
    try:
        lc.ULabel.build_search_index()
        lc.ULabel.build_search_index()
    finally:
        codes = [w.wait(timeout=300) for w in writers]
    assert codes == [0, 0]
    assert lc.ULabel.filter().count() == 300
    for query in ["label 1", "writer 1 label 14", "writer", "abel 9", "lable 7", "label"]:
        assert _indexed(query) == _scan(query), query


REBUILDER = """
import sys, lakecat as lc
lc.connect(sys.argv[1])
label = lc.ULabel.get(name="label 7")
label.name = "relabelled"
label.save()
lc.ULabel.build_search_index()
"""


def test_an_index_rebuilt_by_another_process_is_read_again(duck_instance, tmp_path, monkeypatch):
    """This process keeps the index's state between searches and saves; each checks in its
    first statement that the state is still the recorded one. Rebuilt by another
    process: that search and that near check go by the scan (the same rows), the next
    ones read the new state and use the index again."""
    from catalog_sql import search_index
    from lakecat.core import search
    from lakecat.core.search import near_through_index
    from lakecat.instance import current

    monkeypatch.setattr(search, "NEAR_INDEX_FROM", 0)
    lc.save([lc.ULabel(name=f"label {i}") for i in range(100)])
    lc.ULabel.build_search_index()
    states, answered = [], []
    real_ranked, real_changed = search_index.ranked, search_index.changed_ids

    def ranked(*args):
        states.append(args[-1].stamp)
        answered.append(real_ranked(*args))
        return answered[-1]

    monkeypatch.setattr(search_index, "ranked", ranked)
    assert _indexed("label 7") == _scan("label 7") and len(answered) == 1
    table, instance = current().compiler.table("ulabel"), current()
    assert near_through_index(instance, table, "labl 7", "name") == [(8, "label 7")]
    script = tmp_path / "rebuilder.py"
    script.write_text(REBUILDER)
    subprocess.run([sys.executable, str(script), str(tmp_path / "storage")], check=True,
                   timeout=300)  # fmt: skip
    # the kept state is stale: its first statement says so, and the scan answers
    assert near_through_index(instance, table, "labl 7", "name") is None
    monkeypatch.setattr(search_index, "changed_ids", lambda *a: (_ for _ in ()).throw(
        AssertionError("the stale state was not read again")) if a[1].stamp == states[0]
        else real_changed(*a))  # fmt: skip
    assert _indexed("relabelled") == _scan("relabelled")
    assert len(states) == 2 and states[1] > states[0]  # read again, the index used
    assert answered[1] is not None and _indexed("label 7") == _scan("label 7")
    assert near_through_index(instance, table, "relabeled", "name") == [(8, "relabelled")]


def test_tier_one_read_ahead_with_the_changed_ids_ranks_as_the_scan(duck_instance, monkeypatch):
    """Search reads tier 1's range in the statement that reads the ids changed since the
    build; with more changed ids than it read ahead for, the range is read again, wider.
    Either way the ranking is the scan's, and the read-ahead costs no statement."""
    from catalog_sql import search_index

    lc.save([lc.ULabel(name=f"cell type {i}") for i in range(200)])
    lc.ULabel.build_search_index()
    statements = []
    real = search_index._range_query
    monkeypatch.setattr(search_index, "_range_query",
                        lambda *a, **k: statements.append(a[1]) or real(*a, **k))  # fmt: skip
    start = 100
    for changed in (0, 3, search_index.AHEAD + 5):
        for i in range(start, start + changed):
            label = lc.ULabel.get(name=f"cell type {i}")
            label.name = f"cell type {i} renamed"
            label.save()
        start += changed
        for query in ("cell type 1", "cell", "cell type 10", "cell type 101 renamed", "type"):
            statements.clear()
            assert _indexed(query) == _scan(query), (changed, query)
            tier_one = statements.count(search_index.START)
            assert tier_one == 1 if changed <= search_index.AHEAD else tier_one >= 2
        lc.ULabel.build_search_index()


def test_the_near_check_of_an_index_over_two_fields_is_never_cut_short(duck_instance, monkeypatch):
    """An index over two fields holds two value-start keys of one row: more candidate
    keys than the check takes means the scan, even when they are fewer distinct rows
    (counted in rows, the cut candidates went untested and a near duplicate unreported)."""
    from catalog_sql.search import compile_near
    from lakecat.core import search
    from lakecat.core.search import near_through_index
    from lakecat.instance import current

    monkeypatch.setattr(search, "NEAR_INDEX_FROM", 0)
    lc.save([lc.User(handle=f"ab0{i:03d}" + "x" * 70, name=f"ab1{i:03d}" + "y" * 70)
             for i in range(50)])  # fmt: skip
    lc.User(handle="abxyzv", name="someone").save()
    lc.User.build_search_index()
    instance = current()
    table = instance.compiler.table("user")
    scanned = instance.backend.fetch(compile_near(table, instance.backend.target, "abxyzw",
                                                  "handle"))[1]  # fmt: skip
    assert [name for _, name in scanned] == ["abxyzv"]
    found = near_through_index(instance, table, "abxyzw", "handle")
    assert found is None or sorted(found) == sorted(scanned)


def test_the_near_check_returns_each_row_once_and_is_quiet_when_lakecat_dropped_the_index(
    duck_instance, monkeypatch, tmp_path, caplog
):
    """A row written since the build matches the exact branch and the written-since one:
    it comes back once, as from the scan. Another process dropping the index (with its
    state) leaves this one's kept state behind: the next check scans without a warning."""
    from catalog_sql.search import compile_near
    from lakecat.core import search
    from lakecat.core.search import near_through_index
    from lakecat.instance import current

    monkeypatch.setattr(search, "NEAR_INDEX_FROM", 0)
    lc.save([lc.ULabel(name=f"label {i}") for i in range(20)])
    lc.ULabel.build_search_index()
    lc.ULabel(name="brand new").save()
    instance = current()
    table = instance.compiler.table("ulabel")
    scanned = instance.backend.fetch(compile_near(table, instance.backend.target,
                                                  "brand new", "name"))[1]  # fmt: skip
    assert near_through_index(instance, table, "brand new", "name") == scanned
    assert len(scanned) == 1
    drop = "import sys, lakecat as lc; lc.connect(sys.argv[1]); lc.ULabel.drop_search_index()"
    subprocess.run([sys.executable, "-c", drop, str(tmp_path / "storage")], check=True,
                   timeout=300)  # fmt: skip
    with caplog.at_level("WARNING", logger="lakecat"):
        assert near_through_index(instance, table, "brand new", "name") is None
        assert [r.name for r in lc.ULabel.search("brand new", limit=1)] == ["brand new"]
    assert "missing" not in caplog.text


def test_an_index_table_dropped_behind_lakecats_back_means_a_scan(duck_instance, caplog):
    from catalog_sql.compiler import Compiled
    from lakecat.instance import current

    lc.ULabel(name="kept").save()
    lc.ULabel.build_search_index()
    current().backend.execute(Compiled(f'DROP TABLE "{index_table("ulabel")}"', {}, "duckdb"))
    with caplog.at_level("WARNING", logger="lakecat"):
        assert [r.name for r in lc.ULabel.search("kept")] == ["kept"]
    assert "search index of ulabel is missing" in caplog.text


#: two groups one edit apart: "abcdefghijklmnop" and "abcdxfghijklmnoq" (and case
#: variants, one lowered value each). For "abcdxfghijklmnop" the first group's edit is in
#: half A (only the half-B test finds it), for "abcdefghijklmnoq" in half B (only the
#: half-A test does); either way the first group ranks first (by value).
_FIRST = ["abcdefghijklmnop", "abcdefghijklmnOp", "abcdefghijklmnoP"]
_SECOND = ["abcdxfghijklmnoq", "abcdxfghijklmnOq", "abcdxfghijklmnoQ"]
_ONE_EDIT_QUERIES = ("abcdxfghijklmnop", "abcdefghijklmnoq")


def _one_edit_labels() -> None:
    lc.settings.search_names = False
    try:
        lc.save([lc.ULabel(name=n) for n in _FIRST + _SECOND + ["abcdéfghijklmnop"]])
        lc.save([lc.ULabel(name=f"abc filler {i}") for i in range(30)])
    finally:
        lc.settings.search_names = True
    lc.ULabel.build_search_index()


def test_long_typos_are_found_by_the_integer_words(duck_instance, monkeypatch):
    """Layout 2: the one-edit test of a long query compares b8-b10 (half A, half B; on
    large registries, here on any). With either half's test broken, the other group alone
    fills the limit and the first is missed; the search ranks as the scan does."""
    import json

    from catalog_sql import search_index
    from catalog_sql.search_index import state_query
    from lakecat.instance import current

    monkeypatch.setattr(search_index, "WORDS_FROM", 0)
    _one_edit_labels()
    state = json.loads(current().backend.fetch(state_query("ulabel"))[1][0][0])
    assert state["layout"] == 2
    for query in _ONE_EDIT_QUERIES:
        assert [r.name for r in lc.ULabel.search(query, limit=3)] == sorted(_FIRST)
        for limit in (1, 3, 6):
            assert _indexed(query, limit) == _scan(query, limit), (query, limit)


def test_an_index_built_before_the_integer_words_still_answers(duck_instance, monkeypatch):
    """An index of layout 1 (no b8-b10 columns, no "layout" in its state) takes the
    string tests, whatever its size, and ranks as the scan does."""
    import json

    from catalog_sql import search_index
    from catalog_sql.compiler import Compiled
    from catalog_sql.search_index import SETTING, state_query
    from lakecat.instance import current

    monkeypatch.setattr(search_index, "WORDS_FROM", 0)
    _one_edit_labels()
    backend = current().backend
    state = json.loads(backend.fetch(state_query("ulabel"))[1][0][0])
    del state["layout"]
    sql = "UPDATE lakecat_setting SET value = $v WHERE key = $k"
    backend.execute(Compiled(sql, {"v": json.dumps(state), "k": SETTING + "ulabel"}, "duckdb"))
    for column in ("b8", "b9", "b10"):
        backend.execute(Compiled(f'ALTER TABLE "{index_table("ulabel")}" DROP {column}', {},
                                 "duckdb"))  # fmt: skip
    for query in _ONE_EDIT_QUERIES:
        for limit in (1, 3, 6):
            assert _indexed(query, limit) == _scan(query, limit), (query, limit)


# names with surrounding space (trim removes it; the near-duplicate check ignores it)
PAD = st.sampled_from(["", "", " ", "  "])
SPACED = st.tuples(PAD, NAME, PAD)


def _near_scan(value: str) -> set[tuple]:
    from catalog_sql.search import compile_near
    from lakecat.instance import current

    instance = current()
    table = instance.compiler.table("ulabel")
    return set(instance.backend.fetch(compile_near(table, instance.backend.target, value,
                                                   "name"))[1])  # fmt: skip


@settings(
    max_examples=int(os.environ.get("LAKECAT_SEARCH_EXAMPLES", "15")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(first=st.lists(SPACED, min_size=1, max_size=30), ops=OPS, data=st.data())
def test_the_near_duplicate_check_finds_through_the_index_what_the_scan_finds(
    duck_instance, monkeypatch, first, ops, data
):
    """The invariant for a save's near-duplicate check: through the index (its
    candidates, and the registry for rows written since) the same rows as the scan, for
    any saves, renames, deletes and builds; the index answers whenever the scan finds
    fewer rows than it returns at most."""
    from catalog_sql.search import NEAR_LIMIT
    from lakecat.core import search
    from lakecat.core.search import near_through_index
    from lakecat.instance import current

    monkeypatch.setattr(search, "NEAR_INDEX_FROM", 0)  # small registries too

    lc.settings.search_names = False
    try:
        ids = [lc.ULabel(name=f"{lead}{name}{next(UNIQUE)}{trail}").save().id
               for lead, name, trail in first]  # fmt: skip
        lc.ULabel.build_search_index()
        apply_ops(ops, ids)
    finally:
        lc.settings.search_names = True
    instance = current()
    table = instance.compiler.table("ulabel")
    names = [lc.ULabel.get(id=i).name for i in ids[:5]]
    values = [*names, *("".join(data.draw(SPACED)) for _ in range(3))]
    for name in names:  # typos: a letter dropped, one changed, one added; case, space
        i = data.draw(st.integers(0, len(name) - 1))
        values += [name[:i] + name[i + 1 :], name[:i] + "x" + name[i + 1 :],
                   name[:i] + "x" + name[i:], name.strip().upper()]  # fmt: skip
    for value in values:
        if len(value.strip()) < 4:
            continue
        scanned = _near_scan(value)
        found = near_through_index(instance, table, value, "name")
        if len(scanned) < NEAR_LIMIT:
            assert found is not None, value
            assert set(found) == scanned, value


def test_a_save_checks_for_near_duplicates_through_the_index(duck_instance, monkeypatch, caplog):
    """Registries that have had 100,000 rows (by their next id) check through the index;
    smaller ones scan, which is faster there."""
    from catalog_sql import search_index
    from lakecat.core import search

    existing = lc.ULabel(name="T cell").save()
    lc.save([lc.ULabel(name=f"B cell {i}") for i in range(50)])
    lc.ULabel.build_search_index()
    lc.ULabel(name="T cells, later").save()  # written after the build: from the registry
    asked = []
    real = search_index.near
    monkeypatch.setattr(search_index, "near", lambda *a: asked.append(a[3]) or real(*a))
    lc.ULabel(name="T cel1").save()
    assert asked == []  # 53 rows: the scan
    monkeypatch.setattr(search, "NEAR_INDEX_FROM", 0)
    with caplog.at_level("WARNING", logger="lakecat"):
        lc.ULabel(name="T cel").save()
        lc.ULabel(name="t cells later").save()
    assert "similar records exist: 'T cell'" in caplog.text
    assert "similar records exist: 'T cells, later'" in caplog.text
    assert lc.ULabel(name="T cell").save().id == existing.id  # insert-or-get
    assert asked == ["T cel", "t cells later", "T cell"]
