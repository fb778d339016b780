"""The bio schema module on real public data: the ontologies installed offline and an
AnnData that ships inside scanpy, curated end to end on both back ends."""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest

import lakecat as lc

REAL = Path(__file__).resolve().parents[1] / ".cache" / "test-data" / "10x_pbmc68k_reduced.h5ad"
#: How a lab might have written the cell types of pbmc68k_reduced's ``bulk_labels``: CL
#: names, a case variant and CL synonyms (B-cell, NK cell, Treg).
LAB_NAMES = {
    "CD14+ Monocyte": "monocyte", "Dendritic": "Dendritic cell", "CD19+ B": "B-cell",
    "CD56+ NK": "NK cell", "CD4+/CD25 T Reg": "Treg", "CD8+ Cytotoxic T": "cytotoxic T cell",
    "CD8+/CD45RA+ Naive Cytotoxic": "naive T cell", "CD4+/CD45RO+ Memory": "memory T cell",
    "CD34+": "hematopoietic stem cell", "CD4+/CD45RA+/CD25- Naive T": "naive T cell",
}  # fmt: skip


@pytest.fixture
def bt(make_instance):
    pytest.importorskip("cellxgene_ontology_guide", reason="the bio extra is not installed")
    make_instance().add_module("bio")
    import lakecat.bio as bt

    return bt


def _pbmc():
    if not REAL.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{REAL} is missing: scripts/test fetches it from scanpy's wheel")
        pytest.skip("pbmc68k_reduced not fetched (run bash scripts/test once)")
    anndata = pytest.importorskip("anndata")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return anndata.read_h5ad(REAL)


def test_twenty_sources_are_usable_offline():
    from lakecat.bio import sources

    distinct = {(s.entity, s.name, s.organism) for s in sources.available()}
    assert len(distinct) >= 20, sorted(distinct)


def test_public_terms_search_and_records_with_parents(bt):
    public = bt.CellType.public()
    assert len(public) > 3000 and public.info.name == "cl"
    top = public.search("T helper", limit=5)
    assert top["name"].str.startswith("T-helper").all()
    t_cell = bt.CellType.from_public(name="T cell").save()
    assert t_cell.ontology_id == "CL:0000084" and "T lymphocyte" in t_cell.synonyms.split("|")
    assert [p.name for p in t_cell.parents.list()] == ["lymphocyte"]
    assert bt.CellType.get(name="lymphocyte").parents.count() >= 1  # ancestors saved too
    source = bt.Source.get(id=t_cell.source_id)
    assert (source.entity, source.name, source.version) == ("CellType", "cl", public.info.version)
    with pytest.raises(lc.NotFoundError, match="Did you mean"):
        bt.CellType.from_public(name="T cel")


def test_from_values_maps_names_case_and_synonyms(bt, caplog):
    records = bt.CellType.from_values(["T cell", "b-cell", "NK cell", "no such cell"])
    assert sorted(r.name for r in records) == ["B cell", "T cell", "natural killer cell"]
    assert "'no such cell'" in caplog.text
    lc.save(records)
    again = bt.CellType.from_values(["T-cell", "B cell"])  # existing now, through synonyms
    assert sorted(r.id for r in again) == sorted(r.id for r in records if r.name != "natural "
                                                 "killer cell")  # fmt: skip


def test_importing_uberon_is_fast_and_idempotent(bt):
    start = time.perf_counter()
    source = bt.Tissue.import_source()
    first = time.perf_counter() - start
    n = bt.Tissue.filter().count()
    assert n == source.n_terms > 14_000
    assert {p.name for p in bt.Tissue.get(ontology_id="UBERON:0002048").parents.list()}  # lung
    bt.Tissue.import_source()  # the second import adds nothing
    assert bt.Tissue.filter().count() == n
    assert first < 60  # not a benchmark (benchmarks/ measures it): a guard against hangs


def test_inspect_reports_public_terms_not_yet_in_the_registry(bt):
    lc.save(bt.CellType.from_values(["T cell"]))
    result = bt.CellType.inspect(["T cell", "T-cell", "neuron", "zzz"], mute=True)
    assert result.validated == ["T cell"] and result.synonyms_mapper == {"T-cell": "T cell"}
    assert result.in_public == ["neuron"] and result.unknown == ["zzz"]


