"""Text filters answered through a registry's search index (embedded back end).

The invariant: a filter returns the rows the scan of the registry returns, whatever was
written, renamed or deleted since the index was built, by this process or another; the
index only narrows which rows the filter reads (lakecat.core.search.filter_candidates).
Postgres has no such index (its text lookups use btree and trigram indexes, decisions
§16), so these run on the embedded back end only.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lakecat as lc
from catalog_sql.query import Q
from catalog_sql.search_index import served_lookups

from .search_helpers import LETTERS, NAME, OPS, UNIQUE, apply_ops

LONG = st.text(LETTERS, min_size=60, max_size=90).map(str.strip).filter(bool)
LOOKUPS = ("startswith", "istartswith", "iexact", "contains", "icontains")


@pytest.fixture(autouse=True)
def _index_for_small_registries(monkeypatch):
    """These registries are small: filters would leave an index under FILTER_INDEX_FROM
    rows to the scan, and the index would go untested."""
    from lakecat.core import search

    monkeypatch.setattr(search, "FILTER_INDEX_FROM", 0)


def _scanned(qs, mode: str = "ids") -> list:
    """What the set's statement returns reading the whole registry (no candidates)."""
    from lakecat.instance import current

    return current().backend.fetch(qs._compile(mode))[1]


def _spy(monkeypatch) -> list:
    """The candidate ids each filter got from the index (None: it scanned)."""
    from lakecat.core import search

    seen: list = []
    real = search.filter_candidates

    def spy(cls, where):
        seen.append(real(cls, where))
        return seen[-1]

    monkeypatch.setattr(search, "filter_candidates", spy)  # the set imports it when it runs
    return seen


def _values(names: list[str], draw) -> list[str]:
    """Filter values: whole names, prefixes, inner substrings, other cases, random text."""
    out = []
    for name in names[:6]:
        i = draw(st.integers(0, len(name) - 1))
        j = draw(st.integers(i + 1, len(name)))
        out += [name, name[:j], name[i:j], name[i:].upper(), name.swapcase()]
    return out + [draw(NAME) for _ in range(2)]


