"""Validation, labels by feature, feature values, curators and describe(), on both back
ends, with the bio schema module's registries (the real ontologies: test_bio.py)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import lakecat as lc


@pytest.fixture
def bio(make_instance):
    """An instance using the bio schema module."""
    inst = make_instance()
    inst.add_module("bio")
    import lakecat.bio as bt

    return bt


def _cells(bt):
    t = bt.CellType(name="T cell", ontology_id="CL:0000084", synonyms="T-cell|T lymphocyte")
    b = bt.CellType(name="B cell", ontology_id="CL:0000236", synonyms="B lymphocyte")
    return lc.save([t, b])


# -- schema modules ------------------------------------------------------------------------------
def test_a_module_is_added_once_and_loaded_on_connect(bio, make_instance):
    from lakecat.instance import current

    instance = current()
    assert "lakecat.bio" in instance.modules
    assert instance.add_module("bio") == []  # idempotent: nothing pending
    bio.CellType(name="x cell").save()
    lc.disconnect()
    again = lc.connect(make_instance.root(instance))
    assert "lakecat.bio" in again.modules and bio.CellType.filter().count() == 1


def test_a_registry_of_a_module_not_in_use_says_how_to_add_it(instance):
    import lakecat.bio as bt

    with pytest.raises(lc.InstanceError, match="lakecat schema add bio"):
        bt.CellType.filter(name="T cell").count()
    with pytest.raises(lc.InstanceError, match="does not use"):
        bt.CellType(name="T cell").save()
    assert lc.ULabel.filter().count() == 0  # core registries still work


def test_a_module_that_cannot_be_imported_is_named(instance):
    with pytest.raises(lc.InstanceError, match="'no_such_lab.schema' cannot be imported"):
        instance.add_module("no_such_lab.schema")


# -- validate / inspect / standardize ------------------------------------------------------------
def test_validate_inspect_standardize(bio):
    _cells(bio)
    values = ["T cell", "t cell", "T-cell", "B lymphocyte", "zz cell", None, math.nan, ""]
    assert bio.CellType.validate(values).tolist() == [True] + [False] * 7
    result = bio.CellType.inspect(values, mute=True)
    assert result.validated == ["T cell"]
    assert result.synonyms_mapper == {"T-cell": "T cell", "B lymphocyte": "B cell"}
    assert result.case_mismatches == {"t cell": "T cell"}
    assert result.unknown == ["zz cell"] and result.missing == [5, 6, 7]
    assert bio.CellType.standardize(values, mute=True) == [
        "T cell", "T cell", "T cell", "B cell", "zz cell", None, values[6], ""]  # fmt: skip
    assert bio.CellType.standardize(["t cell"], case_sensitive=True, mute=True) == ["t cell"]
    assert bio.CellType.standardize(values, return_mapping=True, mute=True)["t cell"] == "T cell"
    series = pd.Series(pd.Categorical(["T cell", "B cell", "T cell"]))
    assert bio.CellType.validate(series).all() and bio.CellType.validate(np.array(["B cell"]))[0]


def test_validation_is_for_every_registry_and_fails_clearly(bio):
    lc.ULabel(name="Batch A").save()
    assert lc.ULabel.validate(["Batch A", "batch a"]).tolist() == [True, False]
    assert lc.ULabel.standardize(["batch a"], mute=True) == ["Batch A"]
    with pytest.raises(lc.FieldError, match="Did you mean 'name'"):
        lc.ULabel.validate(["x"], field="nmae")
    with pytest.raises(lc.ValidationError, match="list of values"):
        lc.ULabel.validate(42)
    quote = "it's; DROP TABLE ulabel; --"
    assert lc.ULabel.validate([quote, "%", "_"]).tolist() == [False, False, False]
    assert lc.ULabel.filter().count() == 1


def test_synonyms_and_abbreviations(bio):
    t, _ = _cells(bio)
    t.add_synonym(["T-lymphocyte", "thymocyte-derived cell"])
    assert bio.CellType.standardize(["T-lymphocyte"], mute=True) == ["T cell"]
    t.set_abbr("TC")
    assert bio.CellType.get(t.uid).abbr == "TC" and "TC" in t.synonyms.split("|")
    with pytest.raises(lc.ValidationError, match="without '|'"):
        t.add_synonym("a|b")
    with pytest.raises(lc.FieldError, match="no synonyms field"):
        lc.ULabel(name="u").save().add_synonym("x")


def test_a_near_duplicate_name_warns(bio, caplog):
    lc.ULabel(name="T cell").save()
    lc.ULabel(name="T cel").save()  # before: saved silently next to "T cell"
    assert "similar records exist: 'T cell'" in caplog.text
    caplog.clear()
    lc.ULabel(name="sample 1").save()
    lc.ULabel(name="sample 2").save()  # digits only: not a typo
    assert "similar records" not in caplog.text


# -- labels and feature values ------------------------------------------------------------------
def test_labels_by_feature_and_queries_through_them(bio):
    t, b = _cells(bio)
    batch = lc.ULabel(name="batch 1").save()
    f = lc.File(pd.DataFrame({"a": [1]}), key="a.parquet").save()
    g = lc.File(pd.DataFrame({"a": [2]}), key="b.parquet").save()
    f.labels.add([t, b], feature="cell_type")
    f.labels.add(batch, feature="batch")
    f.labels.add(t, feature="cell_type")  # again: nothing doubles
    g.labels.add(bio.CellType.filter(name="B cell"), feature="cell_type")
    assert sorted(r.name for r in f.labels.get("cell_type")) == ["B cell", "T cell"]
    assert [r.name for r in f.labels.get("batch")] == ["batch 1"]
    assert {k: len(v) for k, v in f.labels.by_feature().items()} == {"cell_type": 2, "batch": 1}
    assert lc.Feature.get(name="cell_type").type == "cat[CellType]"
    assert lc.File.filter(cell_types__name="T cell").values_list("key", flat=True) == ["a.parquet"]
    assert sorted(lc.File.filter(cell_types__name="B cell").values_list("key", flat=True)) == [
        "a.parquet", "b.parquet"]  # fmt: skip
    assert lc.File.filter(ulabels__name="batch 1").count() == 1
    with pytest.raises(lc.ValidationError, match="saved records"):
        f.labels.add(bio.CellType(name="unsaved"))


def test_feature_values_are_stored_typed_and_queried(bio):
    f = lc.File(pd.DataFrame({"a": [1]}), key="a.parquet").save()
    g = lc.File(pd.DataFrame({"a": [2]}), key="b.parquet").save()
    when = dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.timezone.utc)
    f.features.add_values({"temperature": 21.5, "donor": "D1", "passed": True, "n": 3,
                           "when": when, "meta": {"x": [1, 2]}})  # fmt: skip
    g.features.add_values({"temperature": 18, "donor": "D2", "passed": False})
    g.features.add_values({"temperature": 18})  # the same value again: nothing doubles
    assert f.features.get_values() == {
        "donor": "D1",
        "meta": {"x": [1, 2]},
        "n": 3,
        "passed": True,
        "temperature": 21.5,
        "when": when,
    }
    keys = lambda qs: sorted(qs.values_list("key", flat=True))  # noqa: E731
    assert keys(lc.File.filter(features__temperature__gt=20)) == ["a.parquet"]
    assert keys(lc.File.filter(features__temperature__lte=18)) == ["b.parquet"]
    assert keys(lc.File.filter(features__donor__in=["D1", "D2"])) == ["a.parquet", "b.parquet"]
    assert keys(lc.File.filter(features__passed=True)) == ["a.parquet"]
    assert keys(lc.File.filter(features__when__gte=dt.datetime(2026, 1, 1))) == ["a.parquet"]
    assert keys(lc.File.exclude(features__donor="D1")) == ["b.parquet"]
    assert keys(lc.File.filter(features__donor__startswith="D", features__n=3)) == ["a.parquet"]
    with pytest.raises(lc.FieldError, match="needs a feature name"):
        lc.File.filter(features__gt=3).count()
    with pytest.raises(lc.ValidationError, match="finite number"):
        f.features.add_values({"bad": math.inf})
    with pytest.raises(lc.ValidationError, match="None is not a value"):
        f.features.add_values({"bad": None})


def test_a_dataset_has_labels_and_values_too(bio):
    t, _ = _cells(bio)
    ds = lc.Dataset(pd.DataFrame({"x": [1, 2]}), name="ds").save()
    ds.labels.add(t, feature="cell_type")
    ds.features.add_values({"lab": "north", "cell_type": [t]})
    assert lc.Dataset.filter(cell_types__name="T cell").count() == 1
    assert lc.Dataset.filter(features__lab="north").values_list("name", flat=True) == ["ds"]
    assert ds.features.get_values() == {"lab": "north", "cell_type": t}
    assert dict(ds.features)["columns"].n == 1


def test_one_column_is_one_feature_whatever_its_dtype(bio):
    a = pd.DataFrame({"cell_type": pd.Categorical(["T", "B"])})
    lc.File.from_df(a, key="a.parquet").save()
    lc.Dataset(a, name="as-arrow").save()  # Arrow calls it dictionary<values=string…>
    assert lc.Feature.filter(name="cell_type").values_list("type", flat=True) == ["cat"]


# -- curators ------------------------------------------------------------------------
def test_a_dataframe_curator_validates_fixes_registers_and_saves(bio):
    _cells(bio)
    df = pd.DataFrame({"cell_type": ["T cell", "T-cell", "b cell", "our cell"],
                       "batch": ["b1", "b1", "b2", "b2"], "n": [1, 2, 3, 4]})  # fmt: skip
    curator = lc.Curator.from_df(df, categoricals={"cell_type": bio.CellType.name,
                                                   "batch": lc.ULabel.name})  # fmt: skip
    assert not curator.validate()
    assert curator.non_validated == {"cell_type": ["T-cell", "b cell", "our cell"],
                                     "batch": ["b1", "b2"]}  # fmt: skip
    with pytest.raises(lc.ValidationError, match="nothing was saved"):
        curator.save_file(key="qc.parquet")
    assert lc.File.filter().count() == 0  # a failed validation saves nothing
    curator.standardize()
    assert df["cell_type"].tolist() == ["T cell", "T cell", "B cell", "our cell"]
    curator.add_new_from("batch")
    curator.add_new_from("cell_type")  # "our cell": in no public source, created by name
    assert curator.validate()
    file = curator.save_file(key="qc.parquet", description="curated")
    assert sorted(r.name for r in file.labels.get("cell_type")) == ["B cell", "T cell", "our cell"]
    assert sorted(r.name for r in file.labels.get("batch")) == ["b1", "b2"]
    assert lc.File.filter(cell_types__name="our cell", ulabels__name="b2").count() == 1
    text = str(file.describe())
    assert "cell_type [CellType]: " in text and "columns [3]" in text and "qc.parquet" in text
    assert "<li>" in file._repr_html_() and "rows 1–" in lc.File.filter()._repr_html_()


def test_curator_bad_input_is_typed(bio):
    with pytest.raises(lc.FieldError, match="no column"):
        lc.Curator.from_df(pd.DataFrame({"a": [1]}), categoricals={"b": lc.ULabel.name})
    with pytest.raises(lc.ValidationError, match="registry field"):
        lc.Curator.from_df(pd.DataFrame({"a": ["x"]}), categoricals={"a": "ULabel"})
    with pytest.raises(lc.ValidationError, match="pandas DataFrame"):
        lc.Curator.from_df([1, 2], categoricals={})


def test_the_shipped_bio_migration_matches_the_classes(bio):
    """What lakecat/bio/registries.py declares is what its migration created (a changed
    class without a new migration file would fail here, naming the change)."""
    from lakecat.core.modules import load
    from lakecat.instance import current

    module = load("bio")
    assert [m.name for m in module.migrations()] == [
        "0001_initial",
        "0002_text_indexes",
        "0003_search_typo_indexes",
    ]
    assert module.changes(current().backend) == []


def test_the_demo_curates_without_the_bio_extra(tmp_path, monkeypatch):
    """`pip install -e . && lakecat demo` has no public ontologies: the demo enters terms by
    hand and its curator must still validate (it failed: two terms became one record)."""
    from lakecat.bio import sources
    from lakecat.cli.demo import run_demo

    monkeypatch.setattr(sources, "available", lambda *args, **kwargs: [])
    lines: list[str] = []
    run_demo(str(tmp_path / "demo"), echo=lines.append)
    text = "\n".join(lines)
    assert "terms by hand here" in text
    assert "True  # cell types now: ['B cell', 'T cell']" in text


# -- the match keys: trim only where it may change the value, the same keys as before ----
#: spaces DuckDB's trim removes (U+00A0, U+2003, U+3000) and ones it keeps (U+2028, tab, newline)
_SPACES = ["\u00a0", "\u2003", "\u3000", "\u2028", "\t", "\n"]
_TEXT = st.one_of(
    st.text(st.sampled_from(list("aZ |")), max_size=6),  # ASCII: trim skipped but at a space
    st.text(
        st.sampled_from([*"aZ |éß", "\u0130", "\u03a3", "\U0001f600", *_SPACES])
        | st.characters(exclude_categories=("Cs",)),
        max_size=12,
    ),
)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(_TEXT, max_size=8))
@example(values=["a ", " a", "A\u00a0", "\u2003B", "a\tb "])
def test_the_loose_and_synonym_keys_are_lower_of_trim(values):
    """The keys inspect/standardize compare (catalog_sql.matching) equal DuckDB's own
    ``lower(trim(x))`` on any text, a synonym list split after lowering included."""
    import duckdb
    from sqlglot import exp

    from catalog_sql.matching import _norm, _trimmed

    values = [v.replace("\x00", "") for v in values]
    con = duckdb.connect()
    con.execute("CREATE TABLE v AS SELECT unnest($v::VARCHAR[]) AS x", {"v": values})
    norm = _norm(exp.column("x")).sql("duckdb")
    differ = f"SELECT x FROM v WHERE {norm} IS DISTINCT FROM lower(trim(x))"
    assert con.execute(differ).fetchall() == []
    pieces = "(SELECT unnest(string_split({s}, '|')) AS p)"
    piece = _trimmed(exp.column("p")).sql("duckdb")
    joined = {"s": "|".join(values)}
    ours = f"SELECT list_sort(list({piece})) FROM {pieces.format(s='lower($s)')}"
    plain = f"SELECT list_sort(list(lower(trim(p)))) FROM {pieces.format(s='$s')}"
    assert con.execute(ours, joined).fetchone() == con.execute(plain, joined).fetchone()