def test_a_users_own_ontology_file_is_a_source(bt, tmp_path):
    obo = tmp_path / "lab.obo"
    obo.write_text("format-version: 1.2\ndata-version: 2026-12-01\nontology: lab\n\n"
                   "[Term]\nid: LAB:0001\nname: root pathway\n\n"
                   "[Term]\nid: LAB:0002\nname: child pathway\nsynonym: \"kid\" EXACT []\n"
                   "is_a: LAB:0001\n")  # fmt: skip
    source = bt.Pathway.import_source(str(obo))
    assert source.n_terms == 2 and bt.Pathway.filter().count() == 2
    child = bt.Pathway.get(ontology_id="LAB:0002")
    assert [p.ontology_id for p in child.parents.list()] == ["LAB:0001"]
    assert bt.Pathway.standardize(["kid"], mute=True) == ["child pathway"]
    with pytest.raises(lc.SourceError, match="bad.obo"):
        (tmp_path / "bad.obo").write_text("[Term]\nid: \nname: x\nis_a: \n")
        bt.Pathway.import_source(str(tmp_path / "bad.obo"))
    assert bt.Pathway.filter().count() == 2  # nothing half-imported


def test_curating_a_real_anndata_end_to_end(bt):
    """pbmc68k_reduced (scanpy): genes against the human GENCODE table, cell types
    standardized against CL through synonyms, labels added, queryable afterwards."""
    adata = _pbmc()
    adata.obs["cell_type"] = adata.obs["bulk_labels"].map(LAB_NAMES).astype("category")
    curator = lc.Curator.from_anndata(adata, var_index=bt.Gene.symbol,
                                      categoricals={"cell_type": bt.CellType.name},
                                      organism="human")  # fmt: skip
    assert not curator.validate()  # an empty registry validates nothing
    genes = bt.Gene.inspect(adata.var_names, organism="human", mute=True)
    assert len(genes.in_public) >= 0.9 * adata.n_vars  # ~700 of 765 are GENCODE v48 symbols
    assert "ATPIF1" in genes.unknown  # renamed ATP5IF1 since this dataset was made
    curator.add_new_from("var_index")  # GENCODE genes from the public table, the rest by name
    curator.add_new_from("cell_type")  # CL terms: monocyte, B cell (from "B-cell"), …
    assert not curator.validate()  # the synonyms are still written the lab's way
    curator.standardize("cell_type")
    names = set(adata.obs["cell_type"].astype(str))
    assert names >= {"B cell", "natural killer cell", "regulatory T cell", "dendritic cell"}
    assert curator.validate()
    file = curator.save_file(key="pbmc68k_reduced.h5ad", description="curated PBMCs")
    assert file.features["var"].n == adata.n_vars
    assert lc.File.filter(cell_types__name="B cell").values_list("key", flat=True) == [
        "pbmc68k_reduced.h5ad"]  # fmt: skip
    labels = {r.name for r in file.labels.get("cell_type")}
    assert "regulatory T cell" in labels and len(labels) == 9
    b = bt.CellType.get(name="B cell")
    assert (
        b.ontology_id == "CL:0000236"
        and bt.Gene.filter(symbol="CD79A").one().organism.name == "human"
    )
    assert "cell_type [CellType]" in str(file.describe())


def test_validate_speed_is_measured_in_benchmarks_not_here(bt):
    """A correctness check at size: 10k values against 20k genes (benchmarks time it)."""
    bt.Gene.import_source(organism="human")
    symbols = bt.Gene.filter(symbol__startswith="A").values_list("symbol", flat=True)[:5000]
    values = pd.Series(symbols + [f"nope-{i}" for i in range(5000)])
    valid = bt.Gene.validate(values, organism="human", mute=True)
    assert len(symbols) > 1000 and valid.sum() == len(symbols)
    assert valid[: len(symbols)].all() and not valid[len(symbols) :].any()
    assert not bt.Gene.validate(symbols[:10], organism="mouse", mute=True).any()