@settings(
    max_examples=int(os.environ.get("LAKECAT_SEARCH_EXAMPLES", "15")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    first=st.lists(st.one_of(NAME, LONG), min_size=1, max_size=30),
    ops=OPS,
    prefix_only=st.booleans(),
    cap=st.sampled_from([1, 3, 4096]),
    data=st.data(),
)
def test_filters_through_the_index_return_the_rows_of_the_scan(
    duck_instance, monkeypatch, first, ops, prefix_only, cap, data
):
    from lakecat.core import search

    monkeypatch.setattr(search, "filter_cap", lambda rows: cap)  # cut, or read by id
    seen = _spy(monkeypatch)
    lc.settings.search_names = False  # the near check is not under test here
    try:
        ids = [lc.ULabel(name=f"{name} {next(UNIQUE)}").save().id for name in first]
        lc.ULabel.build_search_index(prefix_only=prefix_only)
        apply_ops(ops, ids, prefix_only=prefix_only)
    finally:
        lc.settings.search_names = True
    names = list(first) + [op[-1] for op in ops if op[0] in ("add", "rename")]
    for value in _values(names, data.draw):
        lookup = data.draw(st.sampled_from(LOOKUPS))
        qs = lc.ULabel.filter(**{f"name__{lookup}": value})
        expected, mark = _scanned(qs), len(seen)
        assert [(r.id,) for r in qs.order_by("id")] == sorted(expected), (lookup, value)
        if cap == 4096:  # nothing cut: the index names the candidates of an ASCII value
            served = value.isascii() and (lookup in LOOKUPS[:3] or not prefix_only)
            assert (seen[mark] is not None) == served, (lookup, value)
        assert qs.count() == len(expected) and qs.exists() == bool(expected)
        assert sorted(qs.values_list("id", flat=True)) == sorted(r[0] for r in expected)
        assert sorted(qs.ids()) == sorted(r[0] for r in expected)
        narrowed = qs.filter(id__gte=min(ids, default=0)).order_by("-name").limit(2)
        assert [r.id for r in narrowed] == [r[0] for r in _scanned(narrowed)]
        assert narrowed.to_arrow().column("id").to_pylist() == [
            r[0] for r in _scanned(narrowed)]  # fmt: skip
        # without order_by: the scan's order, and its first rows
        assert [r.id for r in qs] == [r[0] for r in expected], (lookup, value)
        assert [r.id for r in qs.limit(2)] == [r[0] for r in expected[:2]]
    # inside a transaction: its own new and renamed rows (read after the others by a scan)
    from lakecat.instance import current

    with current().backend.transaction():
        ops = [("add", names[0]), ("rename", data.draw(st.integers(0, 10**6)), names[-1])]
        apply_ops(ops, ids, prefix_only=prefix_only)
        for value in _values(names, data.draw)[:4]:
            qs = lc.ULabel.filter(**{f"name__{data.draw(st.sampled_from(LOOKUPS))}": value})
            assert [r.id for r in qs] == [r[0] for r in _scanned(qs)], value
            assert [r.id for r in qs.limit(2)] == [r[0] for r in _scanned(qs.limit(2))]


def test_which_lookups_an_index_answers():
    fields = ["name", "description"]
    where = (Q(name__contains="ab") & Q(description__startswith="lung")
             & Q(created_by__name__startswith="x") & Q(name__endswith="z") & Q(uid="u1")
             & Q(name__startswith="") & Q(name__iexact="naïve"))  # fmt: skip
    found = served_lookups(where, fields)
    assert [(s.field, s.lookup, s.value) for s in found] == [
        ("description", "startswith", "lung"), ("name", "contains", "ab")]  # fmt: skip
    # a prefix index answers value starts only; an OR or a negation answers nothing
    assert [s.lookup for s in served_lookups(where, fields, ("\x01",))] == ["startswith"]
    assert served_lookups(Q(name__startswith="a") | Q(name__startswith="b"), fields) == []
    assert served_lookups(~Q(name__startswith="a"), fields) == []
    assert [s.value for s in served_lookups(Q(Q(name__startswith="ab")), fields)] == ["ab"]


def test_a_large_registry_filters_through_its_index_and_small_ones_scan(duck_instance, monkeypatch):
    from lakecat.core import search

    seen = _spy(monkeypatch)
    lc.save([lc.ULabel(name=f"cell type {i}") for i in range(500)])
    lc.ULabel.build_search_index()
    qs = lc.ULabel.filter(name__startswith="cell type 12")
    assert sorted(r.name for r in qs) == ["cell type 12", *(f"cell type 12{i}" for i in range(10))]
    assert seen[-1] is not None and len(seen[-1].ids) == 11  # read by id: 11 candidates
    assert "lakecat_among" not in qs.sql()  # what a user pastes reads the registry
    monkeypatch.setattr(search, "FILTER_INDEX_FROM", 10**6)
    assert qs.count() == 11 and seen[-1] is None  # under the size: the scan
    monkeypatch.setattr(search, "FILTER_INDEX_FROM", 0)
    # more candidates than the cap: the scan, the same rows
    assert lc.ULabel.filter(name__icontains="TYPE").count() == 500 and seen[-1] is None
    # a non-ASCII value is lowered by Python and DuckDB differently: the scan
    assert lc.ULabel.filter(name__istartswith="CÉLL").count() == 0 and seen[-1] is None
    assert lc.ULabel.filter(name__contains="type 49").count() == 11 and seen[-1] is not None


def test_a_prefix_index_answers_prefixes_and_the_near_check_not_search(duck_instance, monkeypatch):
    from catalog_sql import search_index
    from lakecat.core import search
    from lakecat.core.search import near_through_index
    from lakecat.instance import current

    monkeypatch.setattr(search, "SEARCH_INDEX_FROM", 0)
    monkeypatch.setattr(search, "NEAR_INDEX_FROM", 0)
    seen = _spy(monkeypatch)
    lc.save([lc.ULabel(name=f"Lung tissue {i}") for i in range(300)])
    keys = lc.ULabel.build_search_index(prefix_only=True)
    assert keys == 300  # one key a value (the name; descriptions are empty)
    assert lc.ULabel.filter(name__istartswith="lung TISSUE 29").count() == 11
    assert len(seen[-1].ids) == 11
    assert lc.ULabel.filter(name__contains="tissue 29").count() == 11 and seen[-1] is None
    used = []
    monkeypatch.setattr(search_index, "ranked", lambda *a: used.append(a) or None)
    assert lc.ULabel.search("lung tissue 7")[0].name == "Lung tissue 7" and used == []
    table, instance = current().compiler.table("ulabel"), current()
    assert (8, "Lung tissue 7") in near_through_index(instance, table, "lung tisue 7", "name")
    # the CLI builds the same; gc rebuilds it as it was built: a prefix index again
    from click.testing import CliRunner

    from lakecat.cli.main import cli

    built = CliRunner().invoke(cli, ["search-index", "ulabel", "--prefix-only"])
    assert built.exit_code == 0 and "built the prefix index of ULabel: 300 keys" in built.output
    assert search.rebuild_search_indexes(dry_run=False) == [("ulabel", 0)]
    state = search_index.read_state(instance.backend.fetch, "ulabel")
    assert state.prefix_only and search_index.count_keys(instance.backend.fetch, "ulabel") == 300


def test_filters_see_raw_writes_and_drops(duck_instance, monkeypatch):
    """A raw UPDATE through ``lakecat sql --write`` sets the index aside, a dropped index
    is not asked: the rows stay the scan's."""
    from lakecat.cli.shell import run_statement
    from lakecat.instance import current

    seen = _spy(monkeypatch)
    lc.save([lc.ULabel(name=f"organ {i}") for i in range(200)])
    lc.ULabel.build_search_index()
    assert lc.ULabel.filter(name__startswith="organ 19").count() == 11 and seen[-1]
    run_statement(current(), "UPDATE ulabel SET name = 'organ 19x' || id WHERE name = 'organ 5'",
                  write=True)  # fmt: skip
    assert lc.ULabel.filter(name__startswith="organ 19").count() == 12 and seen[-1] is None
    lc.ULabel.build_search_index()
    assert lc.ULabel.filter(name__startswith="organ 19").count() == 12 and seen[-1]
    lc.ULabel.drop_search_index()
    assert lc.ULabel.filter(name__startswith="organ 19").count() == 12 and seen[-1] is None


def test_a_write_between_the_candidates_and_the_rows_is_seen(duck_instance, monkeypatch):
    """Another writer commits after the index named its candidates and before the rows
    are read: the rows written since the build are read by the same statement as the
    candidates' rows, so the answer is the scan's of that later moment."""
    from catalog_sql import search_index
    from lakecat.instance import current

    seen = _spy(monkeypatch)
    lc.save([lc.ULabel(name=f"label {i}") for i in range(100)])
    first, other = lc.ULabel(name="swap-x1").save(), lc.ULabel(name="swap-y").save()
    lc.ULabel.build_search_index()
    real = search_index.filter_ids

    def then_a_write(*args):
        ids = real(*args)
        monkeypatch.setattr(search_index, "filter_ids", real)  # once
        with current().backend.transaction():  # swap the two names, then add a match
            first.name = "swap-tmp"
            first.save()
            other.name = "swap-x1"
            other.save()
            first.name = "swap-y"
            first.save()
        lc.ULabel(name="swap-x2").save()
        return ids

    monkeypatch.setattr(search_index, "filter_ids", then_a_write)
    qs = lc.ULabel.filter(name__startswith="swap-x")
    assert sorted(r.name for r in qs) == ["swap-x1", "swap-x2"]
    assert seen[0] is not None and seen[0].ids == (first.id,)  # the candidates of before
    assert [r.id for r in qs] == [r[0] for r in _scanned(qs)]


WRITER = """
import sys, lakecat as lc
lc.connect(sys.argv[1])
lc.settings.search_names = False
for i in range(60):
    lc.ULabel(name=f"writer {sys.argv[2]} label {i}").save()
    if i % 10 == 0 and i < 50:
        old = lc.ULabel.get(name=f"label {i + 50 * int(sys.argv[2])}")
        old.name = f"writer {sys.argv[2]} renamed {i}"
        old.save()
    if i % 25 == 0:
        lc.ULabel.build_search_index()
"""


def test_filters_stay_exact_while_other_processes_write_and_rebuild(
    duck_instance, tmp_path, monkeypatch
):
    """Two writers in other processes add, rename and rebuild the index while this one
    filters: every answer is the scan's of the same moment (both read in one turn), and
    the final ones count every row."""
    from lakecat.instance import current

    seen = _spy(monkeypatch)
    lc.save([lc.ULabel(name=f"label {i}") for i in range(100)])
    lc.ULabel.build_search_index()
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    root = str(tmp_path / "storage")
    writers = [subprocess.Popen([sys.executable, str(script), root, str(k)]) for k in range(2)]
    try:
        while any(w.poll() is None for w in writers):
            for value in ("writer 1 label 1", "writer 0 renamed", "label 5"):
                qs = lc.ULabel.filter(name__startswith=value)
                with current().backend.transaction():  # one snapshot for both reads
                    got, expected = sorted(qs.ids()), sorted(r[0] for r in _scanned(qs))
                assert got == expected, value
    finally:
        codes = [w.wait(timeout=300) for w in writers]
    assert codes == [0, 0]
    assert lc.ULabel.filter(name__startswith="writer 1 label").count() == 60
    assert lc.ULabel.filter(name__contains="renamed").count() == 10
    assert any(ids is not None for ids in seen)


def test_a_build_under_a_memory_limit_gives_the_limit_back(duck_instance):
    from click.testing import CliRunner

    from catalog_sql import search_index
    from lakecat.cli.main import cli
    from lakecat.errors import ValidationError
    from lakecat.instance import current

    fetch = current().backend.fetch
    before = fetch(search_index.current_memory_limit())[1][0][0]
    lc.save([lc.ULabel(name=f"tissue {i}") for i in range(50)])
    assert lc.ULabel.build_search_index(prefix_only=True, memory_limit="64MB") == 50
    assert fetch(search_index.current_memory_limit())[1][0][0] == before
    lc.ULabel.drop_search_index()
    for bad in ("lots", "6 GB'; DROP TABLE ulabel; --", "-1GB"):
        with pytest.raises(ValidationError, match="e.g. '6GB'"):
            lc.ULabel.build_search_index(memory_limit=bad)
    assert search_index.read_state(fetch, "ulabel") is None  # nothing was built
    assert fetch(search_index.current_memory_limit())[1][0][0] == before
    out = CliRunner().invoke(cli, ["search-index", "ulabel", "--memory-limit", "lots"])
    assert out.exit_code != 0 and "e.g. '6GB'" in out.output and "Traceback" not in out.output
    assert lc.ULabel.filter().count() == 50
